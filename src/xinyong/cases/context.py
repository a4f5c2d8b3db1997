"""What every step of an objection (异议) or credit repair (信用修复) case shares.

The request context, what an applicant files, and the case's bookkeeping: every change
is one transaction with audit events and a history entry, the applicant is sent a
notice when the status changes, each step has a deadline in working days
(``cases.rules``), and closing a case resumes a publication it suspended. Also who may
do what: the credit office, the department that reported the record, and viewers.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts.models import Organisation
from xinyong.accounts.roles import (
    AUDITOR,
    DEPT_REPORTER,
    DEPT_REVIEWER,
    OFFICE,
    OFFICE_ADMIN,
    OFFICE_STAFF,
)
from xinyong.actors import Actor
from xinyong.audit.service import record_event
from xinyong.cases.models import CaseEntry, CreditCase
from xinyong.cases.rules import (
    OPEN_STATUSES,
    CaseKind,
    Status,
    Step,
    StepDeadline,
    start_step,
    step_rules,
)
from xinyong.catalog.loader import Catalog
from xinyong.config import Settings
from xinyong.db import utcnow
from xinyong.errors import Conflict, Forbidden, NotFound, ValidationFailed
from xinyong.measures.loader import MeasureBook
from xinyong.notices.service import queue_notice
from xinyong.privacy.crypto import DataVault
from xinyong.records.models import CreditRecord
from xinyong.records.publication import PublicationState, move
from xinyong.rulesets.loader import RuleBook
from xinyong.workdays.rules import WorkCalendar

OFFICE_ROLES = (OFFICE_ADMIN, OFFICE_STAFF)
DEPARTMENT_ROLES = (DEPT_REVIEWER, DEPT_REPORTER)
REASON_MAX = 2000


@dataclass(frozen=True)
class CaseContext:
    """What case handling needs from the platform, built once per request or job."""

    settings: Settings
    catalog: Catalog
    rulebook: RuleBook
    vault: DataVault
    calendar: WorkCalendar
    today: dt.date
    # The lists and measures (issue 6); None loads the shipped ones (scripts, tests).
    measures: MeasureBook | None = None


@dataclass(frozen=True)
class Contact:
    """The applicant's contact person; personal data, stored sealed."""

    name: str
    phone: str
    email: str | None = None


@dataclass(frozen=True)
class Upload:
    purpose: str
    filename: str
    data: bytes


@dataclass(frozen=True)
class Application:
    """What an applicant files; ``subject_code`` and ``subject_name`` must be those of
    the record's subject (USCC, registration number or, for a person, the ID number)."""

    record_id: uuid.UUID | str
    subject_code: str
    subject_name: str
    contact: Contact
    reason: str
    applicant_role: str = "subject"  # subject | agent
    fields: Sequence[str] = ()
    ground: str | None = None
    declarations: Sequence[str] = ()
    signatory: str | None = None  # repair: who signs the commitment
    uploads: Sequence[Upload] = ()


@dataclass(frozen=True)
class Filed:
    case: CreditCase
    access_code: str  # shown to the applicant once; only its keyed hash is stored


def checked_text(
    value: str | None, field_name: str, label: str, limit: int, *, required: bool
) -> str:
    """``value`` stripped, checked present (if ``required``) and at most ``limit`` long;
    ``label`` names the field in the Chinese message."""
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed.one(field_name, f"请填写{label}", f"{field_name} is required")
    if len(text) > limit:
        raise ValidationFailed.one(
            field_name,
            f"{label}不能超过 {limit} 个字",
            f"{field_name} longer than {limit} characters",
        )
    return text


def contact_of(vault: DataVault, case: CreditCase) -> Contact:
    data = json.loads(vault.unseal(case.contact_sealed))
    return Contact(data["name"], data["phone"], data.get("email"))


def get_case(session: Session, case_id: uuid.UUID | str) -> CreditCase:
    try:
        cid = case_id if isinstance(case_id, uuid.UUID) else uuid.UUID(str(case_id))
    except ValueError as exc:
        raise NotFound("未找到该案件", f"case {case_id} not found") from exc
    case = session.get(CreditCase, cid)
    if case is None:
        raise NotFound("未找到该案件", f"case {case_id} not found")
    return case


def open_case(session: Session, record_id: uuid.UUID) -> CreditCase | None:
    """The open case about a record, if any (one at a time)."""
    return session.scalars(
        select(CreditCase).where(
            CreditCase.record_id == record_id,
            CreditCase.status.in_([s.value for s in OPEN_STATUSES]),
        )
    ).first()


def require_office(actor: Actor) -> None:
    if not actor.has_role(*OFFICE_ROLES):
        raise Forbidden("该操作须由信用办工作人员办理", f"{actor.label} is not credit office staff")


def require_department(actor: Actor, case: CreditCase) -> None:
    """Only the department that reported the record decides on it."""
    if "system" in actor.roles:
        return
    if not actor.has_role(*DEPARTMENT_ROLES) or actor.org_id != case.org_id:
        raise Forbidden(
            "只有报送该信用记录的部门才能作出决定",
            f"{actor.label} does not own the record of case {case.number}",
        )


def sees_all_cases(session: Session, actor: Actor) -> bool:
    """The office's handlers and the office's own auditors see every case; auditors of a
    department or a bank see only what their organisation may (as quality_scope)."""
    if actor.has_role("system", *OFFICE_ROLES):
        return True
    if actor.has_role(AUDITOR) and actor.org_id is not None:
        org = session.get(Organisation, actor.org_id)
        return org is not None and org.kind == OFFICE
    return False


def may_view(session: Session, actor: Actor, case: CreditCase) -> bool:
    return actor.org_id == case.org_id or sees_all_cases(session, actor)


def require_view(session: Session, actor: Actor, case: CreditCase) -> None:
    if not may_view(session, actor, case):
        raise Forbidden("无权查看该案件", f"{actor.label} may not view case {case.number}")


def require_open(case: CreditCase) -> None:
    """Refuse to act on a closed case."""
    if not Status(case.status).open:
        raise Conflict(
            f"案件已办结（{Status(case.status).label}），不能再办理",
            f"case {case.number} is closed ({case.status})",
        )


def require_status(case: CreditCase, *statuses: Status) -> None:
    """Refuse a step the case's current status does not allow."""
    require_open(case)
    if Status(case.status) not in statuses:
        wanted = "、".join(s.label for s in statuses)
        raise Conflict(
            f"案件当前状态为“{Status(case.status).label}”，此操作只适用于：{wanted}",
            f"case {case.number} is {case.status}; expected {[s.value for s in statuses]}",
        )


def require_kind(case: CreditCase, kind: CaseKind) -> None:
    """Refuse a step meant for the other kind of case."""
    if case.kind != kind.value:
        raise Conflict(
            f"该操作只适用于{kind.label}案件", f"case {case.number} is not a {kind.value} case"
        )


def record_of(session: Session, case: CreditCase) -> CreditRecord:
    """The record the case is about."""
    record = session.get(CreditRecord, case.record_id)
    assert record is not None
    return record


def step_deadline(ctx: CaseContext, kind: CaseKind, step: Step, started: dt.date) -> StepDeadline:
    """The deadline of ``step`` of a ``kind`` case started on ``started``."""
    rule = step_rules(ctx.settings)[(kind, step)]
    return start_step(rule, ctx.calendar, started)


def set_step(case: CreditCase, deadline: StepDeadline | None) -> None:
    """Put the case on the step of ``deadline``, or on none (closed)."""
    if deadline is None:
        case.step = case.step_started = case.due_on = None
        case.extended = False
        return
    case.step = deadline.rule.step.value
    case.step_started = deadline.started
    case.due_on = deadline.due.date
    case.due_provisional = case.due_provisional or deadline.due.provisional
    case.extended = deadline.extended


def add_entry(
    session: Session,
    case: CreditCase,
    actor: Actor,
    action: str,
    text: str | None,
    *,
    public: bool = True,
) -> None:
    """A line of the case's history (``public``: the applicant sees it too)."""
    session.add(
        CaseEntry(
            case_id=case.id,
            actor=actor.label,
            action=action,
            status=case.status,
            text=text,
            public=public,
        )
    )


def case_state(case: CreditCase) -> dict[str, Any]:
    """The case as the audit trail records it before and after a step."""
    return {
        "number": case.number,
        "kind": case.kind,
        "record_id": str(case.record_id),
        "status": case.status,
        "step": case.step,
        "due_on": case.due_on,
        "final_due_on": case.final_due_on,
        "extended": case.extended,
        "outcome": case.outcome,
        "refusal_code": case.refusal_code,
        "tag": case.tag,
        "assignee": case.assignee,
    }


def audit_case(
    session: Session,
    actor: Actor,
    case: CreditCase,
    action: str,
    before: dict[str, Any] | None,
    *,
    reason: str | None = None,
    legal_basis: str | None = None,
) -> None:
    """The audit event of a step on ``case`` (``before``: its state before the step)."""
    session.flush()
    record_event(
        session,
        actor=actor,
        action=f"case.{action}",
        entity_type="case",
        entity_id=case.id,
        before=before,
        after=case_state(case),
        reason=reason,
        legal_basis=legal_basis,
    )


def notify_applicant(session: Session, ctx: CaseContext, case: CreditCase) -> None:
    """Queue a notice of the case's new status to the applicant's e-mail, if given
    (sent after commit by the notice outbox; nothing is lost if sending fails)."""
    contact = contact_of(ctx.vault, case)
    if not contact.email:
        return
    kind = CaseKind(case.kind).label
    status = Status(case.status).label
    lines = [
        f"{contact.name}：",
        "",
        f"您的{kind}申请（案件编号 {case.number}）状态已更新为：{status}。",
    ]
    if case.outcome_reason and not Status(case.status).open:
        lines.append(f"理由：{case.outcome_reason}")
    if case.final_due_on and Status(case.status).open:
        lines.append(f"办理期限：{case.final_due_on.isoformat()}")
    lines += ["", f"请凭案件编号和查询码在{ctx.settings.site_name}信用网站“办件查询”查看详情。"]
    queue_notice(
        session,
        ctx.vault,
        case_id=case.id,
        email=contact.email,
        subject=f"【{ctx.settings.site_name}信用】{kind}申请 {case.number}：{status}",
        body="\n".join(lines),
    )


def _workdays(ctx: CaseContext, start: dt.date, end: dt.date) -> int:
    if end <= start:
        return 0
    return ctx.calendar.working_days_between(start, end).count


def close_case(
    session: Session,
    ctx: CaseContext,
    actor: Actor,
    case: CreditCase,
    status: Status,
    reason: str | None,
) -> None:
    """Close ``case``: resume a publication it suspended (unless the record moved on),
    drop its tag, and keep the handling time in working days."""
    record = record_of(session, case)
    if (
        case.suspended_from == PublicationState.published.value
        and record.publication_state == PublicationState.suspended.value
        and status is not Status.approved
    ):
        move(
            session,
            actor=actor,
            record=record,
            to=PublicationState.published,
            reason=f"{CaseKind(case.kind).label} {case.number} 办结（{status.label}），恢复公示",
        )
    case.status = status.value
    case.outcome = status.value
    case.outcome_reason = reason
    case.tag = None
    case.closed_on = ctx.today
    case.closed_at = utcnow()
    case.handling_workdays = _workdays(ctx, case.filed_on, ctx.today)
    case.on_time = case.final_due_on is None or ctx.today <= case.final_due_on
    set_step(case, None)
