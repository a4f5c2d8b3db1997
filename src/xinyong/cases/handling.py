"""The staff's steps on a case, from marking an objection to the department's decision.

The credit office marks (accepts) an objection and verifies it, or checks a repair
application, and forwards it to the department that reported the record; that
department decides. Every step has a deadline in working days (``cases.rules``);
objections the office has not marked in time are marked by the platform.

Effects on the record happen in the same transaction as the decision: an accepted
objection about the content suspends publication (where the catalog item allows it)
and a reconsideration or litigation tags it; an upheld objection corrects or revokes
it; an approved repair takes it out of publication at once (已修复).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.actors import Actor
from xinyong.audit.service import record_event
from xinyong.cases.context import (
    REASON_MAX,
    CaseContext,
    Contact,
    add_entry,
    audit_case,
    case_state,
    checked_text,
    close_case,
    contact_of,
    get_case,
    notify_applicant,
    record_of,
    require_department,
    require_kind,
    require_office,
    require_open,
    require_status,
    require_view,
    set_step,
    step_deadline,
)
from xinyong.cases.filing import repair_facts
from xinyong.cases.models import CaseAttachment, CreditCase
from xinyong.cases.rules import (
    OBJECTION_MARK,
    PROCEEDINGS_TAG,
    CaseKind,
    Ground,
    RefusalCode,
    Status,
    Step,
    StepDeadline,
    extend,
    step_rules,
)
from xinyong.cases.views import attachment
from xinyong.errors import Conflict, ValidationFailed
from xinyong.lists.service import end_entries_based_on
from xinyong.privacy.crypto import DataVault
from xinyong.records.models import CreditRecord
from xinyong.records.publication import PublicationState, move
from xinyong.records.service import report_record, revoke_record
from xinyong.workdays.rules import Deadline


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
    require_kind(case, CaseKind.objection)
    require_status(case, Status.submitted)
    before = case_state(case)
    if not accept:
        text = checked_text(reason, "reason", "不予受理理由", REASON_MAX, required=True)
        close_case(session, ctx, actor, case, Status.not_accepted, text)
        add_entry(session, case, actor, "not_accept", f"不予受理：{text}")
        audit_case(session, actor, case, "not_accept", before, reason=text)
        notify_applicant(session, ctx, case)
        return case
    record = record_of(session, case)
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
    step = step_deadline(ctx, CaseKind.objection, Step.office, ctx.today)
    set_step(case, step)
    case.final_due_on = step.due.date
    remark = (reason or "").strip() or None
    add_entry(session, case, actor, "accept", "；".join(notes) + (f"。{remark}" if remark else ""))
    audit_case(session, actor, case, "accept", before, reason=remark)
    notify_applicant(session, ctx, case)
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
    require_status(case, Status.accepted if kind is CaseKind.objection else Status.submitted)
    before = case_state(case)
    case.status = Status.forwarded.value
    set_step(case, step_deadline(ctx, kind, Step.department, ctx.today))
    case.extended = False
    text = checked_text(note, "note", "转办意见", REASON_MAX, required=False) or None
    add_entry(session, case, actor, "forward", "转报送部门核查" + (f"：{text}" if text else ""))
    audit_case(session, actor, case, "forward", before, reason=text)
    notify_applicant(session, ctx, case)
    return case


def extend_deadline(
    session: Session, ctx: CaseContext, *, actor: Actor, case_id: uuid.UUID | str, reason: str
) -> CreditCase:
    """The department extends its answer once, where the rule allows (objections: by
    ``objection_extension_days``); the office's overall deadline moves with it."""
    case = get_case(session, case_id)
    require_department(actor, case)
    require_status(case, Status.forwarded)
    text = checked_text(reason, "reason", "延期理由", REASON_MAX, required=True)
    before = case_state(case)
    rule = step_rules(ctx.settings)[(CaseKind(case.kind), Step.department)]
    assert case.step_started is not None and case.due_on is not None
    due = Deadline(case.due_on, case.due_provisional, (), "")
    current = StepDeadline(rule, case.step_started, due, case.extended)
    longer = extend(current, ctx.calendar)
    set_step(case, longer)
    if case.final_due_on is not None:
        case.final_due_on = max(
            case.final_due_on,
            ctx.calendar.add_working_days(case.final_due_on, rule.extension_days).date,
        )
    add_entry(
        session, case, actor, "extend", f"延长办理期限至 {longer.due.date.isoformat()}：{text}"
    )
    audit_case(session, actor, case, "extend", before, reason=text)
    notify_applicant(session, ctx, case)
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
    require_kind(case, CaseKind.objection)
    require_department(actor, case)
    require_status(case, Status.forwarded)
    try:
        status = Status(outcome)
    except ValueError:
        status = Status.submitted
    if status not in (Status.upheld, Status.partly, Status.rejected):
        raise ValidationFailed.one(
            "outcome", "请选择核查结论：异议成立、部分成立或不成立", f"outcome {outcome!r} invalid"
        )
    text = checked_text(reason, "reason", "核查结论理由", REASON_MAX, required=True)
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
    before = case_state(case)
    record = record_of(session, case)
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
    close_case(session, ctx, actor, case, status, text)
    add_entry(
        session,
        case,
        actor,
        "decide",
        f"{status.label}：{text}" + (f"（{effect}）" if effect else ""),
    )
    audit_case(session, actor, case, "decide", before, reason=text)
    notify_applicant(session, ctx, case)
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
    require_kind(case, CaseKind.repair)
    if case.status == Status.forwarded.value:
        require_department(actor, case)
    else:
        require_office(actor)
    require_status(case, Status.submitted, Status.forwarded)
    try:
        refusal = RefusalCode(code)
    except ValueError as exc:
        raise ValidationFailed.one(
            "code", "请选择不予修复的原因", f"refusal code {code!r} invalid"
        ) from exc
    text = checked_text(reason, "reason", "不予修复理由", REASON_MAX, required=True)
    before = case_state(case)
    if case.status == Status.forwarded.value:
        case.dept_answered_on = ctx.today
        case.dept_on_time = case.due_on is None or ctx.today <= case.due_on
    case.refusal_code = refusal.value
    close_case(session, ctx, actor, case, Status.refused, f"{refusal.label}：{text}")
    add_entry(session, case, actor, "refuse", f"不予修复（{refusal.label}）：{text}")
    audit_case(session, actor, case, "refuse", before, reason=text)
    notify_applicant(session, ctx, case)
    return case


def approve_repair(
    session: Session, ctx: CaseContext, *, actor: Actor, case_id: uuid.UUID | str, reason: str
) -> CreditCase:
    """The department approves: the record leaves publication at once (已修复), stops
    being shared and used, in this transaction with its audit events."""
    case = get_case(session, case_id)
    require_kind(case, CaseKind.repair)
    require_department(actor, case)
    require_status(case, Status.forwarded)
    text = checked_text(reason, "reason", "修复决定理由", REASON_MAX, required=True)
    record = record_of(session, case)
    facts = repair_facts(session, ctx, record)
    if not (facts.repairable and facts.in_publication):
        raise Conflict(
            "该信息当前不能修复："
            + ("已不在公示中" if not facts.in_publication else "不可提前修复"),
            f"record {record.id} cannot be repaired now",
        )
    before = case_state(case)
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
    # List entries resting on the repaired record leave their lists (way "repair").
    end_entries_based_on(
        session,
        actor=actor,
        record_id=record.id,
        way="repair",
        reason=f"所依据的信用记录已修复（信用修复 {case.number}）",
        today=ctx.today,
    )
    close_case(session, ctx, actor, case, Status.approved, text)
    add_entry(session, case, actor, "approve", f"修复成功，已停止公示：{text}")
    audit_case(session, actor, case, "approve", before, reason=text, legal_basis=facts.rule_set)
    notify_applicant(session, ctx, case)
    return case


def assign(
    session: Session, ctx: CaseContext, *, actor: Actor, case_id: uuid.UUID | str, assignee: str
) -> CreditCase:
    """Give an open case to a handler (an account's label), or take it (empty: me)."""
    case = get_case(session, case_id)
    require_view(session, actor, case)
    require_open(case)
    before = case_state(case)
    who = checked_text(assignee, "assignee", "经办人", 200, required=False) or actor.label
    case.assignee = who
    add_entry(session, case, actor, "assign", f"经办人：{who}", public=False)
    audit_case(session, actor, case, "assign", before)
    return case


def add_note(
    session: Session, ctx: CaseContext, *, actor: Actor, case_id: uuid.UUID | str, text: str
) -> CreditCase:
    """An internal note on the case (staff only; audited)."""
    case = get_case(session, case_id)
    require_view(session, actor, case)
    body = checked_text(text, "text", "备注", REASON_MAX, required=True)
    add_entry(session, case, actor, "note", body, public=False)
    session.flush()
    record_event(
        session, actor=actor, action="case.note", entity_type="case", entity_id=case.id, reason=body
    )
    return case


def read_contact(session: Session, ctx: CaseContext, *, actor: Actor, case: CreditCase) -> Contact:
    """The applicant's contact details in clear, for a handler who must call them; the
    read is audited (every staff read of personal data leaves an event)."""
    require_view(session, actor, case)
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
    require_view(session, actor, case)
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
