"""Fixtures shared by the database tests: departments reporting decisions."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from xinyong.accounts.service import create_organisation
from xinyong.actors import Actor
from xinyong.config import Settings
from xinyong.demo.generator import make_org_code, make_uscc
from xinyong.privacy.crypto import DataVault


@pytest.fixture
def vault(settings: Settings) -> DataVault:
    return DataVault.from_settings(settings)


def _department(session: Session, name: str, body: str, sector: str, user: str) -> Actor:
    org = create_organisation(
        session,
        actor=Actor.system(),
        name=name,
        uscc=make_uscc("11", "350200", make_org_code(body)),
        kind="department",
        sector=sector,
    )
    return Actor(
        kind="apikey",
        name=user,
        org_id=org.id,
        org_uscc=org.uscc,
        roles=frozenset({"dept_reporter"}),
    )


@pytest.fixture
def dept(session: Session) -> Actor:
    return _department(session, "厦门市市场监督管理局", "JG350201", "市场监管", "scjg")


@pytest.fixture
def other_dept(session: Session) -> Actor:
    return _department(session, "厦门市生态环境局", "HB350202", "生态环境", "sthj")
