"""Who is acting: a staff account, a department system (API key), or the platform itself.

Every service that changes state takes an ``Actor``; the audit trail records it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    kind: str  # "account" | "apikey" | "system" | "public"
    name: str
    id: uuid.UUID | None = None
    org_id: uuid.UUID | None = None
    org_uscc: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(kind="system", name=name, roles=frozenset({"system"}))

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}"

    def has_role(self, *roles: str) -> bool:
        return "system" in self.roles or bool(self.roles.intersection(roles))
