"""The office enters the State Council holiday notice: overrides and covered years."""

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from xinyong.actors import Actor
from xinyong.audit.service import events_for
from xinyong.errors import Forbidden, ValidationFailed
from xinyong.workdays.models import CalendarYear
from xinyong.workdays.service import (
    declare_year,
    load_calendar,
    seed_from_chinesecalendar,
    set_override,
    uncovered_years_ahead,
)

D = dt.date.fromisoformat
SYSTEM = Actor.system("init")
ADMIN = Actor(kind="account", name="wang", roles=frozenset({"office_admin"}))
CLERK = Actor(kind="account", name="li", roles=frozenset({"office_staff"}))
NOTICE_2027 = "国办发明电〔2026〕9号"


def test_deadline_into_2027_is_provisional_until_the_notice_is_entered(session: Session) -> None:
    seed_from_chinesecalendar(session, actor=SYSTEM)
    before = load_calendar(session).add_working_days(D("2026-12-28"), 7)
    assert before.provisional and before.missing_years == (2027,)
    assert before.date == D("2027-01-06")

    set_override(
        session,
        actor=ADMIN,
        day=D("2027-01-01"),
        is_workday=False,
        name="元旦",
        notice_ref=NOTICE_2027,
    )
    still = load_calendar(session).add_working_days(D("2026-12-28"), 7)
    assert still.provisional and still.date == D("2027-01-07")

    declare_year(session, actor=ADMIN, year=2027, notice_ref=NOTICE_2027)
    after = load_calendar(session).add_working_days(D("2026-12-28"), 7)
    assert not after.provisional and after.missing_years == ()
    assert after.date == D("2027-01-07")
    assert after.calendar_version != before.calendar_version
    assert "office" in after.calendar_version


def test_set_override_is_audited_with_before_and_after(session: Session) -> None:
    seed_from_chinesecalendar(session, actor=SYSTEM)
    row = set_override(
        session,
        actor=ADMIN,
        day=D("2026-10-10"),
        is_workday=False,
        name=" 本地休息 ",
        notice_ref="  ",
    )
    assert row.name == "本地休息" and row.notice_ref is None and row.source == "office"
    events = events_for(session, "working_day_override", "2026-10-10")
    assert len(events) == 1
    assert events[0].actor == "account:wang"
    assert events[0].before is not None and events[0].before["is_workday"] is True
    assert events[0].before["source"].startswith("chinesecalendar")
    assert events[0].after is not None and events[0].after["is_workday"] is False


def test_only_office_admins_change_the_calendar(session: Session) -> None:
    with pytest.raises(Forbidden) as exc:
        set_override(
            session,
            actor=CLERK,
            day=D("2027-01-01"),
            is_workday=False,
            name="元旦",
            notice_ref=None,
        )
    assert "office_admin" in exc.value.message
    with pytest.raises(Forbidden):
        declare_year(session, actor=CLERK, year=2027, notice_ref=NOTICE_2027)
    with pytest.raises(Forbidden):
        seed_from_chinesecalendar(session, actor=CLERK)


def test_declare_year_needs_a_notice_and_entered_days(session: Session) -> None:
    with pytest.raises(ValidationFailed) as exc:
        declare_year(session, actor=ADMIN, year=2027, notice_ref=" ")
    assert exc.value.field == "notice_ref"
    with pytest.raises(ValidationFailed) as exc:
        declare_year(session, actor=ADMIN, year=2027, notice_ref=NOTICE_2027)
    assert exc.value.field == "year" and "尚未录入" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        declare_year(session, actor=ADMIN, year=1990, notice_ref=NOTICE_2027)
    assert exc.value.field == "year"
    assert session.get(CalendarYear, 2027) is None


def test_declare_year_is_audited(session: Session) -> None:
    set_override(
        session,
        actor=ADMIN,
        day=D("2027-02-08"),
        is_workday=False,
        name="春节",
        notice_ref=NOTICE_2027,
    )
    year = declare_year(session, actor=ADMIN, year=2027, notice_ref=NOTICE_2027)
    assert year.source == "office" and year.notice_ref == NOTICE_2027
    events = events_for(session, "calendar_year", "2027")
    assert len(events) == 1 and events[0].legal_basis == NOTICE_2027
    assert events[0].before is None and events[0].after == {
        "year": 2027,
        "source": "office",
        "notice_ref": NOTICE_2027,
    }


def test_uncovered_years_ahead_warns_the_office(session: Session) -> None:
    seed_from_chinesecalendar(session, actor=SYSTEM)
    assert uncovered_years_ahead(session, D("2026-11-24")) == [2027]
    assert uncovered_years_ahead(session, D("2026-06-01")) == []
    set_override(
        session,
        actor=ADMIN,
        day=D("2027-01-01"),
        is_workday=False,
        name="元旦",
        notice_ref=NOTICE_2027,
    )
    declare_year(session, actor=ADMIN, year=2027, notice_ref=NOTICE_2027)
    assert uncovered_years_ahead(session, D("2026-11-24")) == []
    assert uncovered_years_ahead(session, D("2027-12-01")) == [2028]
