"""`GET /healthz`: the process answers. For load balancers and monitoring, and as the
trivial endpoint the benchmarks compare the pages' throughput with; it touches nothing."""

from __future__ import annotations

from flask import Blueprint, Response

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def check() -> Response:
    return Response("ok\n", mimetype="text/plain")
