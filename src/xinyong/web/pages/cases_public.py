"""The applicant's pages of objections (异议) and credit repair (信用修复): the guide,
the forms reached from a record on the credit file, the filed page with the case number
and 查询码, and 办件查询 (status, history, decision, withdrawal). No JavaScript.

A refusal re-renders the form with the Chinese reason next to the field it names and
every typed value kept (files must be chosen again: browsers never re-send them).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from xinyong.cases import filing
from xinyong.cases.context import CaseContext, Filed, Upload, open_case
from xinyong.cases.models import CreditCase
from xinyong.cases.rules import Ground, Purpose
from xinyong.errors import XinyongError
from xinyong.web.case_forms import (
    ACCEPT,
    FILE_FIELDS,
    OBJECTION_PURPOSES,
    ROLES,
    WEBSITE,
    CaseForm,
    RecordView,
    case_dict,
    commitment_preview,
    field_errors,
    filed_dict,
    max_upload_bytes,
    published_view,
    record_view,
    repair_plan,
    require_commitment,
)
from xinyong.web.deps import CaseCtx, SessionDep
from xinyong.web.ratelimit import rate_limit
from xinyong.web.templating import render

router = APIRouter(include_in_schema=False)

NO_STORE = {"Cache-Control": "no-store"}  # pages showing a 查询码
LOOKUP_LIMITS = [Depends(rate_limit("search")), Depends(rate_limit("short_query"))]


async def read_case_form(request: Request, ctx: CaseCtx) -> CaseForm:
    """The posted form (multipart); each file input is named by its purpose. Empty file
    inputs (nothing chosen) are skipped; a file is read up to one byte over the limit."""
    form = await request.form()
    limit = max_upload_bytes(ctx)

    def text(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    def texts(name: str) -> list[str]:
        return [v for v in form.getlist(name) if isinstance(v, str) and v]

    uploads: list[Upload] = []
    for purpose in FILE_FIELDS:
        for value in form.getlist(purpose):
            if isinstance(value, UploadFile) and value.filename:
                uploads.append(Upload(purpose, value.filename, await value.read(limit)))
    return CaseForm(
        record=text("record"),
        subject_name=text("subject_name"),
        subject_code=text("subject_code"),
        applicant_role=text("applicant_role") or "subject",
        ground=text("ground"),
        fields=texts("fields"),
        reason=text("reason"),
        contact_name=text("contact_name"),
        contact_phone=text("contact_phone"),
        contact_email=text("contact_email"),
        declarations=texts("declarations"),
        signatory=text("signatory"),
        committed=text("committed") in ("1", "on", "true"),
        uploads=uploads,
    )


PostedForm = Annotated[CaseForm, Depends(read_case_form)]


def _common(ctx: CaseContext) -> dict[str, Any]:
    return {
        "accept": ACCEPT,
        "max_mb": ctx.settings.attachment_max_mb,
        "roles": ROLES,
        "settings": ctx.settings,
    }


# -- the guide ----------------------------------------------------------------------------


@router.get("/cases", response_class=HTMLResponse)
def guide(request: Request, ctx: CaseCtx) -> HTMLResponse:
    return render(request, "case_guide.html", {**_common(ctx), "purposes": Purpose})


# -- objections --------------------------------------------------------------------------


def _objection_page(
    request: Request,
    session: Session,
    ctx: CaseContext,
    view: RecordView,
    form: CaseForm,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        **_common(ctx),
        "view": view,
        "form": form,
        "errors": errors or {},
        "grounds": list(Ground),
        "purposes": [(p, p.label) for p in OBJECTION_PURPOSES] + [(Purpose.other, "其他材料")],
        "resubmitted": errors is not None,
        "open_case": open_case(session, view.id),
    }
    return render(request, "case_objection.html", context, status_code=status_code)


@router.get(
    "/cases/objection",
    response_class=HTMLResponse,
    dependencies=[Depends(rate_limit("search"))],
)
def objection_form(
    request: Request,
    session: SessionDep,
    ctx: CaseCtx,
    record: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    view = published_view(session, ctx, record)
    return _objection_page(request, session, ctx, view, view.prefill())


@router.post(
    "/cases/objection",
    response_class=HTMLResponse,
    dependencies=[Depends(rate_limit("search"))],
)
def objection_submit(
    request: Request, session: SessionDep, ctx: CaseCtx, form: PostedForm
) -> HTMLResponse:
    view = published_view(session, ctx, form.record)
    try:
        filed = filing.file_objection(session, ctx, actor=WEBSITE, application=form.application())
    except XinyongError as exc:
        session.rollback()  # nothing of a refused application is kept
        view = published_view(session, ctx, form.record)
        errors = field_errors(exc, form)
        return _objection_page(request, session, ctx, view, form, errors, exc.status)
    return _filed(request, filed)


def _filed(request: Request, filed: Filed) -> HTMLResponse:
    return render(request, "case_filed.html", {"filed": filed_dict(filed)}, headers=NO_STORE)


# -- credit repair -----------------------------------------------------------------------


def _repair_page(
    request: Request,
    session: Session,
    ctx: CaseCtx,
    view: RecordView,
    form: CaseForm,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    plan = repair_plan(session, ctx, view)
    commitment = None
    if plan.refusal is None:
        commitment = commitment_preview(session, ctx, view, form.signatory)
    context = {
        **_common(ctx),
        "view": view,
        "plan": plan,
        "form": form,
        "errors": errors or {},
        "commitment": commitment,
        "purposes": plan.purposes,
        "agent_purpose": Purpose.authorisation,
        "other_purpose": Purpose.other,
        "resubmitted": errors is not None,
        "open_case": open_case(session, view.id),
        "letter_url": (
            f"/subjects/{view.record.subject_id}/records/{view.id}/repair-letter"
            if view.published and view.record.repairable
            else None
        ),
    }
    return render(request, "case_repair.html", context, status_code=status_code)


@router.get(
    "/cases/repair",
    response_class=HTMLResponse,
    dependencies=[Depends(rate_limit("search"))],
)
def repair_form(
    request: Request,
    session: SessionDep,
    ctx: CaseCtx,
    record: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    view = record_view(session, ctx, record)
    return _repair_page(request, session, ctx, view, view.prefill())


@router.post(
    "/cases/repair",
    response_class=HTMLResponse,
    dependencies=[Depends(rate_limit("search"))],
)
def repair_submit(
    request: Request, session: SessionDep, ctx: CaseCtx, form: PostedForm
) -> HTMLResponse:
    view = record_view(session, ctx, form.record)
    try:
        require_commitment(form)
        filed = filing.file_repair(session, ctx, actor=WEBSITE, application=form.application())
    except XinyongError as exc:
        session.rollback()
        view = record_view(session, ctx, form.record)
        errors = field_errors(exc, form)
        return _repair_page(request, session, ctx, view, form, errors, exc.status)
    return _filed(request, filed)


# -- 办件查询 ------------------------------------------------------------------------------


def _lookup_page(
    request: Request, number: str = "", error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    return render(
        request,
        "case_lookup.html",
        {"number": number, "error": error},
        status_code=status_code,
        headers=NO_STORE,
    )


@router.get("/cases/lookup", response_class=HTMLResponse)
def lookup_form(request: Request) -> HTMLResponse:
    return _lookup_page(request)


async def _lookup_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {
        k: v[:2000] if isinstance(v, str) else ""
        for k, v in ((k, form.get(k)) for k in ("number", "access_code", "reason"))
    }


LookupForm = Annotated[dict[str, str], Depends(_lookup_fields)]


def _status_page(
    request: Request,
    session: Session,
    ctx: CaseContext,
    case: CreditCase,
    access_code: str,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "case": case_dict(session, ctx, case),
        "access_code": access_code,
        "notice": notice,
        "errors": errors or {},
    }
    return render(request, "case_status.html", context, status_code=status_code, headers=NO_STORE)


@router.post("/cases/lookup", response_class=HTMLResponse, dependencies=LOOKUP_LIMITS)
def lookup(request: Request, session: SessionDep, ctx: CaseCtx, form: LookupForm) -> HTMLResponse:
    """POST, so that the 查询码 never appears in a URL, a log or the browser history."""
    number, code = form["number"].strip(), form["access_code"].strip()
    if not number or not code:
        return _lookup_page(request, number, "请填写案件编号和查询码", 422)
    try:
        case = filing.applicant_case(session, ctx.vault, number, code)
    except XinyongError as exc:
        return _lookup_page(request, number, exc.message, exc.status)
    return _status_page(request, session, ctx, case, code)


@router.post("/cases/withdraw", response_class=HTMLResponse, dependencies=LOOKUP_LIMITS)
def withdraw(request: Request, session: SessionDep, ctx: CaseCtx, form: LookupForm) -> HTMLResponse:
    number, code = form["number"].strip(), form["access_code"].strip()
    try:
        case = filing.applicant_case(session, ctx.vault, number, code)
    except XinyongError as exc:
        return _lookup_page(request, number, exc.message, exc.status)
    try:
        filing.withdraw(session, ctx, actor=WEBSITE, case=case, reason=form["reason"])
    except XinyongError as exc:
        session.rollback()
        case = filing.applicant_case(session, ctx.vault, number, code)
        errors = {"reason": exc.problems[0].reason if exc.problems else exc.message}
        return _status_page(request, session, ctx, case, code, None, errors, exc.status)
    return _status_page(request, session, ctx, case, code, "申请已撤回。")
