"""Collection benchmark: penalty rows (CF_* layout) through the whole pipeline.

Generates ``XINYONG_BENCH_ROWS`` (default 1,000,000) xzcf rows as a CSV file, then on
each backend:

- baseline: a raw load of the same file into a table of text columns, in the same run
  (PostgreSQL: ``COPY … FROM STDIN (FORMAT csv)``; SQLite: ``csv`` + executemany in
  one transaction, SQLite having no COPY);
- Xinyong: ``Collector.collect`` on the file exactly as ``xinyong ingest`` runs it:
  streaming reader, full catalog validation with check digits, subject register,
  rule-set periods, timeliness, sealing of personal data, COPY (PG) or batched
  executemany (SQLite), audit events, per-row report.

Memory: the peak resident set size during the load, against the size before it.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bench.scratch import pg_url, postgres_engine, sqlite_engine
from xinyong.accounts.service import create_organisation
from xinyong.actors import Actor
from xinyong.catalog.loader import load_catalog
from xinyong.codes.rules import org_code_check_char, ric_check_char, uscc_check_char
from xinyong.config import Settings
from xinyong.db import session_factory
from xinyong.ingest.readers import open_table
from xinyong.ingest.service import Collector
from xinyong.privacy.crypto import DataVault
from xinyong.records.models import CreditRecord
from xinyong.rulesets.loader import load_rulesets
from xinyong.workdays.service import seed_from_chinesecalendar

ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
HEADER = [
    "CF_XDR_MC",
    "CF_XDR_LB",
    "CF_XDR_SHXYM",
    "CF_FRDB",
    "CF_XDR_ZJLX",
    "CF_XDR_ZJHM",
    "CF_WSH",
    "CF_WFXW",
    "CF_SY",
    "CF_YJ",
    "CF_CFLB",
    "CF_NR",
    "CF_NR_FK",
    "CF_JDRQ",
    "CF_YXQ",
    "CF_CFJG",
    "CF_CFJGDM",
    "CF_SJLY",
    "CF_SJLYDM",
]
DEPT_NAME = "厦门市市场监督管理局"
WORDS = "信泽广瑞恒达华鑫鹭岛海峡嘉禾同安翔安思明湖里集美海沧金圆天成宏远"
TODAY = dt.date(2026, 11, 20)


def _uscc(rng: random.Random, prefix: str = "91", division: str = "350203") -> str:
    body = "".join(rng.choice(ORG_CHARS) for _ in range(8))
    first17 = prefix + division + body + org_code_check_char(body)
    return first17 + uscc_check_char(first17)


def _ric(rng: random.Random) -> str:
    born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(365 * 40))
    first17 = f"350203{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + ric_check_char(first17)


def write_rows(path: Path, n: int, dept_uscc: str, seed: int = 7) -> None:
    """``n`` valid penalty rows; subjects repeat (about one firm per ten decisions) and
    one row in ten is about a natural person."""
    rng = random.Random(seed)
    firms = [
        (f"厦门{''.join(rng.sample(WORDS, 3))}{i}贸易有限公司", _uscc(rng))
        for i in range(max(1, n // 10))
    ]
    persons = [(f"张{''.join(rng.sample(WORDS, 1))}{i}", _ric(rng)) for i in range(max(1, n // 50))]
    start = dt.date(2024, 1, 1)
    span = (TODAY - start).days
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for i in range(n):
            decided = start + dt.timedelta(days=rng.randrange(span))
            fine = rng.choice(["0.5", "1", "2", "5", "10", "20"])
            if i % 10 == 9:
                name, ric = rng.choice(persons)
                party = [name, "自然人", "", "", "身份证", ric]
            else:
                name, code = rng.choice(firms)
                party = [name, "法人及非法人组织", code, "王伟", "", ""]
            writer.writerow(
                [
                    *party,
                    f"厦市监罚〔{decided.year}〕{i + 1}号",
                    "虚假宣传",
                    "经查，当事人在其经营场所发布引人误解的宣传，违反《广告法》有关规定。",
                    "《中华人民共和国广告法》第五十五条",
                    "罚款",
                    f"罚款人民币{fine}万元",
                    fine,
                    decided.isoformat(),
                    (decided + dt.timedelta(days=365)).isoformat(),
                    DEPT_NAME,
                    dept_uscc,
                    DEPT_NAME,
                    dept_uscc,
                ]
            )


def _reset_peak_rss() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _rss_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _raw_load(engine: Engine, path: Path) -> None:
    columns = ", ".join(f"{c.lower()} TEXT" for c in HEADER)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE bench_raw ({columns})"))
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            driver = raw.driver_connection
            assert driver is not None
            with driver.cursor() as cursor:
                sql = "COPY bench_raw FROM STDIN WITH (FORMAT csv, HEADER true)"
                with cursor.copy(sql) as copy, path.open("rb") as fh:
                    while chunk := fh.read(1 << 20):
                        copy.write(chunk)
            driver.commit()
        finally:
            raw.close()
        return
    marks = ", ".join("?" for _ in HEADER)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("BEGIN")
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            next(reader)
            batch: list[list[str]] = []
            for row in reader:
                batch.append(row)
                if len(batch) == 50_000:
                    cursor.executemany(f"INSERT INTO bench_raw VALUES ({marks})", batch)
                    batch = []
            if batch:
                cursor.executemany(f"INSERT INTO bench_raw VALUES ({marks})", batch)
        cursor.execute("COMMIT")
    finally:
        raw.close()


def _pipeline(engine: Engine, path: Path, dept_uscc: str) -> tuple[float, dict[str, int], float]:
    sessions: sessionmaker[Session] = session_factory(engine)
    actor = Actor.system("bench")
    with sessions() as session:
        seed_from_chinesecalendar(session, actor=actor)
        create_organisation(
            session,
            actor=actor,
            name=DEPT_NAME,
            uscc=dept_uscc,
            kind="department",
            sector="市场监管",
        )
        session.commit()
    vault = DataVault.from_settings(
        Settings(environment="test", data_key="bench-data-key-0123456789abcdef0123")
    )
    collector = Collector(sessions, actor, load_catalog(), load_rulesets(), vault)
    report = None

    def run() -> None:
        nonlocal report
        report = collector.collect(
            open_table(path),
            item_code="xzcf",
            department=dept_uscc,
            channel="cli",
            today=TODAY,
        )

    _reset_peak_rss()
    before = _rss_mb("VmRSS")
    seconds = _timed(run)
    peak = _rss_mb("VmHWM")
    assert report is not None
    with sessions() as session:
        stored = session.execute(select(func.count()).select_from(CreditRecord)).scalar_one()
    counts = {
        "accepted": report.accepted,
        "rejected": report.rejected,
        "stored": stored,
    }
    return seconds, counts, peak - before


def _row(label: str, n: int, ours: float, base: float, counts: dict[str, int], mem: float) -> None:
    print(
        f"| {label} | {n / ours:,.0f} rows/s ({ours:,.1f} s; accepted {counts['accepted']:,}, "
        f"rejected {counts['rejected']:,}, stored {counts['stored']:,}; peak RSS +{mem:,.0f} MB) "
        f"| {n / base:,.0f} rows/s ({base:,.1f} s) | {base / ours:.3f}× |"
    )


def run() -> None:
    n = int(os.environ.get("XINYONG_BENCH_ROWS", "1000000"))
    dept_uscc = _uscc(random.Random(99), "11", "350200")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "xzcf.csv"
        write_rows(path, n, dept_uscc)
        size_mb = path.stat().st_size / 1e6
        print(f"\nCollection: {n:,} xzcf rows, CF_* CSV of {size_mb:,.0f} MB\n")
        print("| Backend | Validated pipeline | Raw load, same rows | Ratio |")
        print("|---|---|---|---|")
        server = pg_url()
        if server:
            with postgres_engine(server) as engine:
                base = _timed(lambda: _raw_load(engine, path))
                ours, counts, mem = _pipeline(engine, path, dept_uscc)
                _row("PostgreSQL (COPY baseline)", n, ours, base, counts, mem)
        else:
            print("| PostgreSQL | skipped: no server on 127.0.0.1:5432 | | |")
        with sqlite_engine() as engine:
            base = _timed(lambda: _raw_load(engine, path))
            ours, counts, mem = _pipeline(engine, path, dept_uscc)
            _row("SQLite (executemany baseline)", n, ours, base, counts, mem)


if __name__ == "__main__":
    run()
