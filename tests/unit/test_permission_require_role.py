"""require_role: actors need one of the named roles (pure)."""

from __future__ import annotations

import pytest

from xinyong.accounts.rules import require_role
from xinyong.actors import Actor
from xinyong.errors import Forbidden


def _actor(*roles: str) -> Actor:
    return Actor(kind="account", name="wangwu", roles=frozenset(roles))


def test_actor_with_one_of_the_roles_passes() -> None:
    require_role(_actor("office_staff"), "office_admin", "office_staff")


def test_system_actor_always_passes() -> None:
    require_role(Actor.system(), "office_admin")


def test_actor_without_the_roles_is_forbidden_with_chinese_labels() -> None:
    with pytest.raises(Forbidden) as info:
        require_role(_actor("dept_reporter"), "office_admin", "auditor")
    assert info.value.message == "需要以下角色之一：信用办管理员、审计员"
    assert info.value.details == {"required_roles": ["office_admin", "auditor"]}
    assert info.value.status == 403


def test_anonymous_public_actor_is_forbidden() -> None:
    with pytest.raises(Forbidden):
        require_role(Actor(kind="public", name="anonymous"), "auditor")
