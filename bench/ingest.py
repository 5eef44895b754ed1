"""Ingest of a large file through the real upload path, side by side with `sha256sum`.

A file of pseudo-random bytes (1 GB by default; an MP4 header first, so it is taken in as
video/mp4) is written to a temp folder in 1 MB chunks. `sha256sum` reads it twice (the
first run also brings it into the page cache, so both sides read from memory; the faster
run counts). Then a child process builds a scratch instance and POSTs the file to the API
upload route (`/api/v1/cases/<ref>/evidence`) through Flask's test client, as a multipart
body streamed from the file: werkzeug's parser, the app's StreamingRequest writing each
part into a hashing temp file, the type sniffing, the atomic link into the store (after an
fsync: the upload is on disk when the answer comes), the evidence row, custody and audit.

Memory is the child's resident set: after a small warm-up upload (imports, first request)
the peak is reset to the current RSS (`/proc/self/clear_refs`, Linux), and the peak after
the upload (VmHWM) less the RSS before it is what the upload cost. A child process, so
that nothing the parent holds counts. Where the peak cannot be reset, the child's
lifetime ru_maxrss is used instead (an upper bound). Everything written is removed.

    python -m bench.ingest [--size 1024] [--database-url URL] [--sqlite-only]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.figures import arguments, databases, print_table, ratio, timed, verdict
from bench.scratch import scratch_instance
from casemgr import PROJECT_ROOT
from casemgr.auth.tokens import issue_token
from casemgr.extensions import db

MB = 1024 * 1024  # sizes and throughputs are in MiB, as `--size` is
SIZE_MB = 1024
WARM_UP_MB = 1
MEMORY_TARGET_MB = 64
THROUGHPUT_TARGET = 0.5  # of sha256sum's
MP4_HEADER = b"\x00\x00\x00\x18ftypisom"
BOUNDARY = "casemgr-bench-ingest-5b0e"
SHA256SUM = shutil.which("sha256sum") or "sha256sum"


def write_upload(path: Path, megabytes: int) -> None:
    """An MP4 header, then `megabytes` of random bytes, written 1 MB at a time."""
    with path.open("wb") as handle:
        handle.write(MP4_HEADER)
        for _ in range(megabytes):
            handle.write(os.urandom(MB))


def sha256sum(path: Path) -> tuple[float, str]:
    """Milliseconds `sha256sum` took on `path`, and the digest it printed."""
    command = [SHA256SUM, str(path)]
    ms, done = timed(lambda: subprocess.run(command, capture_output=True, check=True))  # noqa: S603
    return ms, done.stdout.split()[0].decode()


class MultipartBody(io.RawIOBase):
    """A multipart/form-data body of one `file` part, read from the file on disk as the
    server reads the body: never held whole in memory. Seekable, because the test client
    measures a stream by seeking to its end."""

    content_type = f"multipart/form-data; boundary={BOUNDARY}"

    def __init__(self, path: Path) -> None:
        self._head = (
            f"--{BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode()
        self._tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self._file = path.open("rb")
        self._file_size = path.stat().st_size
        self.length = len(self._head) + self._file_size + len(self._tail)
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.length}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        file_start = len(self._head)
        file_end = file_start + self._file_size
        if self._position < file_start:
            piece = self._head[self._position : self._position + len(buffer)]
        elif self._position < file_end:
            if self._file.tell() != self._position - file_start:
                self._file.seek(self._position - file_start)
            view = memoryview(buffer)[: file_end - self._position]
            count = self._file.readinto(view)
            self._position += count
            return count
        else:
            piece = self._tail[self._position - file_end : self._position - file_end + len(buffer)]
        buffer[: len(piece)] = piece
        self._position += len(piece)
        return len(piece)

    def close(self) -> None:
        self._file.close()
        super().close()


def _memory_kb(field: str) -> int:
    """A field of /proc/self/status in kB (VmRSS, VmHWM); 0 where there is none."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> bool:
    """Bring the peak RSS down to the current RSS (Linux); False where it cannot be."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return _memory_kb("VmHWM") > 0


def _upload(client: Any, ref: str, token: str, path: Path) -> tuple[float, dict[str, Any]]:
    body = MultipartBody(path)
    with body:
        ms, response = timed(
            lambda: client.post(
                f"/api/v1/cases/{ref}/evidence",
                input_stream=body,
                content_length=body.length,
                content_type=MultipartBody.content_type,
                headers={"Authorization": f"Bearer {token}"},
            )
        )
    if response.status_code != 201:
        raise RuntimeError(f"upload refused: {response.status_code} {response.get_data()[:300]!r}")
    return ms, response.get_json()


def ingest_in_this_process(source: Path, database_url: str | None, parent: Path) -> dict[str, Any]:
    """Upload `source` to a scratch instance under `parent`; time and memory figures."""
    megabytes = source.stat().st_size // MB + 2
    limits = {"MAX_CONTENT_LENGTH": megabytes * MB, "CASEMGR_MAX_UPLOAD_MB": megabytes}
    with scratch_instance(database_url, parent, **limits) as scratch:
        with scratch.app.app_context():
            ref = scratch.open_case("Ingest benchmark").ref
            token = issue_token(db.session, scratch.actor(), scratch.lead(), "bench")[1]
            db.session.commit()
        client = scratch.app.test_client()
        warm_up = parent / "warm-up.mp4"
        write_upload(warm_up, WARM_UP_MB)
        _upload(client, ref, token, warm_up)
        gc.collect()
        exact = _reset_peak()
        idle_kb = _memory_kb("VmRSS") if exact else 0
        ms, item = _upload(client, ref, token, source)
        peak_kb = _memory_kb("VmHWM") if exact else resource.getrusage(resource.RUSAGE_SELF)[2]
    return {
        "ingest_ms": ms,
        "sha256": item["sha256"],
        "mime": item["mime"],
        "idle_rss_mb": round(idle_kb / 1024, 1),
        "peak_above_idle_mb": round((peak_kb - idle_kb) / 1024, 1),
        "memory_method": "VmHWM after clear_refs" if exact else "lifetime ru_maxrss",
    }


def _ingest_in_child(source: Path, database_url: str | None, parent: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.ingest", "--child", str(source), str(parent)]
    if database_url:
        command += ["--database-url", database_url]
    # Our own interpreter and module, with paths we made.
    done = subprocess.run(  # noqa: S603
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"the ingest child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def run(
    size_mb: int = SIZE_MB, database_url: str | None = None, workdir: Path | None = None
) -> dict[str, Any]:
    """Figures for a `size_mb` upload on SQLite or on the PostgreSQL server at
    `database_url`; the file and the instance live under `workdir` and are removed."""
    folder = Path(tempfile.mkdtemp(prefix="casemgr-bench-ingest-", dir=workdir))
    try:
        source = folder / "bodycam.mp4"
        write_upload(source, size_mb)
        sums = [sha256sum(source) for _ in range(2)]
        sum_ms, digest = min(sums)
        child = _ingest_in_child(source, database_url, folder)
        size = source.stat().st_size / MB
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return _summary(size, sum_ms, digest, child, database_url)


def _summary(
    size: float, sum_ms: float, digest: str, child: dict[str, Any], database_url: str | None
) -> dict[str, Any]:
    sum_rate = size / (sum_ms / 1000)
    ingest_rate = size / (child["ingest_ms"] / 1000)
    share = ratio(ingest_rate, sum_rate)
    return {
        "database": "postgresql" if database_url else "sqlite",
        "size_mb": round(size, 1),
        "sha256sum_s": round(sum_ms / 1000, 2),
        "ingest_s": round(child["ingest_ms"] / 1000, 2),
        "sha256sum_mb_s": round(sum_rate, 1),
        "ingest_mb_s": round(ingest_rate, 1),
        "ingest_over_sha256sum": share,
        "idle_rss_mb": child["idle_rss_mb"],
        "peak_above_idle_mb": child["peak_above_idle_mb"],
        "memory_method": child["memory_method"],
        "stored_as": child["mime"],
        "same_digest": child["sha256"] == digest,
        "targets": {
            "throughput_half_of_sha256sum": share >= THROUGHPUT_TARGET,
            "memory_under_64mb": child["peak_above_idle_mb"] < MEMORY_TARGET_MB,
            "same_digest": child["sha256"] == digest,
        },
    }


def print_figures(figures: dict[str, Any]) -> None:
    targets = figures["targets"]
    rows: list[tuple[str, Any, str]] = [
        ("size (MB)", figures["size_mb"], ""),
        ("sha256sum (MB/s)", figures["sha256sum_mb_s"], "baseline"),
        ("ingest (MB/s)", figures["ingest_mb_s"], ""),
        ("ingest / sha256sum", figures["ingest_over_sha256sum"], f">= {THROUGHPUT_TARGET}"),
        ("peak above idle (MB)", figures["peak_above_idle_mb"], f"< {MEMORY_TARGET_MB} MB"),
        ("idle RSS (MB)", figures["idle_rss_mb"], figures["memory_method"]),
        ("targets", "", ", ".join(f"{k} {verdict(v)}" for k, v in targets.items())),
    ]
    print_table(f"ingest on {figures['database']}", rows)


def _child_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("source", type=Path)
    parser.add_argument("parent", type=Path)
    parser.add_argument("--database-url")
    options = parser.parse_args(argv)
    figures = ingest_in_this_process(options.source, options.database_url, options.parent)
    print(json.dumps(figures))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return _child_main(argv[1:])
    parser = arguments("Ingest of a large upload against sha256sum of the same file.")
    parser.add_argument("--size", type=int, default=SIZE_MB, help="megabytes (MiB)")
    options = parser.parse_args(argv)
    for database_url in databases(options):
        print_figures(run(options.size, database_url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
