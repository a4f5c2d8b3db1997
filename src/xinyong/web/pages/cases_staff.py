"""Staff pages for objections (异议) and credit repair (信用修复): the queues of the
credit office and of each department, the case page with its record, applicant,
materials, history and deadlines, and the forms of each step (``cases.handling``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from xinyong.actors import Actor
from xinyong.cases import filing, handling, queues, views
from xinyong.cases.context import CaseContext, Contact, get_case, require_view
from xinyong.cases.models import CreditCase
from xinyong.cases.rules import (
    PURPOSE_LABELS,
    CaseKind,
    Ground,
    RefusalCode,
    Status,
    Step,
)
from xinyong.errors import XinyongError
from xinyong.records.models import CreditRecord
from xinyong.records.publication import STATE_LABELS
from xinyong.subjects.models import Subject
from xinyong.web.deps import CaseCtx, SessionDep, StaffActor, same_origin
from xinyong.web.templating import render

router = APIRouter(prefix="/staff/cases", include_in_schema=False)

BASE = "/staff/cases"
NOTICES = {
    "accepted": "已受理，并已按规定标注、暂停公示（如适用）。",
    "not_accepted": "已决定不予受理，案件已办结。",
    "forwarded": "已转报送部门核查。",
    "refused": "已作出不予修复决定，案件已办结。",
    "decided": "核查结论已作出，案件已办结。",
    "extended": "办理期限已延长。",
    "approved": "已同意修复：该信息已停止公示。",
    "assigned": "经办人已更新。",
    "noted": "内部备注已添加。",
}
ROLE_LABELS = {"subject": "主体本身", "agent": "受托代理人"}
ENTRY_LABELS = {
    "file": "提交申请",
    "accept": "受理",
    "not_accept": "不予受理",
    "forward": "转报送部门",
    "extend": "延长期限",
    "decide": "核查结论",
    "refuse": "不予修复",
    "approve": "同意修复",
    "assign": "指派经办人",
    "note": "内部备注",
    "withdraw": "申请人撤回",
}
OUTCOMES = [(s.value, s.label) for s in (Status.upheld, Status.partly, Status.rejected)]
DECISION_ACTIONS = [("correct", "更正"), ("revoke", "撤销"), ("none", "不变更")]
REFUSALS = [(c.value, c.label) for c in RefusalCode]
KIND_FILTERS = [("", "全部"), *((k.value, k.label) for k in CaseKind)]

IdPath = Annotated[str, Path(max_length=64)]
# Generous limits: longer text reaches the service, which names the field and the form
# keeps it (a FastAPI limit would answer with a bare error page).
Text = Annotated[str, Form(max_length=20_000)]
Short = Annotated[str, Form(max_length=500)]


def _viewable(session: Session, actor: Actor, case_id: str) -> CreditCase:
    case = get_case(session, case_id)
    require_view(session, actor, case)
    return case


def _field_value(record: CreditRecord, code: str) -> str:
    value = record.values.get(code, record.masked.get(code, ""))
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return "" if value is None else str(value)


def _declaration_labels(session: Session, ctx: CaseContext, case: CreditCase) -> dict[str, str]:
    """Labels of the repair requirements the applicant declared (from the rule set)."""
    if case.kind != CaseKind.repair.value or not case.declarations:
        return {}
    record = session.get(CreditRecord, case.record_id)
    if record is None:
        return {}
    try:
        return dict(filing.repair_facts(session, ctx, record).requirements)
    except XinyongError:  # the rule set moved on: show the codes
        return {}


def _detail(
    request: Request,
    session: Session,
    ctx: CaseContext,
    actor: Actor,
    case: CreditCase,
    *,
    failed: str | None = None,
    error: XinyongError | None = None,
    values: dict[str, Any] | None = None,
    contact: Contact | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The case page; ``failed`` names the form whose ``error`` is shown next to it,
    with ``values`` as the user typed them."""
    record = session.get(CreditRecord, case.record_id)
    assert record is not None
    subject = session.get(Subject, case.subject_id)
    item = ctx.catalog.items.get(record.item_code)
    labels = {f.code: f.name for f in item.fields} if item else {}
    disputed = [
        {"code": code, "label": labels.get(code, code), "value": _field_value(record, code)}
        for code in case.fields
    ]
    corrections = [
        {
            "code": d["code"],
            "label": d["label"],
            "value": (values or {}).get(f"corr_{d['code']}", record.values.get(d["code"], "")),
        }
        for d in disputed
    ]
    return render(
        request,
        "staff/case.html",
        {
            "actor": actor,
            "case": case,
            "kind_label": CaseKind(case.kind).label,
            "status_label": Status(case.status).label,
            "step_label": Step(case.step).label if case.step else None,
            "due": queues.due_of(case, ctx.calendar, ctx.today),
            "record": record,
            "record_state": STATE_LABELS.get(record.publication_state, record.publication_state),
            "item_name": item.name if item else record.item_code,
            "subject_name": subject.name if subject else "",
            "role_label": ROLE_LABELS.get(case.applicant_role, case.applicant_role),
            "ground_label": Ground(case.ground).label if case.ground else None,
            "disputed": disputed,
            "corrections": corrections,
            "declarations": _declaration_labels(session, ctx, case),
            "attachments": views.attachments(session, case),
            "purpose_labels": {p.value: label for p, label in PURPOSE_LABELS.items()},
            "history": views.history(session, case, public_only=False),
            "entry_labels": ENTRY_LABELS,
            "status_labels": {s.value: s.label for s in Status},
            "allowed": queues.actions_for(session, actor, case),
            "outcomes": OUTCOMES,
            "decision_actions": DECISION_ACTIONS,
            "refusals": REFUSALS,
            "refusal_label": RefusalCode(case.refusal_code).label if case.refusal_code else None,
            "contact": contact,
            "failed": failed,
            "error": error,
            "values": values or {},
            "notice": NOTICES.get(request.query_params.get("done", "")),
        },
        status_code=status_code,
    )


def _act(
    request: Request,
    session: Session,
    ctx: CaseContext,
    actor: Actor,
    case_id: str,
    *,
    form: str,
    values: dict[str, Any],
    done: str,
    step: Callable[[CreditCase], object],
) -> Response:
    """Run one step on a case the actor may see; on a domain error nothing of it stays
    (a savepoint) and the page comes back with the reason next to the form."""
    same_origin(request)
    case = _viewable(session, actor, case_id)
    try:
        with session.begin_nested():
            step(case)
    except XinyongError as exc:
        session.expire_all()
        return _detail(
            request,
            session,
            ctx,
            actor,
            get_case(session, case.id),
            failed=form,
            error=exc,
            values=values,
            status_code=exc.status,
        )
    return RedirectResponse(f"{BASE}/{case.id}?done={done}", status_code=303)


# --- the queue -----------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse, response_model=None)
def queue_page(
    request: Request,
    session: SessionDep,
    ctx: CaseCtx,
    actor: StaffActor,
    tab: Annotated[str, Query(max_length=16)] = "open",
    kind: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """待办 (soonest due first), 已逾期 and 已办结, optionally of one kind; the office
    sees every case, a department those about its own records."""
    tab = tab if tab in queues.TABS else "open"
    kind = kind if kind in {k.value for k in CaseKind} else ""
    rows = queues.queue_rows(
        session,
        actor,
        catalog=ctx.catalog,
        calendar=ctx.calendar,
        today=ctx.today,
        tab=tab,
        kind=kind or None,
    )
    return render(
        request,
        "staff/cases.html",
        {
            "actor": actor,
            "rows": rows,
            "tab": tab,
            "tabs": queues.TAB_LABELS,
            "kind": kind,
            "kinds": KIND_FILTERS,
            "counts": queues.counts(session, actor, ctx.today),
            "step_labels": {s.value: s.label for s in Step},
            "today": ctx.today,
        },
    )


# --- the case ------------------------------------------------------------------------------


@router.get("/{case_id}", response_class=HTMLResponse, response_model=None)
def case_page(
    request: Request, session: SessionDep, ctx: CaseCtx, actor: StaffActor, case_id: IdPath
) -> Response:
    return _detail(request, session, ctx, actor, _viewable(session, actor, case_id))


@router.post("/{case_id}/contact", response_class=HTMLResponse, response_model=None)
def reveal_contact(
    request: Request, session: SessionDep, ctx: CaseCtx, actor: StaffActor, case_id: IdPath
) -> Response:
    """The applicant's contact in clear, on this response only; the read is audited."""
    same_origin(request)
    case = _viewable(session, actor, case_id)
    contact = handling.read_contact(session, ctx, actor=actor, case=case)
    return _detail(request, session, ctx, actor, case, contact=contact)


@router.get("/{case_id}/attachments/{attachment_id}", response_model=None)
def download_attachment(
    session: SessionDep,
    ctx: CaseCtx,
    actor: StaffActor,
    case_id: IdPath,
    attachment_id: IdPath,
) -> Response:
    """The file as filed (cleaned); every staff read of it is an audit event."""
    case = _viewable(session, actor, case_id)
    found, data = handling.read_attachment(
        session, ctx.vault, actor=actor, case=case, attachment_id=attachment_id
    )
    disposition = f"attachment; filename*=UTF-8''{quote(found.filename)}"
    return Response(
        content=data,
        media_type=found.content_type,
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )


@router.post("/{case_id}/accept", response_model=None)
def accept(
    request: Request,
    session: SessionDep,
    ctx: CaseCtx,
    actor: StaffActor,
    case_id: IdPath,
    remark: Text = "",
) -> Response:
    return _act(
        request,
        session,
        ctx,
        actor,
        case_id,
        form="accept",
        values={"remark": remark},
        done="accepted",
        step=lambda c: handling.mark(
            session, ctx, actor=actor, case_id=c.id, accept=True, reason=remark
        ),
    )


@router.post("/{case_id}/not-accept", response_model=None)
def not_accept(
    request: Request,
    session: SessionDep,
    ctx: CaseCtx,
    actor: StaffActor,
    case_id: IdPath,
    reason: Text = "",
) -> Response:
    return _act(
        request,
        session,
        ctx,
        actor,
        case_id,
        form="not_accept",
        values={"reason": reason},
        done="not_accepted",
        step=lambda c: handling.mark(
            session, ctx, actor=actor, case_id=c.id, accept=False, reason=reason
        ),
    )


@router.post("/{case_id}/forward", response_model=None)
def forward(
    request: Request,
    session: SessionDep,
    ctx: CaseCtx,
    actor: StaffActor,
    case_id: IdPath,
    note: Text = "",
) -> Response:
    return _act(
        request,
        session,
        ctx,
        actor,
        case_id,
        form="forward",
        values={"note": note},
        done="forwarded",
        step=lambda c: handling.forward(session, ctx, actor=actor, case_id=c.id, note=note),
    )


@router.post("/{case_id}/refuse", response_model=None)
def refuse(
    request: Request,
    session: SessionDep,
    ctx: CaseCtx,
    actor: StaffActor,
    case_id: IdPath,
    code: Short = "",
    reason: Text = "",
) -> Response:
    return _act(
        request,
        session,
        ctx,
        actor,
        case_id,
        form="refuse",
        values={"code": code, "reason": reason},
        done="refused",
        step=lambda c: handling.refuse_repair(
            session, ctx, actor=actor, case_id=c.id, code=code, reason=reason
        ),
    )


async def _corrections(request: Request) -> dict[str, str]:
    """The ``corr_<CODE>`` inputs of the decision form, by field code."""
    form = await request.form()
    return {
        str(k)[5:]: str(v).strip()
        for k, v in form.multi_items()
        if str(k).startswith("corr_") and isinstance(v, str)
    }


@router.post("/{case_id}/decide", response_model=None)
def decide(
    request: Request,
    session: SessionDep,
    ctx: CaseCtx,
    actor: StaffActor,
    case_id: IdPath,
    typed: Annotated[dict[str, str], Depends(_corrections)],
    outcome: Short = "",
    reason: Text = "",
    action: Short = "",
) -> Response:
    """The department's conclusion on an objection; for 更正, only the fields whose
    value the reviewer changed are corrected."""

    def step(case: CreditCase) -> None:
        record = session.get(CreditRecord, case.record_id)
        assert record is not None
        changed = {
            code: value
            for code, value in typed.items()
            if code in case.fields and value and value != _field_value(record, code)
        }
        handling.decide_objection(
            session,
            ctx,
            actor=actor,
            case_id=case.id,
            outcome=outcome,
            reason=reason,
            action=action or "none",
            corrections=changed if action == "correct" else None,
        )

    values: dict[str, Any] = {"outcome": outcome, "reason": reason, "action": action}
    values.update({f"corr_{k}": v for k, v in typed.items()})
    return _act(
        request,
        session,
        ctx,
        actor,
        case_id,
        form="decide",
        values=values,
        done="decided",
        step=step,
    )


@router.post("/{case_id}/extend", response_model=None)
def extend(
    request: Request,
    session: SessionDep,
    ctx: CaseCtx,
    actor: StaffActor,
    case_id: IdPath,
    reason: Text = "",
) -> Response:
    return _act(
        request,
        session,
        ctx,
        actor,
        case_id,
        form="extend",
        values={"reason": reason},
        done="extended",
        step=lambda c: handling.extend_deadline(
            session, ctx, actor=actor, case_id=c.id, reason=reason
        ),
    )


@router.post("/{case_id}/approve", response_model=None)
def approve(
    request: Request,
    session: SessionDep,
    ctx: CaseCtx,
    actor: StaffActor,
    case_id: IdPath,
    reason: Text = "",
) -> Response:
    return _act(
        request,
        session,
        ctx,
        actor,
        case_id,
        form="approve",
        values={"reason": reason},
        done="approved",
        step=lambda c: handling.approve_repair(
            session, ctx, actor=actor, case_id=c.id, reason=reason
        ),
    )


@router.post("/{case_id}/assign", response_model=None)
def assign(
    request: Request,
    session: SessionDep,
    ctx: CaseCtx,
    actor: StaffActor,
    case_id: IdPath,
    assignee: Short = "",
) -> Response:
    return _act(
        request,
        session,
        ctx,
        actor,
        case_id,
        form="assign",
        values={"assignee": assignee},
        done="assigned",
        step=lambda c: handling.assign(session, ctx, actor=actor, case_id=c.id, assignee=assignee),
    )


@router.post("/{case_id}/note", response_model=None)
def note(
    request: Request,
    session: SessionDep,
    ctx: CaseCtx,
    actor: StaffActor,
    case_id: IdPath,
    text: Text = "",
) -> Response:
    return _act(
        request,
        session,
        ctx,
        actor,
        case_id,
        form="note",
        values={"text": text},
        done="noted",
        step=lambda c: handling.add_note(session, ctx, actor=actor, case_id=c.id, text=text),
    )
