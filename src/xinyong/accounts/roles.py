"""Roles of staff accounts and the kinds of organisation that may hold them.

The credit office (信用办) runs the platform; departments (行政机关) report and
review their own records; auditors only read the audit trail. A role belongs to an
organisation kind: office roles exist only in the credit office, department roles
only in departments, so a department account can never be made an office admin.
"""

from __future__ import annotations

from typing import Final, Literal

OFFICE_ADMIN: Final = "office_admin"
OFFICE_STAFF: Final = "office_staff"
DEPT_REPORTER: Final = "dept_reporter"
DEPT_REVIEWER: Final = "dept_reviewer"
AUDITOR: Final = "auditor"
# Held only by Actor.system() (CLI, jobs); never assignable to an account.
SYSTEM: Final = "system"

ROLE_LABELS: Final[dict[str, str]] = {
    OFFICE_ADMIN: "信用办管理员",
    OFFICE_STAFF: "信用办工作人员",
    DEPT_REPORTER: "部门报送员",
    DEPT_REVIEWER: "部门审核员",
    AUDITOR: "审计员",
}
ALL_ROLES: Final = frozenset(ROLE_LABELS)

OrgKind = Literal["office", "department", "bank", "other"]
OFFICE: Final = "office"
DEPARTMENT: Final = "department"
BANK: Final = "bank"
OTHER: Final = "other"

ORG_KIND_LABELS: Final[dict[str, str]] = {
    OFFICE: "信用办",
    DEPARTMENT: "部门",
    BANK: "金融机构",
    OTHER: "其他单位",
}
ORG_KINDS: Final = frozenset(ORG_KIND_LABELS)

# Which roles an account of an organisation of each kind may hold. Banks and other
# users of the screening API work through API keys, so their accounts (if any) may
# only audit.
ROLES_BY_ORG_KIND: Final[dict[str, frozenset[str]]] = {
    OFFICE: frozenset({OFFICE_ADMIN, OFFICE_STAFF, AUDITOR}),
    DEPARTMENT: frozenset({DEPT_REPORTER, DEPT_REVIEWER, AUDITOR}),
    BANK: frozenset({AUDITOR}),
    OTHER: frozenset({AUDITOR}),
}

# Roles carried by an API key of an organisation of each kind: a department's own
# system reports its records; other keys only query.
API_KEY_ROLES_BY_ORG_KIND: Final[dict[str, frozenset[str]]] = {
    OFFICE: frozenset(),
    DEPARTMENT: frozenset({DEPT_REPORTER}),
    BANK: frozenset(),
    OTHER: frozenset(),
}


def role_label(role: str) -> str:
    """The Chinese name of ``role`` (the code itself if unknown)."""
    if role == SYSTEM:
        return "系统"
    return ROLE_LABELS.get(role, role)


def roles_allowed_for(kind: str) -> frozenset[str]:
    """Roles an account of an organisation of ``kind`` may hold (empty if unknown)."""
    return ROLES_BY_ORG_KIND.get(kind, frozenset())
