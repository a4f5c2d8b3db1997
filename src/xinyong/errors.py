"""Domain errors.

Services raise these; the web layer (``xinyong.web.errors``) and the CLI translate
them in one place. Each error carries a stable ``code``, an HTTP-like ``status``,
a Chinese message for end users and an English message for logs. Nothing here
imports a web framework.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class Problem:
    """One problem with one field of an input: what the user must fix."""

    field: str | None
    reason: str  # Chinese, for end users
    reason_en: str  # English, for logs
    level: Literal["error", "warning"] = "error"

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "level": self.level, "reason": self.reason}


class XinyongError(Exception):
    """Base class of every error a user can cause."""

    code = "error"
    status = 400

    def __init__(
        self,
        message: str,
        message_en: str | None = None,
        *,
        field: str | None = None,
        problems: list[Problem] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message_en or message)
        self.message = message
        self.message_en = message_en or message
        self.field = field
        self.problems = problems or []
        self.details = details or {}

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.problems:
            body["problems"] = [p.as_dict() for p in self.problems]
        if self.details:
            body["details"] = self.details
        return body


class ValidationFailed(XinyongError):
    code = "validation_failed"
    status = 422

    @classmethod
    def one(cls, field: str, reason: str, reason_en: str) -> ValidationFailed:
        """The error for one field: Chinese reason for the user, English for logs."""
        return cls.from_problems([Problem(field, reason, reason_en)])

    @classmethod
    def from_problems(cls, problems: list[Problem]) -> ValidationFailed:
        errors = [p for p in problems if p.level == "error"]
        first = errors[0] if errors else problems[0]
        return cls(
            f"输入有误：{first.field or ''} {first.reason}".strip(),
            f"invalid input: {first.field or ''} {first.reason_en}".strip(),
            field=first.field,
            problems=problems,
        )


class NotFound(XinyongError):
    code = "not_found"
    status = 404


class Forbidden(XinyongError):
    code = "forbidden"
    status = 403


class Unauthenticated(XinyongError):
    code = "unauthenticated"
    status = 401


class Conflict(XinyongError):
    code = "conflict"
    status = 409


class TooManyRequests(XinyongError):
    """The caller exceeded a rate limit; ``retry_after`` is in whole seconds (>= 1)."""

    code = "too_many_requests"
    status = 429

    def __init__(self, retry_after: int, *, limit: str | None = None) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(
            f"访问过于频繁，请 {self.retry_after} 秒后再试",
            f"rate limit {limit or '(unnamed)'} exceeded; retry after {self.retry_after} s",
            details={"retry_after": self.retry_after},
        )


class ConfigurationError(XinyongError):
    """The platform is misconfigured; raised at start-up, never at a user."""

    code = "configuration_error"
    status = 500


@dataclass
class Outcome:
    """Warnings gathered while an operation succeeded."""

    warnings: list[Problem] = field(default_factory=list)
