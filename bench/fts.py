"""Full-text search against `LIKE '%word%'`, on the same search documents in one process.

The FTS side is the search as the app runs it: the search page's `newest_hits` (FTS5 on
SQLite, the GIN-indexed tsvector on PostgreSQL), the newest documents matching, one more
than the cap (`CASEMGR_SEARCH_LIMIT`), as a lead (who sees every case, as LIKE does). The
LIKE side, the baseline the targets are held to, counts in the database every document whose
body contains the word: `LIKE` on SQLite (already case-insensitive for ASCII), `ILIKE` on
PostgreSQL. A capped LIKE, which asks what the app asks (the newest documents containing the
word, as many), is timed too and reported beside it: with many matches it also stops early.
The FTS matches words by prefix, LIKE any substring, so LIKE may find a few more. Each
word's full-text matches are counted untimed: common and specific words are told apart by
them, and the words with more than the cap are counted.

Query words are drawn evenly from the distinct words (five letters or more, no numbers) of
300 documents picked at random: every query finds something, and most are the names,
handles and places a user looks for, some the wording many threats share. Figures are
also given apart for "common" words (in 1% of the documents or more) and "specific" ones.
Each word is run `repeats` times on each side, in turn.

Measured on an existing instance (`--instance`: an instance folder holding casemgr.db, or a
database URL; e.g. the big one `python -m bench.generate` makes, only read here), or on a
scratch instance of `--size` threats imported through `import_threats` as a feed would be.

    python -m bench.fts --instance PATH_OR_URL
    python -m bench.fts [--size 5000] [--database-url URL] [--sqlite-only]
"""

from __future__ import annotations

import random
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import ColumnElement, bindparam, func, select, text
from sqlalchemy.orm import Session

from bench.figures import (
    arguments,
    databases,
    percentile,
    print_table,
    ratio,
    spread,
    timed,
    verdict,
)
from bench.scratch import Scratch, scratch_instance, sqlalchemy_url
from bench.server import Instance
from casemgr.auth.models import User
from casemgr.extensions import db
from casemgr.search.models import SearchDocument
from casemgr.search.query import matching_documents, search_terms
from casemgr.search.results import newest_hits
from casemgr.threats.feeds import import_threats

SIZE = 100_000
WORDS = 30
SAMPLED_DOCUMENTS = 300
COMMON_SHARE = 0.01  # a word in this share of the documents or more is a common one
REPEATS = 5
SPEEDUP_TARGET = 20.0
FTS_TARGET_MS = 50.0
SEED = 20260722
START = datetime(2021, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=4 * 365)  # the feed's threats spread over four years, all in the past
# Threat wording for the scratch feed: a few fixed phrases and many rarer made-up names.
OPENINGS = (
    "We know where you live",
    "Every account you suspend will cost you",
    "Your offices will not be safe",
    "Supporters are watching the car park",
    "You should not feel safe at the conference",
    "For every account you take we open three",
    "The silenced will answer back",
)
SYLLABLES = ("ka", "mor", "ve", "lin", "dra", "sol", "teth", "qui", "nar", "bel", "os", "ry")


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def feed_rows(count: int, seed: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """A monitoring feed of `count` threats, as `read_rows` would give it."""
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not a secret
    names = [_name(rng) for _ in range(max(50, count // 20))]
    handles = [f"@{name.lower()}_{number}" for number, name in enumerate(names[:200])]
    step = SPAN / max(count, 1)
    for line in range(count):
        mentioned = " and ".join(rng.sample(names, 2))
        yield (
            line + 2,
            {
                "occurred_at": (START + step * line).isoformat(),
                "platform": "Chirper",
                "handle": rng.choice(handles),
                "text": f"{rng.choice(OPENINGS)}, {mentioned}. Seen near {rng.choice(names)}.",
                "language": "en",
            },
        )


def fill(scratch: Scratch, threats: int, seed: int) -> None:
    """Import `threats` threats on one case, as one feed."""
    with scratch.app.app_context():
        case = scratch.open_case("Search benchmark")
        import_threats(db.session, scratch.actor(), case, feed_rows(threats, seed))
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does soon after a bulk import: statistics, the visibility
            # map, and the GIN index's pending entries merged (each search scans them).
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                    text("VACUUM ANALYZE search_documents")
                )


def _sample_bodies(session: Session, count: int, rng: random.Random) -> list[str]:
    """The bodies of `count` documents picked at random (by id, gaps skipped)."""
    low, high = session.execute(
        select(func.min(SearchDocument.id), func.max(SearchDocument.id))
    ).one()
    if low is None:
        raise ValueError("the instance has no search documents")
    next_body = (
        select(SearchDocument.body)
        .where(SearchDocument.id >= bindparam("start"))
        .order_by(SearchDocument.id)
        .limit(1)
    )
    return [
        session.scalar(next_body, {"start": rng.randint(low, high)}) or "" for _ in range(count)
    ]


def query_words(session: Session, count: int, rng: random.Random) -> list[str]:
    """`count` words a user might search for: drawn evenly from the distinct words (five
    letters or more, no numbers) of a sample of documents, so that names, handles and
    places come up as well as the wording every threat shares."""
    vocabulary = sorted(
        {
            word.lower()
            for body in _sample_bodies(session, SAMPLED_DOCUMENTS, rng)
            for word in search_terms(body)
            if len(word) >= 5 and not word.isdigit()
        }
    )
    return rng.sample(vocabulary, min(count, len(vocabulary)))


def match_count(session: Session, word: str) -> int:
    """Documents the app's full-text match finds, counted in the database."""
    documents = matching_documents(session, word)
    if documents is None:
        return 0
    return session.scalar(select(func.count()).select_from(documents.subquery())) or 0


def fts_hits(session: Session, lead: User, word: str, limit: int) -> int:
    """The search page's hits for `word`: the newest `limit` + 1 (one over the cap)."""
    return len(newest_hits(session, lead, word, limit + 1) or [])


def _contains(session: Session, word: str) -> ColumnElement[bool]:
    body = SearchDocument.body
    postgresql = session.get_bind().dialect.name == "postgresql"
    contains = body.icontains if postgresql else body.contains  # SQLite's LIKE ignores case
    return contains(word, autoescape=True)


def like_count(session: Session, word: str) -> int:
    """Documents whose body contains `word`, case-insensitively, counted in the database."""
    condition = _contains(session, word)
    return session.scalar(select(func.count()).select_from(SearchDocument).where(condition)) or 0


def capped_like_hits(session: Session, word: str, limit: int) -> int:
    """The newest `limit` + 1 documents whose body contains `word`, case-insensitively."""
    newest = select(SearchDocument.id).where(_contains(session, word))
    return len(session.scalars(newest.order_by(SearchDocument.id.desc()).limit(limit + 1)).all())


@dataclass(frozen=True)
class Sample:
    """One query word run once on each side; `matches` is its full-text matches, uncapped."""

    word: str
    fts_ms: float
    like_ms: float
    capped_like_ms: float
    fts_hits: int
    like_hits: int
    matches: int


def measure(app: Flask, words: int, repeats: int, seed: int) -> dict[str, Any]:
    """Run every query word `repeats` times on each side, in turn."""
    limit = app.config["CASEMGR_SEARCH_LIMIT"]
    with app.app_context():
        session = db.session
        documents = session.scalar(select(func.count()).select_from(SearchDocument)) or 0
        queries = query_words(session, words, random.Random(seed))  # noqa: S311
        # A lead sees every case, so only the role counts: no user is looked up or written.
        lead = User(username="bench-search", role="lead")
        matches = {word: match_count(session, word) for word in queries}
        for word in queries[:3]:  # warm the caches on every side
            fts_hits(session, lead, word, limit)
            like_count(session, word)
        samples = []
        for _ in range(repeats):
            for word in queries:
                fts_ms, fts = timed(lambda w=word: fts_hits(session, lead, w, limit))
                like_ms, like = timed(lambda w=word: like_count(session, w))
                capped_ms, _ = timed(lambda w=word: capped_like_hits(session, w, limit))
                samples.append(Sample(word, fts_ms, like_ms, capped_ms, fts, like, matches[word]))
        database = session.get_bind().dialect.name
    return _summary(database, documents, limit, samples)


def _side_by_side(samples: list[Sample]) -> dict[str, Any]:
    if not samples:
        return {"queries": 0}
    fts, like = spread([s.fts_ms for s in samples]), spread([s.like_ms for s in samples])
    capped_like = spread([s.capped_like_ms for s in samples])
    return {
        "queries": len({s.word for s in samples}),
        "fts": fts,
        "like": like,
        "capped_like": capped_like,
        "like_over_fts": ratio(like["median_ms"], fts["median_ms"]),
        "capped_like_over_fts": ratio(capped_like["median_ms"], fts["median_ms"]),
        "fts_hits_median": int(percentile([s.fts_hits for s in samples], 0.5)),
        "like_hits_median": int(percentile([s.like_hits for s in samples], 0.5)),
        "matches_median": int(percentile([s.matches for s in samples], 0.5)),
    }


def _summary(database: str, documents: int, limit: int, samples: list[Sample]) -> dict:
    overall = _side_by_side(samples)
    common = [s for s in samples if s.matches >= COMMON_SHARE * documents]
    specific = [s for s in samples if s.matches < COMMON_SHARE * documents]
    return {
        "database": database,
        "documents": documents,
        "limit": limit,
        "words_over_limit": len({s.word for s in samples if s.matches > limit}),
        **overall,
        "common_words": _side_by_side(common),
        "specific_words": _side_by_side(specific),
        "targets": {
            "fts_20x_faster_than_like": overall["like_over_fts"] >= SPEEDUP_TARGET,
            "fts_p95_under_50ms": overall["fts"]["p95_ms"] < FTS_TARGET_MS,
        },
    }


def run_on_instance(target: str, words: int = WORDS, repeats: int = REPEATS) -> dict[str, Any]:
    """Figures on an existing instance, only read: its folder (holding casemgr.db) or its
    database URL. The app's own instance folder is a temp one, so nothing is written there."""
    if "://" in target:
        url = sqlalchemy_url(target)
    else:
        url = f"sqlite:///{Path(target).resolve() / 'casemgr.db'}"
    with tempfile.TemporaryDirectory(prefix="casemgr-bench-fts-") as folder:
        app = Instance(Path(folder), url, Path(folder) / "data").build_app()
        try:
            return measure(app, words, repeats, SEED)
        finally:
            with app.app_context():
                db.engine.dispose()


def run(
    size: int = SIZE,
    database_url: str | None = None,
    words: int = WORDS,
    repeats: int = REPEATS,
) -> dict[str, Any]:
    """Figures on a scratch instance of `size` imported threats, on SQLite or on the
    PostgreSQL server at `database_url`."""
    with scratch_instance(database_url) as scratch:
        fill(scratch, size, SEED)
        return measure(scratch.app, words, repeats, SEED)


def print_figures(figures: dict[str, Any]) -> None:
    targets = figures["targets"]
    rows: list[tuple[str, Any, str]] = [
        ("documents", figures["documents"], f"{figures['queries']} query words"),
        ("FTS median (ms)", figures["fts"]["median_ms"], ""),
        ("FTS p95 (ms)", figures["fts"]["p95_ms"], f"< {FTS_TARGET_MS:g} ms"),
        ("LIKE median (ms)", figures["like"]["median_ms"], "baseline"),
        ("LIKE p95 (ms)", figures["like"]["p95_ms"], "baseline"),
        ("LIKE / FTS", figures["like_over_fts"], f">= {SPEEDUP_TARGET:g}"),
        ("capped LIKE median (ms)", figures["capped_like"]["median_ms"], "the app's question"),
        ("capped LIKE / FTS", figures["capped_like_over_fts"], ""),
        ("hits fetched (median)", figures["fts_hits_median"], f"the cap {figures['limit']} + 1"),
        (
            "matches (median)",
            figures["matches_median"],
            f"LIKE {figures['like_hits_median']}; {figures['words_over_limit']} words over the cap",
        ),
    ]
    for kind in ("specific_words", "common_words"):
        part = figures[kind]
        if part["queries"]:
            label = kind.replace("_", " ")
            note = f"{part['queries']} words, FTS median {part['fts']['median_ms']} ms"
            rows.append((f"LIKE / FTS, {label}", part["like_over_fts"], note))
    rows.append(("targets", "", ", ".join(f"{k} {verdict(v)}" for k, v in targets.items())))
    print_table(f"full-text search on {figures['database']}", rows)


def main(argv: list[str] | None = None) -> int:
    parser = arguments("Full-text search against LIKE on the same documents.")
    parser.add_argument("--instance", help="an existing instance: its folder or database URL")
    parser.add_argument("--size", type=int, default=SIZE, help="threats in a scratch instance")
    parser.add_argument("--words", type=int, default=WORDS)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    options = parser.parse_args(argv)
    if options.instance:
        print_figures(run_on_instance(options.instance, options.words, options.repeats))
        return 0
    for database_url in databases(options):
        print_figures(run(options.size, database_url, options.words, options.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
