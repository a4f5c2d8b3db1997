"""Jinja2 templates shared by the pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))


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
