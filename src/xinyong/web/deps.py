"""FastAPI dependencies: the unit of work per request, the runtime, the acting user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from xinyong.accounts.service import actor_from_session_token, authenticate_api_key
from xinyong.actors import Actor
from xinyong.cases.context import CaseContext
from xinyong.db import SQLITE_IMMEDIATE, china_today
from xinyong.errors import Forbidden, Unauthenticated
from xinyong.runtime import Runtime

SESSION_COOKIE = "xy_session"


def get_runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def writes_first(request: Request) -> None:
    """Route dependency (list it first in ``dependencies=``): the request's transaction
    begins as a writer on SQLite (``db.SQLITE_IMMEDIATE``), so concurrent calls of a
    busy endpoint that reads and then writes in one transaction (screening) queue on
    busy_timeout instead of failing. Only for handlers that open no other transaction:
    they would wait for the lock their own request holds."""
    request.state.sqlite_immediate = True


def get_session(request: Request, rt: RuntimeDep) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, else rolled back."""
    session = rt.sessions()
    if getattr(request.state, "sqlite_immediate", False):
        session.connection(execution_options={SQLITE_IMMEDIATE: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": the transaction is committed before the response is sent (FastAPI's
# default for yield dependencies, "request", commits only after sending it). Otherwise a
# browser following a 303 could read the page before the change is committed, and a
# client could be told "done" for a commit that then fails.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="Staff session token (POST /api/v1/auth/token)")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="Department system API key")


def optional_actor(
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Actor | None:
    if api_key:
        return authenticate_api_key(session, settings=rt.settings, key=api_key)
    if bearer:
        return actor_from_session_token(session, settings=rt.settings, token=bearer.credentials)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        # An expired browser session makes the visitor anonymous, not an error page.
        try:
            return actor_from_session_token(session, settings=rt.settings, token=cookie)
        except Unauthenticated:
            return None
    return None


def current_actor(actor: Annotated[Actor | None, Depends(optional_actor)]) -> Actor:
    if actor is None:
        raise Unauthenticated("请先登录或提供接口密钥", "authentication required")
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]
OptionalActor = Annotated[Actor | None, Depends(optional_actor)]


LOGIN_PAGE = "/staff/login"


class LoginRequired(Exception):
    """A staff page opened without a session: ``web.errors`` answers with a redirect to
    the login page (303), not an error page."""


def staff_actor(actor: Annotated[Actor | None, Depends(optional_actor)]) -> Actor:
    if actor is None:
        raise LoginRequired
    return actor


# The signed-in user of a staff page; anonymous visitors are sent to the login page.
StaffActor = Annotated[Actor, Depends(staff_actor)]


def get_case_context(rt: RuntimeDep, session: SessionDep) -> CaseContext:
    """What objection and repair handling needs: settings, catalog, rule sets, the
    personal-data vault, the office calendar as stored now, and today's date in China."""
    return rt.case_context(session, china_today())


CaseCtx = Annotated[CaseContext, Depends(get_case_context)]


def same_origin(request: Request) -> None:
    """Refuse a form posted from another site. The session cookie is SameSite=Lax; this
    also covers browsers that ignore it. Requests that send neither Origin nor Referer
    pass (older clients, tests); a cross-site form cannot set X-Forwarded-Host, so a
    proxy that rewrites Host may send the public host there."""
    sent = request.headers.get("origin") or request.headers.get("referer")
    if not sent:
        return
    hosts = {request.headers.get("host"), request.headers.get("x-forwarded-host")}
    if sent == "null" or urlsplit(sent).netloc not in hosts:
        raise Forbidden("请求来源无效，请从本站页面提交", f"form posted from {sent!r}")
