"""The applicant's side of a case: filing an objection or a credit repair application,
following it with the case number and 查询码, and withdrawing it.

The applicant (the subject, or its agent with an authorisation letter) files a case
against one published record and receives a case number and a 查询码 to follow it. A
repair is filed only when the rule set in force allows it now and its checklist of
materials is complete (``repair_facts``, ``checklist``); the applicant signs the
commitment letter.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xinyong.actors import Actor
from xinyong.cases.attachments import clean_attachment
from xinyong.cases.context import (
    REASON_MAX,
    Application,
    CaseContext,
    Contact,
    Filed,
    Upload,
    add_entry,
    audit_case,
    case_state,
    checked_text,
    close_case,
    notify_applicant,
    open_case,
    require_open,
    set_step,
    step_deadline,
)
from xinyong.cases.letters import authority_name, commitment_for_record, commitment_text
from xinyong.cases.models import CaseAttachment, CreditCase
from xinyong.cases.rules import (
    CaseKind,
    Checklist,
    Ground,
    Purpose,
    RepairFacts,
    Status,
    Step,
    case_number,
    repair_checklist,
)
from xinyong.codes.rules import normalize_code
from xinyong.config import Settings
from xinyong.errors import Conflict, Forbidden, NotFound, Problem, ValidationFailed
from xinyong.lists.models import ListEntry
from xinyong.measures.loader import load_measures
from xinyong.notices.rules import mask_email, normalise_email
from xinyong.privacy.crypto import DataVault
from xinyong.privacy.masking import MaskRule
from xinyong.records.models import CreditRecord
from xinyong.records.periods import record_answer
from xinyong.records.publication import PublicationState
from xinyong.records.service import is_published, published_clause
from xinyong.subjects.models import Subject
from xinyong.subjects.service import person_key

NAME_MAX = 50
MAX_ATTACHMENTS = 10
ACCESS_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read over the phone
PHONE_RE = re.compile(r"(1[3-9]\d{9})|(0\d{2,3}-?\d{7,8})")
_PHONE_MASK = MaskRule("keep", 3, 4)
_NAME_MASK = MaskRule("keep", 1, 0)
LIST_ITEMS = ("yzsx",)  # serious-dishonesty list entries (RULES.md §7)


def _contact(contact: Contact) -> Contact:
    name = checked_text(contact.name, "contact_name", "联系人姓名", NAME_MAX, required=True)
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
    code = normalize_code(code)
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
    reason = checked_text(a.reason, "reason", label, limit, required=kind is CaseKind.objection)
    _no_open_case(session, record)
    return record, subject, contact, reason


def _require_purposes(cleaned: list[tuple[Purpose, Any]], needed: Purpose, field_name: str) -> None:
    if not any(p is needed for p, _ in cleaned):
        raise ValidationFailed.one(
            field_name,
            f"须上传：{needed.label}",
            f"missing attachment {needed.value}",
        )


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
    step = step_deadline(ctx, CaseKind.objection, Step.mark, ctx.today)
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
    set_step(case, step)
    case.final_due_on = step.due.date
    _store_attachments(session, ctx.vault, case, cleaned)
    add_entry(session, case, actor, "file", f"提交异议：{ground.label}")
    audit_case(session, actor, case, "file", None, reason=reason)
    notify_applicant(session, ctx, case)
    return Filed(case, code)


def role_is_agent(a: Application) -> bool:
    return a.applicant_role == "agent"


def _listed(session: Session, ctx: CaseContext, record: CreditRecord) -> bool:
    """Whether the subject is on a serious-dishonesty or abnormal list: a published
    list record (e.g. 严重违法失信名单 item), or a listed entry on a black or abnormal
    list (xinyong.lists). An entry resting on ``record`` itself does not count: it
    leaves its list when the record is repaired (the list's exit way "repair")."""
    subject_id = record.subject_id
    published = session.scalar(
        select(CreditRecord.id)
        .where(
            CreditRecord.subject_id == subject_id,
            CreditRecord.item_code.in_(LIST_ITEMS),
            published_clause(ctx.today),
        )
        .limit(1)
    )
    if published is not None:
        return True
    book = ctx.measures or load_measures(ctx.catalog.items)
    codes = [code for code, d in book.lists.items() if d.kind in ("black", "abnormal")]
    entry = session.scalar(
        select(ListEntry.id)
        .where(
            ListEntry.subject_id == subject_id,
            ListEntry.status == "listed",
            ListEntry.list_code.in_(codes),
            or_(ListEntry.basis_record_id.is_(None), ListEntry.basis_record_id != record.id),
        )
        .limit(1)
    )
    return entry is not None


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
        and _listed(session, ctx, record)
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
    step = step_deadline(ctx, CaseKind.repair, Step.office, ctx.today)
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
    set_step(case, step)
    case.final_due_on = step.due.date
    _store_attachments(session, ctx.vault, case, cleaned)
    add_entry(session, case, actor, "file", "提交信用修复申请，并签署信用修复承诺书")
    audit_case(session, actor, case, "file", None, reason=reason or None)
    notify_applicant(session, ctx, case)
    return Filed(case, code)


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
    require_open(case)
    before = case_state(case)
    text = checked_text(reason, "reason", "撤回理由", REASON_MAX, required=False)
    close_case(session, ctx, actor, case, Status.withdrawn, text or "申请人撤回")
    add_entry(session, case, actor, "withdraw", text or "申请人撤回申请")
    audit_case(session, actor, case, "withdraw", before, reason=text or None)
    notify_applicant(session, ctx, case)
    return case
