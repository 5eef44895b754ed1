"""What a load run saw: answers counted by kind and status, every write the server
accepted, and the summary table printed at the end."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# Request kinds that write, in the order the summary lists them.
WRITE_KINDS = ("threat", "edit", "handoff_offer", "handoff_accept", "create_case", "evidence")
KINDS = ("read", *WRITE_KINDS, "stale_edit")
MAX_ANOMALIES = 200  # kept for the report; a broken server would otherwise flood it


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: its status, its JSON body, and how long it took."""

    status: int
    body: Any  # the parsed JSON, or None
    seconds: float

    def problem(self) -> str:
        """The title and detail of a problem+json answer, for the report."""
        if isinstance(self.body, dict):
            return f"{self.body.get('title', '')}: {self.body.get('detail', '')}"[:300]
        return ""


@dataclass
class Tally:
    """What every client saw and every write the server accepted; shared under one lock."""

    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    threats: dict[int, str] = field(default_factory=dict)  # id -> text sent
    cases: list[str] = field(default_factory=list)  # refs of the cases opened
    evidence: dict[int, str] = field(default_factory=dict)  # id -> sha256 of the bytes sent
    edits: list[dict[str, Any]] = field(default_factory=list)  # title and version answered
    offers: list[int] = field(default_factory=list)  # handoff ids
    accepts: list[dict[str, Any]] = field(default_factory=list)  # handoff id and new owner
    stale_refused: int = 0
    anomalies: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, kind: str, answer: Answer) -> None:
        with self.lock:
            self.statuses.setdefault(kind, Counter())[answer.status] += 1
            self.latencies.setdefault(kind, []).append(answer.seconds)

    def note(self, anomaly: str) -> None:
        with self.lock:
            if len(self.anomalies) < MAX_ANOMALIES:
                self.anomalies.append(anomaly)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def results(tally: Tally, elapsed: float, clients: int) -> dict[str, Any]:
    """Plain data for JSON: counts per kind and status, latencies, and every accepted write."""
    requests = sum(sum(counter.values()) for counter in tally.statuses.values())
    writes = {
        kind: sum(n for status, n in tally.statuses.get(kind, Counter()).items() if status < 300)
        for kind in WRITE_KINDS
    }
    return {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": requests,
        "throughput": round(requests / elapsed, 1) if elapsed else 0.0,
        "writes": writes,
        "writes_per_second": round(sum(writes.values()) / elapsed, 1) if elapsed else 0.0,
        "statuses": {
            kind: {str(status): n for status, n in sorted(counter.items())}
            for kind, counter in tally.statuses.items()
        },
        "latency_ms": {
            kind: {
                "p50": round(_percentile(values, 0.5) * 1000, 1),
                "p95": round(_percentile(values, 0.95) * 1000, 1),
                "max": round(max(values) * 1000, 1),
            }
            for kind, values in tally.latencies.items()
        },
        "threats": {str(key): text for key, text in tally.threats.items()},
        "cases": tally.cases,
        "evidence": {str(key): sha256 for key, sha256 in tally.evidence.items()},
        "edits": tally.edits,
        "handoffs_offered": tally.offers,
        "handoffs_accepted": tally.accepts,
        "stale_refused": tally.stale_refused,
        "anomalies": tally.anomalies,
    }


def summary_table(result: dict[str, Any]) -> str:
    """Requests per kind and status class, latencies, and the totals."""
    header = f"{'kind':<15}{'requests':>9}{'2xx':>7}{'409':>6}{'4xx':>6}{'5xx':>6}"
    header += f"{'p50 ms':>9}{'p95 ms':>9}"
    lines = [header, "-" * len(header)]
    for kind in KINDS:
        counts = {int(status): n for status, n in result["statuses"].get(kind, {}).items()}
        if not counts:
            continue
        latency = result["latency_ms"][kind]
        lines.append(
            f"{kind:<15}{sum(counts.values()):>9}"
            f"{sum(n for s, n in counts.items() if s < 300):>7}{counts.get(409, 0):>6}"
            f"{sum(n for s, n in counts.items() if 400 <= s < 500 and s != 409):>6}"
            f"{sum(n for s, n in counts.items() if s >= 500):>6}"
            f"{latency['p50']:>9}{latency['p95']:>9}"
        )
    lines.append("-" * len(header))
    lines.append(
        f"{result['requests']} requests in {result['seconds']} s by {result['clients']} clients: "
        f"{result['throughput']} req/s, {result['writes_per_second']} accepted writes/s; "
        f"stale edits refused: {result['stale_refused']}; anomalies: {len(result['anomalies'])}"
    )
    return "\n".join(lines)
