"""Screening benchmark (联合奖惩 自动比对, issue 6 item 7): single-subject calls with
concurrent clients and 1,000-subject batches over HTTP, on a large data set.

On each backend (PostgreSQL throw-away database, SQLite temporary file):

1. ``xinyong.demo.bulk.bulk_generate`` writes ``XINYONG_BENCH_SCREEN_SUBJECTS``
   subjects (default 1,000,000) and ``XINYONG_BENCH_SCREEN_RECORDS`` published records
   (default 300,000); ``XINYONG_BENCH_SCREEN_ENTRIES`` list entries (default 50,000,
   status listed, on the four shipped lists) are inserted directly.
2. The measure list is grown to ``XINYONG_BENCH_SCREEN_MEASURES`` (default 100)
   measures with synthetic ones (list and record triggers, severities, penalty types,
   every scenario) in a temporary file loaded as ``XINYONG_MEASURES_EXTRA``.
3. ``screening.service.recompute_all`` precomputes the measures (time printed).
4. A real server starts as a subprocess (``xinyong serve``, production settings, rate
   limits off, ``XINYONG_BENCH_SCREEN_WORKERS`` worker processes, default 2).
5. ``XINYONG_BENCH_SCREEN_CLIENTS`` (default 8) concurrent keep-alive clients in threads
   send single-subject ``POST /api/v1/screening`` calls for ``XINYONG_BENCH_SCREEN_SECONDS``
   (default 20) seconds; a quarter of the codes are listed subjects. The baseline is
   ``GET /healthz`` under the same load. Then 1,000-subject batches, sequentially and with
   2 clients. Throughput and p50/p95/p99 are printed.

Targets (issue): ≥ 2,000 single screenings/s with p99 < 20 ms; ≥ 50,000 subjects/s in
batches. Quick run: ``XINYONG_BENCH_SCREEN_SUBJECTS=20000 XINYONG_BENCH_SCREEN_RECORDS=
20000 XINYONG_BENCH_SCREEN_ENTRIES=2000 python -m bench screening``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2 as httpx
import yaml
from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine

from bench.scratch import pg_url, postgres_engine, sqlite_engine
from bench.website import (
    DATA_KEY,
    SECRET_KEY,
    SEED,
    Figures,
    _env_int,
    _percentile,
    _progress,
    running_server,
)
from xinyong.accounts.models import Organisation
from xinyong.accounts.service import create_api_key
from xinyong.actors import Actor
from xinyong.catalog.loader import load_catalog
from xinyong.config import Settings
from xinyong.db import china_today, new_id, session_factory, transaction, utcnow
from xinyong.demo.bulk import bulk_generate
from xinyong.lists.models import ListEntry
from xinyong.measures.loader import MeasureBook, load_measures
from xinyong.privacy.crypto import DataVault
from xinyong.rulesets.loader import load_rulesets
from xinyong.screening.service import recompute_all, screen
from xinyong.subjects.models import Subject

LISTS = ("samr-serious", "abnormal", "key-attention", "tax-a")
SCENARIOS = ("procurement", "bidding", "funding", "land", "awards", "licensing")
PENALTY_TYPES = ("吊销", "责令停产停业", "暂扣", "罚款", "没收", "警告", "限制")
BATCH_TARGET = "≥ 50,000 subjects/s"
KINDS = ("legal_person", "individual_business", "natural_person")


def synthetic_measures(count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` measures with varied triggers, targets and scenarios."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        kind = "reward" if i % 10 == 9 else "punish"
        if kind == "reward":
            triggers: dict[str, Any] = {"lists": ["tax-a"]}
        elif i % 3 == 0:
            record: dict[str, Any] = {"item": "xzcf", "within_months": rng.choice([12, 24, 36])}
            if i % 2:
                record["penalty_types"] = rng.sample(PENALTY_TYPES, 2)
            else:
                record["severities"] = ["严重"]
            triggers = {"records": [record]}
        else:
            triggers = {"lists": rng.sample(LISTS[:3], rng.choice([1, 2]))}
        out.append(
            {
                "code": f"bench-{i:03d}",
                "kind": kind,
                "content": f"基准测试措施 {i}",
                "targets": rng.sample(KINDS, rng.choice([1, 2, 3])),
                "triggers": triggers,
                "legal_basis": [
                    {"document": "《基准测试条例》", "article": f"第{i + 1}条", "level": "law"}
                ],
                "implementer": "各级行政机关",
                "scenarios": rng.sample(SCENARIOS, rng.choice([1, 2, 3])),
            }
        )
    return out


def _entries(engine: Engine, count: int, today: dt.date) -> list[str]:
    """Insert ``count`` listed entries on random non-person subjects; their USCCs."""
    with transaction(session_factory(engine)) as session:
        org_id = session.scalars(select(Organisation.id).limit(1)).one()
        # uuid4 ids are random: the first ``count`` by id are a random sample.
        rows = session.execute(
            select(Subject.id, Subject.uscc)
            .where(Subject.kind.in_(("legal_person", "individual_business")))
            .order_by(Subject.id)
            .limit(count)
        ).all()
        rng = random.Random(SEED)
        now = utcnow()
        batch: list[dict[str, Any]] = []
        for n, row in enumerate(rows):
            listed = today - dt.timedelta(days=rng.randrange(1, 700))
            batch.append(
                {
                    "id": new_id(),
                    "list_code": rng.choices(LISTS, weights=(4, 4, 1, 1))[0],
                    "subject_id": row.id,
                    "org_id": org_id,
                    "status": "listed",
                    "doc_number": f"基准认〔2026〕{n}号",
                    "reasons": "基准测试",
                    "basis_record_id": None,
                    "notice_text": None,
                    "proposed_on": listed - dt.timedelta(days=20),
                    "notified_on": listed - dt.timedelta(days=15),
                    "objection_until": listed - dt.timedelta(days=5),
                    "listed_on": listed,
                    "expires_on": listed + dt.timedelta(days=3 * 365),
                    "exited_on": None,
                    "exit_way": None,
                    "exit_reason": None,
                    "moved_from_id": None,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
            if len(batch) == 5000:
                session.execute(insert(ListEntry), batch)
                batch = []
        if batch:
            session.execute(insert(ListEntry), batch)
        if engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE list_entry"))
        return [str(row.uscc) for row in rows if row.uscc]


def _api_key(engine: Engine) -> tuple[str, Actor]:
    settings = Settings(environment="test", secret_key=SECRET_KEY, data_key=DATA_KEY)
    with transaction(session_factory(engine)) as session:
        org = session.scalars(select(Organisation).where(Organisation.kind == "department")).first()
        assert org is not None
        _, key = create_api_key(
            session, actor=Actor.system(), settings=settings, org_uscc=org.uscc, label="采购系统"
        )
        return key, Actor(kind="apikey", name="bench", org_id=org.id, org_uscc=org.uscc)


Call = Callable[[httpx.Client, random.Random], tuple[float, bool]]


def _load(base: str, call: Call, clients: int, seconds: float) -> tuple[Figures, float]:
    """``clients`` threads calling for ``seconds``; pooled latencies and calls/s."""
    pooled: list[list[float]] = [[] for _ in range(clients)]
    failures = [0] * clients
    stop = time.perf_counter() + seconds + 1.0

    def worker(k: int) -> None:
        rng = random.Random(SEED + k)
        with httpx.Client(base_url=base, timeout=60) as client:
            for _ in range(3):
                call(client, rng)
            while time.perf_counter() < stop:
                ms, ok = call(client, rng)
                pooled[k].append(ms)
                failures[k] += not ok

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
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
    # The warm-up calls are outside ``times`` but inside ``elapsed``: a slight understatement.
    return figures, len(times) / elapsed


# A Lua script for wrk: each request screens one random code of the pool in a random
# scenario; ``done`` prints the figures as one JSON line.
_WRK_LUA = """
local codes = {}
for line in io.lines("%(codes)s") do codes[#codes + 1] = line end
local scenarios = {%(scenarios)s}
wrk.method = "%(method)s"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = "%(key)s"
math.randomseed(%(seed)d)
request = function()
  if wrk.method == "GET" then return wrk.format(nil, "/healthz") end
  local body = string.format('{"scenario":"%%s","subjects":["%%s"]}',
    scenarios[math.random(#scenarios)], codes[math.random(#codes)])
  return wrk.format(nil, "/api/v1/screening", nil, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"n":%%d,"errors":%%d,"p50":%%f,"p95":%%f,"p99":%%f,"seconds":%%f}\\n',
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.duration / 1e6))
end
"""


def _wrk(
    base: str, *, key: str, codes: list[str], method: str, clients: int, seconds: float, tmp: Path
) -> tuple[Figures, float]:
    """``wrk`` (C, event loop) as the load generator: a Python client on this 2-core
    machine would measure its own GIL more than the server."""
    listing = tmp / "codes.txt"
    listing.write_text("\n".join(codes) + "\n", "utf-8")
    script = tmp / "screen.lua"
    script.write_text(
        _WRK_LUA
        % {
            "codes": listing,
            "scenarios": ", ".join(f'"{s}"' for s in SCENARIOS),
            "method": method,
            "key": key,
            "seed": SEED,
        },
        "utf-8",
    )
    command = ["wrk", "-t", "1", "-c", str(clients), "-d", f"{seconds:.0f}s", "-s", str(script)]
    out = subprocess.run(
        [*command, base], capture_output=True, text=True, check=True, timeout=seconds + 120
    ).stdout
    line = next(x for x in reversed(out.splitlines()) if x.startswith("{"))
    data = json.loads(line)
    figures = Figures(data["n"], data["errors"], data["p50"], data["p95"], data["p99"])
    return figures, data["n"] / data["seconds"]


def _backend(label: str, engine: Engine, sizes: dict[str, int], seconds: float) -> None:
    vault = DataVault.from_settings(Settings(environment="test", data_key=DATA_KEY))
    catalog = load_catalog()
    today = china_today()
    print(f"\n### {label}\n")
    started = time.perf_counter()
    result = bulk_generate(
        engine,
        subjects=sizes["subjects"],
        records=sizes["records"],
        seed=SEED,
        vault=vault,
        catalog=catalog,
        rulebook=load_rulesets(),
        progress=_progress,
    )
    begun = time.perf_counter()
    listed = _entries(engine, sizes["entries"], today)
    entries_s = time.perf_counter() - begun
    print(
        f"Load: {result.subjects:,} subjects, {result.total_records:,} records in "
        f"{begun - started:,.0f} s; {len(listed):,} list entries in {entries_s:,.1f} s."
    )
    with tempfile.TemporaryDirectory() as tmp:
        measures = Path(tmp) / "bench-measures.yaml"
        extra = synthetic_measures(sizes["measures"] - 5, SEED)
        measures.write_text(yaml.safe_dump({"measures": extra}, allow_unicode=True), "utf-8")
        book: MeasureBook = load_measures(list(catalog.items), [measures])
        begun = time.perf_counter()
        with transaction(session_factory(engine)) as session:
            changed = recompute_all(session, book, today=today, catalog=catalog, commit=True)
            rows = session.scalar(text("SELECT count(*) FROM subject_measure"))
        recompute_s = time.perf_counter() - begun
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("ANALYZE subject_measure"))
        print(
            f"Precompute (recompute_all) with {len(book.measures)} measures: {changed:,} "
            f"subjects with measures, {rows:,} rows, in {recompute_s:,.1f} s."
        )
        key, actor = _api_key(engine)
        rng = random.Random(SEED)
        pool = listed[:]
        with transaction(session_factory(engine)) as session:
            pool += [
                str(u)
                for u in session.scalars(
                    select(Subject.uscc).where(Subject.uscc.is_not(None)).limit(len(listed) * 3)
                )
            ]
        rng.shuffle(pool)

        # In-process: the service alone, no HTTP (where the time goes).
        with transaction(session_factory(engine)) as session:
            t0 = time.perf_counter()
            for code in pool[:200]:
                screen(
                    session, book, vault=vault, actor=actor, scenario="procurement",
                    queries=[code], today=today, catalog=catalog,
                )  # fmt: skip
            single_ms = (time.perf_counter() - t0) / 200 * 1000
            t0 = time.perf_counter()
            screen(
                session, book, vault=vault, actor=actor, scenario="procurement",
                queries=pool[:1000], today=today, catalog=catalog,
            )  # fmt: skip
            batch_ms = (time.perf_counter() - t0) * 1000
        print(
            f"In process (service only, one transaction): single {single_ms:.2f} ms/call, "
            f"1,000-subject batch {batch_ms:.0f} ms.\n"
        )

        headers = {"X-API-Key": key}

        failures: dict[str, int] = {}

        def timed(fn: Callable[[], httpx.Response]) -> tuple[float, bool]:
            t = time.perf_counter()
            try:
                response = fn()
                ok = response.status_code == 200
                if not ok:
                    why = f"{response.status_code} {response.text[:160]}"
                    failures[why] = failures.get(why, 0) + 1
            except httpx.HTTPError as exc:
                ok = False
                failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1
            return (time.perf_counter() - t) * 1000, ok

        def healthz(client: httpx.Client, r: random.Random) -> tuple[float, bool]:
            return timed(lambda: client.get("/healthz"))

        def single(client: httpx.Client, r: random.Random) -> tuple[float, bool]:
            body = {"scenario": r.choice(SCENARIOS), "subjects": [r.choice(pool)]}
            return timed(lambda: client.post("/api/v1/screening", json=body, headers=headers))

        def batch(client: httpx.Client, r: random.Random) -> tuple[float, bool]:
            body = {"scenario": "procurement", "subjects": r.sample(pool, min(1000, len(pool)))}
            return timed(lambda: client.post("/api/v1/screening", json=body, headers=headers))

        clients, workers = sizes["clients"], sizes["workers"]
        use_wrk = shutil.which("wrk") is not None
        with running_server(
            engine.url.render_as_string(hide_password=False),
            Path(tmp) / "server.log",
            env={"XINYONG_SWEEP_MINUTES": "0", "XINYONG_MEASURES_EXTRA": f'["{measures}"]'},
            workers=workers,
        ) as (base, _started):
            time.sleep(1.0)  # /healthz answered from one worker: let the others finish starting
            driver = "wrk (one thread)" if use_wrk else "Python threads (wrk not installed)"
            print(
                f"Server: {workers} worker processes; {clients} concurrent connections; "
                f"single calls driven by {driver}, batches by Python clients.\n"
            )
            print("| Case | n | p50 ms | p95 ms | p99 ms | Calls/s | Subjects/s | Target |")
            print("|---|---|---|---|---|---|---|---|")

            def by_wrk(method: str) -> Callable[[], tuple[Figures, float]]:
                return lambda: _wrk(
                    base,
                    key=key,
                    codes=pool,
                    method=method,
                    clients=clients,
                    seconds=seconds,
                    tmp=Path(tmp),
                )

            def by_threads(call: Call, c: int) -> Callable[[], tuple[Figures, float]]:
                return lambda: _load(base, call, c, seconds)

            for name, run_case, per, target in (
                (
                    "GET /healthz (baseline)",
                    by_wrk("GET") if use_wrk else by_threads(healthz, clients),
                    1,
                    "—",
                ),
                (
                    "Single-subject screening",
                    by_wrk("POST") if use_wrk else by_threads(single, clients),
                    1,
                    "≥ 2,000/s, p99 < 20 ms",
                ),
                ("1,000-subject batch, 1 client", by_threads(batch, 1), 1000, BATCH_TARGET),
                ("1,000-subject batch, 2 clients", by_threads(batch, 2), 1000, BATCH_TARGET),
            ):
                f, rate = run_case()
                errors = f" ({f.errors} non-200)" if f.errors else ""
                print(
                    f"| {name} | {f.n:,}{errors} | {f.p50:.1f} | {f.p95:.1f} | {f.p99:.1f} "
                    f"| {rate:,.0f} | {rate * per:,.0f} | {target} |"
                )
        for why, count in sorted(failures.items(), key=lambda kv: -kv[1])[:3]:
            print(f"\nNon-200 answers ({count}×): {why}")
    sys.stdout.flush()


def run() -> None:
    sizes = {
        "subjects": _env_int("XINYONG_BENCH_SCREEN_SUBJECTS", 1_000_000),
        "records": _env_int("XINYONG_BENCH_SCREEN_RECORDS", 300_000),
        "entries": _env_int("XINYONG_BENCH_SCREEN_ENTRIES", 50_000),
        "measures": _env_int("XINYONG_BENCH_SCREEN_MEASURES", 100),
        "clients": _env_int("XINYONG_BENCH_SCREEN_CLIENTS", 8),
        "workers": _env_int("XINYONG_BENCH_SCREEN_WORKERS", 2),
    }
    seconds = float(_env_int("XINYONG_BENCH_SCREEN_SECONDS", 20))
    print(
        f"\n## Screening: {sizes['subjects']:,} subjects, {sizes['records']:,} records, "
        f"{sizes['entries']:,} list entries, {sizes['measures']} measures; "
        f"{seconds:.0f} s per case\n"
    )
    print("Compare with the baseline (GET /healthz, same server, clients and load).")
    backends = os.environ.get("XINYONG_BENCH_SCREEN_BACKENDS", "postgresql,sqlite").split(",")
    if "postgresql" in backends:
        server = pg_url()
        if server:
            with postgres_engine(server) as engine:
                _backend("PostgreSQL", engine, sizes, seconds)
        else:
            print("\n### PostgreSQL\n\nskipped: no server on 127.0.0.1:5432")
    if "sqlite" in backends:
        with sqlite_engine() as engine:
            _backend("SQLite", engine, sizes, seconds)


if __name__ == "__main__":
    run()
