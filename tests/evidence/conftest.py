"""Fixtures of the evidence tests: an analyst's client and a case of theirs."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.cases.web import open_case


@pytest.fixture
def analyst(client_as) -> FlaskClient:
    return client_as("analyst")


@pytest.fixture
def ref(analyst: FlaskClient) -> str:
    return open_case(analyst)
