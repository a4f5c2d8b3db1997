"""Jinja2 templates shared by the pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Container
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from xinyong.db import CHINA_TZ
from xinyong.errors import Problem, XinyongError

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


def problems_by_field(
    exc: XinyongError | None, fields: Container[str]
) -> tuple[dict[str, list[str]], list[str]]:
    """A refusal's reasons by form field (shown beside the field), and the reasons that
    belong to no field of the form (shown above it); none without a refusal."""
    by_field: dict[str, list[str]] = {}
    other: list[str] = []
    if exc is None:
        return by_field, other
    for p in exc.problems or [Problem(exc.field, exc.message, exc.message_en)]:
        if p.field is not None and p.field in fields:
            by_field.setdefault(p.field, []).append(p.reason)
        else:
            other.append(p.reason)
    return by_field, other
