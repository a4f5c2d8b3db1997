"""Registering organisations: USCC checked, duplicates refused, admins only, audited."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from xinyong.accounts.service import create_organisation, get_organisation, list_organisations
from xinyong.actors import Actor
from xinyong.audit.service import events_for
from xinyong.errors import Conflict, Forbidden, NotFound, ValidationFailed

SYSTEM = Actor.system()
OFFICE_USCC = "91110000600037341L"
DEPT_USCC = "121200004013590816"


def test_system_registers_a_department_with_sector_and_district(session: Session) -> None:
    org = create_organisation(
        session,
        actor=SYSTEM,
        name=" 某市生态环境局 ",
        uscc=DEPT_USCC.lower(),
        kind="department",
        sector="生态环境",
        district="350200",
    )
    assert org.uscc == DEPT_USCC  # normalised by the code checker
    assert org.name == "某市生态环境局"
    assert (org.kind, org.sector, org.district, org.active) == (
        "department",
        "生态环境",
        "350200",
        True,
    )
    assert get_organisation(session, uscc=DEPT_USCC).id == org.id
    [event] = events_for(session, "organisation", org.id)
    assert event.action == "organisation.create"
    assert event.after == {
        "name": "某市生态环境局",
        "uscc": DEPT_USCC,
        "kind": "department",
        "sector": "生态环境",
        "district": "350200",
        "active": True,
    }


def test_invalid_uscc_names_the_field(session: Session) -> None:
    with pytest.raises(ValidationFailed) as info:
        create_organisation(
            session, actor=SYSTEM, name="某局", uscc="91110000600037341N", kind="department"
        )
    assert info.value.field == "uscc"
    assert info.value.problems and all(p.field == "uscc" for p in info.value.problems)
    assert "uscc" in info.value.message


def test_short_uscc_names_the_field(session: Session) -> None:
    with pytest.raises(ValidationFailed) as info:
        create_organisation(session, actor=SYSTEM, name="某局", uscc="12345", kind="department")
    assert info.value.field == "uscc"


def test_bad_kind_and_district_are_reported_together(session: Session) -> None:
    with pytest.raises(ValidationFailed) as info:
        create_organisation(
            session, actor=SYSTEM, name="某局", uscc=DEPT_USCC, kind="ministry", district="3502"
        )
    assert {p.field for p in info.value.problems} == {"kind", "district"}


def test_duplicate_uscc_is_a_conflict(session: Session) -> None:
    create_organisation(
        session, actor=SYSTEM, name="某市税务局", uscc=DEPT_USCC, kind="department", sector="税务"
    )
    with pytest.raises(Conflict) as info:
        create_organisation(session, actor=SYSTEM, name="另一局", uscc=DEPT_USCC, kind="department")
    assert info.value.field == "uscc"
    assert "某市税务局" in info.value.message


def test_only_one_credit_office(session: Session) -> None:
    create_organisation(session, actor=SYSTEM, name="某市信用办", uscc=OFFICE_USCC, kind="office")
    with pytest.raises(Conflict) as info:
        create_organisation(session, actor=SYSTEM, name="第二信用办", uscc=DEPT_USCC, kind="office")
    assert info.value.field == "kind"
    assert [o.uscc for o in list_organisations(session, kind="office")] == [OFFICE_USCC]


@pytest.mark.parametrize("roles", [{"office_staff"}, {"dept_reviewer"}, {"auditor"}])
def test_only_office_admin_or_system_may_register(session: Session, roles: set[str]) -> None:
    actor = Actor(kind="account", name="someone", roles=frozenset(roles))
    with pytest.raises(Forbidden) as info:
        create_organisation(session, actor=actor, name="某局", uscc=DEPT_USCC, kind="department")
    assert "信用办管理员" in info.value.message
    admin = Actor(kind="account", name="admin", roles=frozenset({"office_admin"}))
    org = create_organisation(session, actor=admin, name="某局", uscc=DEPT_USCC, kind="department")
    assert events_for(session, "organisation", org.id)[0].actor == "account:admin"


def test_unknown_organisation_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound) as info:
        get_organisation(session, uscc=DEPT_USCC, field="org_uscc")
    assert info.value.field == "org_uscc"
