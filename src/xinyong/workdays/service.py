"""Use cases of the working-day calendar: seeding, office overrides, covered years."""

from __future__ import annotations

import datetime as dt
from typing import Any

import chinese_calendar
from chinese_calendar import constants as cc_constants
from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.actors import Actor
from xinyong.audit.service import record_event
from xinyong.db import utcnow
from xinyong.errors import Forbidden, ValidationFailed
from xinyong.workdays.models import (
    SOURCE_CHINESECALENDAR,
    SOURCE_OFFICE,
    CalendarYear,
    WorkingDayOverride,
)
from xinyong.workdays.rules import WorkCalendar, calendar_version, is_weekday, uncovered_years

ADMIN_ROLE = "office_admin"

# chinese_calendar names holidays in English; the platform shows the usual Chinese names.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}
MAKEUP_SUFFIX = "调休上班"

NAME_MAX = 100
NOTICE_MAX = 120
FIRST_YEAR, LAST_YEAR = 2000, 2100


def chinesecalendar_source() -> str:
    """``source`` of seeded rows, e.g. "chinesecalendar 1.11.0"."""
    return f"{SOURCE_CHINESECALENDAR} {chinese_calendar.__version__}"


def _holiday_name(english: str) -> str:
    if english in HOLIDAY_NAMES:
        return HOLIDAY_NAMES[english]
    try:
        chinese: str = cc_constants.Holiday(english).chinese
    except ValueError:
        return english
    return chinese


def chinesecalendar_overrides() -> tuple[dict[dt.date, tuple[bool, str]], list[int]]:
    """Days where chinese_calendar differs from the Mon–Fri rule, and the years it covers."""
    entries: dict[dt.date, tuple[bool, str]] = {}
    for day, english in cc_constants.holidays.items():
        if is_weekday(day):
            entries[day] = (False, _holiday_name(english))
    for day, english in cc_constants.workdays.items():
        if not is_weekday(day):
            entries[day] = (True, _holiday_name(english) + MAKEUP_SUFFIX)
    years = {d.year for d in cc_constants.holidays} | {d.year for d in cc_constants.workdays}
    return entries, list(range(min(years), max(years) + 1))


def _require_admin(actor: Actor, what: str, what_en: str) -> None:
    if not actor.has_role(ADMIN_ROLE):
        raise Forbidden(
            f"无权{what}：需要信用办管理员（office_admin）角色",
            f"{actor.label} may not {what_en}: role office_admin required",
        )


def _override_dict(row: WorkingDayOverride) -> dict[str, Any]:
    return {
        "day": row.day.isoformat(),
        "is_workday": row.is_workday,
        "name": row.name,
        "source": row.source,
        "notice_ref": row.notice_ref,
    }


def _year_dict(row: CalendarYear) -> dict[str, Any]:
    return {"year": row.year, "source": row.source, "notice_ref": row.notice_ref}


def seed_from_chinesecalendar(session: Session, *, actor: Actor) -> int:
    """Import chinese_calendar's holidays and make-up days; returns rows changed.

    The count is overrides inserted, updated or removed.

    Idempotent: a second run changes nothing and returns 0. Rows the office entered
    (source "office") are never touched. Rows from an older chinesecalendar version
    are updated, or removed when the new version no longer lists the day. The years
    chinese_calendar covers are marked covered unless the office declared them.
    One audit event summarises the counts (none when nothing changed).
    """
    _require_admin(actor, "导入法定节假日日历", "seed the holiday calendar")
    source = chinesecalendar_source()
    entries, years = chinesecalendar_overrides()
    first, last = dt.date(years[0], 1, 1), dt.date(years[-1], 12, 31)
    existing = {
        row.day: row
        for row in session.execute(
            select(WorkingDayOverride).where(
                WorkingDayOverride.day >= first, WorkingDayOverride.day <= last
            )
        ).scalars()
    }
    now = utcnow()
    inserted = updated = removed = kept_office = 0
    for day, (is_workday, name) in sorted(entries.items()):
        row = existing.get(day)
        if row is None:
            session.add(
                WorkingDayOverride(
                    day=day,
                    is_workday=is_workday,
                    name=name,
                    source=source,
                    notice_ref=None,
                    updated_at=now,
                )
            )
            inserted += 1
        elif row.source == SOURCE_OFFICE:
            kept_office += 1
        elif (row.is_workday, row.name, row.source) != (is_workday, name, source):
            row.is_workday, row.name, row.source, row.updated_at = is_workday, name, source, now
            updated += 1
    for day, row in existing.items():
        if day not in entries and row.source.startswith(SOURCE_CHINESECALENDAR):
            session.delete(row)
            removed += 1

    years_added = years_updated = 0
    known = {
        row.year: row
        for row in session.execute(
            select(CalendarYear).where(CalendarYear.year.in_(years))
        ).scalars()
    }
    for year in years:
        cy = known.get(year)
        if cy is None:
            session.add(CalendarYear(year=year, source=source, notice_ref=None, declared_at=now))
            years_added += 1
        elif cy.source.startswith(SOURCE_CHINESECALENDAR) and cy.source != source:
            cy.source, cy.declared_at = source, now
            years_updated += 1

    changed = inserted + updated + removed
    if changed or years_added or years_updated:
        record_event(
            session,
            actor=actor,
            action="calendar.seed",
            entity_type="working_day_calendar",
            entity_id=source,
            after={
                "source": source,
                "years": [years[0], years[-1]],
                "inserted": inserted,
                "updated": updated,
                "removed": removed,
                "kept_office": kept_office,
                "years_added": years_added,
                "years_updated": years_updated,
            },
        )
    session.flush()
    return changed


def load_calendar(session: Session) -> WorkCalendar:
    """The calendar as stored now: every override and every covered year."""
    rows = session.execute(
        select(WorkingDayOverride.day, WorkingDayOverride.is_workday, WorkingDayOverride.source)
    ).all()
    years = session.execute(select(CalendarYear.year, CalendarYear.source)).all()
    overrides = {r.day: r.is_workday for r in rows}
    covered = frozenset(y.year for y in years)
    sources = {r.source for r in rows} | {y.source for y in years}
    return WorkCalendar(overrides, covered, calendar_version(sources, overrides, covered))


def _clean_text(value: str | None, field_name: str, limit: int, label: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if len(value) > limit:
        raise ValidationFailed.one(
            field_name,
            f"{label}不能超过 {limit} 个字符",
            f"{field_name} must be at most {limit} characters",
        )
    return value


def set_override(
    session: Session,
    *,
    actor: Actor,
    day: dt.date,
    is_workday: bool,
    name: str | None,
    notice_ref: str | None,
) -> WorkingDayOverride:
    """Enter or change one day as the office (source "office"); re-seeding keeps it."""
    _require_admin(actor, "维护工作日历", "change the working-day calendar")
    if isinstance(day, dt.datetime):
        day = day.date()
    name = _clean_text(name, "name", NAME_MAX, "名称")
    notice_ref = _clean_text(notice_ref, "notice_ref", NOTICE_MAX, "通知文号")
    row = session.get(WorkingDayOverride, day)
    before = _override_dict(row) if row is not None else None
    now = utcnow()
    if row is None:
        row = WorkingDayOverride(
            day=day,
            is_workday=is_workday,
            name=name,
            source=SOURCE_OFFICE,
            notice_ref=notice_ref,
            updated_at=now,
        )
        session.add(row)
    else:
        row.is_workday, row.name, row.notice_ref = is_workday, name, notice_ref
        row.source, row.updated_at = SOURCE_OFFICE, now
    session.flush()
    record_event(
        session,
        actor=actor,
        action="calendar.override.set",
        entity_type="working_day_override",
        entity_id=day.isoformat(),
        before=before,
        after=_override_dict(row),
        legal_basis=notice_ref,
    )
    return row


def declare_year(session: Session, *, actor: Actor, year: int, notice_ref: str) -> CalendarYear:
    """Mark ``year`` covered once the office has entered its State Council notice.

    Refused while the year has no override at all: every notice moves some holidays
    onto weekdays, so an empty year means its days have not been entered yet.
    """
    _require_admin(actor, "确认年度节假日安排", "declare a calendar year")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationFailed.one(
            "year",
            f"年份应在 {FIRST_YEAR}–{LAST_YEAR} 之间，收到 {year}",
            f"year must be within {FIRST_YEAR}-{LAST_YEAR}, got {year}",
        )
    ref = _clean_text(notice_ref, "notice_ref", NOTICE_MAX, "通知文号")
    if ref is None:
        raise ValidationFailed.one(
            "notice_ref",
            "请填写国务院办公厅节假日安排通知的文号",
            "notice_ref (the State Council notice number) is required",
        )
    entered = session.execute(
        select(WorkingDayOverride.day)
        .where(
            WorkingDayOverride.day >= dt.date(year, 1, 1),
            WorkingDayOverride.day <= dt.date(year, 12, 31),
        )
        .limit(1)
    ).first()
    if entered is None:
        raise ValidationFailed.one(
            "year",
            f"{year} 年尚未录入任何节假日或调休上班日，请先按通知逐日录入再确认",
            f"no holiday or make-up working day of {year} has been entered yet; "
            "enter the notice's days first",
        )
    row = session.get(CalendarYear, year)
    before = _year_dict(row) if row is not None else None
    now = utcnow()
    if row is None:
        row = CalendarYear(year=year, source=SOURCE_OFFICE, notice_ref=ref, declared_at=now)
        session.add(row)
    else:
        row.source, row.notice_ref, row.declared_at = SOURCE_OFFICE, ref, now
    session.flush()
    record_event(
        session,
        actor=actor,
        action="calendar.year.declare",
        entity_type="calendar_year",
        entity_id=str(year),
        before=before,
        after=_year_dict(row),
        legal_basis=ref,
    )
    return row


def uncovered_years_ahead(session: Session, today: dt.date, *, horizon_days: int = 60) -> list[int]:
    """Years from ``today`` to ``today + horizon_days`` whose notice is not entered yet.

    E.g. on 2026-11-24 this is [2027] until 2027 is declared; the office is warned
    while working-day deadlines can still reach into that year.
    """
    covered = session.execute(select(CalendarYear.year)).scalars().all()
    return uncovered_years(covered, today, today + dt.timedelta(days=horizon_days))
