"""Credit repair (信用修复): the checklist from the rule set, refusals with reasons,
and an approval that takes the record out of publication at once (SQLite and
PostgreSQL)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.integration.cases_helpers import (
    PUBLIC,
    context,
    png,
    published_penalty,
    refused,
    repair_application,
)
from tests.integration.test_record_reporting import CATALOG
from xinyong.actors import Actor
from xinyong.audit.models import AuditEvent
from xinyong.cases import filing, handling
from xinyong.cases.context import Upload, open_case
from xinyong.config import Settings
from xinyong.errors import Conflict, Forbidden, ValidationFailed
from xinyong.privacy.crypto import DataVault
from xinyong.publicity import service as publicity

OFFICE = Actor(kind="account", name="office", roles=frozenset({"office_staff"}))


def _reviewer(dept: Actor) -> Actor:
    return dataclasses.replace(dept, kind="account", roles=frozenset({"dept_reviewer"}))


def test_checklist_lists_what_is_missing_before_applying(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    ctx = context(session, settings, vault)
    record = published_penalty(session, dept, vault)
    result = filing.checklist(session, ctx, record)
    assert result.eligible and not result.complete
    missing = {i.code for i in result.missing}
    # SAMR Order 107 (market regulation, from 2025-12-25) governs this decision.
    assert missing == {"proof_of_performance", "harm_removed", "commitment"}
    done = filing.checklist(
        session,
        ctx,
        record,
        purposes={"performance"},
        declarations={"harm_removed"},
        committed=True,
    )
    assert done.complete


def test_serious_penalty_under_the_2019_rules_needs_training_and_a_credit_report(
    session: Session, other_dept: Actor, vault: DataVault, settings: Settings
) -> None:
    ctx = context(session, settings, vault, today=dt.date(2023, 6, 1))
    record = published_penalty(
        session,
        other_dept,
        vault,
        CF_SXYZCD="严重",
        CF_JDRQ="2022-11-01",
        CF_YXQ="2023-11-01",
        CF_CFJG="厦门市生态环境局",
        CF_SJLY="厦门市生态环境局",
    )
    assert record.severity == "严重"
    codes = {i.code for i in filing.checklist(session, ctx, record).missing}
    assert {"training_certificate", "credit_report"} <= codes


def test_repair_before_the_minimum_period_is_refused_with_the_date(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    ctx = context(session, settings, vault)
    record = published_penalty(session, dept, vault, CF_JDRQ="2026-10-01", CF_YXQ="2027-10-01")
    with refused(Conflict, "最短公示期未满，2027-01-01 起方可申请"):
        filing.file_repair(session, ctx, actor=PUBLIC, application=repair_application(record))
    assert open_case(session, record.id) is None


def test_never_repairable_penalty_is_refused_with_the_reason(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    ctx = context(session, settings, vault)
    record = published_penalty(session, dept, vault, CF_CFLB="吊销营业执照", CF_NR_ZKDX="营业执照")
    assert record.repairable is False
    with refused(Conflict, "不能申请信用修复"):
        filing.file_repair(session, ctx, actor=PUBLIC, application=repair_application(record))
    item = filing.checklist(session, ctx, record).refusal
    assert item is not None and item.code == "repairable"


def test_missing_material_is_named(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    ctx = context(session, settings, vault)
    record = published_penalty(session, dept, vault)
    app = repair_application(record, uploads=[Upload("identity", "执照.png", png())])
    with refused(ValidationFailed, "已履行行政处罚决定等法定义务的证明材料"):
        filing.file_repair(session, ctx, actor=PUBLIC, application=app)
    with refused(ValidationFailed, "信用修复承诺书"):
        filing.file_repair(
            session, ctx, actor=PUBLIC, application=repair_application(record, signatory="")
        )


def test_approved_repair_takes_the_record_off_the_website_at_once(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    ctx = context(session, settings, vault)
    record = published_penalty(session, dept, vault)
    filed = filing.file_repair(session, ctx, actor=PUBLIC, application=repair_application(record))
    case = filed.case
    assert case.number.startswith("XF20261124")
    assert case.commitment_text is not None and "王伟" in case.commitment_text
    assert case.due_on is not None and case.due_on.isoformat() == "2026-12-08"  # 10 working days
    handling.forward(session, ctx, actor=OFFICE, case_id=case.id)
    assert case.due_on.isoformat() == "2026-11-27"  # department: 3 working days
    handling.approve_repair(
        session, ctx, actor=_reviewer(dept), case_id=case.id, reason="已履行义务，同意修复。"
    )
    assert case.status == "approved" and record.publication_state == "repaired"
    code = record.values["CF_XDR_SHXYM"]
    file = publicity.credit_file(session, CATALOG, code, today=ctx.today).as_dict()
    assert file["sections"]["xzcf"]["records"] == []
    actions = list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity_id.in_([str(case.id), str(record.id)]))
            .order_by(AuditEvent.seq)
        )
    )
    assert actions[-3:] == ["case.forward", "record.publication", "case.approve"]


def test_refusal_by_reason_and_only_the_owning_department_decides(
    session: Session,
    dept: Actor,
    other_dept: Actor,
    vault: DataVault,
    settings: Settings,
) -> None:
    ctx = context(session, settings, vault)
    record = published_penalty(session, dept, vault)
    case = filing.file_repair(
        session, ctx, actor=PUBLIC, application=repair_application(record)
    ).case
    handling.forward(session, ctx, actor=OFFICE, case_id=case.id)
    with refused(Forbidden, "只有报送该信用记录的部门"):
        handling.approve_repair(
            session, ctx, actor=_reviewer(other_dept), case_id=case.id, reason="同意"
        )
    handling.refuse_repair(
        session,
        ctx,
        actor=_reviewer(dept),
        case_id=case.id,
        code="not_performed",
        reason="罚款尚未缴清。",
    )
    assert case.status == "refused" and case.refusal_code == "not_performed"
    assert record.publication_state == "published"
