"""Staff pages for collection (归集): upload a file, read the per-row report, fix and
resend quarantined rows, look up and revoke the department's own records."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from xinyong.accounts.models import Organisation
from xinyong.actors import Actor
from xinyong.errors import NotFound, XinyongError
from xinyong.ingest.models import Submission
from xinyong.ingest.quarantine import (
    STATUS_LABELS,
    get_quarantined,
    get_submission,
    list_quarantined,
    resubmit_quarantined,
    sees_all_departments,
    withdraw_quarantined,
)
from xinyong.ingest.readers import Table, open_table
from xinyong.ingest.service import Collector, Started
from xinyong.ingest.uploads import save_upload
from xinyong.records.models import CreditRecord
from xinyong.records.publication import STATE_LABELS
from xinyong.records.service import revoke_record, value_sources
from xinyong.runtime import Runtime
from xinyong.web.api.collection import submission_view
from xinyong.web.deps import RuntimeDep, SessionDep, StaffActor
from xinyong.web.templating import render

router = APIRouter(prefix="/staff", include_in_schema=False)

# Files up to this size load during the request; larger ones load in the background
# and the report page refreshes itself until the load is done.
INLINE_BYTES = 5 * 1024 * 1024
# The name a file is recorded under (Submission.filename), and the bytes of it kept in
# the stored file's name after its 33-character unique prefix.
SUBMISSION_STATUS = {"running": "处理中", "done": "已完成", "interrupted": "中断", "failed": "失败"}
# How the report names problems that are not about one field.
ROW_FIELD_LABELS = {"row": "整行", "file": "文件"}
OUTCOME_CHANNELS = {"api": "接口", "upload": "上传", "cli": "命令行", "resubmit": "修正重报"}


def _items(rt: Runtime) -> list[Any]:
    return list(rt.catalog.items.values())


def _own_org(session: SessionDep, actor: Actor) -> Organisation | None:
    if not actor.org_uscc:
        return None
    return session.execute(
        select(Organisation).where(Organisation.uscc == actor.org_uscc)
    ).scalar_one_or_none()


def _departments(session: SessionDep) -> list[Organisation]:
    return list(
        session.execute(
            select(Organisation)
            .where(Organisation.kind == "department")
            .order_by(Organisation.name)
        ).scalars()
    )


# --- upload ------------------------------------------------------------------------------


@router.get("/collection", response_class=HTMLResponse, response_model=None)
def upload_form(
    request: Request, session: SessionDep, rt: RuntimeDep, actor: StaffActor
) -> Response:
    return render(
        request,
        "staff/collection_upload.html",
        {
            "actor": actor,
            "items": _items(rt),
            "departments": _departments(session) if actor.has_role("office_admin") else [],
            "error": None,
            "max_mb": rt.settings.max_upload_mb,
        },
    )


def _load_in_background(collector: Collector, started: Started, table: Table) -> None:
    # A failure is recorded on the submission and shown on its page.
    with contextlib.suppress(XinyongError):
        collector.load(started, table)


@router.post("/collection", response_model=None)
def upload(
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    rt: RuntimeDep,
    actor: StaffActor,
    file: UploadFile,
    item: Annotated[str, Form(max_length=32)],
    department: Annotated[str | None, Form(max_length=18)] = None,
    reason: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    session.commit()  # the load runs its own transactions
    try:
        rt.catalog.item(item)
        path, info = save_upload(
            file.file,
            file.filename,
            folder=Path(rt.settings.upload_dir),
            limit_mb=rt.settings.max_upload_mb,
        )
        table = open_table(path, filename=info.filename)
        try:
            collector = Collector(rt.sessions, actor, rt.catalog, rt.rulebook, rt.vault)
            started = collector.start(
                table,
                item_code=item,
                department=department or None,
                channel="upload",
                file=info,
                reason=reason or None,
            )
        except BaseException:
            table.close()
            raise
    except XinyongError as exc:
        return render(
            request,
            "staff/collection_upload.html",
            {
                "actor": actor,
                "items": _items(rt),
                "departments": _departments(session) if actor.has_role("office_admin") else [],
                "error": exc,
                "max_mb": rt.settings.max_upload_mb,
            },
            status_code=exc.status,
        )
    if (info.size or 0) <= INLINE_BYTES:
        _load_in_background(collector, started, table)
    else:
        background.add_task(_load_in_background, collector, started, table)
    return RedirectResponse(f"/staff/collection/submissions/{started.submission_id}", 303)


# --- submissions -------------------------------------------------------------------------


@router.get("/collection/submissions", response_class=HTMLResponse, response_model=None)
def submissions(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    query = select(Submission, Organisation).join(
        Organisation, Organisation.id == Submission.org_id
    )
    if not sees_all_departments(actor):
        query = query.where(Organisation.uscc == (actor.org_uscc or ""))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(
        query.order_by(Submission.started_at.desc()).limit(50).offset((page - 1) * 50)
    ).all()
    return render(
        request,
        "staff/collection_submissions.html",
        {
            "actor": actor,
            "rows": [submission_view(s, o) for s, o in rows],
            "total": total,
            "page": page,
            "status_labels": SUBMISSION_STATUS,
            "channels": OUTCOME_CHANNELS,
        },
    )


@router.get(
    "/collection/submissions/{submission_id}", response_class=HTMLResponse, response_model=None
)
def submission_page(
    submission_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    actor: StaffActor,
) -> Response:
    sub, org = get_submission(session, actor, submission_id)
    view = submission_view(sub, org)
    item = rt.catalog.item(sub.item_code)
    quarantined = list_quarantined(session, actor, status="all", submission_id=sub.id, limit=200)
    return render(
        request,
        "staff/collection_submission.html",
        {
            "actor": actor,
            "s": view,
            "item": item,
            "labels": {**{f.code: f.name for f in item.fields}, **ROW_FIELD_LABELS},
            "quarantined": quarantined.rows,
            "status_labels": SUBMISSION_STATUS,
            "q_labels": STATUS_LABELS,
            "channels": OUTCOME_CHANNELS,
        },
    )


# --- quarantine --------------------------------------------------------------------------


@router.get("/collection/quarantine", response_class=HTMLResponse, response_model=None)
def quarantine_list(
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    actor: StaffActor,
    status: Annotated[str, Query(pattern="^(open|resolved|withdrawn|all)$")] = "open",
    item: Annotated[str | None, Query(max_length=32)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    result = list_quarantined(
        session, actor, status=status, item_code=item or None, limit=50, offset=(page - 1) * 50
    )
    return render(
        request,
        "staff/collection_quarantine.html",
        {
            "actor": actor,
            "page_rows": result.rows,
            "orgs": result.orgs,
            "total": result.total,
            "status": status,
            "item": item,
            "items": _items(rt),
            "page": page,
            "q_labels": STATUS_LABELS,
        },
    )


def _fix_form(
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    actor: Actor,
    row_id: uuid.UUID,
    *,
    error: XinyongError | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    row = get_quarantined(session, actor, row_id)
    item = rt.catalog.item(row.item_code)
    problems = (row.problems or {}).get("items", [])
    by_field: dict[str, list[str]] = {}
    for p in problems:
        by_field.setdefault(str(p.get("field") or ""), []).append(str(p.get("reason")))
    fields = []
    shown: set[str] = set()
    for header, value in (values or row.raw).items():
        spec = item.resolve_column(header)
        code = spec.code if spec else header
        shown.update({code, header})
        fields.append(
            {
                "header": header,
                "label": spec.name if spec else header,
                "code": code,
                "value": "" if value is None else value,
                "problems": list(
                    dict.fromkeys(by_field.get(code, []) + by_field.get(header, []))
                ),  # a header that is the field code itself would list them twice
                "long": bool(spec and spec.type == "text"),
            }
        )
    # A field the file had no column for (a fine amount the penalty needs, say): an
    # empty input beside its problem, so the row can be completed here.
    row_level = list(by_field.get("row", []))
    for code, reasons in by_field.items():
        if code in shown or code == "row":
            continue
        spec = item.resolve_column(code)
        if spec is None or spec.code in shown:
            row_level.extend(reasons)  # about the file or the row as a whole
            continue
        shown.add(spec.code)
        fields.append(
            {
                "header": spec.code,
                "label": spec.name,
                "code": spec.code,
                "value": "",
                "problems": reasons,
                "long": spec.type == "text",
            }
        )
    return render(
        request,
        "staff/collection_fix.html",
        {
            "actor": actor,
            "row": row,
            "item": item,
            "fields": fields,
            "row_problems": row_level,
            "error": error,
            "q_labels": STATUS_LABELS,
        },
        status_code=status_code,
    )


@router.get("/collection/quarantine/{row_id}", response_class=HTMLResponse, response_model=None)
def quarantine_fix(
    row_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    actor: StaffActor,
) -> Response:
    return _fix_form(request, session, rt, actor, row_id)


@router.post("/collection/quarantine/{row_id}", response_model=None)
async def quarantine_resend(
    row_id: uuid.UUID,
    request: Request,
    rt: RuntimeDep,
    actor: StaffActor,
) -> Response:
    form = await request.form()
    values = {str(k)[2:]: str(v) for k, v in form.multi_items() if str(k).startswith("f:")}
    reason = str(form.get("reason") or "") or None
    # The load and its transactions are blocking work: off the event loop.
    return await run_in_threadpool(_resend, request, rt, actor, row_id, values, reason)


def _resend(
    request: Request,
    rt: Runtime,
    actor: Actor,
    row_id: uuid.UUID,
    values: dict[str, Any],
    reason: str | None,
) -> Response:
    collector = Collector(rt.sessions, actor, rt.catalog, rt.rulebook, rt.vault)
    try:
        report = resubmit_quarantined(collector, row_id, values, reason=reason)
    except XinyongError as exc:
        with rt.sessions() as session:
            return _fix_form(
                request,
                session,
                rt,
                actor,
                row_id,
                error=exc,
                values=values,  # what the officer typed, not the stored row
                status_code=exc.status,
            )
    if report.rejected:
        return RedirectResponse(f"/staff/collection/quarantine/{row_id}?again=1", 303)
    return RedirectResponse(f"/staff/collection/submissions/{report.submission_id}", 303)


@router.post("/collection/quarantine/{row_id}/withdraw", response_model=None)
def quarantine_withdraw(
    row_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    actor: StaffActor,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        withdraw_quarantined(session, actor, row_id, reason=reason)
    except XinyongError as exc:
        session.rollback()
        return _fix_form(request, session, rt, actor, row_id, error=exc, status_code=exc.status)
    return RedirectResponse("/staff/collection/quarantine", 303)


# --- records -----------------------------------------------------------------------------


@router.get("/records", response_class=HTMLResponse, response_model=None)
def records(
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    actor: StaffActor,
    item: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    query = select(CreditRecord)
    if not sees_all_departments(actor):
        query = query.where(CreditRecord.authority_code == (actor.org_uscc or ""))
    if item:
        query = query.where(CreditRecord.item_code == item)
    if q:
        query = query.where(CreditRecord.doc_number.contains(q.strip()))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = list(
        session.execute(
            query.order_by(CreditRecord.received_at.desc()).limit(50).offset((page - 1) * 50)
        ).scalars()
    )
    return render(
        request,
        "staff/records.html",
        {
            "actor": actor,
            "records": rows,
            "total": total,
            "items": _items(rt),
            "item": item,
            "q": q or "",
            "page": page,
        },
    )


def _visible_record(session: SessionDep, actor: Actor, record_id: uuid.UUID) -> CreditRecord:
    record = session.get(CreditRecord, record_id)
    if record is None or not (
        sees_all_departments(actor) or record.authority_code == actor.org_uscc
    ):
        raise NotFound("未找到该信用记录", f"record {record_id} not found")
    return record


@router.get("/records/{record_id}", response_class=HTMLResponse, response_model=None)
def record_page(
    record_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    actor: StaffActor,
) -> Response:
    return _record_view(request, session, rt, actor, record_id)


def _record_view(
    request: Request,
    session: SessionDep,
    rt: Runtime,
    actor: Actor,
    record_id: uuid.UUID,
    *,
    error: XinyongError | None = None,
) -> Response:
    """The record page; ``error`` is why a revocation just failed (never from the URL)."""
    record = _visible_record(session, actor, record_id)
    item = rt.catalog.item(record.item_code)
    sources = value_sources(record)
    subs = {
        s.id: s
        for s in session.execute(
            select(Submission).where(Submission.id.in_({v for v in sources.values() if v}))
        ).scalars()
    }
    rows = []
    for spec in item.fields:
        if spec.code in record.values or spec.code in record.masked or spec.code in record.sealed:
            value = record.values.get(spec.code, record.masked.get(spec.code, "（已加密）"))
            if isinstance(value, list):
                value = "、".join(str(v) for v in value)  # several 处罚类别
            source_id = sources.get(spec.code)
            source = subs.get(source_id) if source_id else None
            rows.append({"label": spec.name, "code": spec.code, "value": value, "source": source})
    return render(
        request,
        "staff/record.html",
        {
            "actor": actor,
            "record": record,
            "state_label": STATE_LABELS.get(record.publication_state, record.publication_state),
            "item": item,
            "rows": rows,
            "channels": OUTCOME_CHANNELS,
            "error": error,
            "can_revoke": record.status == "active"
            and (record.authority_code == actor.org_uscc or actor.has_role("office_admin")),
        },
        status_code=error.status if error else 200,
    )


@router.post("/records/{record_id}/revoke", response_model=None)
def record_revoke(
    record_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    actor: StaffActor,
    reason: Annotated[str, Form(max_length=1000)] = "",
    legal_basis: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    _visible_record(session, actor, record_id)
    try:
        revoke_record(
            session,
            actor=actor,
            record_id=record_id,
            reason=reason,
            legal_basis=legal_basis or None,
        )
    except XinyongError as exc:
        session.rollback()
        return _record_view(request, session, rt, actor, record_id, error=exc)
    return RedirectResponse(f"/staff/records/{record_id}", 303)
