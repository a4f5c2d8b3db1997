"""Deadlines touching a year without its State Council notice are provisional (STACK.md §5)."""

import datetime as dt

from xinyong.workdays.rules import (
    WorkCalendar,
    calendar_version,
    missing_years_message,
    uncovered_years,
)
from xinyong.workdays.service import chinesecalendar_overrides

D = dt.date.fromisoformat


def _seeded() -> tuple[dict[dt.date, bool], frozenset[int]]:
    entries, years = chinesecalendar_overrides()
    return {d: w for d, (w, _) in entries.items()}, frozenset(years)


def test_deadline_crossing_into_2027_is_provisional_and_names_the_year() -> None:
    overrides, covered = _seeded()
    cal = WorkCalendar(overrides, covered, "v1")
    deadline = cal.add_working_days(D("2026-12-28"), 7)
    # Weekend rule for 2027: 2027-01-01 (a Friday) counts, so the 7th day is 01-06.
    assert deadline.date == D("2027-01-06")
    assert deadline.provisional is True
    assert deadline.missing_years == (2027,)
    assert deadline.warning == "缺少 2027 年国务院办公厅节假日安排通知，期限为暂定"
    problem = deadline.problem("deadline")
    assert problem is not None and problem.level == "warning" and problem.field == "deadline"
    assert deadline.as_dict()["missing_years"] == [2027]


def test_deadline_after_the_2027_notice_is_entered_is_final() -> None:
    overrides, covered = _seeded()
    overrides[D("2027-01-01")] = False  # 元旦
    cal = WorkCalendar(overrides, covered | {2027}, "v2")
    deadline = cal.add_working_days(D("2026-12-28"), 7)
    assert deadline.date == D("2027-01-07")
    assert not deadline.provisional and deadline.missing_years == ()


def test_deadline_within_a_covered_year_is_not_provisional_even_at_year_end() -> None:
    overrides, covered = _seeded()
    cal = WorkCalendar(overrides, covered, "v1")
    assert not cal.add_working_days(D("2026-12-24"), 3).provisional  # 12-25, 28, 29


def test_working_day_count_into_an_uncovered_year_is_provisional() -> None:
    overrides, covered = _seeded()
    cal = WorkCalendar(overrides, covered, "v1")
    count = cal.working_days_between(D("2026-12-30"), D("2027-01-04"))
    assert count.count == 3 and count.provisional and count.missing_years == (2027,)
    assert count.as_dict()["warning"] == missing_years_message([2027])


def test_years_before_chinesecalendar_are_uncovered_too() -> None:
    overrides, covered = _seeded()
    cal = WorkCalendar(overrides, covered, "v1")
    assert cal.add_working_days(D("2003-12-30"), 5).missing_years == (2003,)


def test_empty_calendar_makes_everything_provisional() -> None:
    cal = WorkCalendar({}, frozenset(), "weekends-only")
    deadline = cal.add_working_days(D("2025-09-26"), 7)
    assert deadline.provisional and deadline.missing_years == (2025,)


def test_message_lists_several_years() -> None:
    assert missing_years_message([2028, 2027]) == (
        "缺少 2027、2028 年国务院办公厅节假日安排通知，期限为暂定"
    )


def test_uncovered_years_in_a_window() -> None:
    assert uncovered_years({2025, 2026}, D("2026-11-24"), D("2027-01-23")) == [2027]
    assert uncovered_years({2026, 2027}, D("2026-11-24"), D("2027-01-23")) == []


def test_calendar_version_changes_with_content_and_is_stable() -> None:
    a = calendar_version(["office", "chinesecalendar 1.11.0"], {D("2027-01-01"): False}, [2027])
    b = calendar_version(["chinesecalendar 1.11.0", "office"], {D("2027-01-01"): False}, [2027])
    c = calendar_version(["chinesecalendar 1.11.0", "office"], {D("2027-01-01"): True}, [2027])
    assert a == b and a != c
    assert a.startswith("chinesecalendar 1.11.0+office#")
