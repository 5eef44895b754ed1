"""Latency and throughput of the main pages, served by gunicorn on 127.0.0.1 from an instance
(the large generated one, for the figures that count).

Latency is the server's own time for each answer (its `Server-Timing` header: from the start
of the request in the app to its commit), one client at a time, after a warm-up. Throughput is
8 clients at once for a fixed time on the case page, then on `/healthz` on the same server,
each counted after a warm-up: their ratio shows how close a page comes to the framework's own
limit.

    python -m bench.pages --instance /tmp/casemgr-large [--database-url URL]

The instance gets a lead to log in as, and a case with 200 threats and 50 images (made through
the services, once), so that the case page and the gallery are measured at a known size.
"""

from __future__ import annotations

import argparse
import http.client
import io
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from bench.figures import spread, verdict
from bench.server import LOOPBACK, GunicornServer, Instance
from casemgr.audit.log import SYSTEM, Actor
from casemgr.auth.accounts import create_user, find_user, set_password
from casemgr.cases.models import Case
from casemgr.cases.operations import CaseDetails, create_case
from casemgr.evidence.ingest import IngestSettings, ingest
from casemgr.evidence.store import FileStore, stage_stream
from casemgr.extensions import db
from casemgr.threats.feeds import import_threats
from casemgr.threats.models import Threat

BENCH_USER = "bench-lead"
BENCH_CASE = "Benchmark case: 200 threats and 50 images"
CASE_THREATS, CASE_IMAGES = 200, 50
WARM_UP, SAMPLES = 3, 30
CLIENTS, THROUGHPUT_SECONDS, WARM_UP_SECONDS = 8, 15, 3
P95_TARGET_MS, THROUGHPUT_SHARE = 100, 0.25
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class Subjects:
    """What the pages address: who logs in, the case at a known size, a word to search."""

    username: str
    password: str
    ref: str
    word: str
    deep_page: int


def _threat_rows(count: int) -> list[tuple[int, dict[str, Any]]]:
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    return [
        (
            number + 2,
            {
                "occurred_at": (start + timedelta(hours=number)).isoformat(),
                "platform": "Chirper",
                "handle": f"@benchwatcher{number % 9}",
                "text": f"Post {number}: we are watching the lobby on Harlow Street.",
                "language": "en",
                "grading": "2BP",
                "subject": "Benchmark Vanguard",
            },
        )
        for number in range(count)
    ]


def _image(seed: int) -> bytes:
    image = Image.new("RGB", (320, 240), (seed * 37 % 255, seed * 91 % 255, seed * 53 % 255))
    ImageDraw.Draw(image).ellipse((40 + seed % 80, 30, 200, 200), fill=(240, 240, 240))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _make_case(app: Flask, user_id: int) -> str:
    """The benchmark case, through the services; made once per instance."""
    from casemgr.auth.models import User

    user = db.session.get(User, user_id)
    actor = Actor(user.id, user.username)
    case = create_case(db.session, actor, user, CaseDetails(title=BENCH_CASE))
    import_threats(db.session, actor, case, iter(_threat_rows(CASE_THREATS)), skip_bad=False)
    store = FileStore(Path(app.config["CASEMGR_DATA_DIR"]))
    for seed in range(CASE_IMAGES):
        writer = stage_stream(io.BytesIO(_image(seed)), store.temp)
        try:
            ingest(
                db.session,
                actor,
                store,
                writer.staged(),
                original_filename=f"lobby-{seed}.jpg",
                declared_mime="image/jpeg",
                settings=IngestSettings(10_000_000, app.config["CASEMGR_MATCH_THRESHOLD"]),
                case=case,
            )
        finally:
            writer.close()
    return case.ref


def _search_word() -> str:
    """A word of a recent threat's text: a search with hits, as a user would type it."""
    text = db.session.scalar(select(Threat.text).order_by(Threat.id.desc()).limit(1)) or "lobby"
    words = sorted(re.findall(r"\w{5,}", text), key=len, reverse=True)
    return words[0] if words else "lobby"


def prepare(instance: Instance) -> Subjects:
    """A lead with a fresh password, and the benchmark case (made if missing)."""
    app = instance.build_app()
    password = secrets.token_urlsafe(18)
    with app.app_context():
        user = find_user(db.session, BENCH_USER)
        if user is None:
            user = create_user(db.session, SYSTEM, BENCH_USER, "lead", password)
        else:
            set_password(db.session, SYSTEM, user, password)
        db.session.flush()
        ref = db.session.scalar(select(Case.ref).where(Case.title == BENCH_CASE))
        ref = ref or _make_case(app, user.id)
        cases = db.session.scalar(select(func.count(Case.id))) or 1
        word = _search_word()
        db.session.commit()
        db.engine.dispose()
    # 50 cases a page: a page about 80% of the way down the list.
    return Subjects(BENCH_USER, password, ref, word, max(1, int(cases * 0.8) // 50))


class Browser:
    """A logged-in session over plain HTTP on 127.0.0.1: one cookie, a new connection per
    request (gunicorn's sync workers close each one)."""

    def __init__(self, port: int) -> None:
        self.port, self.cookie = port, ""

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, Any]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=120)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        cookie = response.getheader("Set-Cookie")
        if cookie and cookie.startswith("session="):
            self.cookie = cookie.split(";", 1)[0]
        return response.status, (response, content)

    def log_in(self, username: str, password: str) -> None:
        _, (_, page) = self.request("GET", "/login")
        token = _CSRF.search(page.decode())
        form = {"username": username, "password": password, "csrf_token": token and token[1]}
        status, _ = self.request("POST", "/login", urlencode(form).encode())
        if status != 302:
            raise RuntimeError(f"logging in as {username} answered {status}")


def pages(subjects: Subjects) -> dict[str, str]:
    listed = urlencode({"status": "active", "sort": "priority"})
    return {
        "dashboard": "/",
        "case list, filtered and sorted": f"/cases?{listed}",
        "case list, deep page": f"/cases?sort=updated&page={subjects.deep_page}",
        "full-text search": "/search?" + urlencode({"q": subjects.word}),
        f"case page, {CASE_THREATS} threats": f"/cases/{subjects.ref}",
        f"evidence gallery, {CASE_IMAGES} images": f"/cases/{subjects.ref}/evidence",
    }


def _server_ms(response: http.client.HTTPResponse) -> float:
    timing = response.getheader("Server-Timing") or ""
    found = re.search(r"dur=([\d.]+)", timing)
    if not found:
        raise RuntimeError("the answer carries no Server-Timing")
    return float(found[1])


def latency(browser: Browser, path: str) -> dict[str, float]:
    """Median and p95 of the server's time over SAMPLES answers, one at a time, once every
    worker has answered `path` (WARM_UP rounds of CLIENTS at once: a worker's first answer
    of a page compiles its template, which a long-running server does once)."""
    for _ in range(WARM_UP):
        _at_once(browser, path, CLIENTS)
    times = []
    for _ in range(SAMPLES):
        status, (response, _) = browser.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        times.append(_server_ms(response))
    return spread(times)


def _at_once(browser: Browser, path: str, count: int) -> None:
    threads = [threading.Thread(target=browser.request, args=("GET", path)) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def throughput(make_client: Callable[[], Browser], path: str, seconds: float) -> float:
    """Answers per second in the steady state: CLIENTS clients (logged in first) ask for
    `path` for WARM_UP_SECONDS unmeasured, so that every worker has started and answered
    each of them, then for `seconds` counted."""
    browsers = [make_client() for _ in range(CLIENTS)]
    done = [0] * CLIENTS
    counted_from = time.monotonic() + WARM_UP_SECONDS
    stop = counted_from + seconds

    def client(slot: int) -> None:
        while time.monotonic() < stop:
            answered = browsers[slot].request("GET", path)[0] == 200
            if answered and time.monotonic() >= counted_from:
                done[slot] += 1

    threads = [threading.Thread(target=client, args=(slot,)) for slot in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - counted_from)


def run(instance: Instance, workers: int = 4, seconds: float = THROUGHPUT_SECONDS) -> dict:
    subjects = prepare(instance)
    log = instance.folder / "bench-gunicorn.log"
    with GunicornServer(instance, workers, log) as server:

        def logged_in() -> Browser:
            browser = Browser(server.port)
            browser.log_in(subjects.username, subjects.password)
            return browser

        browser = logged_in()
        figures: dict[str, Any] = {
            "latency": {name: latency(browser, path) for name, path in pages(subjects).items()}
        }
        case_page = f"/cases/{subjects.ref}"
        page_rate = throughput(logged_in, case_page, seconds)
        trivial_rate = throughput(lambda: Browser(server.port), "/healthz", seconds)
    figures["throughput"] = {
        "clients": CLIENTS,
        "workers": workers,
        "case_page_per_s": round(page_rate, 1),
        "healthz_per_s": round(trivial_rate, 1),
        "ratio": round(page_rate / trivial_rate, 3),
    }
    figures["targets"] = {
        **{
            f"{name}: p95 under {P95_TARGET_MS} ms": figure["p95_ms"] < P95_TARGET_MS
            for name, figure in figures["latency"].items()
        },
        f"case page at {THROUGHPUT_SHARE:.0%} of /healthz": page_rate
        >= THROUGHPUT_SHARE * trivial_rate,
    }
    return figures


def print_table(figures: dict[str, Any]) -> None:
    print(f"{'page':<40} {'median ms':>10} {'p95 ms':>8}")
    for name, figure in figures["latency"].items():
        print(f"{name:<40} {figure['median_ms']:>10} {figure['p95_ms']:>8}")
    rates = figures["throughput"]
    print(
        f"throughput, {rates['clients']} clients: case page {rates['case_page_per_s']}/s, "
        f"/healthz {rates['healthz_per_s']}/s, ratio {rates['ratio']:.0%}"
    )
    print(", ".join(f"{name} {verdict(met)}" for name, met in figures["targets"].items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", type=Path, required=True)
    parser.add_argument("--database-url", help="default: the instance's SQLite file")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=THROUGHPUT_SECONDS)
    args = parser.parse_args(argv)
    url = args.database_url or f"sqlite:///{args.instance / 'casemgr.db'}"
    instance = Instance(args.instance, url, args.instance / "data")
    print_table(run(instance, args.workers, args.seconds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
