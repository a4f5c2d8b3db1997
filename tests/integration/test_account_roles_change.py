"""Changing roles, deactivating accounts and setting passwords: rules and audit."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts.models import Account
from xinyong.accounts.service import (
    authenticate,
    create_account,
    create_organisation,
    deactivate_account,
    set_password,
    set_roles,
)
from xinyong.actors import Actor
from xinyong.audit.models import AuditEvent
from xinyong.audit.service import events_for
from xinyong.errors import Conflict, Forbidden, ValidationFailed

SYSTEM = Actor.system()
OFFICE_USCC = "91110000600037341L"
DEPT_USCC = "121200004013590816"
PASSWORD = "Xinyong-Pass-2026"


def _setup(session: Session) -> tuple[Actor, Account]:
    create_organisation(session, actor=SYSTEM, name="某市信用办", uscc=OFFICE_USCC, kind="office")
    create_organisation(
        session,
        actor=SYSTEM,
        name="某市市场监督管理局",
        uscc=DEPT_USCC,
        kind="department",
        sector="市场监管",
    )
    create_account(
        session,
        actor=SYSTEM,
        username="admin",
        password=PASSWORD,
        org_uscc=OFFICE_USCC,
        roles=["office_admin"],
        display_name="管理员",
    )
    reporter = create_account(
        session,
        actor=SYSTEM,
        username="zhangsan",
        password=PASSWORD,
        org_uscc=DEPT_USCC,
        roles=["dept_reporter"],
        display_name="张三",
    )
    return authenticate(session, username="admin", password=PASSWORD), reporter


def test_set_roles_is_audited_with_before_and_after(session: Session) -> None:
    admin, reporter = _setup(session)
    set_roles(session, actor=admin, username="zhangsan", roles=["dept_reviewer", "dept_reporter"])
    assert reporter.roles == ["dept_reporter", "dept_reviewer"]
    event = events_for(session, "account", reporter.id)[-1]
    assert event.action == "account.set_roles" and event.actor == "account:admin"
    assert event.before == {"roles": ["dept_reporter"]}
    assert event.after == {"roles": ["dept_reporter", "dept_reviewer"]}


def test_set_roles_refuses_roles_of_another_org_kind(session: Session) -> None:
    admin, reporter = _setup(session)
    with pytest.raises(ValidationFailed) as info:
        set_roles(session, actor=admin, username="zhangsan", roles=["office_staff"])
    assert info.value.field == "roles"
    assert reporter.roles == ["dept_reporter"]


def test_admin_cannot_drop_its_own_admin_role(session: Session) -> None:
    admin, _ = _setup(session)
    with pytest.raises(Conflict):
        set_roles(session, actor=admin, username="admin", roles=["auditor"])
    set_roles(session, actor=admin, username="admin", roles=["office_admin", "auditor"])


def test_non_admin_cannot_change_roles(session: Session) -> None:
    _, _ = _setup(session)
    reporter = authenticate(session, username="zhangsan", password=PASSWORD)
    with pytest.raises(Forbidden):
        set_roles(session, actor=reporter, username="zhangsan", roles=["dept_reviewer"])


def test_deactivate_account_is_audited_and_not_repeatable(session: Session) -> None:
    admin, reporter = _setup(session)
    deactivate_account(session, actor=admin, username="zhangsan", reason="调离本单位")
    assert reporter.active is False
    event = events_for(session, "account", reporter.id)[-1]
    assert (event.action, event.before, event.after, event.reason) == (
        "account.deactivate",
        {"active": True},
        {"active": False},
        "调离本单位",
    )
    with pytest.raises(Conflict):
        deactivate_account(session, actor=admin, username="zhangsan")
    with pytest.raises(Conflict):
        deactivate_account(session, actor=admin, username="admin")


def test_set_password_by_self_or_admin_only(session: Session) -> None:
    admin, reporter = _setup(session)
    me = authenticate(session, username="zhangsan", password=PASSWORD)
    set_password(session, actor=me, username="zhangsan", new_password="My-New-Pass-1")
    authenticate(session, username="zhangsan", password="My-New-Pass-1")
    set_password(session, actor=admin, username="zhangsan", new_password="Reset-By-Admin-2")
    authenticate(session, username="zhangsan", password="Reset-By-Admin-2")
    with pytest.raises(Forbidden):
        set_password(session, actor=me, username="admin", new_password="Hijack-Pass-3")
    with pytest.raises(ValidationFailed) as info:
        set_password(session, actor=me, username="zhangsan", new_password="short")
    assert info.value.field == "password"
    stored_hash = session.execute(
        select(Account.password_hash).where(Account.id == reporter.id)
    ).scalar_one()
    for row in session.execute(select(AuditEvent)).scalars():
        blob = orjson.dumps([row.before, row.after]).decode()
        for secret in ("My-New-Pass-1", "Reset-By-Admin-2", stored_hash, "$argon2"):
            assert secret not in blob
