"""Staff pages: login, logout and the dashboard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from xinyong.accounts.rules import require_role
from xinyong.accounts.service import authenticate, issue_session_token
from xinyong.audit.models import AuditHead
from xinyong.audit.service import verify_chain
from xinyong.cases.queues import counts as case_counts
from xinyong.db import china_today, utcnow
from xinyong.errors import Unauthenticated
from xinyong.records.models import CreditRecord
from xinyong.subjects.models import Subject
from xinyong.web.deps import SESSION_COOKIE, RuntimeDep, SessionDep, StaffActor
from xinyong.web.templating import render
from xinyong.workdays.service import uncovered_years_ahead

router = APIRouter(prefix="/staff", include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return render(request, "staff/login.html", {"error": None, "username": ""})


@router.post("/login", response_model=None)
def login(
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
) -> Response:
    try:
        actor = authenticate(session, username=username, password=password)
    except Unauthenticated as exc:
        return render(
            request,
            "staff/login.html",
            {"error": exc.message, "username": username},
            status_code=401,
        )
    response = RedirectResponse("/staff", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        issue_session_token(rt.settings, actor),
        httponly=True,
        samesite="lax",
        secure=rt.settings.environment == "production",
        max_age=rt.settings.session_hours * 3600,
    )
    return response


@router.post("/logout")
def logout() -> RedirectResponse:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("", response_class=HTMLResponse, response_model=None)
def dashboard(request: Request, session: SessionDep, actor: StaffActor) -> Response:
    counts = {
        "subjects": session.execute(select(func.count()).select_from(Subject)).scalar_one(),
        "records": session.execute(select(func.count()).select_from(CreditRecord)).scalar_one(),
    }
    # Only the chain head here: verifying walks every event, so it is its own page.
    chain = session.get(AuditHead, 1) if actor.has_role("auditor", "office_admin") else None
    missing = uncovered_years_ahead(session, utcnow().date())
    return render(
        request,
        "staff/dashboard.html",
        {
            "actor": actor,
            "counts": counts,
            "chain": chain,
            "missing_years": missing,
            "cases": case_counts(session, actor, china_today()),
        },
    )


@router.get("/audit/verify", response_class=HTMLResponse, response_model=None)
def audit_verify_page(request: Request, session: SessionDep, actor: StaffActor) -> Response:
    """Recompute the whole audit chain on request (auditors and office administrators)."""
    require_role(actor, "auditor", "office_admin")
    return render(request, "staff/audit_verify.html", {"report": verify_chain(session)})
