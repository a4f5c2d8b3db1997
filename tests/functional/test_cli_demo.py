"""`xinyong demo` (what `make demo` runs) builds a data set that shows every feature,
including list entries that screening answers as restricted (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.functional.conftest import Cli
from xinyong.db import make_engine
from xinyong.lists.models import ListEntry
from xinyong.screening.models import SubjectMeasure
from xinyong.subjects.models import Subject


def test_the_demo_lists_firms_and_screening_restricts_them(cli: Cli) -> None:
    run = cli("demo", "--subjects", "400")
    assert run.exit_code == 0, run.stderr
    summary = run.json()
    assert summary["demo"] == "generated"
    codes = summary["listed_codes"]
    assert len(codes) >= 4 and summary["list_entries"] >= len(codes)
    engine = make_engine(cli.env["XINYONG_DATABASE_URL"])
    try:
        with Session(engine) as session:
            statuses = dict(
                session.execute(
                    select(ListEntry.status, func.count()).group_by(ListEntry.status)
                ).all()
            )
            assert statuses["listed"] == len(codes)
            # The commit hooks precomputed the measures the listings trigger.
            restricted = session.scalars(
                select(Subject.uscc)
                .join(SubjectMeasure, SubjectMeasure.subject_id == Subject.id)
                .where(SubjectMeasure.measure_code == "procurement-listed")
            ).all()
            # Enterprises (USCC 91…, 92…) are targeted; a 民办非企业单位 (52…) is not.
            firms = {c for c in codes if c[:2] in ("91", "92")}
            assert firms and firms <= set(restricted)
    finally:
        engine.dispose()
