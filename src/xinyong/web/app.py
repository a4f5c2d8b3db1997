"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text

from xinyong import __version__, jobs
from xinyong.actors import Actor
from xinyong.config import Settings, get_settings
from xinyong.db import china_today
from xinyong.runtime import Runtime
from xinyong.web import errors
from xinyong.web.api import cases as cases_api
from xinyong.web.api import collection, feedback, reference, staff
from xinyong.web.api import public as public_api
from xinyong.web.api import screening as screening_api
from xinyong.web.api import watch as watch_api
from xinyong.web.deps import RuntimeDep
from xinyong.web.pages import articles as article_pages
from xinyong.web.pages import cases_figures as case_figure_pages
from xinyong.web.pages import cases_public as case_pages
from xinyong.web.pages import cases_staff as case_staff_pages
from xinyong.web.pages import collection as collection_pages
from xinyong.web.pages import letters as letter_pages
from xinyong.web.pages import lists_staff as list_staff_pages
from xinyong.web.pages import public as public_pages
from xinyong.web.pages import quality as quality_pages
from xinyong.web.pages import screening_staff as screening_staff_pages
from xinyong.web.pages import staff as staff_pages
from xinyong.web.ratelimit import RateLimiter

STATIC = Path(__file__).resolve().parent.parent / "static"


log = logging.getLogger("xinyong.web")


def _sweep_once(rt: Runtime) -> None:
    result = jobs.daily_sweep(rt, actor=Actor.system("scheduler"), today=china_today())
    if any(result.values()):
        log.info("sweep: %s", result)
    if result["objections_marked"]:
        log.warning(
            "%d objections past the mark deadline were marked by the platform",
            result["objections_marked"],
        )
    if result["stale_submissions"]:
        log.warning(
            "%d submissions whose load died were marked interrupted", result["stale_submissions"]
        )


def _deliver_notices(rt: Runtime) -> None:
    result = jobs.deliver_notices(rt)
    if result.sent or result.failed or result.retried:
        log.info("notices delivered: %s", result.as_dict())


def _deliver_webhooks(rt: Runtime) -> None:
    result = jobs.deliver_webhooks_now(rt)
    if result.sent or result.retried or result.dead:
        log.info("webhooks delivered: %s", result.as_dict())


async def _run_safely(job: Callable[[Runtime], None], rt: Runtime, what: str) -> None:
    try:
        await anyio.to_thread.run_sync(job, rt)
    except Exception:  # a failed run must not stop the server
        log.exception("%s failed; retrying at the next interval", what)


async def _sweep_safely(rt: Runtime) -> None:
    await _run_safely(_sweep_once, rt, "sweep")
    await _deliver_safely(rt)


def _chain_audit(rt: Runtime) -> None:
    chained = jobs.chain_audit(rt)
    if chained:
        log.debug("audit: %d queued events chained", chained)


async def _deliver_safely(rt: Runtime) -> None:
    await _run_safely(_chain_audit, rt, "audit chaining")
    await _run_safely(_deliver_notices, rt, "notice delivery")
    await _run_safely(_deliver_webhooks, rt, "webhook delivery")


async def _every(seconds: float, job: Callable[[Runtime], Awaitable[None]], rt: Runtime) -> None:
    while True:
        await asyncio.sleep(seconds)
        await job(rt)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the sweep before serving and then every ``sweep_minutes`` (with a delivery
    run after each); deliver queued notices and webhooks every ``delivery_seconds``.
    All are idempotent and claim-safe, so several workers may each run them. Start-up
    waits for the sweep only, never for a mail server or a webhook receiver."""
    rt: Runtime = app.state.runtime
    minutes, seconds = rt.settings.sweep_minutes, rt.settings.delivery_seconds
    tasks: list[asyncio.Task[None]] = []
    if rt.settings.environment != "test":
        if minutes > 0:
            await _run_safely(_sweep_once, rt, "sweep")
            tasks.append(asyncio.create_task(_every(minutes * 60, _sweep_safely, rt)))
        if seconds > 0:
            tasks.append(asyncio.create_task(_every(seconds, _deliver_safely, rt)))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        # A job running in its thread finishes first: no database work after shutdown.
        await asyncio.gather(*tasks, return_exceptions=True)


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
    app.include_router(screening_api.router)
    app.include_router(watch_api.router)
    app.include_router(public_pages.router)
    app.include_router(case_pages.router)
    app.include_router(staff_pages.router)
    app.include_router(quality_pages.router)
    app.include_router(case_figure_pages.router)
    app.include_router(collection_pages.router)
    app.include_router(article_pages.router)
    app.include_router(case_staff_pages.router)
    app.include_router(letter_pages.router)
    app.include_router(list_staff_pages.router)
    app.include_router(screening_staff_pages.router)
    return app
