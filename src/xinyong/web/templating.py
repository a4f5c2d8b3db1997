"""Jinja2 templates shared by the pages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from xinyong.db import CHINA_TZ

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))


def local_date(value: dt.datetime | None) -> str:
    """``2026年11月24日`` in China time."""
    if value is None:
        return ""
    day = value.astimezone(CHINA_TZ)
    return f"{day.year}年{day.month}月{day.day}日"


def local_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return f"{local_date(value)} {value.astimezone(CHINA_TZ):%H:%M}"


def iso(value: dt.datetime | None) -> str:
    """The machine-readable form for ``<time datetime>``, with the China offset."""
    return value.astimezone(CHINA_TZ).isoformat(timespec="minutes") if value else ""


# Every template may format times in China time.
TEMPLATES.env.globals.update(local_date=local_date, local_datetime=local_datetime, iso=iso)


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    settings = getattr(request.app.state, "settings", None)
    ctx = {"site_name": settings.site_name if settings else "信用平台", **context}
    return TEMPLATES.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers)
