"""Code checks that consult the register of legacy codes (历史代码例外登记).

Some codes issued in early pilot areas are legal yet fail their check character
(RULES.md §10: warn and flag, do not reject). The credit office registers such codes
one by one; a registered code then passes with a warning naming the mismatch.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xinyong.accounts.roles import OFFICE_ADMIN
from xinyong.accounts.rules import require_role
from xinyong.actors import Actor
from xinyong.audit.service import record_event
from xinyong.codes.models import CodeException
from xinyong.codes.rules import KIND_LABELS, CodeCheck, check_code
from xinyong.errors import Conflict, Problem, ValidationFailed

NAME_MAX = 300
# Personal identifiers never go into this plain-text register.
_PERSONAL_KINDS = frozenset({"ric", "ric15"})


def snapshot(exception: CodeException) -> dict[str, Any]:
    """The audited and displayed state of a registered exception."""
    return {
        "id": str(exception.id),
        "code": exception.code,
        "kind": exception.kind,
        "name": exception.name,
        "reason": exception.reason,
        "registered_by": exception.registered_by,
        "created_at": exception.created_at.isoformat() if exception.created_at else None,
    }


def _find(session: Session, code: str) -> CodeException | None:
    return session.execute(
        select(CodeException).where(CodeException.code == code)
    ).scalar_one_or_none()


def register_exception(
    session: Session, *, actor: Actor, code: str, name: str, reason: str
) -> CodeException:
    """Register a well-formed code whose only fault is a wrong check character."""
    require_role(actor, OFFICE_ADMIN)
    problems: list[Problem] = []
    clean_name = " ".join(name.split())
    clean_reason = reason.strip()
    if not clean_name:
        problems.append(Problem("name", "名称不能为空", "name is required"))
    elif len(clean_name) > NAME_MAX:
        problems.append(
            Problem("name", f"名称不能超过 {NAME_MAX} 个字", f"name exceeds {NAME_MAX} characters")
        )
    if not clean_reason:
        problems.append(Problem("reason", "登记理由不能为空", "reason is required"))

    check = check_code(code)
    if check.kind in _PERSONAL_KINDS:
        problems.append(
            Problem(
                "code",
                "身份证号码属于个人信息，不能登记为历史代码",
                "resident ID numbers cannot be registered as legacy codes",
            )
        )
    elif check.valid:
        problems.append(
            Problem(
                "code",
                f"该{KIND_LABELS[check.kind]}校验通过，无需登记为历史代码",
                "the code passes its checks; no exception is needed",
            )
        )
    elif not check.fails_only_check_digit:
        found = "；".join(p.reason for p in check.errors)
        found_en = "; ".join(p.reason_en for p in check.errors)
        problems.append(
            Problem(
                "code",
                f"只有格式正确、仅校验位不符的代码才能登记为历史代码，该代码：{found}",
                f"only well-formed codes failing just a check character can be registered: "
                f"{found_en}",
            )
        )
    if problems:
        raise ValidationFailed.from_problems(problems)

    existing = _find(session, check.code)
    if existing is not None:
        raise Conflict(
            f"代码 {check.code} 已登记为历史代码（{existing.name}）",
            f"code {check.code} is already registered as an exception",
            field="code",
        )
    exception = CodeException(
        code=check.code,
        kind=check.kind,
        name=clean_name,
        reason=clean_reason,
        registered_by=actor.label,
    )
    try:
        with session.begin_nested():
            session.add(exception)
            session.flush()
    except IntegrityError as exc:  # registered concurrently by someone else
        raise Conflict(
            f"代码 {check.code} 已登记为历史代码",
            f"code {check.code} is already registered as an exception",
            field="code",
        ) from exc
    after = snapshot(exception)
    after["errors"] = [p.reason for p in check.errors]
    record_event(
        session,
        actor=actor,
        action="code_exception.register",
        entity_type="code_exception",
        entity_id=exception.id,
        after=after,
        reason=clean_reason,
    )
    return exception


def check_code_with_exceptions(
    session: Session, code: str, kind: str | None = None, *, today: dt.date | None = None
) -> CodeCheck:
    """Like ``check_code``, but a registered code failing only its check character is
    valid, with a warning instead of the error. The register is read on every call."""
    result = check_code(code, kind, today=today)
    if not result.fails_only_check_digit:
        return result
    registered = _find(session, result.code)
    if registered is None or registered.kind != result.kind:
        return result
    mismatch = "；".join(p.reason for p in result.errors)
    mismatch_en = "; ".join(p.reason_en for p in result.errors)
    warning = Problem(
        "code",
        f"登记在册的历史代码（校验位不符）：{mismatch}；登记名称：{registered.name}",
        f"registered legacy code (check character mismatch): {mismatch_en}",
        "warning",
    )
    details = dict(result.details)
    details["error_codes"] = []
    details["warning_codes"] = [
        *details.get("warning_codes", []),
        *result.error_codes,
        "registered_exception",
    ]
    # Public answers carry this too: the name and date only, not who registered it or why.
    details["exception"] = {
        "name": registered.name,
        "registered_at": registered.created_at.date().isoformat(),
    }
    return replace(
        result, valid=True, errors=[], warnings=[*result.warnings, warning], details=details
    )


def list_exceptions(session: Session) -> list[CodeException]:
    """Every registered legacy code, by code."""
    return list(session.execute(select(CodeException).order_by(CodeException.code)).scalars())
