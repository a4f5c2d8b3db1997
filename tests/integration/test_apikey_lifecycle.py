"""API keys: create → authenticate → revoke → refused; HMAC lookup, throttled touch."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from xinyong.accounts.service import (
    api_key_hmac,
    authenticate_api_key,
    create_api_key,
    create_organisation,
    list_api_keys,
    revoke_api_key,
)
from xinyong.actors import Actor
from xinyong.audit.service import events_for
from xinyong.config import Settings
from xinyong.db import utcnow
from xinyong.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed

SYSTEM = Actor.system()
DEPT_USCC = "121200004013590816"
BANK_USCC = "9131012056010553X5"


def _dept(session: Session) -> None:
    create_organisation(
        session,
        actor=SYSTEM,
        name="某市市场监督管理局",
        uscc=DEPT_USCC,
        kind="department",
        sector="市场监管",
    )


def test_create_authenticate_revoke_refuse(session: Session, settings: Settings) -> None:
    _dept(session)
    key, plaintext = create_api_key(
        session, actor=SYSTEM, settings=settings, org_uscc=DEPT_USCC, label="双公示报送接口"
    )
    assert plaintext.startswith("xyk_") and len(plaintext) == 4 + 43
    assert key.prefix == plaintext[:12]
    assert key.key_hmac == api_key_hmac(settings, plaintext) and len(key.key_hmac) == 64
    assert key.created_by == "system:system" and key.revoked_at is None

    actor = authenticate_api_key(session, settings=settings, key=plaintext)
    assert actor == Actor(
        kind="apikey",
        name="某市市场监督管理局/双公示报送接口",
        id=key.id,
        org_id=key.org_id,
        org_uscc=DEPT_USCC,
        roles=frozenset({"dept_reporter"}),
    )

    revoke_api_key(session, actor=SYSTEM, key_id=str(key.id))
    assert key.revoked_at is not None
    with pytest.raises(Unauthenticated) as info:
        authenticate_api_key(session, settings=settings, key=plaintext)
    assert info.value.message == "API 密钥已吊销"
    with pytest.raises(Conflict):
        revoke_api_key(session, actor=SYSTEM, key_id=key.id)
    assert [e.action for e in events_for(session, "api_key", key.id)] == [
        "apikey.create",
        "apikey.revoke",
    ]


def test_unknown_and_malformed_keys_are_refused(session: Session, settings: Settings) -> None:
    _dept(session)
    _, plaintext = create_api_key(
        session, actor=SYSTEM, settings=settings, org_uscc=DEPT_USCC, label="接口"
    )
    for bad in (
        plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B"),
        plaintext[4:],
        "xyk_" + "a" * 200,
        "",
    ):
        with pytest.raises(Unauthenticated) as info:
            authenticate_api_key(session, settings=settings, key=bad)
        assert info.value.message == "API 密钥无效"


def test_key_from_another_secret_is_refused(session: Session, settings: Settings) -> None:
    _dept(session)
    _, plaintext = create_api_key(
        session, actor=SYSTEM, settings=settings, org_uscc=DEPT_USCC, label="接口"
    )
    other = settings.model_copy(update={"secret_key": "rotated-secret-0123456789abcdefgh"})
    with pytest.raises(Unauthenticated):
        authenticate_api_key(session, settings=other, key=plaintext)


def test_key_of_an_inactive_organisation_is_refused(session: Session, settings: Settings) -> None:
    _dept(session)
    key, plaintext = create_api_key(
        session, actor=SYSTEM, settings=settings, org_uscc=DEPT_USCC, label="接口"
    )
    key.organisation.active = False
    session.flush()
    with pytest.raises(Unauthenticated) as info:
        authenticate_api_key(session, settings=settings, key=plaintext)
    assert "已停用" in info.value.message


def test_bank_key_carries_no_reporting_role(session: Session, settings: Settings) -> None:
    create_organisation(session, actor=SYSTEM, name="某商业银行", uscc=BANK_USCC, kind="bank")
    _, plaintext = create_api_key(
        session, actor=SYSTEM, settings=settings, org_uscc=BANK_USCC, label="贷前核查"
    )
    actor = authenticate_api_key(session, settings=settings, key=plaintext)
    assert actor.roles == frozenset() and actor.org_uscc == BANK_USCC


def test_last_used_is_written_at_most_once_a_minute(session: Session, settings: Settings) -> None:
    _dept(session)
    key, plaintext = create_api_key(
        session, actor=SYSTEM, settings=settings, org_uscc=DEPT_USCC, label="接口"
    )
    t0 = utcnow()
    authenticate_api_key(session, settings=settings, key=plaintext, now=t0)
    assert key.last_used_at == t0
    authenticate_api_key(
        session, settings=settings, key=plaintext, now=t0 + dt.timedelta(seconds=59)
    )
    assert key.last_used_at == t0
    later = t0 + dt.timedelta(seconds=61)
    authenticate_api_key(session, settings=settings, key=plaintext, now=later)
    assert key.last_used_at == later
    # Bookkeeping only: no audit event per use.
    assert [e.action for e in events_for(session, "api_key", key.id)] == ["apikey.create"]


def test_only_office_admin_manages_keys(session: Session, settings: Settings) -> None:
    _dept(session)
    reviewer = Actor(
        kind="account", name="rev", org_uscc=DEPT_USCC, roles=frozenset({"dept_reviewer"})
    )
    with pytest.raises(Forbidden):
        create_api_key(session, actor=reviewer, settings=settings, org_uscc=DEPT_USCC, label="接口")
    key, _ = create_api_key(
        session, actor=SYSTEM, settings=settings, org_uscc=DEPT_USCC, label="接口"
    )
    with pytest.raises(Forbidden):
        revoke_api_key(session, actor=reviewer, key_id=key.id)


def test_list_keys_of_an_org(session: Session, settings: Settings) -> None:
    _dept(session)
    first, _ = create_api_key(
        session, actor=SYSTEM, settings=settings, org_uscc=DEPT_USCC, label="一号"
    )
    second, _ = create_api_key(
        session, actor=SYSTEM, settings=settings, org_uscc=DEPT_USCC, label="二号"
    )
    revoke_api_key(session, actor=SYSTEM, key_id=first.id)
    keys = list_api_keys(session, org_uscc=DEPT_USCC)
    assert {k.label for k in keys} == {"一号", "二号"}
    assert {k.id for k in keys if k.revoked_at is None} == {second.id}


def test_bad_label_unknown_org_and_unknown_key(session: Session, settings: Settings) -> None:
    _dept(session)
    with pytest.raises(ValidationFailed) as info:
        create_api_key(session, actor=SYSTEM, settings=settings, org_uscc=DEPT_USCC, label=" ")
    assert info.value.field == "label"
    with pytest.raises(NotFound) as missing:
        create_api_key(session, actor=SYSTEM, settings=settings, org_uscc=BANK_USCC, label="接口")
    assert missing.value.field == "org_uscc"
    for key_id in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(NotFound):
            revoke_api_key(session, actor=SYSTEM, key_id=key_id)
