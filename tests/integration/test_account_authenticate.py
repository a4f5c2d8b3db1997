"""Password login: argon2 verification, equal cost for unknown users, inactive refused."""

from __future__ import annotations

from typing import Any

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy.orm import Session

from xinyong.accounts import service
from xinyong.accounts.models import Account
from xinyong.accounts.service import (
    authenticate,
    create_account,
    create_organisation,
    deactivate_account,
)
from xinyong.actors import Actor
from xinyong.audit.service import events_for
from xinyong.errors import Unauthenticated

SYSTEM = Actor.system()
DEPT_USCC = "121200004013590816"
PASSWORD = "Xinyong-Pass-2026"


def _account(session: Session) -> Account:
    create_organisation(
        session, actor=SYSTEM, name="某市税务局", uscc=DEPT_USCC, kind="department", sector="税务"
    )
    return create_account(
        session,
        actor=SYSTEM,
        username="zhangsan",
        password=PASSWORD,
        org_uscc=DEPT_USCC,
        roles=["dept_reporter"],
        display_name="张三",
    )


def test_right_password_gives_the_accounts_actor(session: Session) -> None:
    account = _account(session)
    actor = authenticate(session, username=" ZhangSan ", password=PASSWORD)
    assert actor == Actor(
        kind="account",
        name="zhangsan",
        id=account.id,
        org_id=account.org_id,
        org_uscc=DEPT_USCC,
        roles=frozenset({"dept_reporter"}),
    )
    assert account.last_login_at is not None
    login = events_for(session, "account", account.id)[-1]
    assert login.action == "account.login" and login.actor == "account:zhangsan"
    assert set(login.after or {}) == {"last_login_at"}


def test_wrong_password_is_refused(session: Session) -> None:
    account = _account(session)
    with pytest.raises(Unauthenticated) as info:
        authenticate(session, username="zhangsan", password=PASSWORD + "x")
    assert info.value.message == "用户名或密码错误"
    assert account.last_login_at is None


def test_unknown_user_is_refused_after_verifying_a_dummy_hash(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _account(session)
    verified: list[str] = []
    real_verify = service._passwords.verify

    def spy(password: str | bytes, hash: str | bytes) -> bool:
        verified.append(str(hash))
        return real_verify(password, hash)

    monkeypatch.setattr(service._passwords, "verify", spy)
    with pytest.raises(Unauthenticated) as info:
        authenticate(session, username="nobody", password=PASSWORD)
    assert info.value.message == "用户名或密码错误"
    assert len(verified) == 1 and verified[0].startswith("$argon2id$")


def test_inactive_account_is_refused(session: Session) -> None:
    _account(session)
    deactivate_account(session, actor=SYSTEM, username="zhangsan", reason="调离")
    with pytest.raises(Unauthenticated) as info:
        authenticate(session, username="zhangsan", password=PASSWORD)
    assert "已停用" in info.value.message
    # A wrong password on an inactive account says no more than for anyone else.
    with pytest.raises(Unauthenticated) as wrong:
        authenticate(session, username="zhangsan", password="not-the-password")
    assert wrong.value.message == "用户名或密码错误"


def test_account_of_an_inactive_organisation_is_refused(session: Session) -> None:
    account = _account(session)
    account.organisation.active = False
    session.flush()
    with pytest.raises(Unauthenticated):
        authenticate(session, username="zhangsan", password=PASSWORD)


def test_outdated_hash_is_replaced_on_login(session: Session) -> None:
    account = _account(session)
    weak = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8192),))
    account.password_hash = weak.hash(PASSWORD)
    session.flush()
    old_hash = account.password_hash
    authenticate(session, username="zhangsan", password=PASSWORD)
    assert account.password_hash != old_hash
    assert service._passwords.verify(PASSWORD, account.password_hash)
    after: dict[str, Any] = events_for(session, "account", account.id)[-1].after or {}
    assert after["password_rehashed"] is True
    assert old_hash not in str(after) and account.password_hash not in str(after)


def test_corrupt_stored_hash_is_a_failed_login(session: Session) -> None:
    account = _account(session)
    account.password_hash = "not-a-hash"
    session.flush()
    with pytest.raises(Unauthenticated):
        authenticate(session, username="zhangsan", password=PASSWORD)
