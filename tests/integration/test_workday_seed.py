"""Seeding the working-day calendar from chinesecalendar (STACK.md §5)."""

import datetime as dt

import chinese_calendar
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.actors import Actor
from xinyong.audit.models import AuditEvent
from xinyong.workdays.models import CalendarYear, WorkingDayOverride
from xinyong.workdays.service import (
    chinesecalendar_source,
    load_calendar,
    seed_from_chinesecalendar,
    set_override,
)

D = dt.date.fromisoformat
SYSTEM = Actor.system("init")
ADMIN = Actor(kind="account", name="wang", roles=frozenset({"office_admin"}))


def _seed_events(session: Session) -> int:
    return session.execute(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "calendar.seed")
    ).scalar_one()


def test_seed_imports_holidays_and_makeup_days_with_names(session: Session) -> None:
    written = seed_from_chinesecalendar(session, actor=SYSTEM)
    assert written > 300
    spring = session.get(WorkingDayOverride, D("2025-01-28"))
    assert spring is not None and not spring.is_workday and spring.name == "春节"
    assert spring.source == f"chinesecalendar {chinese_calendar.__version__}"
    makeup = session.get(WorkingDayOverride, D("2025-09-28"))
    assert makeup is not None and makeup.is_workday and makeup.name == "国庆节调休上班"
    # Days that agree with the Mon–Fri rule are not stored: 2025-10-04 is a Saturday off.
    assert session.get(WorkingDayOverride, D("2025-10-04")) is None
    years = session.execute(select(CalendarYear.year).order_by(CalendarYear.year)).scalars().all()
    assert years == list(range(2004, 2027))
    assert _seed_events(session) == 1


def test_seeded_calendar_matches_chinesecalendar(session: Session) -> None:
    seed_from_chinesecalendar(session, actor=SYSTEM)
    cal = load_calendar(session)
    day = D("2024-01-01")
    while day <= D("2026-12-31"):
        assert cal.is_workday(day) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)
    assert cal.version.startswith(chinesecalendar_source() + "#")
    assert cal.add_working_days(D("2025-09-26"), 7).date == D("2025-10-13")


def test_seed_is_idempotent(session: Session) -> None:
    first = seed_from_chinesecalendar(session, actor=SYSTEM)
    version = load_calendar(session).version
    assert seed_from_chinesecalendar(session, actor=SYSTEM) == 0
    count = session.execute(select(func.count()).select_from(WorkingDayOverride)).scalar_one()
    assert count == first
    assert load_calendar(session).version == version
    assert _seed_events(session) == 1  # nothing changed, nothing to audit


def test_office_overrides_survive_reseeding(session: Session) -> None:
    seed_from_chinesecalendar(session, actor=SYSTEM)
    # The office makes 2025-10-08 a working day locally and names it differently.
    set_override(
        session,
        actor=ADMIN,
        day=D("2025-10-08"),
        is_workday=True,
        name="本地调整上班",
        notice_ref="厦府办〔2025〕1号",
    )
    assert seed_from_chinesecalendar(session, actor=SYSTEM) == 0
    row = session.get(WorkingDayOverride, D("2025-10-08"))
    assert row is not None and row.is_workday and row.source == "office"
    assert row.name == "本地调整上班" and row.notice_ref == "厦府办〔2025〕1号"
    assert load_calendar(session).is_workday(D("2025-10-08"))


def test_seed_repairs_rows_from_an_older_version(session: Session) -> None:
    seed_from_chinesecalendar(session, actor=SYSTEM)
    row = session.get(WorkingDayOverride, D("2025-01-28"))
    assert row is not None
    row.source, row.is_workday = "chinesecalendar 1.10.0", True
    stale = WorkingDayOverride(
        day=D("2025-03-03"),
        is_workday=False,
        name="旧数据",
        source="chinesecalendar 1.10.0",
        notice_ref=None,
        updated_at=row.updated_at,
    )
    session.add(stale)
    session.flush()
    assert seed_from_chinesecalendar(session, actor=SYSTEM) == 2
    assert session.get(WorkingDayOverride, D("2025-03-03")) is None
    repaired = session.get(WorkingDayOverride, D("2025-01-28"))
    assert repaired is not None and not repaired.is_workday
    event = (
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.action == "calendar.seed")
            .order_by(AuditEvent.seq.desc())
        )
        .scalars()
        .first()
    )
    assert event is not None and event.after is not None
    assert event.after["updated"] == 1 and event.after["removed"] == 1
