"""The short form of the concurrency load (bench/load.py): gunicorn with several workers on
the test database, clients writing at once for a few seconds, then every accepted write
looked up in the database, the audit chain and the evidence store verified."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from bench.check import check_database
from bench.load import run_load
from bench.server import GunicornServer, Instance, add_load_users
from bench.tally import WRITE_KINDS, summary_table

WORKERS, CLIENTS, SECONDS = 3, 8, 8
# Kinds every short run writes (an accept waits on the receiver's clients coming round).
ALWAYS_WRITTEN = [kind for kind in WRITE_KINDS if kind != "handoff_accept"]


def test_concurrent_writers_get_answers_and_every_accepted_write_is_stored(
    app: Flask, tmp_path: Path
) -> None:
    tokens = add_load_users(app, 4)
    log = tmp_path / "gunicorn.log"
    with GunicornServer(Instance.of(app), WORKERS, log) as server:
        result = run_load(server.url, tokens, CLIENTS, SECONDS)
    report = f"{summary_table(result)}\n{log.read_text()[-3000:]}"

    assert result["anomalies"] == [], report  # no 5xx, no unexpected status, no lost 409 body
    assert all(result["writes"][kind] > 0 for kind in ALWAYS_WRITTEN), report
    assert result["statuses"]["stale_edit"] == {"409": result["stale_refused"]}, report
    assert result["stale_refused"] > 0, report
    assert check_database(app, result) == []
