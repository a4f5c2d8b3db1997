"""Objections (异议): filing, marking, suspension, department decisions and their
effects on the record, with deadlines, history and audit (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.integration.cases_helpers import (
    PUBLIC,
    application,
    context,
    png,
    published_penalty,
    refused,
)
from tests.integration.test_record_reporting import CATALOG
from xinyong.actors import Actor
from xinyong.audit.models import AuditEvent
from xinyong.cases import filing, handling, views
from xinyong.cases.context import CaseContext, Contact, Upload, open_case
from xinyong.cases.models import CreditCase
from xinyong.config import Settings
from xinyong.errors import Conflict, Forbidden, NotFound, ValidationFailed
from xinyong.notices.models import NoticeOutbox
from xinyong.privacy.crypto import DataVault
from xinyong.publicity import service as publicity
from xinyong.records.models import CreditRecord

OFFICE = Actor(kind="account", name="office", roles=frozenset({"office_staff"}))


def _dept_reviewer(dept: Actor) -> Actor:
    return dataclasses.replace(dept, kind="account", roles=frozenset({"dept_reviewer"}))


def _events(session: Session, entity_id: object) -> list[str]:
    return list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity_id == str(entity_id))
            .order_by(AuditEvent.seq)
        )
    )


def _forwarded(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> tuple[CaseContext, CreditRecord, CreditCase]:
    """An objection against a published penalty, accepted and forwarded to ``dept``."""
    ctx = context(session, settings, vault)
    record = published_penalty(session, dept, vault)
    case = filing.file_objection(session, ctx, actor=PUBLIC, application=application(record)).case
    handling.mark(session, ctx, actor=OFFICE, case_id=case.id, accept=True)
    handling.forward(session, ctx, actor=OFFICE, case_id=case.id)
    return ctx, record, case


def test_objection_filed_gets_a_number_a_mark_deadline_and_a_sealed_contact(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    ctx = context(session, settings, vault)
    record = published_penalty(session, dept, vault)
    filed = filing.file_objection(session, ctx, actor=PUBLIC, application=application(record))
    case = filed.case
    assert case.number.startswith("YY20261124")
    assert case.status == "submitted" and case.step == "mark"
    assert case.due_on is not None and case.due_on.isoformat() == "2026-11-25"
    assert "13800138000" not in case.contact_sealed
    assert case.contact_masked["phone"] == "138****8000"
    assert filing.applicant_case(session, vault, case.number, filed.access_code) is case
    with pytest.raises(NotFound):
        filing.applicant_case(session, vault, case.number, "WRONG234")
    assert _events(session, case.id) == ["case.file"]
    assert len(views.attachments(session, case)) == 1


def test_a_second_objection_while_one_is_open_is_refused(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    ctx = context(session, settings, vault)
    record = published_penalty(session, dept, vault)
    filing.file_objection(session, ctx, actor=PUBLIC, application=application(record))
    with refused(Conflict, "已有正在办理"):
        filing.file_objection(session, ctx, actor=PUBLIC, application=application(record))


def test_objection_by_someone_else_or_against_unpublished_record_is_refused(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    ctx = context(session, settings, vault)
    record = published_penalty(session, dept, vault)
    with refused(Forbidden, "不属于"):
        filing.file_objection(
            session,
            ctx,
            actor=PUBLIC,
            application=application(record, subject_code="91350200MA2PBMEM0X"),
        )
    record.publication_state = "suspended"
    with refused(Conflict, "正在公示"):
        filing.file_objection(session, ctx, actor=PUBLIC, application=application(record))


def test_agent_needs_an_authorisation_letter_and_litigation_an_acceptance_notice(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    ctx = context(session, settings, vault)
    record = published_penalty(session, dept, vault)
    with refused(ValidationFailed, "授权委托书"):
        filing.file_objection(
            session, ctx, actor=PUBLIC, application=application(record, applicant_role="agent")
        )
    with refused(ValidationFailed, "受理通知书"):
        filing.file_objection(
            session, ctx, actor=PUBLIC, application=application(record, ground="litigation")
        )


def test_wrong_type_attachment_is_refused_and_nothing_is_stored(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    ctx = context(session, settings, vault)
    record = published_penalty(session, dept, vault)
    bad = [Upload("evidence", "病毒.exe", b"MZ\x90\x00" * 10)]
    with pytest.raises(ValidationFailed):
        filing.file_objection(
            session, ctx, actor=PUBLIC, application=application(record, uploads=bad)
        )
    assert open_case(session, record.id) is None


def test_accepted_objection_suspends_publication_until_upheld_and_corrected(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    ctx = context(session, settings, vault)
    record = published_penalty(session, dept, vault)
    case = filing.file_objection(session, ctx, actor=PUBLIC, application=application(record)).case
    handling.mark(session, ctx, actor=OFFICE, case_id=case.id, accept=True)
    assert record.publication_state == "suspended"
    assert case.status == "accepted" and case.due_on is not None
    assert case.due_on.isoformat() == "2026-12-01"  # 5 working days
    code = record.values["CF_XDR_SHXYM"]
    file = publicity.credit_file(session, CATALOG, code, today=ctx.today).as_dict()
    assert file["sections"]["xzcf"]["records"] == []
    handling.forward(session, ctx, actor=OFFICE, case_id=case.id)
    assert case.step == "department" and case.due_on.isoformat() == "2026-11-26"
    handling.decide_objection(
        session,
        ctx,
        actor=_dept_reviewer(dept),
        case_id=case.id,
        outcome="upheld",
        reason="经核实，罚款金额录入错误。",
        action="correct",
        corrections={"CF_NR_FK": "3", "CF_NR": "罚款人民币3万元"},
    )
    assert case.status == "upheld" and case.closed_on == ctx.today and case.on_time
    assert record.publication_state == "published"
    assert record.values["CF_NR_FK"] == "3"
    file = publicity.credit_file(session, CATALOG, code, today=ctx.today).as_dict()
    assert file["sections"]["xzcf"]["records"][0]["fields"]["CF_NR_FK"] == "3"
    assert _events(session, case.id) == ["case.file", "case.accept", "case.forward", "case.decide"]
    assert "record.correct" in _events(session, record.id)
    public = [e.action for e in views.history(session, case, public_only=True)]
    assert public == ["file", "accept", "forward", "decide"]


def test_upheld_objection_can_revoke_the_record(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    ctx, record, case = _forwarded(session, dept, vault, settings)
    handling.decide_objection(
        session,
        ctx,
        actor=_dept_reviewer(dept),
        case_id=case.id,
        outcome="upheld",
        reason="处罚决定已被复议撤销。",
        action="revoke",
    )
    assert record.status == "revoked" and record.publication_state == "revoked"


def test_rejected_objection_resumes_publication(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    ctx, record, case = _forwarded(session, dept, vault, settings)
    handling.decide_objection(
        session,
        ctx,
        actor=_dept_reviewer(dept),
        case_id=case.id,
        outcome="rejected",
        reason="信息无误。",
    )
    assert case.status == "rejected" and record.publication_state == "published"


def test_a_department_that_does_not_own_the_record_cannot_decide(
    session: Session, dept: Actor, other_dept: Actor, vault: DataVault, settings: Settings
) -> None:
    ctx, record, case = _forwarded(session, dept, vault, settings)
    with refused(Forbidden, "只有报送"):
        handling.decide_objection(
            session,
            ctx,
            actor=_dept_reviewer(other_dept),
            case_id=case.id,
            outcome="rejected",
            reason="无",
        )
    assert case.status == "forwarded" and record.publication_state == "suspended"


def test_litigation_tags_the_record_without_suspending_it(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    ctx = context(session, settings, vault)
    record = published_penalty(session, dept, vault)
    uploads = [Upload("acceptance_notice", "受理通知书.png", png())]
    app = application(record, ground="litigation", fields=[], uploads=uploads)
    case = filing.file_objection(session, ctx, actor=PUBLIC, application=app).case
    handling.mark(session, ctx, actor=OFFICE, case_id=case.id, accept=True)
    assert record.publication_state == "published"
    assert views.case_marks(session, [record.id]) == {record.id: "复议/诉讼中"}


def test_department_extends_once_only(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    ctx, _record, case = _forwarded(session, dept, vault, settings)
    reviewer = _dept_reviewer(dept)
    handling.extend_deadline(session, ctx, actor=reviewer, case_id=case.id, reason="需调取案卷。")
    assert case.extended and case.due_on is not None
    assert case.due_on.isoformat() == "2026-12-01"  # 2 + 3 working days
    with refused(Conflict, "只能延长一次"):
        handling.extend_deadline(session, ctx, actor=reviewer, case_id=case.id, reason="再延")


def test_office_refuses_to_accept_with_reasons_and_withdrawal_closes(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    ctx = context(session, settings, vault)
    record = published_penalty(session, dept, vault)
    case = filing.file_objection(session, ctx, actor=PUBLIC, application=application(record)).case
    with refused(ValidationFailed, "不予受理理由"):
        handling.mark(session, ctx, actor=OFFICE, case_id=case.id, accept=False, reason=" ")
    handling.mark(session, ctx, actor=OFFICE, case_id=case.id, accept=False, reason="未说明理由。")
    assert case.status == "not_accepted"
    second = filing.file_objection(session, ctx, actor=PUBLIC, application=application(record)).case
    filing.withdraw(session, ctx, actor=PUBLIC, case=second, reason="")
    assert second.status == "withdrawn"


def test_staff_read_of_contact_is_audited(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    ctx = context(session, settings, vault)
    record = published_penalty(session, dept, vault)
    case = filing.file_objection(session, ctx, actor=PUBLIC, application=application(record)).case
    contact = handling.read_contact(session, ctx, actor=OFFICE, case=case)
    assert contact.phone == "13800138000"
    assert _events(session, case.id)[-1] == "case.contact_read"


def test_an_objection_not_marked_in_time_is_marked_by_the_platform(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    ctx = context(session, settings, vault)
    record = published_penalty(session, dept, vault)
    case = filing.file_objection(session, ctx, actor=PUBLIC, application=application(record)).case
    assert handling.enforce_deadlines(session, ctx, actor=Actor.system("sweep")) == []
    later = context(session, settings, vault, today=ctx.today + dt.timedelta(days=2))
    assert handling.enforce_deadlines(session, later, actor=Actor.system("sweep")) == [case]
    assert case.status == "accepted" and record.publication_state == "suspended"


def test_each_status_change_queues_a_notice_to_the_applicant(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    ctx = context(session, settings, vault)
    record = published_penalty(session, dept, vault)
    case = filing.file_objection(session, ctx, actor=PUBLIC, application=application(record)).case
    handling.mark(session, ctx, actor=OFFICE, case_id=case.id, accept=True)
    notices = session.scalars(
        select(NoticeOutbox)
        .where(NoticeOutbox.case_id == case.id)
        .order_by(NoticeOutbox.created_at)
    ).all()
    assert [n.status for n in notices] == ["queued", "queued"]
    assert case.number in notices[0].subject and "待受理" in notices[0].subject
    assert "信用办核查中" in notices[1].body
    assert "wangwei@example.com" not in notices[0].recipient_sealed
    assert vault.unseal(notices[0].recipient_sealed) == "wangwei@example.com"


def test_no_notice_without_an_email_address(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    ctx = context(session, settings, vault)
    record = published_penalty(session, dept, vault)
    app = application(record, contact=Contact("王伟", "0592-1234567", None))
    case = filing.file_objection(session, ctx, actor=PUBLIC, application=app).case
    assert case.contact_masked["email"] is None
    assert session.scalars(select(NoticeOutbox).where(NoticeOutbox.case_id == case.id)).all() == []


def test_attachments_are_stored_sealed_and_their_reads_audited(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    ctx = context(session, settings, vault)
    record = published_penalty(session, dept, vault)
    case = filing.file_objection(session, ctx, actor=PUBLIC, application=application(record)).case
    (stored,) = views.attachments(session, case)
    assert not stored.data.startswith(b"\x89PNG")  # sealed, not the image itself
    found, data = handling.read_attachment(
        session, vault, actor=OFFICE, case=case, attachment_id=stored.id
    )
    assert found is stored and data.startswith(b"\x89PNG") and len(data) == stored.size
    assert _events(session, case.id)[-1] == "case.attachment_read"


def test_a_code_typed_in_full_width_still_identifies_the_subject(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    """The applicant's code is read as codes are everywhere (codes.rules.normalize_code):
    full-width characters and spaces do not make the record 'someone else's'."""
    ctx = context(session, settings, vault)
    record = published_penalty(session, dept, vault)
    code = str(record.values["CF_XDR_SHXYM"])
    full_width = " ".join(chr(ord(c) + 0xFEE0) for c in code)
    case = filing.file_objection(
        session, ctx, actor=PUBLIC, application=application(record, subject_code=full_width)
    ).case
    assert case.status == "submitted"
