"""Public pages (server-rendered, no JavaScript needed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from xinyong.codes.service import check_code_with_exceptions
from xinyong.web.deps import RuntimeDep, SessionDep
from xinyong.web.ratelimit import rate_limit
from xinyong.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, rt: RuntimeDep) -> HTMLResponse:
    return render(request, "home.html", {"catalog": rt.catalog})


@router.get("/catalog", response_class=HTMLResponse)
def catalog_page(request: Request, rt: RuntimeDep) -> HTMLResponse:
    return render(request, "catalog.html", {"catalog": rt.catalog})


@router.get("/catalog/{code}", response_class=HTMLResponse)
def catalog_item_page(code: str, request: Request, rt: RuntimeDep) -> HTMLResponse:
    return render(request, "catalog_item.html", {"item": rt.catalog.item(code)})


@router.get(
    "/tools/code-check", response_class=HTMLResponse, dependencies=[Depends(rate_limit("search"))]
)
def code_check_page(
    request: Request,
    session: SessionDep,
    code: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    result = check_code_with_exceptions(session, code) if code and code.strip() else None
    return render(request, "code_check.html", {"code": code or "", "result": result})
