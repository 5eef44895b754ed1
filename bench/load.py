"""A bounded concurrent load on a running casemgr, through its JSON API.

Many clients at once log threats on one hot case, edit it with the version they saw (and
with one they know is stale), hand it back and forth between their users, open new cases
and upload evidence. Each client is a thread with its own token; the run stops at a time
limit or a request budget, whichever comes first. Standard library only; 127.0.0.1 only.

    python -m bench.load --url http://127.0.0.1:8000 --token cm_... --token cm_... \
        --clients 8 --seconds 10 --output load.json

The JSON results (bench/tally.py) hold every accepted write (ids, refs, hashes, titles), so
that a check can compare them with the database (bench/check.py).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import random
import struct
import sys
import threading
import time
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.tally import WRITE_KINDS, Answer, Tally, results, summary_table

API = "/api/v1"
LOOPBACK = "127.0.0.1"
MAX_CLIENTS = 64
MAX_SECONDS = 600
OCCURRED_AT = "2026-03-02T08:15:00Z"
# Relative weights of what a client does next.
MIX = {"threat": 3, "edit": 3, "stale_edit": 1, "handoff": 3, "create_case": 2, "evidence": 2}
# The answers a correct server gives under load: a racing write may lose with a 409, and an
# offer may find that another of the owner's clients has handed the case away (403).
EXPECTED = {"read": {200}, "stale_edit": {409}} | {kind: {200, 201, 409} for kind in WRITE_KINDS}
EXPECTED["handoff_offer"].add(403)
EDIT_ATTEMPTS = 3
BRIEF = {
    "situation": "Shift change under load.",
    "concern": "Threats keep arriving.",
    "next_steps": "Keep logging and editing.",
}


class ApiClient:
    """Calls /api/v1 with one bearer token; a new connection per request, as gunicorn's
    sync workers close each one after answering."""

    def __init__(self, port: int, token: str, timeout: float = 60) -> None:
        self.port, self.timeout = port, timeout
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def call(self, method: str, path: str, body: Any = None) -> Answer:
        payload = None if body is None else json.dumps(body).encode()
        return self._send(method, path, payload, "application/json" if payload else None)

    def upload(self, path: str, filename: str, content: bytes, fields: dict[str, str]) -> Answer:
        boundary = uuid.uuid4().hex
        return self._send(
            "POST",
            path,
            multipart_body(boundary, filename, content, fields),
            f"multipart/form-data; boundary={boundary}",
        )

    def _send(self, method: str, path: str, payload: bytes | None, mime: str | None) -> Answer:
        headers = dict(self.headers) | ({"Content-Type": mime} if mime else {})
        connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=self.timeout)
        started = time.perf_counter()
        try:
            connection.request(method, API + path, body=payload, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        mimetype = response.getheader("Content-Type", "")
        body = json.loads(raw) if raw and "json" in mimetype else None
        return Answer(response.status, body, time.perf_counter() - started)


def multipart_body(boundary: str, filename: str, content: bytes, fields: dict[str, str]) -> bytes:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


def tiny_png(rng: random.Random, side: int = 32) -> bytes:
    """A grayscale PNG of random pixels: a real image for the forensics, never twice the same."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    rows = b"".join(b"\x00" + rng.randbytes(side) for _ in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class BudgetSpent(Exception):
    """The run's time or request budget is used up."""


class Budget:
    """Stops every client at the deadline or when the request budget is spent."""

    def __init__(self, seconds: float, max_requests: int) -> None:
        self.deadline = time.monotonic() + seconds
        self.left = max_requests
        self.lock = threading.Lock()

    def spent(self) -> bool:
        return self.left <= 0 or time.monotonic() >= self.deadline

    def take(self) -> None:
        """Count one request; BudgetSpent when none is left."""
        with self.lock:
            if self.spent():
                raise BudgetSpent
            self.left -= 1


@dataclass(frozen=True)
class Scene:
    """What every client shares: the hot case and the users the tokens belong to."""

    hot_ref: str
    usernames: list[str]


class LoadClient:
    """One simulated analyst: picks actions at random from MIX until the budget ends."""

    def __init__(
        self, number: int, api: ApiClient, me: str, scene: Scene, tally: Tally, budget: Budget
    ) -> None:
        self.number, self.api, self.me = number, api, me
        self.scene, self.tally, self.budget = scene, tally, budget
        self.rng = random.Random(number)  # noqa: S311 - a reproducible mix, not a secret
        self.done = 0
        self.hot = f"/cases/{scene.hot_ref}"

    def run(self) -> None:
        """Act until the budget ends; first a handoff, so the hot case changes hands early."""
        actions = list(MIX)
        weights = list(MIX.values())
        action = "handoff"
        while not self.budget.spent():
            try:
                getattr(self, action)()
            except BudgetSpent:
                return
            except Exception as error:  # a dropped connection, an unreadable answer: go on
                self.tally.note(f"client {self.number} {action}: {type(error).__name__}: {error}")
            self.done += 1
            action = self.rng.choices(actions, weights)[0]

    def _label(self) -> str:
        return f"{self.number}-{self.done}"

    def _request(self, kind: str, method: str, path: str, body: Any = None) -> Answer:
        self.budget.take()
        answer = self.api.call(method, path, body)
        self._judge(kind, answer)
        return answer

    def _judge(self, kind: str, answer: Answer) -> None:
        """Count the answer; anything but success or a conflict is an anomaly."""
        self.tally.count(kind, answer)
        if answer.status not in EXPECTED[kind]:
            self.tally.note(f"{kind}: HTTP {answer.status} {answer.problem()}")

    def _read_hot(self) -> dict[str, Any] | None:
        answer = self._request("read", "GET", self.hot)
        return answer.body if answer.status == 200 else None

    def threat(self) -> None:
        text = f"Load threat {self._label()}: we know where your office is."
        body = {
            "occurred_at": OCCURRED_AT,
            "channel": "public_post",
            "text": text,
            "threat_type": "veiled",
        }
        answer = self._request("threat", "POST", f"{self.hot}/threats", body)
        if answer.status == 201:
            with self.tally.lock:
                self.tally.threats[answer.body["id"]] = text

    def edit(self) -> None:
        """Edit with the version read; refused as stale, try again with the newer case the
        409 carries, as a person reviewing the current values would (a few times: every
        threat and upload on the hot case bumps its version too)."""
        case = self._read_hot()
        for _ in range(EDIT_ATTEMPTS):
            if case is None:
                return
            title = f"Hot case, edit {self._label()}-v{case['version']}"
            body = {"version": case["version"], "title": title}
            answer = self._request("edit", "PATCH", self.hot, body)
            if answer.status == 200:
                with self.tally.lock:
                    self.tally.edits.append({"title": title, "version": answer.body["version"]})
                return
            case = self._current_on_conflict("edit", answer)

    def _current_on_conflict(self, kind: str, answer: Answer) -> dict[str, Any] | None:
        """The case a 409 for a stale version carries (an anomaly when missing)."""
        if answer.status != 409:
            return None
        current = answer.body.get("current") if isinstance(answer.body, dict) else None
        if current is None:
            self.tally.note(f"{kind}: 409 without the current case: {answer.problem()}")
        return current

    def stale_edit(self) -> None:
        """An edit with a version older than one already seen: it must be refused."""
        case = self._read_hot()
        if case is None or case["version"] < 2:
            return
        stale = {"version": case["version"] - 1, "title": f"Stale edit {self._label()}"}
        answer = self._request("stale_edit", "PATCH", self.hot, stale)
        current = answer.body.get("current") if isinstance(answer.body, dict) else None
        if answer.status == 409 and current and current["version"] >= case["version"]:
            with self.tally.lock:
                self.tally.stale_refused += 1
        elif answer.status == 409:
            self.tally.note(f"stale_edit: 409 without a newer current case: {answer.problem()}")

    def handoff(self) -> None:
        """Accept the hot case when it is offered to me; offer it on when I own it."""
        case = self._read_hot()
        if case is None:
            return
        pending = case["pending_handoff"]
        if pending and pending["to_user"] == self.me:
            self._accept(pending["id"])
        elif pending is None and case["owner"] == self.me:
            self._offer()

    def _offer(self) -> None:
        receiver = self.rng.choice([name for name in self.scene.usernames if name != self.me])
        body = {"to_user": receiver, "brief": BRIEF}
        answer = self._request("handoff_offer", "POST", f"{self.hot}/handoffs", body)
        if answer.status == 201:
            with self.tally.lock:
                self.tally.offers.append(answer.body["id"])

    def _accept(self, handoff_id: int) -> None:
        answer = self._request("handoff_accept", "POST", f"/handoffs/{handoff_id}/accept")
        if answer.status == 200:
            with self.tally.lock:
                self.tally.accepts.append({"id": handoff_id, "to_user": self.me})

    def create_case(self) -> None:
        answer = self._request("create_case", "POST", "/cases", {"title": f"Load {self._label()}"})
        if answer.status == 201:
            with self.tally.lock:
                self.tally.cases.append(answer.body["ref"])

    def evidence(self) -> None:
        if self.rng.random() < 0.5:
            content, filename = tiny_png(self.rng), f"screenshot-{self._label()}.png"
        else:
            content, filename = f"Letter {self._label()}\n".encode(), f"letter-{self._label()}.txt"
        fields = {"description": f"Load upload {self._label()}", "method": "screenshot"}
        self.budget.take()
        answer = self.api.upload(f"{self.hot}/evidence", filename, content, fields)
        self._judge("evidence", answer)
        if answer.status != 201:
            return
        sha256 = hashlib.sha256(content).hexdigest()
        if answer.body["sha256"] != sha256:
            self.tally.note(f"evidence {answer.body['id']}: stored hash differs from the upload")
        with self.tally.lock:
            self.tally.evidence[answer.body["id"]] = sha256


def loopback_port(url: str) -> int:
    """The port of an http://127.0.0.1:PORT url; anything else is refused."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname != LOOPBACK or parts.port is None:
        raise ValueError(f"the load runs only against http://{LOOPBACK}:PORT, not {url!r}")
    return parts.port


def set_scene(apis: list[ApiClient]) -> Scene:
    """Who the tokens belong to, and a new hot case owned by the first of them."""
    usernames = []
    for api in apis:
        me = api.call("GET", "/me")
        if me.status != 200:
            raise RuntimeError(f"GET /me answered {me.status}: {me.problem()}")
        usernames.append(me.body["username"])
    if len(set(usernames)) < 2:
        raise RuntimeError("handoffs need tokens of at least two different users")
    opened = apis[0].call("POST", "/cases", {"title": "Hot case under load"})
    if opened.status != 201:
        raise RuntimeError(f"opening the hot case answered {opened.status}: {opened.problem()}")
    return Scene(opened.body["ref"], usernames)


def run_load(
    url: str, tokens: list[str], clients: int, seconds: float, max_requests: int = 50_000
) -> dict[str, Any]:
    """Run the load; its results (bench.tally.results) with the hot case's ref and the users."""
    if not 1 <= clients <= MAX_CLIENTS or not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"1-{MAX_CLIENTS} clients for at most {MAX_SECONDS} seconds")
    port = loopback_port(url)
    apis = [ApiClient(port, token) for token in tokens]
    scene = set_scene(apis)
    tally, budget = Tally(), Budget(seconds, max_requests)
    workers = [
        LoadClient(n, apis[n % len(apis)], scene.usernames[n % len(apis)], scene, tally, budget)
        for n in range(clients)
    ]
    threads = [
        threading.Thread(target=worker.run, name=f"load-{n}") for n, worker in enumerate(workers)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return results(tally, elapsed, clients) | {"hot_ref": scene.hot_ref, "users": scene.usernames}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--url", required=True, help=f"http://{LOOPBACK}:PORT of the server")
    parser.add_argument("--token", action="append", required=True, help="repeat: one per user")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument("--output", type=Path, default=Path("load-results.json"))
    args = parser.parse_args(argv)
    try:
        loopback_port(args.url)
    except ValueError as error:
        parser.error(str(error))
    result = run_load(args.url, args.token, args.clients, args.seconds, args.max_requests)
    args.output.write_text(json.dumps(result, indent=1))
    print(summary_table(result))
    for anomaly in result["anomalies"][:20]:
        print(f"anomaly: {anomaly}", file=sys.stderr)
    print(f"results written to {args.output}")
    return 1 if result["anomalies"] else 0


if __name__ == "__main__":
    sys.exit(main())
