"""Staff pages of list entries (名单): the lists with their basis and counts, the
entries with filters, the propose form, an entry with its notice (printable), the
notify / list / withdraw / exit actions and the entry's history from the audit trail."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from xinyong.accounts.models import Organisation
from xinyong.accounts.rules import require_role
from xinyong.actors import Actor
from xinyong.audit.service import events_for
from xinyong.db import china_today
from xinyong.errors import Conflict, XinyongError
from xinyong.lists import rules, service
from xinyong.lists.models import ListEntry
from xinyong.measures.schema import BASIS_LEVEL_LABELS, EXIT_LABELS, LIST_KIND_LABELS
from xinyong.subjects.models import Subject
from xinyong.web.deps import RuntimeDep, SessionDep, StaffActor, same_origin
from xinyong.web.templating import problems_by_field, render
from xinyong.workdays.service import load_calendar

router = APIRouter(include_in_schema=False)

STAFF = "/staff/lists"
NOTICES = {
    "proposed": "已登记拟列入。下一步：送达列入告知书。",
    "notified": "告知书已生成，异议期已起算。请打印并送达当事人。",
    "listed": "已列入名单。",
    "withdrawn": "已撤回。",
    "exited": "已移出名单。",
    "moved": "已移出名单，并按本地规则转入新名单。",
}
FIELD_LABELS = {
    "list_code": "名单",
    "subject_code": "主体代码",
    "doc_number": "认定文书号",
    "reasons": "列入事由",
    "basis_record_id": "所依据的信用记录",
    "reason": "理由",
    "way": "移出方式",
}
ACTION_LABELS = {
    "list_entry.propose": "拟列入",
    "list_entry.notify": "送达告知书",
    "list_entry.list": "列入",
    "list_entry.withdraw": "撤回",
    "list_entry.exit": "移出",
    "list_entry.move": "转入（本地规则）",
}

IdPath = Annotated[str, Path(max_length=64)]
TextForm = Annotated[str, Form(max_length=5_000)]


def list_reader(actor: StaffActor) -> Actor:
    require_role(actor, *rules.READ_ROLES)
    return actor


Reader = Annotated[Actor, Depends(list_reader)]


_HELPERS: dict[str, Any] = {
    "status_labels": rules.STATUS_LABELS,
    "kind_labels": LIST_KIND_LABELS,
    "exit_labels": EXIT_LABELS,
    "level_labels": BASIS_LEVEL_LABELS,
    "field_labels": FIELD_LABELS,
    "basis_text": rules.basis_text,
}


def _can_act(actor: Actor) -> bool:
    return actor.has_role(*rules.ACT_ROLES)


@router.get(STAFF, response_class=HTMLResponse, response_model=None)
def lists_page(
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    staff: Reader,
    list_code: Annotated[str, Query(alias="list", max_length=40)] = "",
    status: Annotated[str, Query(max_length=12)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Each list with its basis and counts by status, and the entries with filters."""
    status = status if status in rules.STATUS_LABELS else ""
    entries = service.list_entries(
        session, actor=staff, list_code=list_code or None, status=status or None, page=page
    )
    return render(
        request,
        "staff/lists.html",
        {
            **_HELPERS,
            "lists": list(rt.measures.lists.values()),
            "counts": service.counts_by_status(session, actor=staff),
            "entries": entries,
            "list_code": list_code,
            "status": status,
            "can_act": _can_act(staff),
        },
    )


def _form_page(
    request: Request,
    rt: RuntimeDep,
    values: dict[str, str],
    error: XinyongError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    by_field, other = problems_by_field(error, FIELD_LABELS)
    return render(
        request,
        "staff/lists_propose.html",
        {
            **_HELPERS,
            "lists": list(rt.measures.lists.values()),
            "values": values,
            "error": error,
            "field_problems": by_field,
            "other_problems": other,
        },
        status_code=status_code,
    )


@router.get(f"{STAFF}/new", response_class=HTMLResponse, response_model=None)
def propose_form(
    request: Request,
    rt: RuntimeDep,
    staff: Reader,
    list_code: Annotated[str, Query(alias="list", max_length=40)] = "",
) -> Response:
    require_role(staff, *rules.ACT_ROLES)
    values = {
        "list_code": list_code,
        "subject_code": "",
        "doc_number": "",
        "reasons": "",
        "basis_record_id": "",
    }
    return _form_page(request, rt, values)


@router.post(f"{STAFF}/new", response_model=None)
def propose(
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    staff: Reader,
    list_code: Annotated[str, Form(max_length=200)] = "",
    subject_code: Annotated[str, Form(max_length=200)] = "",
    doc_number: TextForm = "",
    reasons: TextForm = "",
    basis_record_id: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    same_origin(request)
    values = {
        "list_code": list_code,
        "subject_code": subject_code,
        "doc_number": doc_number,
        "reasons": reasons,
        "basis_record_id": basis_record_id,
    }
    try:
        # The basis record by its id (the record page's address) or its 决定文书号.
        record_id, record_doc = None, None
        if basis_record_id.strip():
            try:
                record_id = uuid.UUID(basis_record_id.strip())
            except ValueError:
                record_doc = basis_record_id.strip()
        entry = service.propose(
            session,
            actor=staff,
            book=rt.measures,
            today=china_today(),
            list_code=list_code,
            subject_code=subject_code,
            vault=rt.vault,
            doc_number=doc_number,
            reasons=reasons,
            basis_record_id=record_id,
            basis_doc_number=record_doc,
        )
    except XinyongError as exc:
        return _form_page(request, rt, values, exc, status_code=exc.status)
    return RedirectResponse(f"{STAFF}/entries/{entry.id}?done=proposed", status_code=303)


def _entry_page(
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    staff: Actor,
    entry: ListEntry,
    *,
    error: XinyongError | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
    template: str = "staff/lists_entry.html",
) -> HTMLResponse:
    by_field, other = problems_by_field(error, FIELD_LABELS)
    subject = session.get(Subject, entry.subject_id)
    org = session.get(Organisation, entry.org_id)
    history = events_for(session, service.ENTITY, entry.id)
    today = china_today()
    return render(
        request,
        template,
        {
            **_HELPERS,
            "entry": entry,
            "list_def": rt.measures.lists.get(entry.list_code),
            "subject": subject,
            "org": org,
            "history": history,
            "action_labels": ACTION_LABELS,
            "related": service.related(session, entry),
            "can_act": _can_act(staff),
            "window_over": (
                entry.notified_on is not None
                and entry.objection_until is not None
                and rules.objection_over(entry.notified_on, entry.objection_until, today)
            ),
            "today": today,
            "error": error,
            "field_problems": by_field,
            "other_problems": other,
            "form": form or {},
            "notice": NOTICES.get(request.query_params.get("done", "")),
        },
        status_code=status_code,
    )


def _visible(session: SessionDep, staff: Actor, entry_id: str) -> ListEntry:
    entry = service.get_entry(session, entry_id)
    service.require_view(staff, entry)
    return entry


@router.get(f"{STAFF}/entries/{{entry_id}}", response_class=HTMLResponse, response_model=None)
def entry_page(
    request: Request, session: SessionDep, rt: RuntimeDep, staff: Reader, entry_id: IdPath
) -> Response:
    entry = _visible(session, staff, entry_id)
    return _entry_page(request, session, rt, staff, entry)


@router.get(
    f"{STAFF}/entries/{{entry_id}}/notice", response_class=HTMLResponse, response_model=None
)
def notice_page(
    request: Request, session: SessionDep, rt: RuntimeDep, staff: Reader, entry_id: IdPath
) -> Response:
    """The notice (告知书) as served, on a page made for printing."""
    entry = _visible(session, staff, entry_id)
    if not entry.notice_text:
        return _entry_page(
            request,
            session,
            rt,
            staff,
            entry,
            error=Conflict("尚未送达告知书", "no notice yet"),
            status_code=409,
        )
    return _entry_page(request, session, rt, staff, entry, template="staff/lists_notice.html")


def _act(
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    staff: Actor,
    entry_id: str,
    done: str,
    form: dict[str, str],
    action: Any,
) -> Response:
    same_origin(request)
    entry = _visible(session, staff, entry_id)
    try:
        outcome = action(entry)
    except XinyongError as exc:
        session.rollback()
        entry = _visible(session, staff, entry_id)
        return _entry_page(
            request, session, rt, staff, entry, error=exc, form=form, status_code=exc.status
        )
    if isinstance(outcome, service.ExitResult) and outcome.moved_to is not None:
        done = "moved"
    return RedirectResponse(f"{STAFF}/entries/{entry.id}?done={done}", status_code=303)


@router.post(f"{STAFF}/entries/{{entry_id}}/notify", response_model=None)
def notify(
    request: Request, session: SessionDep, rt: RuntimeDep, staff: Reader, entry_id: IdPath
) -> Response:
    def run(entry: ListEntry) -> Any:
        return service.notify(
            session,
            actor=staff,
            book=rt.measures,
            calendar=load_calendar(session),
            today=china_today(),
            entry_id=entry.id,
        )

    return _act(request, session, rt, staff, entry_id, "notified", {}, run)


@router.post(f"{STAFF}/entries/{{entry_id}}/confirm", response_model=None)
def confirm(
    request: Request, session: SessionDep, rt: RuntimeDep, staff: Reader, entry_id: IdPath
) -> Response:
    def run(entry: ListEntry) -> Any:
        return service.confirm(
            session, actor=staff, book=rt.measures, today=china_today(), entry_id=entry.id
        )

    return _act(request, session, rt, staff, entry_id, "listed", {}, run)


@router.post(f"{STAFF}/entries/{{entry_id}}/withdraw", response_model=None)
def withdraw(
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    staff: Reader,
    entry_id: IdPath,
    reason: TextForm = "",
) -> Response:
    def run(entry: ListEntry) -> Any:
        return service.withdraw_proposal(
            session,
            actor=staff,
            book=rt.measures,
            entry_id=entry.id,
            reason=reason,
            today=china_today(),
        )

    return _act(
        request, session, rt, staff, entry_id, "withdrawn", {"withdraw_reason": reason}, run
    )


@router.post(f"{STAFF}/entries/{{entry_id}}/exit", response_model=None)
def exit_entry(
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    staff: Reader,
    entry_id: IdPath,
    way: Annotated[str, Form(max_length=20)] = "",
    reason: TextForm = "",
) -> Response:
    def run(entry: ListEntry) -> Any:
        return service.exit_entry(
            session,
            actor=staff,
            book=rt.measures,
            entry_id=entry.id,
            way=way,
            reason=reason,
            today=china_today(),
        )

    return _act(
        request, session, rt, staff, entry_id, "exited", {"way": way, "exit_reason": reason}, run
    )
