"""Foundation benchmarks: identifier checks and audit-trail appends.

- ``check_code`` (full USCC rules: charset, authority/category pairs, division,
  embedded organisation code, check digit) against python-stdnum's
  ``uscc.is_valid`` (format + check digit only) on the same codes.
- Hash-chained audit appends (``record_event``) against a plain executemany INSERT
  of the same rows into a scratch table, on SQLite and on PostgreSQL when reachable.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from stdnum.cn import uscc as stdnum_uscc

from bench.scratch import pg_url, postgres_engine, sqlite_engine
from xinyong.actors import Actor
from xinyong.audit.service import EventDraft, record_event, record_events
from xinyong.codes.rules import check_code, org_code_check_char, uscc_check_char

ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _codes(n: int, rng: random.Random) -> list[str]:
    out = []
    for _ in range(n):
        body = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
        org = body + org_code_check_char(body)
        first17 = "91" + rng.choice(["350203", "350206", "110105", "440305"]) + org
        out.append(first17 + uscc_check_char(first17))
    return out


def _rate(fn: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    fn()
    return n / (time.perf_counter() - start)


def bench_codes(n: int = 50_000) -> None:
    codes = _codes(n, random.Random(1))
    ours = _rate(lambda: [check_code(c) for c in codes], n)
    base = _rate(lambda: [stdnum_uscc.is_valid(c) for c in codes], n)
    print(
        f"| USCC check, full rules | {ours:,.0f} codes/s | stdnum is_valid {base:,.0f}/s "
        f"| {ours / base:.2f}× |"
    )


def _audit_rates(engine: Engine, n: int) -> tuple[float, float, float]:
    actor = Actor(kind="system", name="bench", roles=frozenset({"system"}))
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE IF NOT EXISTS bench_plain "
                "(seq INTEGER PRIMARY KEY, entity_id VARCHAR(80), body TEXT)"
            )
        )
        conn.execute(text("DELETE FROM bench_plain"))
    rows = [
        {"seq": i, "entity_id": str(uuid.uuid4()), "body": '{"CF_NR_FK": "1.5"}'} for i in range(n)
    ]

    def plain() -> None:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO bench_plain VALUES (:seq, :entity_id, :body)"), rows)

    def chained() -> None:
        with Session(engine) as session, session.begin():
            for r in rows:
                record_event(
                    session,
                    actor=actor,
                    action="bench.append",
                    entity_type="bench",
                    entity_id=str(r["entity_id"]),
                    after={"CF_NR_FK": "1.5"},
                )

    def batched() -> None:
        drafts = [
            EventDraft("bench.append", "bench", str(r["entity_id"]), after={"CF_NR_FK": "1.5"})
            for r in rows
        ]
        with Session(engine) as session, session.begin():
            record_events(session, actor=actor, drafts=drafts)

    base = _rate(plain, n)
    ours = _rate(chained, n)
    batch = _rate(batched, n)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE bench_plain"))
    return ours, batch, base


def _print_audit(backend: str, ours: float, batch: float, base: float) -> None:
    print(
        f"| Audit append one by one, {backend} | {ours:,.0f} events/s | plain INSERT "
        f"{base:,.0f} rows/s | {ours / base:.3f}× |"
    )
    print(
        f"| Audit append batched (bulk loads), {backend} | {batch:,.0f} events/s | plain "
        f"INSERT {base:,.0f} rows/s | {batch / base:.3f}× |"
    )


def bench_audit(n: int = 5_000) -> None:
    with sqlite_engine() as engine:
        _print_audit("SQLite", *_audit_rates(engine, n))
    server = pg_url()
    if not server:
        print("| Audit append, PostgreSQL | skipped: no server on 127.0.0.1:5432 | | |")
        return
    with postgres_engine(server) as engine:
        _print_audit("PostgreSQL", *_audit_rates(engine, n))


def run() -> None:
    print("| Benchmark | Xinyong | Baseline (same run) | Ratio |")
    print("|---|---|---|---|")
    bench_codes()
    bench_audit()
