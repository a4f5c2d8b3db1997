"""Figures of objections and credit repair (cases.figures) and the columns they add to
the data-quality league table, from cases filed and decided through cases.filing and
cases.handling in two departments on different days (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

import pytest
from sqlalchemy.orm import Session

from tests.integration.cases_helpers import (
    PUBLIC,
    TODAY,
    application,
    context,
    published_penalty,
    refused,
    repair_application,
)
from xinyong.actors import Actor
from xinyong.cases import filing, handling
from xinyong.cases.context import CaseContext
from xinyong.cases.figures import DepartmentFigures, case_figures, median
from xinyong.cases.models import CreditCase
from xinyong.config import Settings
from xinyong.errors import ValidationFailed
from xinyong.privacy.crypto import DataVault
from xinyong.quality.service import league_table, upheld_objections
from xinyong.records.models import CreditRecord

OFFICE = Actor(kind="account", name="office", roles=frozenset({"office_staff"}))
LEAGUE = Actor(kind="account", name="admin", roles=frozenset({"office_admin"}))
NOW = dt.date(2026, 12, 3)  # a Thursday: the day the figures are looked at
OTHER = {"CF_CFJG": "厦门市生态环境局", "CF_SJLY": "厦门市生态环境局"}


def _reviewer(dept: Actor) -> Actor:
    return dataclasses.replace(dept, kind="account", roles=frozenset({"dept_reviewer"}))


def _day(session: Session, settings: Settings, vault: DataVault, day: str) -> CaseContext:
    return context(session, settings, vault, today=dt.date.fromisoformat(day))


@dataclass
class Scenario:
    dept: Actor
    other: Actor


@pytest.fixture
def scenario(
    session: Session, dept: Actor, other_dept: Actor, vault: DataVault, settings: Settings
) -> Scenario:
    """Nine cases filed on Tuesday 24 November 2026 (TODAY):

    dept (市场监管): objection A upheld on the 24th (on time); objection B rejected on
    Monday 30th (department late: due 26th; office in time: due 1 December); objection D
    not accepted; repair F approved on the 24th; repair G refused by the office on the
    25th (incomplete); repair I withdrawn.
    other_dept (生态环境): objection C partly upheld on 3 December (department and office
    late); objection E never marked (due 25th: overdue); repair H refused by the
    department on 1 December (not performed; department late, office in time).
    """
    ctx = context(session, settings, vault)
    me, them = _reviewer(dept), _reviewer(other_dept)

    def penalty(owner: Actor, n: int) -> CreditRecord:
        extra = OTHER if owner is other_dept else {}
        return published_penalty(session, owner, vault, CF_WSH=f"厦罚〔2026〕{n}号", **extra)

    def objection(record: CreditRecord) -> CreditCase:
        return filing.file_objection(
            session, ctx, actor=PUBLIC, application=application(record)
        ).case

    def repair(record: CreditRecord) -> CreditCase:
        return filing.file_repair(
            session, ctx, actor=PUBLIC, application=repair_application(record)
        ).case

    r1, r2, r3, r4, r5, r6 = (penalty(dept, n) for n in range(1, 7))
    o1, o2, o3 = (penalty(other_dept, n) for n in range(11, 14))

    a, b, c, d, e = objection(r1), objection(r2), objection(o1), objection(r3), objection(o2)
    for case in (a, b, c):
        handling.mark(session, ctx, actor=OFFICE, case_id=case.id, accept=True)
        handling.forward(session, ctx, actor=OFFICE, case_id=case.id)
    handling.mark(session, ctx, actor=OFFICE, case_id=d.id, accept=False, reason="非本平台公示信息")
    fix = {"CF_NR_FK": "3", "CF_NR": "罚款人民币3万元"}
    handling.decide_objection(
        session,
        ctx,
        actor=me,
        case_id=a.id,
        outcome="upheld",
        reason="金额有误。",
        action="correct",
        corrections=fix,
    )
    handling.decide_objection(
        session,
        _day(session, settings, vault, "2026-11-30"),
        actor=me,
        case_id=b.id,
        outcome="rejected",
        reason="信息无误。",
    )
    handling.decide_objection(
        session,
        _day(session, settings, vault, "2026-12-03"),
        actor=them,
        case_id=c.id,
        outcome="partly",
        reason="部分有误。",
        action="correct",
        corrections=fix,
    )
    assert e.status == "submitted"

    f, g, h, i = repair(r4), repair(r5), repair(o3), repair(r6)
    handling.forward(session, ctx, actor=OFFICE, case_id=f.id)
    handling.approve_repair(session, ctx, actor=me, case_id=f.id, reason="同意修复。")
    handling.refuse_repair(
        session,
        _day(session, settings, vault, "2026-11-25"),
        actor=OFFICE,
        case_id=g.id,
        code="incomplete",
        reason="缺少材料。",
    )
    handling.forward(session, ctx, actor=OFFICE, case_id=h.id)
    handling.refuse_repair(
        session,
        _day(session, settings, vault, "2026-12-01"),
        actor=them,
        case_id=h.id,
        code="not_performed",
        reason="罚款未缴清。",
    )
    filing.withdraw(session, ctx, actor=PUBLIC, case=i, reason="暂不申请")
    session.flush()
    # The handling times the figures summarise, as the service recorded them.
    assert [x.handling_workdays for x in (a, b, c, d, f, g, h)] == [0, 4, 7, 0, 0, 1, 5]
    assert [x.dept_on_time for x in (a, b, c, f, h)] == [True, False, False, True, False]
    assert [x.on_time for x in (a, b, c, d, f, g, h)] == [True] * 2 + [False] + [True] * 4
    return Scenario(dept, other_dept)


def _rows(session: Session) -> dict[str, DepartmentFigures]:
    figures = case_figures(session, start=TODAY, end=NOW, today=NOW)
    return {d.name: d for d in figures.departments}


def test_objections_are_counted_by_outcome_with_the_upheld_share(
    session: Session, scenario: Scenario
) -> None:
    f = case_figures(session, start=dt.date(2026, 1, 1), end=NOW, today=NOW)
    assert (f.objections, f.upheld, f.partly, f.rejected) == (5, 1, 1, 1)
    assert (f.not_accepted, f.objections_withdrawn, f.objections_open) == (1, 0, 1)
    assert f.decided == 3 and f.valid == 2
    assert f.upheld_share == Fraction(2, 3)


def test_valid_objections_per_100000_published_records_against_the_yichang_target(
    session: Session, scenario: Scenario
) -> None:
    f = case_figures(session, start=TODAY, end=NOW, today=NOW)
    # Published on 3 December: six of dept's records less the repaired one, all three of
    # other_dept's (corrected, refused and unmarked ones are still published).
    assert f.published == 8
    assert f.valid_per_100k == 2 * 100_000 / 8
    assert f.meets_target is False
    body = f.as_dict()["objections"]
    assert body["target_per_100k"] == 1.0 and body["meets_target"] is False
    assert body["upheld_share"] == pytest.approx(2 / 3)


def test_handling_times_are_the_median_and_worst_in_working_days(
    session: Session, scenario: Scenario
) -> None:
    f = case_figures(session, start=TODAY, end=NOW, today=NOW)
    # Objections closed: A 0, B 4, C 7, D 0 (not accepted) working days.
    assert f.objection_handling.median_workdays == 2
    assert f.objection_handling.worst_workdays == 7
    assert (f.objection_handling.on_time, f.objection_handling.closed) == (3, 4)
    # Repairs closed: F 0, G 1, H 5; the withdrawn I is not a handling time.
    assert (f.repair_handling.median_workdays, f.repair_handling.worst_workdays) == (1, 5)
    assert f.repair_handling.on_time_share == 1
    assert (f.handling.median_workdays, f.handling.worst_workdays) == (1, 7)
    assert f.handling.on_time_share == Fraction(6, 7)
    assert (f.answered, f.answered_on_time) == (5, 2)


def test_repairs_are_counted_with_refusals_by_reason(session: Session, scenario: Scenario) -> None:
    f = case_figures(session, start=TODAY, end=NOW, today=NOW)
    assert (f.repairs, f.approved, f.refused, f.repairs_withdrawn, f.repairs_open) == (
        4,
        1,
        2,
        1,
        0,
    )
    refusals = {r.code: (r.label, r.count) for r in f.refusals}
    assert refusals["incomplete"] == ("材料不齐全", 1)
    assert refusals["not_performed"] == ("未履行法定义务或未纠正失信行为", 1)
    assert refusals["false_materials"] == ("材料不真实", 0)
    assert f.as_dict()["repairs"]["refusals"][0] == {
        "code": "incomplete",
        "label": "材料不齐全",
        "count": 1,
    }


def test_each_department_has_its_on_time_shares_and_upheld_objections(
    session: Session, scenario: Scenario
) -> None:
    rows = _rows(session)
    mine = rows["厦门市市场监督管理局"]
    assert (mine.objections, mine.upheld, mine.repairs, mine.repair_approvals) == (3, 1, 3, 1)
    assert mine.repair_refusals == 1
    assert mine.dept_on_time_share == Fraction(2, 3)  # A and F in time, B late
    assert mine.on_time_share == 1 and mine.closed == 5
    assert (mine.open_now, mine.overdue_now, mine.published) == (0, 0, 5)
    assert mine.upheld_per_100k == 100_000 / 5
    theirs = rows["厦门市生态环境局"]
    assert (theirs.objections, theirs.upheld, theirs.repairs, theirs.repair_approvals) == (
        2,
        1,
        1,
        0,
    )
    assert theirs.dept_on_time_share == 0 and theirs.answered == 2
    assert theirs.on_time_share == Fraction(1, 2)  # C late, H in time
    assert (theirs.open_now, theirs.overdue_now, theirs.published) == (1, 1, 3)
    row = theirs.as_dict()
    assert row["department_name"] == "厦门市生态环境局" and row["dept_on_time_share"] == 0.0


def test_one_department_sees_only_its_own_records(session: Session, scenario: Scenario) -> None:
    f = case_figures(session, start=TODAY, end=NOW, today=NOW, org_id=scenario.other.org_id)
    assert [d.name for d in f.departments] == ["厦门市生态环境局"]
    assert (f.objections, f.partly, f.upheld, f.repairs, f.refused) == (2, 1, 0, 1, 1)
    assert (f.published, f.open_now, f.overdue_now) == (3, 1, 1)
    assert f.as_dict()["scope"] == "own"


def test_the_period_is_by_filing_date_and_open_cases_are_counted_now(
    session: Session, scenario: Scenario
) -> None:
    later = case_figures(session, start=dt.date(2026, 11, 25), end=NOW, today=NOW)
    assert later.objections == 0 and later.repairs == 0 and later.upheld_share is None
    assert later.objection_handling.median_workdays is None
    assert (later.open_now, later.overdue_now) == (1, 1)  # E, whenever it was filed
    on_filing_day = case_figures(session, start=TODAY, end=TODAY, today=TODAY)
    assert on_filing_day.objections == 5
    assert on_filing_day.overdue_now == 0  # E is due on the 25th: not yet late


def test_a_period_ending_before_it_starts_is_refused() -> None:
    with refused(ValidationFailed, "起始日期（2026-12-01）不能晚于截止日期（2026-11-01）"):
        case_figures(
            None,  # type: ignore[arg-type]  # refused before any query
            start=dt.date(2026, 12, 1),
            end=dt.date(2026, 11, 1),
            today=NOW,
        )


def test_median_of_an_even_count_is_the_mean_of_the_middle_two() -> None:
    assert median([7, 0, 4, 0]) == 2 and median([1, 2]) == Fraction(3, 2)
    assert median([5]) == 5 and median([]) is None


def test_league_table_shows_upheld_objections_and_on_time_answers_of_the_month(
    session: Session, scenario: Scenario
) -> None:
    november = dt.date(2026, 11, 1)
    rows = {r.name: r for r in league_table(session, actor=LEAGUE, month=november).rows}
    mine, theirs = rows["厦门市市场监督管理局"], rows["厦门市生态环境局"]
    # Answered in November: A (upheld, in time), B (late), repair F (in time).
    assert mine.upheld_objections == 1
    assert mine.objection_on_time == Fraction(1, 2) and mine.repair_on_time == 1
    assert theirs.upheld_objections == 0 and theirs.objection_on_time is None
    body = next(
        d
        for d in league_table(session, actor=LEAGUE, month=november).as_dict()["departments"]
        if d["department_name"] == "厦门市市场监督管理局"
    )
    assert (body["objection_on_time"], body["repair_on_time"]) == (0.5, 1.0)
    assert (body["objections_answered"], body["repairs_answered"]) == (2, 1)
    # December: C partly upheld (late), repair H refused (late).
    december = {
        r.name: r for r in league_table(session, actor=LEAGUE, month=dt.date(2026, 12, 1)).rows
    }
    late = december["厦门市生态环境局"]
    assert late.upheld_objections == 1
    assert late.objection_on_time == 0 and late.repair_on_time == 0
    assert scenario.other.org_id is not None
    assert upheld_objections(session, scenario.other.org_id, dt.date(2026, 12, 1)) == 1


def test_upheld_objections_do_not_change_the_ranking(session: Session, scenario: Scenario) -> None:
    rows = league_table(session, actor=LEAGUE, month=dt.date(2026, 11, 1)).rows
    ranked = {r.name: r.rank for r in rows}
    # Both departments' records arrived in November with the same compliance and
    # timeliness: an upheld objection does not lower a rank.
    mine, theirs = ranked["厦门市市场监督管理局"], ranked["厦门市生态环境局"]
    assert mine is not None and mine == theirs
