"""Creating staff accounts: argon2 hash, policies, roles by org kind, audit without secrets."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts.models import Account, Organisation
from xinyong.accounts.service import create_account, create_organisation, list_accounts
from xinyong.actors import Actor
from xinyong.audit.models import AuditEvent
from xinyong.audit.service import events_for
from xinyong.errors import Conflict, Forbidden, NotFound, ValidationFailed

SYSTEM = Actor.system()
OFFICE_USCC = "91110000600037341L"
DEPT_USCC = "121200004013590816"
PASSWORD = "Xinyong-Pass-2026"


def _orgs(session: Session) -> tuple[Organisation, Organisation]:
    office = create_organisation(
        session, actor=SYSTEM, name="某市信用办", uscc=OFFICE_USCC, kind="office"
    )
    dept = create_organisation(
        session,
        actor=SYSTEM,
        name="某市市场监督管理局",
        uscc=DEPT_USCC,
        kind="department",
        sector="市场监管",
    )
    return office, dept


def test_account_is_created_with_an_argon2_hash(session: Session) -> None:
    _, dept = _orgs(session)
    account = create_account(
        session,
        actor=SYSTEM,
        username="ZhangSan",
        password=PASSWORD,
        org_uscc=DEPT_USCC,
        roles=["dept_reviewer", "dept_reporter"],
        display_name="张三",
    )
    session.expire_all()
    stored = session.execute(select(Account).where(Account.id == account.id)).scalar_one()
    assert stored.username == "zhangsan"
    assert stored.org_id == dept.id
    assert stored.roles == ["dept_reporter", "dept_reviewer"]
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    assert stored.active and stored.last_login_at is None
    assert [a.username for a in list_accounts(session, org_uscc=DEPT_USCC)] == ["zhangsan"]


def test_comma_separated_roles_are_accepted(session: Session) -> None:
    _orgs(session)
    account = create_account(
        session,
        actor=SYSTEM,
        username="admin",
        password=PASSWORD,
        org_uscc=OFFICE_USCC,
        roles="office_admin, auditor",
        display_name="管理员",
    )
    assert account.roles == ["auditor", "office_admin"]


def test_audit_event_holds_neither_password_nor_hash(session: Session) -> None:
    _orgs(session)
    account = create_account(
        session,
        actor=SYSTEM,
        username="lisi",
        password=PASSWORD,
        org_uscc=DEPT_USCC,
        roles=["dept_reporter"],
        display_name="李四",
    )
    [event] = events_for(session, "account", account.id)
    assert event.action == "account.create"
    assert event.after == {
        "username": "lisi",
        "display_name": "李四",
        "org_uscc": DEPT_USCC,
        "roles": ["dept_reporter"],
        "active": True,
    }
    for row in session.execute(select(AuditEvent)).scalars():
        blob = orjson.dumps([row.before, row.after, row.reason]).decode()
        assert PASSWORD not in blob
        assert account.password_hash not in blob
        assert "$argon2" not in blob


def test_office_role_refused_for_a_department_account(session: Session) -> None:
    _orgs(session)
    with pytest.raises(ValidationFailed) as info:
        create_account(
            session,
            actor=SYSTEM,
            username="wangwu",
            password=PASSWORD,
            org_uscc=DEPT_USCC,
            roles=["office_admin"],
            display_name="王五",
        )
    assert info.value.field == "roles"
    assert "信用办管理员" in info.value.problems[0].reason
    assert session.execute(select(Account)).first() is None


def test_department_role_refused_for_an_office_account(session: Session) -> None:
    _orgs(session)
    with pytest.raises(ValidationFailed) as info:
        create_account(
            session,
            actor=SYSTEM,
            username="wangwu",
            password=PASSWORD,
            org_uscc=OFFICE_USCC,
            roles=["dept_reporter"],
            display_name="王五",
        )
    assert info.value.field == "roles"


def test_policy_problems_name_their_fields(session: Session) -> None:
    _orgs(session)
    with pytest.raises(ValidationFailed) as info:
        create_account(
            session,
            actor=SYSTEM,
            username="9x",
            password="123456",
            org_uscc=DEPT_USCC,
            roles=["nobody"],
            display_name="",
        )
    fields = {p.field for p in info.value.problems}
    assert fields == {"username", "password", "display_name", "roles"}
    assert info.value.message.startswith("输入有误：username")


def test_password_equal_to_username_is_refused(session: Session) -> None:
    _orgs(session)
    with pytest.raises(ValidationFailed) as info:
        create_account(
            session,
            actor=SYSTEM,
            username="zhaoliu2026",
            password="ZhaoLiu2026",
            org_uscc=DEPT_USCC,
            roles=["dept_reporter"],
            display_name="赵六",
        )
    assert info.value.field == "password"
    assert info.value.problems[0].reason == "密码不能与用户名相同"


def test_duplicate_username_is_a_conflict(session: Session) -> None:
    _orgs(session)
    create_account(
        session,
        actor=SYSTEM,
        username="sunqi",
        password=PASSWORD,
        org_uscc=DEPT_USCC,
        roles=["dept_reporter"],
        display_name="孙七",
    )
    with pytest.raises(Conflict) as info:
        create_account(
            session,
            actor=SYSTEM,
            username="SunQi",
            password=PASSWORD,
            org_uscc=OFFICE_USCC,
            roles=["auditor"],
            display_name="孙七",
        )
    assert info.value.field == "username"


def test_unknown_organisation_names_org_uscc(session: Session) -> None:
    with pytest.raises(NotFound) as info:
        create_account(
            session,
            actor=SYSTEM,
            username="zhouba",
            password=PASSWORD,
            org_uscc=DEPT_USCC,
            roles=["dept_reporter"],
            display_name="周八",
        )
    assert info.value.field == "org_uscc"


def test_only_office_admin_creates_accounts(session: Session) -> None:
    _orgs(session)
    reviewer = Actor(
        kind="account", name="rev", org_uscc=DEPT_USCC, roles=frozenset({"dept_reviewer"})
    )
    with pytest.raises(Forbidden):
        create_account(
            session,
            actor=reviewer,
            username="zhouba",
            password=PASSWORD,
            org_uscc=DEPT_USCC,
            roles=["dept_reporter"],
            display_name="周八",
        )
