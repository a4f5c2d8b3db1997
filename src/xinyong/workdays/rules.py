"""Working-day arithmetic on the Chinese official calendar (pure, no database).

A day is a working day when an override says so, else when it falls Monday–Friday.
Overrides come from the State Council General Office's yearly holiday notice
(国务院办公厅关于部分节假日安排的通知): statutory holidays on weekdays and make-up
working days (调休上班) on weekends.

Fail closed, never silently (STACK.md §5): a year whose notice has not been entered
is *uncovered*. Any result that examined a day of an uncovered year is marked
``provisional`` and names the missing years, so callers can warn the office instead of
trusting a weekends-only guess.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from xinyong.errors import Problem, ValidationFailed


def missing_years_message(years: Iterable[int]) -> str:
    """Chinese warning, e.g. "缺少 2027 年国务院办公厅节假日安排通知，期限为暂定"."""
    listed = "、".join(str(y) for y in sorted(set(years)))
    return f"缺少 {listed} 年国务院办公厅节假日安排通知，期限为暂定"


def missing_years_message_en(years: Iterable[int]) -> str:
    listed = ", ".join(str(y) for y in sorted(set(years)))
    return (
        f"the State Council holiday notice for {listed} has not been entered; "
        "the deadline is provisional (weekends-only rule used for those years)"
    )


def _missing_problem(years: tuple[int, ...], field_name: str | None) -> Problem | None:
    if not years:
        return None
    return Problem(
        field_name,
        missing_years_message(years),
        missing_years_message_en(years),
        level="warning",
    )


@dataclass(frozen=True)
class Deadline:
    """A date computed in working days, with the calendar that produced it."""

    date: dt.date
    provisional: bool
    missing_years: tuple[int, ...]
    calendar_version: str

    @property
    def warning(self) -> str | None:
        return missing_years_message(self.missing_years) if self.missing_years else None

    def problem(self, field_name: str | None = None) -> Problem | None:
        """The provisional-deadline warning as a ``Problem`` (level "warning"), if any."""
        return _missing_problem(self.missing_years, field_name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "provisional": self.provisional,
            "missing_years": list(self.missing_years),
            "calendar_version": self.calendar_version,
            "warning": self.warning,
        }


@dataclass(frozen=True)
class WorkdayCount:
    """A number of working days between two dates, with the calendar that counted them."""

    count: int
    provisional: bool
    missing_years: tuple[int, ...]
    calendar_version: str

    @property
    def warning(self) -> str | None:
        return missing_years_message(self.missing_years) if self.missing_years else None

    def problem(self, field_name: str | None = None) -> Problem | None:
        return _missing_problem(self.missing_years, field_name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "provisional": self.provisional,
            "missing_years": list(self.missing_years),
            "calendar_version": self.calendar_version,
            "warning": self.warning,
        }


def is_weekday(day: dt.date) -> bool:
    """The default rule: Monday to Friday are working days."""
    return day.weekday() < 5


@dataclass(frozen=True, eq=False)
class WorkCalendar:
    """Overrides of the Mon–Fri rule plus the years whose holiday notice is known."""

    overrides: Mapping[dt.date, bool]
    covered_years: frozenset[int]
    version: str

    def __post_init__(self) -> None:
        # Copy so that a caller mutating its dict cannot change a calendar in use.
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))
        object.__setattr__(self, "covered_years", frozenset(self.covered_years))

    def is_covered(self, year: int) -> bool:
        return year in self.covered_years

    def is_workday(self, day: dt.date) -> bool:
        """Override if any, else Monday–Friday (also for uncovered years; see ``Deadline``)."""
        found = self.overrides.get(day)
        return is_weekday(day) if found is None else found

    def _result_meta(self, years: set[int]) -> tuple[bool, tuple[int, ...]]:
        missing = tuple(sorted(y for y in years if y not in self.covered_years))
        return bool(missing), missing

    def add_working_days(self, start: dt.date, n: int) -> Deadline:
        """The ``n``-th working day after ``start`` (``start`` itself is not counted).

        ``n == 0`` returns ``start``. Every day examined (``start`` excluded) in an
        uncovered year makes the deadline provisional and lists that year.
        """
        if isinstance(start, dt.datetime):
            start = start.date()
        if n < 0:
            raise ValidationFailed.one(
                "n", f"工作日数不能为负数，收到 {n}", f"n must be >= 0, got {n}"
            )
        day = start
        years: set[int] = set()
        remaining = n
        one = dt.timedelta(days=1)
        while remaining > 0:
            day += one
            years.add(day.year)
            if self.is_workday(day):
                remaining -= 1
        provisional, missing = self._result_meta(years)
        return Deadline(day, provisional, missing, self.version)

    def working_days_between(self, start: dt.date, end: dt.date) -> WorkdayCount:
        """The number of working days in (start, end].

        A decision on day D published on the 7th working day after D counts 7, so
        "within 7 working days" means ``count <= 7``. ``end == start`` counts 0.
        """
        if isinstance(start, dt.datetime):
            start = start.date()
        if isinstance(end, dt.datetime):
            end = end.date()
        if end < start:
            raise ValidationFailed.one(
                "end",
                f"结束日期 {end.isoformat()} 早于起算日期 {start.isoformat()}",
                f"end {end.isoformat()} is before start {start.isoformat()}",
            )
        count = 0
        years: set[int] = set()
        day = start
        one = dt.timedelta(days=1)
        while day < end:
            day += one
            years.add(day.year)
            if self.is_workday(day):
                count += 1
        provisional, missing = self._result_meta(years)
        return WorkdayCount(count, provisional, missing, self.version)


def uncovered_years(covered: Iterable[int], start: dt.date, end: dt.date) -> list[int]:
    """The years touched by [start, end] whose holiday notice is not known."""
    known = set(covered)
    return [y for y in range(start.year, end.year + 1) if y not in known]


def calendar_version(
    sources: Iterable[str],
    overrides: Mapping[dt.date, bool],
    covered_years: Iterable[int],
) -> str:
    """A stable identifier of a calendar's content.

    E.g. ``chinesecalendar 1.11.0+office#3f2a9c1b0d``.
    The readable part lists the sources; the hash changes whenever any override or
    covered year changes, so a stored deadline says exactly which calendar it used.
    """
    digest = hashlib.sha256()
    for day in sorted(overrides):
        digest.update(f"{day.isoformat()}={int(overrides[day])};".encode())
    digest.update(b"|")
    for year in sorted(set(covered_years)):
        digest.update(f"{year};".encode())
    names = "+".join(sorted(set(sources))) or "weekends-only"
    return f"{names}#{digest.hexdigest()[:10]}"
