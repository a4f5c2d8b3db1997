"""Which roles an account may hold, by its organisation's kind (pure)."""

from __future__ import annotations

import pytest

from xinyong.accounts.roles import (
    ALL_ROLES,
    API_KEY_ROLES_BY_ORG_KIND,
    ORG_KINDS,
    ROLE_LABELS,
    role_label,
    roles_allowed_for,
)
from xinyong.accounts.rules import check_roles


def test_every_role_has_its_chinese_label() -> None:
    assert ROLE_LABELS == {
        "office_admin": "信用办管理员",
        "office_staff": "信用办工作人员",
        "dept_reporter": "部门报送员",
        "dept_reviewer": "部门审核员",
        "auditor": "审计员",
    }
    assert role_label("system") == "系统"


def test_office_roles_only_in_the_credit_office() -> None:
    assert roles_allowed_for("office") == {"office_admin", "office_staff", "auditor"}
    for kind in ("department", "bank", "other"):
        assert not roles_allowed_for(kind) & {"office_admin", "office_staff"}


def test_department_roles_only_in_departments() -> None:
    assert roles_allowed_for("department") == {"dept_reporter", "dept_reviewer", "auditor"}
    for kind in ("office", "bank", "other"):
        assert not roles_allowed_for(kind) & {"dept_reporter", "dept_reviewer"}


@pytest.mark.parametrize("kind", sorted(ORG_KINDS))
def test_auditor_is_allowed_anywhere(kind: str) -> None:
    assert check_roles(["auditor"], org_kind=kind) == []


def test_office_admin_is_refused_for_a_department() -> None:
    problems = check_roles(["dept_reporter", "office_admin"], org_kind="department")
    assert [p.field for p in problems] == ["roles"]
    assert problems[0].reason == "角色“信用办管理员”不能授予部门的账号"


def test_department_role_is_refused_for_the_office() -> None:
    problems = check_roles(["dept_reviewer"], org_kind="office")
    assert problems[0].reason == "角色“部门审核员”不能授予信用办的账号"


def test_unknown_and_missing_roles_are_refused() -> None:
    unknown = check_roles(["superuser"], org_kind="office")
    assert unknown[0].field == "roles" and "未知角色 superuser" in unknown[0].reason
    assert [p.reason for p in check_roles([], org_kind="office")] == ["至少需要一个角色"]
    # "system" belongs to Actor.system() and is never assignable.
    assert check_roles(["system"], org_kind="office")[0].field == "roles"


def test_only_department_api_keys_may_report() -> None:
    assert API_KEY_ROLES_BY_ORG_KIND["department"] == {"dept_reporter"}
    assert all(not API_KEY_ROLES_BY_ORG_KIND[k] for k in ("office", "bank", "other"))
    assert set(API_KEY_ROLES_BY_ORG_KIND) == ORG_KINDS
    assert "system" not in ALL_ROLES
