"""Working-day arithmetic on the official calendar (STACK.md §5, RULES.md §2 and §6).

The calendar is built from chinese_calendar's table, as ``seed_from_chinesecalendar``
stores it, and cross-checked against chinese_calendar's own ``is_workday``.
"""

import datetime as dt

import chinese_calendar
import pytest

from xinyong.errors import ValidationFailed
from xinyong.workdays.rules import WorkCalendar
from xinyong.workdays.service import chinesecalendar_overrides

D = dt.date.fromisoformat


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    entries, years = chinesecalendar_overrides()
    return WorkCalendar({d: w for d, (w, _) in entries.items()}, frozenset(years), "test")


def test_calendar_agrees_with_chinesecalendar_every_day_2004_to_2026(cal: WorkCalendar) -> None:
    day, last = D("2004-01-01"), D("2026-12-31")
    while day <= last:
        assert cal.is_workday(day) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)


def test_national_day_2025_makeup_days_are_working_days(cal: WorkCalendar) -> None:
    # 2025-09-28 is a Sunday and 2025-10-11 a Saturday, both 调休上班.
    assert D("2025-09-28").weekday() == 6 and cal.is_workday(D("2025-09-28"))
    assert D("2025-10-11").weekday() == 5 and cal.is_workday(D("2025-10-11"))
    assert not any(cal.is_workday(D(f"2025-10-0{i}")) for i in range(1, 9))
    assert chinese_calendar.is_workday(D("2025-09-28")) and chinese_calendar.is_workday(
        D("2025-10-11")
    )


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # Spring Festival 2024: 02-10..02-17 off, Sunday 02-18 worked.
        ("2024-02-08", 7, "2024-02-23"),
        ("2024-02-09", 5, "2024-02-22"),
        # Spring Festival 2025: 01-28..02-04 off, Sunday 01-26 and Saturday 02-08 worked.
        ("2025-01-27", 7, "2025-02-12"),
        ("2025-01-24", 3, "2025-02-05"),  # 3 days to withdraw (RULES.md §1b)
        # Spring Festival 2026: 02-15..02-23 off, Saturdays 02-14 and 02-28 worked.
        ("2026-02-13", 7, "2026-03-02"),
        ("2026-02-12", 5, "2026-02-26"),  # 5 days for objections (RULES.md §6)
        # National Day 2025: 10-01..10-08 off, 09-28 (Sun) and 10-11 (Sat) worked.
        ("2025-09-26", 7, "2025-10-13"),  # 双公示 within 7 working days (RULES.md §2)
        ("2025-09-30", 5, "2025-10-14"),
        ("2025-10-10", 1, "2025-10-11"),
        ("2025-09-27", 1, "2025-09-28"),
    ],
)
def test_add_working_days_across_holidays(
    cal: WorkCalendar, start: str, n: int, expected: str
) -> None:
    deadline = cal.add_working_days(D(start), n)
    assert deadline.date == D(expected)
    assert not deadline.provisional and deadline.missing_years == ()
    assert chinese_calendar.get_workdays(D(start) + dt.timedelta(days=1), D(expected))[-1] == D(
        expected
    )
    assert len(chinese_calendar.get_workdays(D(start) + dt.timedelta(days=1), D(expected))) == n


def test_zero_working_days_is_the_start_itself(cal: WorkCalendar) -> None:
    assert cal.add_working_days(D("2025-10-01"), 0).date == D("2025-10-01")


def test_negative_working_days_are_refused(cal: WorkCalendar) -> None:
    with pytest.raises(ValidationFailed) as exc:
        cal.add_working_days(D("2025-10-01"), -1)
    assert exc.value.field == "n"


def test_working_days_between_counts_the_end_not_the_start(cal: WorkCalendar) -> None:
    decided = D("2025-09-26")
    seventh = cal.add_working_days(decided, 7).date
    assert cal.working_days_between(decided, seventh).count == 7
    assert cal.working_days_between(decided, seventh + dt.timedelta(days=1)).count == 8
    assert cal.working_days_between(decided, decided).count == 0
    # National Day 2025: nothing from 10-01 to 10-08; then 10-09, 10-10 and Saturday 10-11.
    assert cal.working_days_between(D("2025-09-30"), D("2025-10-08")).count == 0
    assert cal.working_days_between(D("2025-09-30"), D("2025-10-11")).count == 3


def test_working_days_between_refuses_an_end_before_the_start(cal: WorkCalendar) -> None:
    with pytest.raises(ValidationFailed) as exc:
        cal.working_days_between(D("2025-10-10"), D("2025-10-01"))
    assert exc.value.field == "end"


def test_deadline_as_dict_has_the_public_keys(cal: WorkCalendar) -> None:
    body = cal.add_working_days(D("2025-09-26"), 7).as_dict()
    assert body["date"] == "2025-10-13"
    assert body["provisional"] is False
    assert body["missing_years"] == []
    assert body["calendar_version"] == "test"
    assert body["warning"] is None


def test_calendar_is_not_changed_by_mutating_the_callers_dict() -> None:
    overrides = {D("2025-10-01"): False}
    cal = WorkCalendar(overrides, frozenset({2025}), "v")
    overrides[D("2025-10-01")] = True
    assert not cal.is_workday(D("2025-10-01"))
