"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text

from xinyong import __version__
from xinyong.actors import Actor
from xinyong.cases.context import CaseContext
from xinyong.cases.handling import enforce_deadlines
from xinyong.config import Settings, get_settings
from xinyong.db import china_today, transaction, utcnow
from xinyong.ingest.service import close_stale_submissions
from xinyong.notices.senders import sender_from_settings
from xinyong.notices.service import deliver_pending
from xinyong.records.publication import sweep
from xinyong.runtime import Runtime
from xinyong.web import errors
from xinyong.web.api import cases as cases_api
from xinyong.web.api import collection, feedback, reference, staff
from xinyong.web.api import public as public_api
from xinyong.web.deps import RuntimeDep
from xinyong.web.pages import articles as article_pages
from xinyong.web.pages import cases_figures as case_figure_pages
from xinyong.web.pages import cases_public as case_pages
from xinyong.web.pages import cases_staff as case_staff_pages
from xinyong.web.pages import collection as collection_pages
from xinyong.web.pages import letters as letter_pages
from xinyong.web.pages import public as public_pages
from xinyong.web.pages import quality as quality_pages
from xinyong.web.pages import staff as staff_pages
from xinyong.web.ratelimit import RateLimiter
from xinyong.workdays.service import load_calendar

STATIC = Path(__file__).resolve().parent.parent / "static"


log = logging.getLogger("xinyong.web")


def _sweep_once(rt: Runtime) -> None:
    actor = Actor.system("scheduler")
    today = china_today()
    with transaction(rt.sessions) as session:
        result = sweep(session, actor=actor, today=today)
        stale = close_stale_submissions(session, actor=actor, now=utcnow())
        ctx = CaseContext(
            rt.settings, rt.catalog, rt.rulebook, rt.vault, load_calendar(session), today
        )
        marked = enforce_deadlines(session, ctx, actor=actor)
    if result.published or result.expired:
        log.info("publication sweep: %s", result.as_dict())
    if marked:
        log.warning("%d objections past the mark deadline were marked by the platform", len(marked))
    if stale:
        log.warning("%d submissions whose load died were marked interrupted", stale)


def _deliver_notices(rt: Runtime) -> None:
    result = deliver_pending(
        rt.sessions,
        rt.vault,
        sender_from_settings(rt.settings),
        max_attempts=rt.settings.notice_max_attempts,
    )
    if result.sent or result.failed or result.retried:
        log.info("notices delivered: %s", result.as_dict())


async def _sweep_safely(rt: Runtime) -> None:
    try:
        await anyio.to_thread.run_sync(_sweep_once, rt)
    except Exception:  # a failed sweep must not stop the server
        log.exception("publication sweep failed; retrying at the next interval")
    try:
        await anyio.to_thread.run_sync(_deliver_notices, rt)
    except Exception:  # nor a failed delivery run
        log.exception("notice delivery failed; retrying at the next interval")


async def _sweep_every(rt: Runtime, minutes: int) -> None:
    while True:
        await asyncio.sleep(minutes * 60)
        await _sweep_safely(rt)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the publication sweep before serving and then every ``sweep_minutes``
    (idempotent, so several workers may each run it)."""
    rt: Runtime = app.state.runtime
    minutes = rt.settings.sweep_minutes
    task = None
    if minutes > 0 and rt.settings.environment != "test":
        await _sweep_safely(rt)
        task = asyncio.create_task(_sweep_every(rt, minutes))
    try:
        yield
    finally:
        if task is not None:
            task.cancel()


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    """Build the app; checks the database at start-up and fails with a clear message."""
    settings = settings or (runtime.settings if runtime else get_settings())
    logging.getLogger("xinyong").setLevel(settings.log_level)
    rt = runtime or Runtime.from_settings(settings)
    rt.check_database()
    # Load data files now, so a malformed catalog or rule set stops start-up.
    _ = rt.catalog, rt.rulebook, rt.measures

    app = FastAPI(
        lifespan=_lifespan,
        title=f"{settings.site_name} 公共信用信息平台 API",
        version=__version__,
        description="Xinyong public credit information platform. 中文为准。",
    )
    app.state.settings = settings
    app.state.runtime = rt
    app.state.rate_limiter = RateLimiter(settings)
    errors.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz", tags=["运维 operations"], summary="健康检查")
    def healthz(rt: RuntimeDep) -> dict[str, Any]:
        with rt.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {
            "status": "ok",
            "version": __version__,
            "database": rt.engine.dialect.name,
            "catalog": rt.catalog.version,
        }

    app.include_router(reference.router)
    app.include_router(public_api.router)
    app.include_router(cases_api.router)
    app.include_router(staff.router)
    app.include_router(feedback.router)
    app.include_router(collection.router)
    app.include_router(public_pages.router)
    app.include_router(case_pages.router)
    app.include_router(staff_pages.router)
    app.include_router(quality_pages.router)
    app.include_router(case_figure_pages.router)
    app.include_router(collection_pages.router)
    app.include_router(article_pages.router)
    app.include_router(case_staff_pages.router)
    app.include_router(letter_pages.router)
    return app
