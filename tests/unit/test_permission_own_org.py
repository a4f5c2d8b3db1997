"""require_own_org: departments write and correct only their own records (pure)."""

from __future__ import annotations

import pytest

from xinyong.accounts.rules import require_own_org
from xinyong.actors import Actor
from xinyong.errors import Forbidden

DEPT = "121200004013590816"
OTHER_DEPT = "91620105L015101280"


def _dept_actor(kind: str = "account", *roles: str) -> Actor:
    return Actor(
        kind=kind, name="reporter", org_uscc=DEPT, roles=frozenset(roles or {"dept_reporter"})
    )


def test_department_may_write_its_own_records() -> None:
    require_own_org(_dept_actor(), DEPT, field="CF_XZJG_TYDM")
    # Input case and surrounding spaces do not matter.
    require_own_org(_dept_actor(), f" {DEPT.lower()} ", field="CF_XZJG_TYDM")


def test_department_api_key_may_write_its_own_records() -> None:
    require_own_org(_dept_actor("apikey"), DEPT, field="CF_XZJG_TYDM")


def test_department_may_not_write_another_departments_records() -> None:
    with pytest.raises(Forbidden) as info:
        require_own_org(_dept_actor(), OTHER_DEPT, field="CF_XZJG_TYDM")
    assert info.value.message.startswith("只能报送或更正本单位的信息：")
    assert "CF_XZJG_TYDM" in info.value.message and OTHER_DEPT in info.value.message
    assert info.value.field == "CF_XZJG_TYDM"


def test_reviewer_and_office_staff_are_also_bound_to_their_org() -> None:
    with pytest.raises(Forbidden):
        require_own_org(_dept_actor("account", "dept_reviewer"), OTHER_DEPT, field="org")
    staff = Actor(
        kind="account",
        name="staff",
        org_uscc="91110000600037341L",
        roles=frozenset({"office_staff"}),
    )
    with pytest.raises(Forbidden):
        require_own_org(staff, OTHER_DEPT, field="org")


def test_office_admin_and_system_may_write_for_any_org() -> None:
    admin = Actor(
        kind="account",
        name="admin",
        org_uscc="91110000600037341L",
        roles=frozenset({"office_admin"}),
    )
    require_own_org(admin, OTHER_DEPT, field="CF_XZJG_TYDM")
    require_own_org(Actor.system(), OTHER_DEPT, field="CF_XZJG_TYDM")


def test_actor_without_an_org_is_forbidden() -> None:
    with pytest.raises(Forbidden) as info:
        require_own_org(Actor(kind="public", name="anonymous"), DEPT, field="org")
    assert "（无）" in info.value.message
