"""Who sees which departments' data quality: the office all, a department itself."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session

from tests.quality_data import NOVEMBER, QualityData, build
from xinyong.accounts.models import Organisation
from xinyong.actors import Actor
from xinyong.errors import Forbidden
from xinyong.quality.service import league_table, quality_scope, quality_trend


@pytest.fixture
def data(session: Session) -> QualityData:
    return build(session)


def account(org: Organisation, *roles: str) -> Actor:
    return Actor(
        kind="account", name="someone", org_id=org.id, org_uscc=org.uscc, roles=frozenset(roles)
    )


def test_department_sees_only_its_own_row_with_its_rank(
    session: Session, data: QualityData
) -> None:
    table = league_table(session, actor=account(data.d, "dept_reviewer"), month=NOVEMBER)
    assert [r.uscc for r in table.rows] == [data.d.uscc]
    assert table.rows[0].rank == 2 and not table.everyone
    assert table.as_dict()["scope"] == "own"
    # Its notice speaks of itself only.
    assert table.notice.startswith("2026年11月，本单位（某市交通运输局）入库 2 条")
    assert "某市生态环境局" not in table.notice
    trend = quality_trend(session, actor=account(data.d, "dept_reviewer"), month=NOVEMBER)
    assert [s.uscc for s in trend.series] == [data.d.uscc]


def test_department_may_not_ask_for_another(session: Session, data: QualityData) -> None:
    with pytest.raises(Forbidden):
        league_table(
            session, actor=account(data.a, "dept_reporter"), month=NOVEMBER, department=data.b.uscc
        )
    own = league_table(
        session, actor=account(data.a, "dept_reporter"), month=NOVEMBER, department=data.a.uscc
    )
    assert [r.uscc for r in own.rows] == [data.a.uscc]
    assert "需整改" in own.notice


def test_office_roles_see_every_department(session: Session, data: QualityData) -> None:
    for role in ("office_admin", "office_staff", "auditor"):
        scope = quality_scope(session, account(data.office, role))
        assert scope.everyone, role
    table = league_table(session, actor=account(data.office, "auditor"), month=NOVEMBER)
    assert {o.uscc for o in data.departments} <= {r.uscc for r in table.rows}
    one = league_table(
        session, actor=account(data.office, "office_staff"), month=NOVEMBER, department=data.a.uscc
    )
    assert one.notice.startswith("2026年11月，某市市场监督管理局入库 10 条")


def test_department_auditor_sees_own_and_bank_or_public_are_refused(
    session: Session, data: QualityData
) -> None:
    assert quality_scope(session, account(data.a, "auditor")).org_id == data.a.id
    bank = Organisation(name="某银行", uscc="91350200MA00000001", kind="bank")
    session.add(bank)
    session.flush()
    with pytest.raises(Forbidden):
        quality_scope(session, account(bank, "auditor"))
    with pytest.raises(Forbidden):
        quality_scope(session, Actor(kind="public", name="visitor"))
    with pytest.raises(Forbidden):
        quality_scope(session, Actor(kind="account", name="x", id=uuid.uuid4(), roles=frozenset()))
