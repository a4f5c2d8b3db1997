"""Website latency benchmark: public search and credit files over HTTP, on a running
server over a large data set.

On each backend (PostgreSQL throw-away database, SQLite temporary file):

1. ``xinyong.demo.bulk.bulk_generate`` writes ``XINYONG_BENCH_SUBJECTS`` subjects
   (default 1,000,000) and ``XINYONG_BENCH_RECORDS`` published records (default
   3,000,000); the load time is printed.
2. A real server starts as a subprocess (``xinyong serve``, production settings,
   rate limits off, the start-up publication sweep on: its time is in "ready after").
3. One ``httpx`` client (keep-alive) sends sequential requests, after a warm-up, for
   each case: ``XINYONG_BENCH_REQUESTS`` (default 300) per case, but at most
   ``XINYONG_BENCH_CASE_SECONDS`` (default 120) per case, so a slow case reports
   fewer requests rather than running for an hour.
4. The same server again with ``XINYONG_BENCH_CLIENTS`` (default 4; 1 turns it off)
   concurrent clients in threads, for the baseline, 2- and 3-character JSON search and
   the credit file page: pooled latencies and requests per second, printed separately.

Baseline: ``GET /healthz`` on the same server with the same client, measured in the
same run (the machine is shared and noisy): each case's p95 is printed beside the
baseline's. Targets (issue): p95 under 30 ms for codes and 3+ characters, under
100 ms for 2 characters, under 50 ms for the credit file page.

Run only this benchmark: ``python -m bench website``; small sizes for a quick look:
``XINYONG_BENCH_SUBJECTS=20000 XINYONG_BENCH_RECORDS=60000 python -m bench website``.
"""

from __future__ import annotations

import contextlib
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx2 as httpx
from sqlalchemy.engine import Engine

from bench.scratch import pg_url, postgres_engine, sqlite_engine
from xinyong.catalog.loader import load_catalog
from xinyong.config import Settings
from xinyong.demo.bulk import FakeSubject, bulk_generate, subject_at
from xinyong.privacy.crypto import DataVault
from xinyong.rulesets.loader import load_rulesets
from xinyong.subjects.rules import SubjectKind

DATA_KEY = "bench-website-data-key-0123456789abcdef"
SECRET_KEY = "bench-website-secret-key-0123456789abcdef"
SEED = 20261124
WARMUP = 20
# Measured again with several concurrent clients (XINYONG_BENCH_CLIENTS, default 4).
CONCURRENT_CASES = (
    "GET /healthz (baseline)",
    "JSON search, 2 characters",
    "JSON search, 3 characters",
    "HTML credit file /subjects/<USCC>",
)


@dataclass(frozen=True)
class Case:
    name: str
    target_ms: float | None  # p95 target
    urls: Callable[[random.Random], str]


@dataclass(frozen=True)
class Figures:
    n: int
    errors: int
    p50: float
    p95: float
    p99: float


RARE_CHARACTERS = "鲸鲨鹦鹉麒麟貔貅饕餮魑魅魍魉鳄鸵"


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)).replace("_", "").replace(",", ""))


def _public_subject(rng: random.Random, subjects: int) -> FakeSubject:
    """A random subject the public search shows (not a natural person)."""
    while True:
        subject = subject_at(SEED, rng.randrange(subjects))
        if subject.kind is not SubjectKind.natural_person:
            return subject


def _fragment(rng: random.Random, subjects: int, length: int) -> str:
    name = _public_subject(rng, subjects).name
    start = rng.randrange(len(name) - length + 1)
    return name[start : start + length]


def cases(subjects: int) -> list[Case]:
    def code(rng: random.Random) -> str:
        return str(_public_subject(rng, subjects).uscc)

    def search(path: str, length: int) -> Callable[[random.Random], str]:
        return lambda rng: f"{path}?q={quote(_fragment(rng, subjects, length))}&page=1"

    def rare(path: str) -> Callable[[random.Random], str]:
        # Two characters no generated name contains: the worst case for 2 characters,
        # which trigram indexes cannot serve (the search scans until it finds enough).
        return lambda rng: f"{path}?q={quote(''.join(rng.sample(RARE_CHARACTERS, 2)))}&page=1"

    return [
        Case("GET /healthz (baseline)", None, lambda rng: "/healthz"),
        Case("JSON search, full USCC", 30, lambda rng: f"/api/v1/subjects?q={code(rng)}&page=1"),
        Case("JSON search, 2 characters", 100, search("/api/v1/subjects", 2)),
        Case("JSON search, 3 characters", 30, search("/api/v1/subjects", 3)),
        Case("JSON search, 5 characters", 30, search("/api/v1/subjects", 5)),
        Case("JSON search, 2 rare characters", 100, rare("/api/v1/subjects")),
        Case("HTML search, full USCC", 30, lambda rng: f"/search?q={code(rng)}"),
        Case("HTML search, 2 characters", 100, search("/search", 2)),
        Case("HTML search, 3 characters", 30, search("/search", 3)),
        Case("HTML credit file /subjects/<USCC>", 50, lambda rng: f"/subjects/{code(rng)}"),
        Case("JSON credit file", 50, lambda rng: f"/api/v1/subjects/{code(rng)}"),
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _server_command(port: int, workers: int) -> list[str]:
    script = Path(sys.executable).parent / "xinyong"
    if script.exists():
        command = [str(script), "serve", "--host", "127.0.0.1", "--port", str(port)]
        return [*command, "--workers", str(workers)] if workers > 1 else command
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "xinyong.web.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


@contextlib.contextmanager
def running_server(
    database_url: str, log: Path, *, env: dict[str, str] | None = None, workers: int = 1
) -> Iterator[tuple[str, float]]:
    """A server on ``database_url`` (production settings, rate limits off, plus
    ``env``); yields its base URL and the seconds until ``/healthz`` answered
    (start-up, including the publication sweep)."""
    port = _free_port()
    environ = {
        **os.environ,
        "XINYONG_DATABASE_URL": database_url,
        "XINYONG_ENVIRONMENT": "production",
        "XINYONG_SECRET_KEY": SECRET_KEY,
        "XINYONG_DATA_KEY": DATA_KEY,
        "XINYONG_RATE_LIMIT_ENABLED": "false",
        "XINYONG_LOG_LEVEL": "WARNING",
        "XINYONG_UPLOAD_DIR": str(log.parent / "uploads"),
        **(env or {}),
    }
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen(_server_command(port, workers), env=environ, stdout=out, stderr=out)
        try:
            deadline = started + 600
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text()}")
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.perf_counter() > deadline:
                    raise RuntimeError("server did not answer /healthz within 600 s")
                time.sleep(0.1)
            yield base, time.perf_counter() - started
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _percentile(sorted_ms: list[float], q: int) -> float:
    if len(sorted_ms) == 1:
        return sorted_ms[0]
    return statistics.quantiles(sorted_ms, n=100, method="inclusive")[q - 1]


def _get(client: httpx.Client, url: str) -> tuple[float, bool]:
    """Milliseconds for one request (a timeout counts as its full time) and whether it
    answered 200."""
    start = time.perf_counter()
    try:
        response = client.get(url)
        response.read()
        ok = response.status_code == 200
    except httpx.TimeoutException:
        ok = False
    return (time.perf_counter() - start) * 1000, ok


def measure(client: httpx.Client, case: Case, n: int, rng: random.Random, cap: float) -> Figures:
    """Up to ``n`` sequential requests after ``WARMUP`` unmeasured ones, stopping after
    ``cap`` seconds (a slow case then reports fewer requests)."""
    begun = time.perf_counter()
    for _ in range(WARMUP):
        if time.perf_counter() - begun > cap / 4:
            break
        _get(client, case.urls(rng))
    begun = time.perf_counter()
    times: list[float] = []
    errors = 0
    while len(times) < n and (len(times) < 5 or time.perf_counter() - begun < cap):
        ms, ok = _get(client, case.urls(rng))
        times.append(ms)
        errors += not ok
    times.sort()
    return Figures(
        len(times),
        errors,
        _percentile(times, 50),
        _percentile(times, 95),
        _percentile(times, 99),
    )


def measure_concurrent(
    base: str, case: Case, clients: int, n: int, cap: float, seed: int
) -> tuple[Figures, float]:
    """``clients`` threads, each with its own keep-alive client, sending up to ``n``
    requests each (at most ``cap`` seconds); all latencies pooled, and requests/s."""
    pooled: list[list[float]] = [[] for _ in range(clients)]
    failures = [0] * clients

    def worker(k: int) -> None:
        rng = random.Random(seed + k)
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(5):
                _get(client, case.urls(rng))
            begun = time.perf_counter()
            while len(pooled[k]) < n and time.perf_counter() - begun < cap:
                ms, ok = _get(client, case.urls(rng))
                pooled[k].append(ms)
                failures[k] += not ok

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    times = sorted(t for per in pooled for t in per)
    figures = Figures(
        len(times),
        sum(failures),
        _percentile(times, 50),
        _percentile(times, 95),
        _percentile(times, 99),
    )
    return figures, len(times) / elapsed


def _concurrent_table(clients: int, results: list[tuple[Case, Figures, float]]) -> None:
    base = results[0][1]
    print(f"\n{clients} concurrent clients (one keep-alive client per thread):\n")
    print("| Case | n | p50 ms | p95 ms | p99 ms | p95 / baseline p95 | Requests/s | Target p95 |")
    print("|---|---|---|---|---|---|---|---|")
    for case, f, rate in results:
        target = f"< {case.target_ms:.0f} ms" if case.target_ms else "—"
        errors = f" ({f.errors} non-200)" if f.errors else ""
        print(
            f"| {case.name} | {f.n}{errors} | {f.p50:.1f} | {f.p95:.1f} | {f.p99:.1f} "
            f"| {f.p95 / base.p95:.1f}× | {rate:,.0f} | {target} |"
        )


def _table(results: list[tuple[Case, Figures]]) -> None:
    base = results[0][1]
    print("| Case | n | p50 ms | p95 ms | p99 ms | p95 / baseline p95 | Target p95 | Met? |")
    print("|---|---|---|---|---|---|---|---|")
    for case, f in results:
        target = f"< {case.target_ms:.0f} ms" if case.target_ms else "—"
        met = "—" if case.target_ms is None else ("yes" if f.p95 < case.target_ms else "**no**")
        if f.errors:
            met += f" ({f.errors} non-200)"
        print(
            f"| {case.name} | {f.n} | {f.p50:.1f} | {f.p95:.1f} | {f.p99:.1f} "
            f"| {f.p95 / base.p95:.1f}× | {target} | {met} |"
        )


def _progress(stage: str, done: int, total: int) -> None:
    if done == total or done % 500_000 == 0:
        print(f"  … {stage}: {done:,} of {total:,}", file=sys.stderr, flush=True)


def _backend(
    label: str, engine: Engine, subjects: int, records: int, n: int, cap: float, clients: int
) -> None:
    vault = DataVault.from_settings(Settings(environment="test", data_key=DATA_KEY))
    print(f"\n### {label}\n")
    started = time.perf_counter()
    result = bulk_generate(
        engine,
        subjects=subjects,
        records=records,
        seed=SEED,
        vault=vault,
        catalog=load_catalog(),
        rulebook=load_rulesets(),
        progress=_progress,
    )
    load = time.perf_counter() - started
    by_item = ", ".join(f"{k} {v:,}" for k, v in result.records.items())
    print(
        f"Load: {result.subjects:,} subjects in {result.seconds_subjects:,.0f} s, "
        f"{result.total_records:,} records ({by_item}) "
        f"in {result.seconds_records:,.0f} s, ANALYZE {result.seconds_analyze:,.0f} s; "
        f"total {load:,.0f} s ({result.total_records / max(load, 1e-9):,.0f} records/s overall)."
    )
    url = engine.url.render_as_string(hide_password=False)
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_server(url, Path(tmp) / "server.log") as (
            base,
            ready,
        ),
    ):
        print(f"Server ready after {ready:,.1f} s (start-up and publication sweep).\n")
        rng = random.Random(SEED)
        with httpx.Client(base_url=base, timeout=30) as client:
            results = [(case, measure(client, case, n, rng, cap)) for case in cases(subjects)]
        _table(results)
        if clients > 1:
            chosen = [c for c in cases(subjects) if c.name in CONCURRENT_CASES]
            concurrent = [
                (case, *measure_concurrent(base, case, clients, n // clients, cap, SEED))
                for case in chosen
            ]
            _concurrent_table(clients, concurrent)
    sys.stdout.flush()


def run() -> None:
    subjects = _env_int("XINYONG_BENCH_SUBJECTS", 1_000_000)
    records = _env_int("XINYONG_BENCH_RECORDS", 3_000_000)
    n = _env_int("XINYONG_BENCH_REQUESTS", 300)
    cap = float(_env_int("XINYONG_BENCH_CASE_SECONDS", 120))
    clients = _env_int("XINYONG_BENCH_CLIENTS", 4)
    print(
        f"\n## Website latency: {subjects:,} subjects, {records:,} published records, "
        f"{n} sequential requests per case (one keep-alive client, {WARMUP} warm-up, "
        f"at most {cap:.0f} s per case)\n"
    )
    print("Compare the ratio to the baseline (GET /healthz, same server and client).")
    server = pg_url()
    if server:
        with postgres_engine(server) as engine:
            _backend("PostgreSQL", engine, subjects, records, n, cap, clients)
    else:
        print("\n### PostgreSQL\n\nskipped: no server on 127.0.0.1:5432")
    with sqlite_engine() as engine:
        _backend("SQLite", engine, subjects, records, n, cap, clients)


if __name__ == "__main__":
    run()
