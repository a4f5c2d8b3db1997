"""Due-process deadlines of objections and repair in working days, across the 2026
Spring Festival and National Day holidays and their make-up working days."""

from __future__ import annotations

import datetime as dt

import pytest

from xinyong.cases.rules import CaseKind, Step, extend, start_step, step_rules
from xinyong.config import Settings
from xinyong.errors import Conflict
from xinyong.workdays.rules import WorkCalendar
from xinyong.workdays.service import chinesecalendar_overrides

D = dt.date.fromisoformat
RULES = step_rules(Settings(environment="test"))


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    entries, years = chinesecalendar_overrides()
    return WorkCalendar({d: w for d, (w, _) in entries.items()}, frozenset(years), "test")


def test_objection_filed_before_spring_festival_is_marked_on_the_saturday_makeup_day(
    cal: WorkCalendar,
) -> None:
    # 2026-02-13 is a Friday; Saturday 02-14 is a make-up working day (调休上班).
    mark = start_step(RULES[CaseKind.objection, Step.mark], cal, D("2026-02-13"))
    assert mark.due.date == D("2026-02-14")
    assert not mark.due.provisional


def test_office_decision_skips_the_spring_festival_holiday(cal: WorkCalendar) -> None:
    # Holiday 02-15 to 02-23: 5 working days from 02-14 are 02-24 … 02-27 and the
    # make-up Saturday 02-28.
    office = start_step(RULES[CaseKind.objection, Step.office], cal, D("2026-02-14"))
    assert office.due.date == D("2026-02-28")
    assert office.working_days_left(cal, D("2026-02-20")) == 5
    assert not office.overdue(D("2026-02-28"))
    assert office.overdue(D("2026-03-01"))
    assert office.working_days_left(cal, D("2026-03-03")) == -2  # 03-02, 03-03


def test_department_answer_extended_once_across_national_day(cal: WorkCalendar) -> None:
    # Forwarded on Tuesday 2026-09-29: 2 working days are 09-30 and, after the holiday
    # of 10-01 to 10-07, Thursday 10-08; extended by 3: 10-09, make-up Saturday 10-10,
    # and Monday 10-12.
    answer = start_step(RULES[CaseKind.objection, Step.department], cal, D("2026-09-29"))
    assert answer.due.date == D("2026-10-08")
    longer = extend(answer, cal)
    assert longer.due.date == D("2026-10-12") and longer.extended
    with pytest.raises(Conflict) as caught:
        extend(longer, cal)
    assert "只能延长一次" in caught.value.message


def test_repair_deadlines_follow_the_2025_rules_and_cannot_be_extended(
    cal: WorkCalendar,
) -> None:
    # Sunday 2026-09-20 is a make-up working day; Friday 09-25 is Mid-Autumn Festival
    # and 10-01 to 10-07 National Day: 09-20, 21-24, 28-30, 10-08, 10-09.
    office = start_step(RULES[CaseKind.repair, Step.office], cal, D("2026-09-18"))
    assert office.due.date == D("2026-10-09")
    with pytest.raises(Conflict) as caught:
        extend(office, cal)
    assert "不可延长" in caught.value.message


def test_deadline_in_a_year_without_a_holiday_notice_is_provisional(cal: WorkCalendar) -> None:
    department = start_step(RULES[CaseKind.repair, Step.department], cal, D("2026-12-30"))
    assert department.due.provisional
    assert department.due.missing_years == (2027,)
    assert department.due.warning is not None and "2027" in department.due.warning


def test_settings_change_the_figures() -> None:
    local = step_rules(Settings(environment="test", objection_office_days=7))
    assert local[CaseKind.objection, Step.office].days == 7
    assert local[CaseKind.objection, Step.department].extension_days == 3
