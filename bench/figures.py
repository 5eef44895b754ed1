"""What the in-process benchmarks share: timing, percentiles, the common command line, and
a small table of figures with their targets."""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def timed(call: Callable[[], T]) -> tuple[float, T]:
    """Milliseconds `call` took, and what it returned."""
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest sample with at least `fraction` of them at
    or below it (the median is fraction 0.5). Raises ValueError for no samples."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def spread(samples: Sequence[float]) -> dict[str, float]:
    """Median and p95 of timings in milliseconds, rounded for a table."""
    return {
        "median_ms": round(percentile(samples, 0.5), 3),
        "p95_ms": round(percentile(samples, 0.95), 3),
    }


def ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 2) if denominator else math.inf


def arguments(description: str) -> argparse.ArgumentParser:
    """The options every benchmark takes; each adds its own `--size`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server to run on as well (a scratch database is made and dropped)",
    )
    parser.add_argument(
        "--sqlite-only", action="store_true", help="run on SQLite only, even with --database-url"
    )
    return parser


def databases(options: argparse.Namespace) -> list[str | None]:
    """None for SQLite, then the PostgreSQL URL when given and not --sqlite-only."""
    if options.database_url and not options.sqlite_only:
        return [None, options.database_url]
    return [None]


def print_table(title: str, rows: Sequence[tuple[str, Any, str]]) -> None:
    """One figure a line: name, value, and the target it is held to (if any)."""
    print(title)
    width = max(len(name) for name, _, _ in rows)
    for name, value, target in rows:
        shown = f"{value:,.2f}" if isinstance(value, float) else str(value)
        print(f"  {name:<{width}}  {shown:>12}  {target}")


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"
