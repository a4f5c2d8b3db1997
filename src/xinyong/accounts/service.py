"""Use cases of accounts and access control.

Organisations, staff accounts (argon2 passwords via pwdlib), API keys (stored as
``HMAC-SHA256(secret_key, key)`` so a screening call costs one indexed lookup, never
an argon2 verification; STACK.md §7) and web session tokens (PyJWT, HS256 only).

Every change writes an audit event in the caller's transaction. No password, hash,
HMAC or key ever goes into an audit event; API keys are recorded by their prefix.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable
from typing import Any

import jwt
from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xinyong.accounts.models import Account, ApiKey, Organisation
from xinyong.accounts.roles import API_KEY_ROLES_BY_ORG_KIND, OFFICE, OFFICE_ADMIN
from xinyong.accounts.rules import (
    PASSWORD_MAX,
    check_api_key_label,
    check_display_name,
    check_organisation_fields,
    check_password,
    check_roles,
    check_username,
    normalise_uscc,
    normalise_username,
    require_role,
)
from xinyong.actors import Actor
from xinyong.audit.service import record_event
from xinyong.codes.service import check_code_with_exceptions
from xinyong.config import Settings
from xinyong.db import utcnow
from xinyong.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Problem,
    Unauthenticated,
    ValidationFailed,
)

API_KEY_PREFIX = "xyk_"
API_KEY_SHOWN_CHARS = 12  # ApiKey.prefix: "xyk_" and 8 random characters
API_KEY_MAX_LEN = 128  # longer input cannot be a key; refuse before hashing
API_KEY_TOUCH_INTERVAL = dt.timedelta(minutes=1)

SESSION_TOKEN_VERSION = 1  # bump to invalidate every issued session token
SESSION_AUDIENCE = "xinyong:session"
_SESSION_ALGORITHM = "HS256"

BAD_CREDENTIALS = "用户名或密码错误"

_passwords = PasswordHash.recommended()


@functools.cache
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so that an unknown user costs
    # the same argon2 time as a wrong password and usernames cannot be probed.
    return _passwords.hash(secrets.token_urlsafe(16))


# -- organisations -----------------------------------------------------------


def _org_view(org: Organisation) -> dict[str, Any]:
    return {
        "name": org.name,
        "uscc": org.uscc,
        "kind": org.kind,
        "sector": org.sector,
        "district": org.district,
        "active": org.active,
    }


def _flush_unique(session: Session, conflict: Conflict) -> None:
    """Flush; a unique-constraint race with another transaction becomes ``conflict``."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise conflict from exc


def create_organisation(
    session: Session,
    *,
    actor: Actor,
    name: str,
    uscc: str,
    kind: str,
    sector: str | None = None,
    district: str | None = None,
) -> Organisation:
    """Register an organisation with a valid, unused USCC (office admin or system only).

    At most one organisation may be the credit office.
    """
    require_role(actor, OFFICE_ADMIN)
    # Legacy pilot codes registered as exceptions are accepted, as everywhere else.
    check = check_code_with_exceptions(session, uscc, "uscc")
    problems: list[Problem] = []
    if not check.valid:
        # Re-address the code checker's problems to this input's field.
        problems += [Problem("uscc", p.reason, p.reason_en, p.level) for p in check.errors] or [
            Problem("uscc", "统一社会信用代码无效", "invalid USCC")
        ]
    problems += check_organisation_fields(name=name, kind=kind, sector=sector, district=district)
    if problems:
        raise ValidationFailed.from_problems(problems)
    code = check.code
    existing = session.execute(
        select(Organisation).where(Organisation.uscc == code)
    ).scalar_one_or_none()
    if existing is not None:
        raise Conflict(
            f"统一社会信用代码 {code} 已登记为单位“{existing.name}”",
            f"an organisation with USCC {code} already exists",
            field="uscc",
        )
    if kind == OFFICE:
        office = session.execute(
            select(Organisation).where(Organisation.kind == OFFICE)
        ).scalar_one_or_none()
        if office is not None:
            raise Conflict(
                f"信用办已登记为单位“{office.name}”（{office.uscc}），平台只能有一个信用办",
                f"the credit office is already registered ({office.uscc})",
                field="kind",
            )
    org = Organisation(
        name=name.strip(),
        uscc=code,
        kind=kind,
        sector=sector.strip() if sector else None,
        district=district.strip() if district else None,
        active=True,
    )
    session.add(org)
    _flush_unique(
        session,
        Conflict(
            f"统一社会信用代码 {code} 已登记",
            f"an organisation with USCC {code} already exists",
            field="uscc",
        ),
    )
    record_event(
        session,
        actor=actor,
        action="organisation.create",
        entity_type="organisation",
        entity_id=org.id,
        after=_org_view(org),
    )
    return org


def get_organisation(session: Session, *, uscc: str, field: str = "uscc") -> Organisation:
    """The organisation with ``uscc``; NotFound naming ``field`` otherwise."""
    code = normalise_uscc(uscc)
    org = session.execute(
        select(Organisation).where(Organisation.uscc == code)
    ).scalar_one_or_none()
    if org is None:
        raise NotFound(
            f"未找到统一社会信用代码为 {code} 的单位",
            f"no organisation with USCC {code}",
            field=field,
        )
    return org


def list_organisations(session: Session, *, kind: str | None = None) -> list[Organisation]:
    """Organisations by name, optionally of one kind."""
    query = select(Organisation).order_by(Organisation.name)
    if kind is not None:
        query = query.where(Organisation.kind == kind)
    return list(session.execute(query).scalars())


def _active_org(session: Session, uscc: str, *, field: str) -> Organisation:
    org = get_organisation(session, uscc=uscc, field=field)
    if not org.active:
        raise ValidationFailed.one(
            field, f"单位“{org.name}”已停用", f"organisation {org.uscc} is inactive"
        )
    return org


# -- accounts ----------------------------------------------------------------


def _role_list(roles: Iterable[str] | str) -> list[str]:
    # A CLI passes "office_admin,auditor"; never iterate a string character by character.
    items = roles.split(",") if isinstance(roles, str) else list(roles)
    return sorted({r.strip() for r in items if r.strip()})


def _account_view(account: Account, org: Organisation) -> dict[str, Any]:
    return {
        "username": account.username,
        "display_name": account.display_name,
        "org_uscc": org.uscc,
        "roles": list(account.roles),
        "active": account.active,
    }


def create_account(
    session: Session,
    *,
    actor: Actor,
    username: str,
    password: str,
    org_uscc: str,
    roles: Iterable[str] | str,
    display_name: str,
) -> Account:
    """Create a staff account with an argon2-hashed password and roles allowed for its
    organisation's kind (office admin or system only)."""
    require_role(actor, OFFICE_ADMIN)
    org = _active_org(session, org_uscc, field="org_uscc")
    uname = normalise_username(username)
    role_list = _role_list(roles)
    problems = (
        check_username(uname)
        + check_password(password, username=uname)
        + check_display_name(display_name)
        + check_roles(role_list, org_kind=org.kind)
    )
    if problems:
        raise ValidationFailed.from_problems(problems)
    duplicate = Conflict(f"用户名 {uname} 已被使用", f"username {uname} is taken", field="username")
    if session.execute(select(Account.id).where(Account.username == uname)).first():
        raise duplicate
    account = Account(
        username=uname,
        display_name=display_name.strip(),
        password_hash=_passwords.hash(password),
        org_id=org.id,
        roles=role_list,
        active=True,
    )
    session.add(account)
    _flush_unique(session, duplicate)
    record_event(
        session,
        actor=actor,
        action="account.create",
        entity_type="account",
        entity_id=account.id,
        after=_account_view(account, org),
    )
    return account


def get_account(session: Session, *, username: str) -> Account:
    """The account named ``username``; NotFound otherwise."""
    uname = normalise_username(username)
    account = session.execute(select(Account).where(Account.username == uname)).scalar_one_or_none()
    if account is None:
        raise NotFound(f"未找到用户 {uname}", f"no account {uname}", field="username")
    return account


def list_accounts(session: Session, *, org_uscc: str | None = None) -> list[Account]:
    """Accounts by username, optionally of one organisation."""
    query = select(Account).order_by(Account.username)
    if org_uscc is not None:
        org = get_organisation(session, uscc=org_uscc, field="org_uscc")
        query = query.where(Account.org_id == org.id)
    return list(session.execute(query).scalars())


def _account_actor(account: Account) -> Actor:
    return Actor(
        kind="account",
        name=account.username,
        id=account.id,
        org_id=account.org_id,
        org_uscc=account.organisation.uscc,
        roles=frozenset(account.roles),
    )


def authenticate(session: Session, *, username: str, password: str) -> Actor:
    """The actor of the account whose password matches; Unauthenticated otherwise.

    Unknown users cost the same argon2 time as wrong passwords. A hash made with
    outdated parameters is replaced on success.
    """
    uname = normalise_username(username)
    account = session.execute(select(Account).where(Account.username == uname)).scalar_one_or_none()
    if account is None or len(password) > PASSWORD_MAX:
        _passwords.verify(password[:PASSWORD_MAX], _dummy_hash())
        raise Unauthenticated(BAD_CREDENTIALS, "bad username or password")
    try:
        ok, new_hash = _passwords.verify_and_update(password, account.password_hash)
    except UnknownHashError:
        ok, new_hash = False, None
    if not ok:
        raise Unauthenticated(BAD_CREDENTIALS, "bad username or password")
    # Said only to someone who knows the password, so it reveals nothing to a prober.
    if not account.active or not account.organisation.active:
        raise Unauthenticated(
            "账号已停用，请联系信用办管理员", f"account {uname} or its organisation is inactive"
        )
    now = utcnow()
    account.last_login_at = now
    after: dict[str, Any] = {"last_login_at": now}
    if new_hash is not None:
        account.password_hash = new_hash
        after["password_rehashed"] = True
    session.flush()
    actor = _account_actor(account)
    record_event(
        session,
        actor=actor,
        action="account.login",
        entity_type="account",
        entity_id=account.id,
        after=after,
    )
    return actor


def deactivate_account(
    session: Session, *, actor: Actor, username: str, reason: str | None = None
) -> Account:
    """Deactivate an account: it can no longer log in and its sessions stop working
    (office admin or system only; not one's own account)."""
    require_role(actor, OFFICE_ADMIN)
    account = get_account(session, username=username)
    if actor.kind == "account" and actor.id == account.id:
        raise Conflict(
            "不能停用自己的账号", "an account cannot deactivate itself", field="username"
        )
    if not account.active:
        raise Conflict(
            f"账号 {account.username} 已停用",
            f"account {account.username} is already inactive",
            field="username",
        )
    account.active = False
    session.flush()
    record_event(
        session,
        actor=actor,
        action="account.deactivate",
        entity_type="account",
        entity_id=account.id,
        before={"active": True},
        after={"active": False},
        reason=reason,
    )
    return account


def set_roles(
    session: Session, *, actor: Actor, username: str, roles: Iterable[str] | str
) -> Account:
    """Replace an account's roles with ones allowed for its organisation's kind
    (office admin or system only); audited with the roles before and after."""
    require_role(actor, OFFICE_ADMIN)
    account = get_account(session, username=username)
    role_list = _role_list(roles)
    problems = check_roles(role_list, org_kind=account.organisation.kind)
    if problems:
        raise ValidationFailed.from_problems(problems)
    if (
        actor.kind == "account"
        and actor.id == account.id
        and OFFICE_ADMIN in account.roles
        and OFFICE_ADMIN not in role_list
    ):
        # Otherwise the last admin could lock everyone out of account management.
        raise Conflict(
            "不能取消自己的信用办管理员角色",
            "an office admin cannot remove its own office_admin role",
            field="roles",
        )
    before = sorted(account.roles)
    account.roles = role_list
    session.flush()
    record_event(
        session,
        actor=actor,
        action="account.set_roles",
        entity_type="account",
        entity_id=account.id,
        before={"roles": before},
        after={"roles": role_list},
    )
    return account


def set_password(session: Session, *, actor: Actor, username: str, new_password: str) -> Account:
    """Set a new password (office admin, system, or the account itself); every session
    token issued before now stops working."""
    account = get_account(session, username=username)
    if not (actor.kind == "account" and actor.id == account.id):
        require_role(actor, OFFICE_ADMIN)
    problems = check_password(new_password, username=account.username)
    if problems:
        raise ValidationFailed.from_problems(problems)
    now = utcnow()
    account.password_hash = _passwords.hash(new_password)
    account.sessions_valid_after = now
    session.flush()
    record_event(
        session,
        actor=actor,
        action="account.set_password",
        entity_type="account",
        entity_id=account.id,
        after={"sessions_valid_after": now},
    )
    return account


# -- API keys ----------------------------------------------------------------


def api_key_hmac(settings: Settings, key: str) -> str:
    """``HMAC-SHA256(secret_key, key)`` as hex: what is stored and looked up."""
    return hmac.new(settings.secret_key.encode(), key.encode(), hashlib.sha256).hexdigest()


def _api_key_view(key: ApiKey, org: Organisation) -> dict[str, Any]:
    return {"org_uscc": org.uscc, "label": key.label, "prefix": key.prefix}


def create_api_key(
    session: Session, *, actor: Actor, settings: Settings, org_uscc: str, label: str
) -> tuple[ApiKey, str]:
    """Create an API key for an organisation (office admin or system only).

    Returns the stored row and the plaintext key, which is shown once and kept nowhere.
    """
    require_role(actor, OFFICE_ADMIN)
    org = _active_org(session, org_uscc, field="org_uscc")
    problems = check_api_key_label(label)
    if problems:
        raise ValidationFailed.from_problems(problems)
    plaintext = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        org_id=org.id,
        label=label.strip(),
        prefix=plaintext[:API_KEY_SHOWN_CHARS],
        key_hmac=api_key_hmac(settings, plaintext),
        created_at=utcnow(),
        created_by=actor.label,
    )
    session.add(key)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="apikey.create",
        entity_type="api_key",
        entity_id=key.id,
        after=_api_key_view(key, org),
    )
    return key, plaintext


def authenticate_api_key(
    session: Session, *, settings: Settings, key: str, now: dt.datetime | None = None
) -> Actor:
    """The actor of a valid, unrevoked key of an active organisation; Unauthenticated
    otherwise. ``last_used_at`` is written at most once a minute per key."""
    invalid = Unauthenticated("API 密钥无效", "unknown or malformed API key")
    key = key.strip()
    if not key.startswith(API_KEY_PREFIX) or len(key) > API_KEY_MAX_LEN:
        raise invalid
    digest = api_key_hmac(settings, key)
    row = session.execute(select(ApiKey).where(ApiKey.key_hmac == digest)).scalar_one_or_none()
    if row is None or not hmac.compare_digest(row.key_hmac, digest):
        raise invalid
    if row.revoked_at is not None:
        raise Unauthenticated("API 密钥已吊销", f"API key {row.prefix}… is revoked")
    org = row.organisation
    if not org.active:
        raise Unauthenticated(
            f"API 密钥所属单位“{org.name}”已停用", f"organisation {org.uscc} is inactive"
        )
    now = now or utcnow()
    # Bookkeeping, not a change of state: not audited, and throttled so that a busy
    # screening client does not write a row on every call.
    if row.last_used_at is None or now - row.last_used_at >= API_KEY_TOUCH_INTERVAL:
        row.last_used_at = now
        session.flush()
    return Actor(
        kind="apikey",
        name=f"{org.name}/{row.label}",
        id=row.id,
        org_id=org.id,
        org_uscc=org.uscc,
        roles=API_KEY_ROLES_BY_ORG_KIND.get(org.kind, frozenset()),
    )


def _key_by_id(session: Session, key_id: uuid.UUID | str) -> ApiKey:
    missing = NotFound(f"未找到 API 密钥 {key_id}", f"no API key {key_id}", field="key_id")
    try:
        ident = key_id if isinstance(key_id, uuid.UUID) else uuid.UUID(str(key_id))
    except ValueError as exc:
        raise missing from exc
    row = session.get(ApiKey, ident)
    if row is None:
        raise missing
    return row


def revoke_api_key(session: Session, *, actor: Actor, key_id: uuid.UUID | str) -> ApiKey:
    """Revoke a key; it is refused from now on (office admin or system only)."""
    require_role(actor, OFFICE_ADMIN)
    row = _key_by_id(session, key_id)
    if row.revoked_at is not None:
        raise Conflict(
            f"API 密钥 {row.prefix}… 已于 {row.revoked_at:%Y-%m-%d %H:%M} 吊销",
            f"API key {row.id} is already revoked",
            field="key_id",
        )
    row.revoked_at = utcnow()
    session.flush()
    record_event(
        session,
        actor=actor,
        action="apikey.revoke",
        entity_type="api_key",
        entity_id=row.id,
        before={**_api_key_view(row, row.organisation), "revoked_at": None},
        after={**_api_key_view(row, row.organisation), "revoked_at": row.revoked_at},
    )
    return row


def list_api_keys(session: Session, *, org_uscc: str) -> list[ApiKey]:
    """An organisation's keys, oldest first, revoked ones included."""
    org = get_organisation(session, uscc=org_uscc, field="org_uscc")
    return list(
        session.execute(
            select(ApiKey).where(ApiKey.org_id == org.id).order_by(ApiKey.created_at, ApiKey.id)
        ).scalars()
    )


# -- web session tokens ------------------------------------------------------


def _session_key(settings: Settings) -> bytes:
    # Derived rather than the raw secret: separates this use from the API-key HMAC
    # and always gives HS256 a full 32-byte key (PyJWT warns on shorter ones).
    return hmac.new(
        settings.secret_key.encode(), b"xinyong/session-token/v1", hashlib.sha256
    ).digest()


def issue_session_token(settings: Settings, actor: Actor, *, now: dt.datetime | None = None) -> str:
    """A signed session token for a staff account, valid ``settings.session_hours``."""
    if actor.kind != "account" or actor.id is None:
        raise Forbidden("只有工作人员账号可以登录网站", f"{actor.label} cannot hold a web session")
    now = now or utcnow()
    payload = {
        "sub": str(actor.id),
        "ver": SESSION_TOKEN_VERSION,
        "aud": SESSION_AUDIENCE,
        # A float, so a token issued in the same second as a password change is
        # still ordered correctly against ``sessions_valid_after``.
        "iat": now.timestamp(),
        "exp": now + dt.timedelta(hours=settings.session_hours),
    }
    return jwt.encode(payload, _session_key(settings), algorithm=_SESSION_ALGORITHM)


def actor_from_session_token(session: Session, *, settings: Settings, token: str) -> Actor:
    """The actor of a valid session token, reloaded from the database so that
    deactivation, role changes and password changes take effect at once."""
    invalid = Unauthenticated("登录凭证无效，请重新登录", "invalid session token")
    try:
        claims = jwt.decode(
            token,
            _session_key(settings),
            # Explicit, so the token's own header can never choose the algorithm.
            algorithms=[_SESSION_ALGORITHM],
            audience=SESSION_AUDIENCE,
            options={"require": ["sub", "ver", "aud", "iat", "exp"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("登录已过期，请重新登录", "session token expired") from exc
    except jwt.InvalidTokenError as exc:
        raise invalid from exc
    if claims.get("ver") != SESSION_TOKEN_VERSION:
        raise invalid
    try:
        account_id = uuid.UUID(str(claims["sub"]))
    except ValueError as exc:
        raise invalid from exc
    account = session.get(Account, account_id)
    if account is None or not account.active or not account.organisation.active:
        raise Unauthenticated("账号不存在或已停用，请重新登录", "account missing or inactive")
    valid_after = account.sessions_valid_after
    if valid_after is not None and float(claims["iat"]) < valid_after.timestamp():
        raise Unauthenticated("密码已更改，请重新登录", "session predates a password change")
    return _account_actor(account)
