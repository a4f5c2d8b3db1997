"""Objections (异议) and credit repair (信用修复): filing, handling and deciding cases.

The applicant (the subject, or its agent with an authorisation letter) files a case
against one published record and receives a case number and a 查询码 to follow it.
The credit office marks (accepts) an objection and verifies it, or checks a repair
application, and forwards it to the department that reported the record; that
department decides. Every step has a deadline in working days (``cases.rules``),
every change is one transaction with audit events and a history entry, and the
applicant is sent a notice when the status changes.

Effects on the record happen in the same transaction as the decision: an accepted
objection about the content suspends publication (where the catalog item allows it)
and a reconsideration or litigation tags it; an upheld objection corrects or revokes
it; an approved repair takes it out of publication at once (已修复).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xinyong.accounts.roles import (
    DEPT_REPORTER,
    DEPT_REVIEWER,
    OFFICE_ADMIN,
    OFFICE_STAFF,
)
from xinyong.actors import Actor
from xinyong.audit.service import record_event
from xinyong.cases.attachments import clean_attachment
from xinyong.cases.letters import authority_name, commitment_for_record, commitment_text
from xinyong.cases.models import CaseAttachment, CaseEntry, CreditCase
from xinyong.cases.rules import (
    OBJECTION_MARK,
    OPEN_STATUSES,
    PROCEEDINGS_TAG,
    CaseKind,
    Checklist,
    Ground,
    Purpose,
    RefusalCode,
    RepairFacts,
    Status,
    Step,
    StepDeadline,
    case_number,
    extend,
    repair_checklist,
    start_step,
    step_rules,
)
from xinyong.catalog.loader import Catalog
from xinyong.config import Settings
from xinyong.db import utcnow
from xinyong.errors import Conflict, Forbidden, NotFound, Problem, ValidationFailed
from xinyong.notices.rules import mask_email, normalise_email
from xinyong.notices.service import queue_notice
from xinyong.privacy.crypto import DataVault
from xinyong.privacy.masking import MaskRule
from xinyong.records.models import CreditRecord
from xinyong.records.periods import record_answer
from xinyong.records.publication import PublicationState, move
from xinyong.records.service import (
    is_published,
    published_clause,
    report_record,
    revoke_record,
)
from xinyong.rulesets.loader import RuleBook
from xinyong.subjects.models import Subject
from xinyong.subjects.service import person_key
from xinyong.workdays.rules import Deadline, WorkCalendar

OFFICE_ROLES = (OFFICE_ADMIN, OFFICE_STAFF)
DEPARTMENT_ROLES = (DEPT_REVIEWER, DEPT_REPORTER)
REASON_MAX = 2000
NAME_MAX = 50
MAX_ATTACHMENTS = 10
ACCESS_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read over the phone
PHONE_RE = re.compile(r"(1[3-9]\d{9})|(0\d{2,3}-?\d{7,8})")
_PHONE_MASK = MaskRule("keep", 3, 4)
_NAME_MASK = MaskRule("keep", 1, 0)
LIST_ITEMS = ("yzsx",)  # serious-dishonesty list entries (RULES.md §7)


@dataclass(frozen=True)
class CaseContext:
    """What case handling needs from the platform, built once per request or job."""

    settings: Settings
    catalog: Catalog
    rulebook: RuleBook
    vault: DataVault
    calendar: WorkCalendar
    today: dt.date


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


@dataclass
class Effects:
    """What a step did to the record, for the audit trail and the history."""

    record_state: str | None = None
    notes: list[str] = field(default_factory=list)


# -- helpers ----------------------------------------------------------------------------


def _text(value: str | None, field_name: str, label: str, limit: int, *, required: bool) -> str:
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


def _contact(contact: Contact) -> Contact:
    name = _text(contact.name, "contact_name", "联系人姓名", NAME_MAX, required=True)
    phone = re.sub(r"[\s]", "", contact.phone or "")
    if not PHONE_RE.fullmatch(phone):
        raise ValidationFailed.one(
            "contact_phone",
            "联系电话应为 11 位手机号或带区号的固定电话",
            "contact_phone is not a mobile or landline number",
        )
    given = (contact.email or "").strip()
    email = normalise_email(given) if given else None
    if given and email is None:
        raise ValidationFailed.one(
            "contact_email", "电子邮箱格式不正确", "contact_email is not an e-mail address"
        )
    return Contact(name, phone, email)


def _masked(contact: Contact) -> dict[str, Any]:
    return {
        "name": _NAME_MASK.apply(contact.name),
        "phone": _PHONE_MASK.apply(contact.phone),
        "email": mask_email(contact.email) if contact.email else None,
    }


def _access_hash(vault: DataVault, number: str, code: str) -> str:
    return vault.lookup_hash("case-access", f"{number}:{code.strip().upper()}")


def _new_access_code() -> str:
    return "".join(secrets.choice(ACCESS_ALPHABET) for _ in range(8))


def _record(session: Session, record_id: uuid.UUID | str) -> CreditRecord:
    try:
        rid = record_id if isinstance(record_id, uuid.UUID) else uuid.UUID(str(record_id))
    except ValueError as exc:
        raise ValidationFailed.one(
            "record_id", "信用记录编号格式不正确", "record_id is not a UUID"
        ) from exc
    record = session.get(CreditRecord, rid)
    if record is None:
        raise NotFound("未找到该信用记录", f"record {rid} not found", field="record_id")
    return record


def _subject_matches(vault: DataVault, subject: Subject, code: str, name: str) -> bool:
    code = code.strip().upper()
    name = re.sub(r"\s+", "", name)
    if not code or name != re.sub(r"\s+", "", subject.name):
        return False
    if subject.uscc and code == subject.uscc:
        return True
    if subject.regno and code == subject.regno:
        return True
    return bool(subject.id_hash and hmac.compare_digest(subject.id_hash, _id_hash(vault, code)))


def _id_hash(vault: DataVault, code: str) -> str:
    return vault.lookup_hash("ric", person_key(code))


def _require_subject(
    vault: DataVault, record: CreditRecord, subject: Subject, a: Application
) -> None:
    if not _subject_matches(vault, subject, a.subject_code, a.subject_name):
        raise Forbidden(
            "该信用记录不属于所填写的主体：请核对主体名称和统一社会信用代码（或身份证号码）",
            f"record {record.id} does not belong to the subject given by the applicant",
            field="subject_code",
            problems=[
                Problem(
                    "subject_code",
                    "主体名称或代码与该信用记录的主体不一致",
                    "subject does not match the record",
                )
            ],
        )


def open_case(session: Session, record_id: uuid.UUID) -> CreditCase | None:
    """The open case about a record, if any (one at a time)."""
    return session.scalars(
        select(CreditCase).where(
            CreditCase.record_id == record_id,
            CreditCase.status.in_([s.value for s in OPEN_STATUSES]),
        )
    ).first()


def _no_open_case(session: Session, record: CreditRecord) -> None:
    existing = open_case(session, record.id)
    if existing is not None:
        kind = CaseKind(existing.kind).label
        raise Conflict(
            f"该信用记录已有正在办理的{kind}申请（{existing.number}），办结前不能再次申请",
            f"record {record.id} already has open case {existing.number}",
            field="record_id",
        )


def _clean_uploads(
    settings: Settings, uploads: Sequence[Upload], allowed: Iterable[Purpose]
) -> list[tuple[Purpose, Any]]:
    if len(uploads) > MAX_ATTACHMENTS:
        raise ValidationFailed.one(
            "attachments",
            f"附件最多 {MAX_ATTACHMENTS} 个",
            f"more than {MAX_ATTACHMENTS} attachments",
        )
    allowed_set = set(allowed)
    cleaned = []
    max_bytes = settings.attachment_max_mb * 1024 * 1024
    for i, up in enumerate(uploads):
        try:
            purpose = Purpose(up.purpose)
        except ValueError:
            purpose = Purpose.other
        if purpose not in allowed_set and purpose is not Purpose.other:
            purpose = Purpose.other
        name = f"attachments[{i}]"
        if not up.data:
            raise ValidationFailed.one(name, f"附件“{up.filename}”是空文件", f"{name} is empty")
        cleaned.append(
            (purpose, clean_attachment(up.filename, up.data, max_bytes=max_bytes, field=name))
        )
    return cleaned


def _store_attachments(
    session: Session, vault: DataVault, case: CreditCase, cleaned: list[tuple[Purpose, Any]]
) -> None:
    """Store cleaned files sealed: they may hold personal data (identity documents)."""
    for purpose, f in cleaned:
        session.add(
            CaseAttachment(
                case_id=case.id,
                purpose=purpose.value,
                filename=f.filename,
                content_type=f.content_type,
                size=len(f.data),
                sha256=hashlib.sha256(f.data).hexdigest(),
                data=vault.seal_bytes(f.data),
            )
        )


def _set_step(case: CreditCase, deadline: StepDeadline | None) -> None:
    if deadline is None:
        case.step = case.step_started = case.due_on = None
        case.extended = False
        return
    case.step = deadline.rule.step.value
    case.step_started = deadline.started
    case.due_on = deadline.due.date
    case.due_provisional = case.due_provisional or deadline.due.provisional
    case.extended = deadline.extended


def _step(ctx: CaseContext, kind: CaseKind, step: Step, started: dt.date) -> StepDeadline:
    rule = step_rules(ctx.settings)[(kind, step)]
    return start_step(rule, ctx.calendar, started)


def _entry(
    session: Session,
    case: CreditCase,
    actor: Actor,
    action: str,
    text: str | None,
    *,
    public: bool = True,
) -> None:
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


def _audit(
    session: Session,
    actor: Actor,
    case: CreditCase,
    action: str,
    before: dict[str, Any] | None,
    *,
    reason: str | None = None,
    legal_basis: str | None = None,
) -> None:
    session.flush()
    record_event(
        session,
        actor=actor,
        action=f"case.{action}",
        entity_type="case",
        entity_id=case.id,
        before=before,
        after=_state(case),
        reason=reason,
        legal_basis=legal_basis,
    )


def _state(case: CreditCase) -> dict[str, Any]:
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


def _notify(session: Session, ctx: CaseContext, case: CreditCase) -> None:
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


def contact_of(vault: DataVault, case: CreditCase) -> Contact:
    data = json.loads(vault.unseal(case.contact_sealed))
    return Contact(data["name"], data["phone"], data.get("email"))


def _new_case(
    session: Session,
    ctx: CaseContext,
    kind: CaseKind,
    record: CreditRecord,
    a: Application,
    contact: Contact,
    **columns: Any,
) -> tuple[CreditCase, str]:
    """Insert a case with the next daily number (retried if two filings race)."""
    code = _new_access_code()
    prefix = case_number(kind, ctx.today, 0)[:-4]
    for _attempt in range(5):
        count = session.scalar(
            select(func.count()).select_from(CreditCase).where(CreditCase.number.like(f"{prefix}%"))
        )
        number = case_number(kind, ctx.today, int(count or 0) + 1 + _attempt)
        case = CreditCase(
            number=number,
            kind=kind.value,
            record_id=record.id,
            subject_id=record.subject_id,
            org_id=record.org_id,
            status=Status.submitted.value,
            applicant_role=a.applicant_role,
            contact_sealed=ctx.vault.seal(
                json.dumps(
                    {"name": contact.name, "phone": contact.phone, "email": contact.email},
                    ensure_ascii=False,
                )
            ),
            contact_masked=_masked(contact),
            access_hash=_access_hash(ctx.vault, number, code),
            filed_on=ctx.today,
            **columns,
        )
        try:
            with session.begin_nested():
                session.add(case)
                session.flush()
        except IntegrityError:
            continue
        return case, code
    raise Conflict("系统繁忙，请稍后重试", "could not allocate a case number")


def _common_checks(
    session: Session, ctx: CaseContext, a: Application, kind: CaseKind
) -> tuple[CreditRecord, Subject, Contact, str]:
    record = _record(session, a.record_id)
    subject = session.get(Subject, record.subject_id)
    assert subject is not None
    _require_subject(ctx.vault, record, subject, a)
    role = a.applicant_role if a.applicant_role in ("subject", "agent") else ""
    if not role:
        raise ValidationFailed.one(
            "applicant_role", "申请人身份应为“主体本身”或“受托代理人”", "applicant_role invalid"
        )
    contact = _contact(a.contact)
    limit = REASON_MAX
    label = "异议理由" if kind is CaseKind.objection else "申请说明"
    reason = _text(a.reason, "reason", label, limit, required=kind is CaseKind.objection)
    _no_open_case(session, record)
    return record, subject, contact, reason


def _require_purposes(cleaned: list[tuple[Purpose, Any]], needed: Purpose, field_name: str) -> None:
    if not any(p is needed for p, _ in cleaned):
        raise ValidationFailed.one(
            field_name,
            f"须上传：{needed.label}",
            f"missing attachment {needed.value}",
        )


# -- filing ------------------------------------------------------------------------------


def file_objection(
    session: Session, ctx: CaseContext, *, actor: Actor, application: Application
) -> Filed:
    """File an objection against a record published today; the office must mark it
    within ``objection_mark_days`` working days."""
    a = application
    record, _subject, contact, reason = _common_checks(session, ctx, a, CaseKind.objection)
    if not is_published(record, ctx.today):
        raise Conflict(
            "只能对正在公示的信用信息提出异议",
            f"record {record.id} is not published",
            field="record_id",
        )
    item = ctx.catalog.item(record.item_code)
    public_codes = {f.code for f in item.fields if f.public}
    fields = [f for f in dict.fromkeys(a.fields) if f]
    unknown = [f for f in fields if f not in public_codes]
    if unknown:
        raise ValidationFailed.one(
            "fields",
            f"异议字段不是该信息的公示项：{'、'.join(unknown)}",
            f"unknown or non-public fields {unknown}",
        )
    try:
        ground = Ground(a.ground or "")
    except ValueError as exc:
        raise ValidationFailed.one(
            "ground", "请选择异议理由类别", f"ground {a.ground!r} invalid"
        ) from exc
    if ground is Ground.content and not fields:
        raise ValidationFailed.one("fields", "请选择有误的公示字段", "fields required for content")
    cleaned = _clean_uploads(ctx.settings, a.uploads, Purpose)
    if role_is_agent(a):
        _require_purposes(cleaned, Purpose.authorisation, "attachments")
    if ground.pending_proceedings:
        _require_purposes(cleaned, Purpose.acceptance_notice, "attachments")
    step = _step(ctx, CaseKind.objection, Step.mark, ctx.today)
    case, code = _new_case(
        session,
        ctx,
        CaseKind.objection,
        record,
        a,
        contact,
        fields=fields,
        ground=ground.value,
        reason=reason,
    )
    _set_step(case, step)
    case.final_due_on = step.due.date
    _store_attachments(session, ctx.vault, case, cleaned)
    _entry(session, case, actor, "file", f"提交异议：{ground.label}")
    _audit(session, actor, case, "file", None, reason=reason)
    _notify(session, ctx, case)
    return Filed(case, code)


def role_is_agent(a: Application) -> bool:
    return a.applicant_role == "agent"


def _listed(session: Session, ctx: CaseContext, subject_id: uuid.UUID) -> bool:
    return (
        session.scalar(
            select(CreditRecord.id)
            .where(
                CreditRecord.subject_id == subject_id,
                CreditRecord.item_code.in_(LIST_ITEMS),
                published_clause(ctx.today),
            )
            .limit(1)
        )
        is not None
    )


def repair_facts(session: Session, ctx: CaseContext, record: CreditRecord) -> RepairFacts:
    """What the rule set in force says about repairing ``record`` now."""
    item = ctx.catalog.item(record.item_code)
    answer = record_answer(ctx.catalog, ctx.rulebook, record) if item.negative else None
    in_pub = record.status == "active" and record.publication_state in (
        PublicationState.published.value,
        PublicationState.suspended.value,
    )
    if answer is None:
        return RepairFacts(False, False, None, in_pub, None, ())
    requirements = tuple((r.code, r.label) for r in answer.requirements)
    listed = (
        any(code == "not_listed" for code, _ in requirements)
        and record.item_code not in LIST_ITEMS
        and _listed(session, ctx, record.subject_id)
    )
    return RepairFacts(
        negative=True,
        repairable=answer.repairable,
        not_repairable_reason=answer.reason,
        in_publication=in_pub,
        earliest_repair=answer.earliest_repair,
        requirements=requirements,
        rule_set=answer.rule_set,
        listed=listed,
    )


def checklist(
    session: Session,
    ctx: CaseContext,
    record: CreditRecord,
    *,
    purposes: Iterable[str] = (),
    declarations: Iterable[str] = (),
    committed: bool = False,
) -> Checklist:
    """The repair checklist of ``record`` today, for the applicant to see before applying."""
    return repair_checklist(
        repair_facts(session, ctx, record),
        today=ctx.today,
        purposes=frozenset(purposes),
        declarations=frozenset(declarations),
        committed=committed,
    )


def file_repair(
    session: Session, ctx: CaseContext, *, actor: Actor, application: Application
) -> Filed:
    """File a credit repair application; refused with the reason when the record is
    never repairable early, the minimum period has not passed, or materials are missing."""
    a = application
    record, subject, contact, reason = _common_checks(session, ctx, a, CaseKind.repair)
    signatory = (a.signatory or "").strip()
    if len(signatory) > NAME_MAX:
        raise ValidationFailed.one("signatory", "签署人姓名过长", "signatory too long")
    cleaned = _clean_uploads(ctx.settings, a.uploads, Purpose)
    if role_is_agent(a):
        _require_purposes(cleaned, Purpose.authorisation, "attachments")
    declarations = [d for d in dict.fromkeys(a.declarations) if d]
    result = checklist(
        session,
        ctx,
        record,
        purposes={p.value for p, _ in cleaned},
        declarations=declarations,
        committed=bool(signatory),
    )
    refusal = result.refusal
    if refusal is not None:
        raise Conflict(
            f"不能申请信用修复：{refusal.detail or refusal.label}",
            f"repair refused for record {record.id}: {refusal.code}",
            field="record_id",
            details={"checklist": result.as_dict()},
        )
    if not result.complete:
        problems = [
            Problem(
                "attachments"
                if i.purpose
                else ("signatory" if i.code == "commitment" else "declarations"),
                f"{i.label}：{i.detail or '未满足'}",
                f"missing requirement {i.code}",
            )
            for i in result.missing
        ]
        raise ValidationFailed.from_problems(problems)
    letter = commitment_for_record(
        ctx.catalog,
        record,
        subject,
        authority_name(session, ctx.catalog, record),
        signatory=signatory,
        signed_on=ctx.today,
    )
    text = commitment_text(letter)
    step = _step(ctx, CaseKind.repair, Step.office, ctx.today)
    case, code = _new_case(
        session,
        ctx,
        CaseKind.repair,
        record,
        a,
        contact,
        reason=reason,
        declarations=declarations,
        commitment_text=text,
        commitment_signatory=letter.signatory,
    )
    _set_step(case, step)
    case.final_due_on = step.due.date
    _store_attachments(session, ctx.vault, case, cleaned)
    _entry(session, case, actor, "file", "提交信用修复申请，并签署信用修复承诺书")
    _audit(session, actor, case, "file", None, reason=reason or None)
    _notify(session, ctx, case)
    return Filed(case, code)


# -- applicants --------------------------------------------------------------------------


def applicant_case(session: Session, vault: DataVault, number: str, access_code: str) -> CreditCase:
    """The case an applicant asks for with its number and 查询码 (one message for both
    a wrong number and a wrong code, so numbers cannot be probed)."""
    number = (number or "").strip().upper()
    case = session.scalars(select(CreditCase).where(CreditCase.number == number)).first()
    expected = case.access_hash if case is not None else "0" * 64
    given = _access_hash(vault, number, access_code or "")
    if case is None or not hmac.compare_digest(expected, given):
        raise NotFound(
            "案件编号或查询码不正确", "case number or access code does not match", field="number"
        )
    return case


def withdraw(
    session: Session, ctx: CaseContext, *, actor: Actor, case: CreditCase, reason: str
) -> CreditCase:
    """The applicant withdraws an open case; suspended publication resumes."""
    _require_open(case)
    before = _state(case)
    text = _text(reason, "reason", "撤回理由", REASON_MAX, required=False)
    _close(session, ctx, actor, case, Status.withdrawn, text or "申请人撤回")
    _entry(session, case, actor, "withdraw", text or "申请人撤回申请")
    _audit(session, actor, case, "withdraw", before, reason=text or None)
    _notify(session, ctx, case)
    return case


# -- staff -------------------------------------------------------------------------------


def get_case(session: Session, case_id: uuid.UUID | str) -> CreditCase:
    try:
        cid = case_id if isinstance(case_id, uuid.UUID) else uuid.UUID(str(case_id))
    except ValueError as exc:
        raise NotFound("未找到该案件", f"case {case_id} not found") from exc
    case = session.get(CreditCase, cid)
    if case is None:
        raise NotFound("未找到该案件", f"case {case_id} not found")
    return case


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


def may_view(actor: Actor, case: CreditCase) -> bool:
    return actor.has_role(*OFFICE_ROLES, "auditor") or actor.org_id == case.org_id


def require_view(actor: Actor, case: CreditCase) -> None:
    if not may_view(actor, case):
        raise Forbidden("无权查看该案件", f"{actor.label} may not view case {case.number}")


def _require_open(case: CreditCase) -> None:
    if not Status(case.status).open:
        raise Conflict(
            f"案件已办结（{Status(case.status).label}），不能再办理",
            f"case {case.number} is closed ({case.status})",
        )


def _require_status(case: CreditCase, *statuses: Status) -> None:
    _require_open(case)
    if Status(case.status) not in statuses:
        wanted = "、".join(s.label for s in statuses)
        raise Conflict(
            f"案件当前状态为“{Status(case.status).label}”，此操作只适用于：{wanted}",
            f"case {case.number} is {case.status}; expected {[s.value for s in statuses]}",
        )


def _require_kind(case: CreditCase, kind: CaseKind) -> None:
    if case.kind != kind.value:
        raise Conflict(
            f"该操作只适用于{kind.label}案件", f"case {case.number} is not a {kind.value} case"
        )


def _record_of(session: Session, case: CreditCase) -> CreditRecord:
    record = session.get(CreditRecord, case.record_id)
    assert record is not None
    return record


def _workdays(ctx: CaseContext, start: dt.date, end: dt.date) -> int:
    if end <= start:
        return 0
    return ctx.calendar.working_days_between(start, end).count


def _close(
    session: Session,
    ctx: CaseContext,
    actor: Actor,
    case: CreditCase,
    status: Status,
    reason: str | None,
) -> None:
    """Close ``case``: resume a publication it suspended (unless the record moved on),
    drop its tag, and keep the handling time in working days."""
    record = _record_of(session, case)
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
    _set_step(case, None)


def mark(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    case_id: uuid.UUID | str,
    accept: bool,
    reason: str | None = None,
) -> CreditCase:
    """The office marks (受理) an objection, which suspends the record's publication
    when the ground is about its content and the catalog item allows it, and tags it
    复议/诉讼中 for reconsideration or litigation; or refuses to accept it, with reasons."""
    require_office(actor)
    case = get_case(session, case_id)
    _require_kind(case, CaseKind.objection)
    _require_status(case, Status.submitted)
    before = _state(case)
    if not accept:
        text = _text(reason, "reason", "不予受理理由", REASON_MAX, required=True)
        _close(session, ctx, actor, case, Status.not_accepted, text)
        _entry(session, case, actor, "not_accept", f"不予受理：{text}")
        _audit(session, actor, case, "not_accept", before, reason=text)
        _notify(session, ctx, case)
        return case
    record = _record_of(session, case)
    item = ctx.catalog.item(record.item_code)
    ground = Ground(case.ground or Ground.other)
    notes = [f"已受理并标注“{OBJECTION_MARK}”"]
    if ground.suspends and item.objection_suspends and record.publication_state == "published":
        move(
            session,
            actor=actor,
            record=record,
            to=PublicationState.suspended,
            reason=f"异议 {case.number} 已受理：暂停公示至核查结束",
        )
        case.suspended_from = PublicationState.published.value
        notes.append("暂停公示至核查结束")
    if ground.pending_proceedings:
        case.tag = PROCEEDINGS_TAG
        notes.append(f"标注“{PROCEEDINGS_TAG}”")
    case.status = Status.accepted.value
    step = _step(ctx, CaseKind.objection, Step.office, ctx.today)
    _set_step(case, step)
    case.final_due_on = step.due.date
    remark = (reason or "").strip() or None
    _entry(session, case, actor, "accept", "；".join(notes) + (f"。{remark}" if remark else ""))
    _audit(session, actor, case, "accept", before, reason=remark)
    _notify(session, ctx, case)
    return case


def forward(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    case_id: uuid.UUID | str,
    note: str | None = None,
) -> CreditCase:
    """The office forwards a verified objection, or a repair application whose
    materials are complete, to the department that reported the record."""
    require_office(actor)
    case = get_case(session, case_id)
    kind = CaseKind(case.kind)
    _require_status(case, Status.accepted if kind is CaseKind.objection else Status.submitted)
    before = _state(case)
    case.status = Status.forwarded.value
    _set_step(case, _step(ctx, kind, Step.department, ctx.today))
    case.extended = False
    text = _text(note, "note", "转办意见", REASON_MAX, required=False) or None
    _entry(session, case, actor, "forward", "转报送部门核查" + (f"：{text}" if text else ""))
    _audit(session, actor, case, "forward", before, reason=text)
    _notify(session, ctx, case)
    return case


def extend_deadline(
    session: Session, ctx: CaseContext, *, actor: Actor, case_id: uuid.UUID | str, reason: str
) -> CreditCase:
    """The department extends its answer once, where the rule allows (objections: by
    ``objection_extension_days``); the office's overall deadline moves with it."""
    case = get_case(session, case_id)
    require_department(actor, case)
    _require_status(case, Status.forwarded)
    text = _text(reason, "reason", "延期理由", REASON_MAX, required=True)
    before = _state(case)
    rule = step_rules(ctx.settings)[(CaseKind(case.kind), Step.department)]
    assert case.step_started is not None and case.due_on is not None
    due = Deadline(case.due_on, case.due_provisional, (), "")
    current = StepDeadline(rule, case.step_started, due, case.extended)
    longer = extend(current, ctx.calendar)
    _set_step(case, longer)
    if case.final_due_on is not None:
        case.final_due_on = max(
            case.final_due_on,
            ctx.calendar.add_working_days(case.final_due_on, rule.extension_days).date,
        )
    _entry(session, case, actor, "extend", f"延长办理期限至 {longer.due.date.isoformat()}：{text}")
    _audit(session, actor, case, "extend", before, reason=text)
    _notify(session, ctx, case)
    return case


def _corrected_raw(
    ctx: CaseContext, case: CreditCase, record: CreditRecord, corrections: Mapping[str, Any]
) -> dict[str, Any]:
    item = ctx.catalog.item(record.item_code)
    keys = set(item.key_fields)
    touched = [code for code in corrections if code in keys]
    if touched:
        raise ValidationFailed.one(
            touched[0],
            "更正不能修改决定文书号等关键字段；如决定本身有误，请选择撤销",
            f"corrections may not change key field {touched[0]}",
        )
    known = {f.code for f in item.fields}
    unknown = [c for c in corrections if c not in known]
    if unknown:
        raise ValidationFailed.one(
            unknown[0], "不是该信息事项的字段", f"unknown field {unknown[0]}"
        )
    raw: dict[str, Any] = {**record.values}
    for code, token in record.sealed.items():
        raw[code] = ctx.vault.unseal(token)
    raw.update(corrections)
    return raw


def decide_objection(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    case_id: uuid.UUID | str,
    outcome: str,
    reason: str,
    action: str = "none",
    corrections: Mapping[str, Any] | None = None,
) -> CreditCase:
    """The reporting department decides: upheld (the record is corrected or revoked),
    partly upheld (corrected), or rejected; reasons are required. Publication resumes
    unless the record is revoked."""
    case = get_case(session, case_id)
    _require_kind(case, CaseKind.objection)
    require_department(actor, case)
    _require_status(case, Status.forwarded)
    try:
        status = Status(outcome)
    except ValueError:
        status = Status.submitted
    if status not in (Status.upheld, Status.partly, Status.rejected):
        raise ValidationFailed.one(
            "outcome", "请选择核查结论：异议成立、部分成立或不成立", f"outcome {outcome!r} invalid"
        )
    text = _text(reason, "reason", "核查结论理由", REASON_MAX, required=True)
    if status is Status.rejected and action != "none":
        raise ValidationFailed.one(
            "action", "异议不成立时不能更正或撤销信息", "a rejected objection changes nothing"
        )
    if status is not Status.rejected and action not in ("correct", "revoke"):
        raise ValidationFailed.one(
            "action", "异议成立时须选择更正或撤销该信息", "upheld objection needs correct or revoke"
        )
    if status is Status.partly and action == "revoke":
        raise ValidationFailed.one(
            "action", "部分成立时应更正信息", "partly upheld: correct, not revoke"
        )
    before = _state(case)
    record = _record_of(session, case)
    answered = ctx.today
    case.dept_answered_on = answered
    case.dept_on_time = case.due_on is None or answered <= case.due_on
    effect = ""
    if action == "revoke":
        revoke_record(
            session,
            actor=actor,
            record_id=record.id,
            reason=f"异议 {case.number} 成立：{text}",
            today=ctx.today,
        )
        effect = "已撤销该信息"
    elif action == "correct":
        if not corrections:
            raise ValidationFailed.one(
                "corrections", "请填写更正后的字段值", "no corrections given"
            )
        raw = _corrected_raw(ctx, case, record, corrections)
        report_record(
            session,
            actor=actor,
            catalog=ctx.catalog,
            rulebook=ctx.rulebook,
            vault=ctx.vault,
            item_code=record.item_code,
            raw=raw,
            today=ctx.today,
            reason=f"异议 {case.number} {status.label}：更正",
            calendar=ctx.calendar,
        )
        effect = "已更正该信息：" + "、".join(sorted(corrections))
    _close(session, ctx, actor, case, status, text)
    _entry(
        session,
        case,
        actor,
        "decide",
        f"{status.label}：{text}" + (f"（{effect}）" if effect else ""),
    )
    _audit(session, actor, case, "decide", before, reason=text)
    _notify(session, ctx, case)
    return case


def refuse_repair(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    case_id: uuid.UUID | str,
    code: str,
    reason: str,
) -> CreditCase:
    """The office (before forwarding) or the department refuses a repair, with a reason
    code for the figures and the reasons in words."""
    case = get_case(session, case_id)
    _require_kind(case, CaseKind.repair)
    if case.status == Status.forwarded.value:
        require_department(actor, case)
    else:
        require_office(actor)
    _require_status(case, Status.submitted, Status.forwarded)
    try:
        refusal = RefusalCode(code)
    except ValueError as exc:
        raise ValidationFailed.one(
            "code", "请选择不予修复的原因", f"refusal code {code!r} invalid"
        ) from exc
    text = _text(reason, "reason", "不予修复理由", REASON_MAX, required=True)
    before = _state(case)
    if case.status == Status.forwarded.value:
        case.dept_answered_on = ctx.today
        case.dept_on_time = case.due_on is None or ctx.today <= case.due_on
    case.refusal_code = refusal.value
    _close(session, ctx, actor, case, Status.refused, f"{refusal.label}：{text}")
    _entry(session, case, actor, "refuse", f"不予修复（{refusal.label}）：{text}")
    _audit(session, actor, case, "refuse", before, reason=text)
    _notify(session, ctx, case)
    return case


def approve_repair(
    session: Session, ctx: CaseContext, *, actor: Actor, case_id: uuid.UUID | str, reason: str
) -> CreditCase:
    """The department approves: the record leaves publication at once (已修复), stops
    being shared and used, in this transaction with its audit events."""
    case = get_case(session, case_id)
    _require_kind(case, CaseKind.repair)
    require_department(actor, case)
    _require_status(case, Status.forwarded)
    text = _text(reason, "reason", "修复决定理由", REASON_MAX, required=True)
    record = _record_of(session, case)
    facts = repair_facts(session, ctx, record)
    if not (facts.repairable and facts.in_publication):
        raise Conflict(
            "该信息当前不能修复："
            + ("已不在公示中" if not facts.in_publication else "不可提前修复"),
            f"record {record.id} cannot be repaired now",
        )
    before = _state(case)
    case.dept_answered_on = ctx.today
    case.dept_on_time = case.due_on is None or ctx.today <= case.due_on
    move(
        session,
        actor=actor,
        record=record,
        to=PublicationState.repaired,
        reason=f"信用修复 {case.number} 通过：{text}",
        legal_basis=facts.rule_set,
    )
    _close(session, ctx, actor, case, Status.approved, text)
    _entry(session, case, actor, "approve", f"修复成功，已停止公示：{text}")
    _audit(session, actor, case, "approve", before, reason=text, legal_basis=facts.rule_set)
    _notify(session, ctx, case)
    return case


def assign(
    session: Session, ctx: CaseContext, *, actor: Actor, case_id: uuid.UUID | str, assignee: str
) -> CreditCase:
    """Give an open case to a handler (an account's label), or take it (empty: me)."""
    case = get_case(session, case_id)
    require_view(actor, case)
    _require_open(case)
    before = _state(case)
    who = _text(assignee, "assignee", "经办人", 200, required=False) or actor.label
    case.assignee = who
    _entry(session, case, actor, "assign", f"经办人：{who}", public=False)
    _audit(session, actor, case, "assign", before)
    return case


def add_note(
    session: Session, ctx: CaseContext, *, actor: Actor, case_id: uuid.UUID | str, text: str
) -> CreditCase:
    """An internal note on the case (staff only; audited)."""
    case = get_case(session, case_id)
    require_view(actor, case)
    body = _text(text, "text", "备注", REASON_MAX, required=True)
    _entry(session, case, actor, "note", body, public=False)
    session.flush()
    record_event(
        session, actor=actor, action="case.note", entity_type="case", entity_id=case.id, reason=body
    )
    return case


def read_contact(session: Session, ctx: CaseContext, *, actor: Actor, case: CreditCase) -> Contact:
    """The applicant's contact details in clear, for a handler who must call them; the
    read is audited (every staff read of personal data leaves an event)."""
    require_view(actor, case)
    contact = contact_of(ctx.vault, case)
    record_event(
        session,
        actor=actor,
        action="case.contact_read",
        entity_type="case",
        entity_id=case.id,
        reason="查看申请人联系方式",
    )
    return contact


# -- views -------------------------------------------------------------------------------


def history(session: Session, case: CreditCase, *, public_only: bool) -> list[CaseEntry]:
    q = select(CaseEntry).where(CaseEntry.case_id == case.id)
    if public_only:
        q = q.where(CaseEntry.public.is_(True))
    return list(session.scalars(q.order_by(CaseEntry.at, CaseEntry.id)))


def attachments(session: Session, case: CreditCase) -> list[CaseAttachment]:
    return list(
        session.scalars(
            select(CaseAttachment)
            .where(CaseAttachment.case_id == case.id)
            .order_by(CaseAttachment.added_at)
        )
    )


def attachment(
    session: Session, case: CreditCase, attachment_id: uuid.UUID | str
) -> CaseAttachment:
    """One attachment of ``case``; its ``data`` is sealed (``read_attachment`` opens it)."""
    try:
        aid = uuid.UUID(str(attachment_id))
    except ValueError as exc:
        raise NotFound("未找到该附件", "attachment not found") from exc
    found = session.get(CaseAttachment, aid)
    if found is None or found.case_id != case.id:
        raise NotFound("未找到该附件", "attachment not found")
    return found


def queue(
    session: Session, actor: Actor, *, scope: str = "open", limit: int = 200
) -> list[CreditCase]:
    """Cases a handler works on: the office sees all, a department those about its own
    records; ``open`` (soonest due first), ``overdue`` or ``closed`` (latest first)."""
    q = select(CreditCase)
    if not actor.has_role(*OFFICE_ROLES, "auditor"):
        if actor.org_id is None:
            return []
        q = q.where(CreditCase.org_id == actor.org_id)
    open_values = [s.value for s in OPEN_STATUSES]
    if scope == "closed":
        q = q.where(CreditCase.status.not_in(open_values)).order_by(CreditCase.closed_at.desc())
    else:
        q = q.where(CreditCase.status.in_(open_values)).order_by(
            CreditCase.due_on, CreditCase.filed_at
        )
    return list(session.scalars(q.limit(limit)))


def case_marks(session: Session, record_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Marks the public credit file shows on records with an open objection:
    复议/诉讼中, or 异议处理中 once the office has accepted it."""
    if not record_ids:
        return {}
    rows = session.execute(
        select(CreditCase.record_id, CreditCase.tag, CreditCase.status).where(
            CreditCase.record_id.in_(list(record_ids)),
            CreditCase.kind == CaseKind.objection.value,
            CreditCase.status.in_([Status.accepted.value, Status.forwarded.value]),
        )
    ).all()
    return {rid: (tag or OBJECTION_MARK) for rid, tag, _status in rows}


def enforce_deadlines(session: Session, ctx: CaseContext, *, actor: Actor) -> list[CreditCase]:
    """Objections the office has not marked by the mark deadline are marked by the
    platform (the subject's record is suspended on time whatever the office's load;
    the office still verifies and may forward). Run by the periodic sweep."""
    late = session.scalars(
        select(CreditCase).where(
            CreditCase.kind == CaseKind.objection.value,
            CreditCase.status == Status.submitted.value,
            CreditCase.due_on < ctx.today,
        )
    ).all()
    for case in late:
        mark(
            session,
            ctx,
            actor=actor,
            case_id=case.id,
            accept=True,
            reason=f"信用办未在 {case.due_on} 前标注，平台按期自动标注",
        )
    return list(late)


def read_attachment(
    session: Session,
    vault: DataVault,
    *,
    actor: Actor,
    case: CreditCase,
    attachment_id: uuid.UUID | str,
) -> tuple[CaseAttachment, bytes]:
    """An attachment and its file as filed (cleaned), unsealed for a handler who must read
    it; the read is audited (the file may hold personal data)."""
    require_view(actor, case)
    found = attachment(session, case, attachment_id)
    record_event(
        session,
        actor=actor,
        action="case.attachment_read",
        entity_type="case",
        entity_id=case.id,
        after={"attachment_id": str(found.id), "filename": found.filename},
        reason=f"查看附件：{found.filename}",
    )
    return found, vault.unseal_bytes(found.data)
