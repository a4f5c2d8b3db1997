"""Web session tokens: HS256 round trip, expiry, tampering, reload from the database."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest
from sqlalchemy.orm import Session

from xinyong.accounts.service import (
    SESSION_AUDIENCE,
    _session_key,
    actor_from_session_token,
    authenticate,
    create_account,
    create_organisation,
    deactivate_account,
    issue_session_token,
    set_password,
    set_roles,
)
from xinyong.actors import Actor
from xinyong.config import Settings
from xinyong.db import utcnow
from xinyong.errors import Forbidden, Unauthenticated

SYSTEM = Actor.system()
DEPT_USCC = "121200004013590816"
PASSWORD = "Xinyong-Pass-2026"


def _login(session: Session) -> Actor:
    create_organisation(
        session,
        actor=SYSTEM,
        name="某市生态环境局",
        uscc=DEPT_USCC,
        kind="department",
        sector="生态环境",
    )
    create_account(
        session,
        actor=SYSTEM,
        username="zhangsan",
        password=PASSWORD,
        org_uscc=DEPT_USCC,
        roles=["dept_reporter"],
        display_name="张三",
    )
    return authenticate(session, username="zhangsan", password=PASSWORD)


def test_token_round_trip(session: Session, settings: Settings) -> None:
    actor = _login(session)
    now = utcnow()
    token = issue_session_token(settings, actor, now=now)
    assert actor_from_session_token(session, settings=settings, token=token) == actor
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "HS256"
    assert claims["sub"] == str(actor.id) and claims["ver"] == 1
    assert claims["aud"] == SESSION_AUDIENCE
    assert claims["exp"] == int((now + dt.timedelta(hours=settings.session_hours)).timestamp())


def test_token_within_its_lifetime_is_accepted(session: Session, settings: Settings) -> None:
    actor = _login(session)
    issued = utcnow() - dt.timedelta(hours=settings.session_hours) + dt.timedelta(minutes=5)
    token = issue_session_token(settings, actor, now=issued)
    assert actor_from_session_token(session, settings=settings, token=token).id == actor.id


def test_expired_token_is_refused(session: Session, settings: Settings) -> None:
    actor = _login(session)
    issued = utcnow() - dt.timedelta(hours=settings.session_hours, minutes=1)
    token = issue_session_token(settings, actor, now=issued)
    with pytest.raises(Unauthenticated) as info:
        actor_from_session_token(session, settings=settings, token=token)
    assert info.value.message == "登录已过期，请重新登录"


def test_tampered_and_foreign_tokens_are_refused(session: Session, settings: Settings) -> None:
    actor = _login(session)
    good = issue_session_token(settings, actor)
    claims = jwt.decode(good, options={"verify_signature": False})
    forged = [
        good[:-2] + ("AA" if good[-2:] != "AA" else "BB"),
        jwt.encode(claims, "", algorithm="none"),
        # Signed with the raw secret rather than the derived session key.
        jwt.encode(claims, settings.secret_key, algorithm="HS256"),
        # Right key, but an unknown token version or no audience.
        jwt.encode({**claims, "ver": 99}, _session_key(settings), algorithm="HS256"),
        jwt.encode(
            {k: v for k, v in claims.items() if k != "aud"},
            _session_key(settings),
            algorithm="HS256",
        ),
        jwt.encode({**claims, "sub": "zhangsan"}, _session_key(settings), algorithm="HS256"),
        "not-a-token",
    ]
    other = settings.model_copy(update={"secret_key": "another-secret-0123456789abcdefgh"})
    forged.append(issue_session_token(other, actor))
    for token in forged:
        with pytest.raises(Unauthenticated) as info:
            actor_from_session_token(session, settings=settings, token=token)
        assert info.value.message == "登录凭证无效，请重新登录"


def test_deactivation_takes_effect_on_existing_tokens(session: Session, settings: Settings) -> None:
    actor = _login(session)
    token = issue_session_token(settings, actor)
    deactivate_account(session, actor=SYSTEM, username="zhangsan")
    with pytest.raises(Unauthenticated):
        actor_from_session_token(session, settings=settings, token=token)


def test_role_change_takes_effect_on_existing_tokens(session: Session, settings: Settings) -> None:
    actor = _login(session)
    token = issue_session_token(settings, actor)
    set_roles(session, actor=SYSTEM, username="zhangsan", roles=["dept_reviewer"])
    reloaded = actor_from_session_token(session, settings=settings, token=token)
    assert reloaded.roles == {"dept_reviewer"}


def test_password_change_ends_earlier_sessions(session: Session, settings: Settings) -> None:
    actor = _login(session)
    old = issue_session_token(settings, actor, now=utcnow() - dt.timedelta(seconds=1))
    set_password(session, actor=actor, username="zhangsan", new_password="Another-Pass-99")
    with pytest.raises(Unauthenticated) as info:
        actor_from_session_token(session, settings=settings, token=old)
    assert info.value.message == "密码已更改，请重新登录"
    fresh = authenticate(session, username="zhangsan", password="Another-Pass-99")
    token = issue_session_token(settings, fresh)
    assert actor_from_session_token(session, settings=settings, token=token).id == actor.id


def test_only_accounts_get_session_tokens(pure_settings: Settings) -> None:
    with pytest.raises(Forbidden):
        issue_session_token(pure_settings, SYSTEM)
