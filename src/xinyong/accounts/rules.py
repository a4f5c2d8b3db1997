"""Pure rules of accounts and access control: permission checks and input policies.

Nothing here touches the database. Services call ``require_role`` and
``require_own_org`` before they change anything; the records service calls
``require_own_org`` so that a department reports and corrects only its own records.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from xinyong.accounts.roles import (
    ALL_ROLES,
    OFFICE_ADMIN,
    ORG_KIND_LABELS,
    ORG_KINDS,
    role_label,
    roles_allowed_for,
)
from xinyong.actors import Actor
from xinyong.errors import Forbidden, Problem

USERNAME_RE = re.compile(r"[a-z][a-z0-9._-]{2,31}")
PASSWORD_MIN = 10
# argon2 hashes any length; the cap keeps a login request from costing much more.
PASSWORD_MAX = 128
DISPLAY_NAME_MAX = 100
ORG_NAME_MAX = 100  # keeps "apikey:<org>/<label>" within the audit actor column
API_KEY_LABEL_MAX = 60
SECTOR_MAX = 40
DISTRICT_RE = re.compile(r"\d{6}")


# -- permission checks -------------------------------------------------------


def require_role(actor: Actor, *roles: str) -> None:
    """Pass if ``actor`` holds one of ``roles`` (the system actor always passes)."""
    if actor.has_role(*roles):
        return
    labels = "、".join(role_label(r) for r in roles)
    raise Forbidden(
        f"需要以下角色之一：{labels}",
        f"{actor.label} needs one of the roles: {', '.join(roles)}",
        details={"required_roles": list(roles)},
    )


def normalise_uscc(value: str) -> str:
    return value.strip().upper()


def require_own_org(actor: Actor, org_uscc: str, *, field: str) -> None:
    """Pass if ``org_uscc`` is the actor's own organisation, or the actor is an office
    admin or the system.

    ``field`` names the input that carries the organisation (e.g. ``CF_XZJG_TYDM``),
    so the message tells a department which value it may not use.
    """
    if actor.has_role(OFFICE_ADMIN):
        return
    own = normalise_uscc(actor.org_uscc) if actor.org_uscc else None
    if own is not None and own == normalise_uscc(org_uscc):
        return
    raise Forbidden(
        f"只能报送或更正本单位的信息：{field} 为 {org_uscc}，"
        f"而当前单位为 {actor.org_uscc or '（无）'}",
        f"{actor.label} may only write records of its own organisation "
        f"({actor.org_uscc}); {field} is {org_uscc}",
        field=field,
    )


# -- input policies ----------------------------------------------------------


def check_username(username: str) -> list[Problem]:
    """Usernames: 3–32 lower-case letters, digits, '.', '_' or '-', starting with a letter."""
    if USERNAME_RE.fullmatch(username):
        return []
    return [
        Problem(
            "username",
            "用户名须为 3–32 位小写英文字母、数字、点、下划线或连字符，并以字母开头",
            "username must be 3-32 characters of a-z, 0-9, '.', '_' or '-', starting with a letter",
        )
    ]


def normalise_username(username: str) -> str:
    return username.strip().lower()


def check_password(password: str, *, username: str) -> list[Problem]:
    """Password policy: at least 10 characters, not only digits, not the username."""
    problems: list[Problem] = []
    if len(password) < PASSWORD_MIN:
        problems.append(
            Problem(
                "password",
                f"密码至少 {PASSWORD_MIN} 个字符",
                f"password must have at least {PASSWORD_MIN} characters",
            )
        )
    if len(password) > PASSWORD_MAX:
        problems.append(
            Problem(
                "password",
                f"密码不能超过 {PASSWORD_MAX} 个字符",
                f"password must have at most {PASSWORD_MAX} characters",
            )
        )
    if password.isdigit():
        problems.append(
            Problem("password", "密码不能全部为数字", "password must not be only digits")
        )
    if password.strip().lower() == username.strip().lower():
        problems.append(
            Problem("password", "密码不能与用户名相同", "password must differ from the username")
        )
    return problems


def check_display_name(display_name: str) -> list[Problem]:
    name = display_name.strip()
    if not name:
        return [Problem("display_name", "姓名不能为空", "display_name is required")]
    if len(name) > DISPLAY_NAME_MAX:
        return [
            Problem(
                "display_name",
                f"姓名不能超过 {DISPLAY_NAME_MAX} 个字符",
                f"display_name must have at most {DISPLAY_NAME_MAX} characters",
            )
        ]
    return []


def check_roles(roles: Iterable[str], *, org_kind: str) -> list[Problem]:
    """Every role must be known and allowed for an organisation of ``org_kind``."""
    roles = list(roles)
    if not roles:
        return [Problem("roles", "至少需要一个角色", "at least one role is required")]
    problems: list[Problem] = []
    allowed = roles_allowed_for(org_kind)
    kind_label = ORG_KIND_LABELS.get(org_kind, org_kind)
    for role in roles:
        if role not in ALL_ROLES:
            known = "、".join(f"{r}（{role_label(r)}）" for r in sorted(ALL_ROLES))
            problems.append(
                Problem(
                    "roles",
                    f"未知角色 {role}，可用角色：{known}",
                    f"unknown role {role!r}",
                )
            )
        elif role not in allowed:
            problems.append(
                Problem(
                    "roles",
                    f"角色“{role_label(role)}”不能授予{kind_label}的账号",
                    f"role {role!r} is not allowed for an organisation of kind {org_kind!r}",
                )
            )
    return problems


def check_organisation_fields(
    *, name: str, kind: str, sector: str | None, district: str | None
) -> list[Problem]:
    """Name, kind, sector and district of a new organisation (the USCC is checked apart)."""
    problems: list[Problem] = []
    clean = name.strip()
    if not clean:
        problems.append(Problem("name", "单位名称不能为空", "name is required"))
    elif len(clean) > ORG_NAME_MAX:
        problems.append(
            Problem(
                "name",
                f"单位名称不能超过 {ORG_NAME_MAX} 个字符",
                f"name must have at most {ORG_NAME_MAX} characters",
            )
        )
    if kind not in ORG_KINDS:
        kinds = "、".join(f"{k}（{ORG_KIND_LABELS[k]}）" for k in sorted(ORG_KINDS))
        problems.append(
            Problem("kind", f"单位类型须为以下之一：{kinds}", f"unknown organisation kind {kind!r}")
        )
    if sector is not None and (not sector.strip() or len(sector.strip()) > SECTOR_MAX):
        problems.append(
            Problem(
                "sector",
                f"行业领域须为 1–{SECTOR_MAX} 个字符",
                f"sector must have 1-{SECTOR_MAX} characters",
            )
        )
    if district is not None and not DISTRICT_RE.fullmatch(district.strip()):
        problems.append(
            Problem(
                "district",
                "行政区划代码须为 6 位数字",
                "district must be a six-digit GB/T 2260 code",
            )
        )
    return problems


def check_api_key_label(label: str) -> list[Problem]:
    clean = label.strip()
    if not clean or len(clean) > API_KEY_LABEL_MAX:
        return [
            Problem(
                "label",
                f"密钥名称须为 1–{API_KEY_LABEL_MAX} 个字符",
                f"label must have 1-{API_KEY_LABEL_MAX} characters",
            )
        ]
    return []
