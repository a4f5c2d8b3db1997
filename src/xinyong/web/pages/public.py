"""Public pages (server-rendered, no JavaScript needed)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse

from xinyong.articles.service import latest_published as latest_articles
from xinyong.codes.rules import region_districts
from xinyong.codes.service import check_code_with_exceptions
from xinyong.db import china_today
from xinyong.errors import ValidationFailed
from xinyong.publicity import service as publicity
from xinyong.publicity.rules import INDUSTRY_SECTIONS, LIST_ITEM
from xinyong.search.rules import MAX_CHARS
from xinyong.web.deps import RuntimeDep, SessionDep
from xinyong.web.ratelimit import rate_limit
from xinyong.web.templating import render

router = APIRouter(include_in_schema=False)

# Home page columns: the 双公示 items and the list of seriously untrustworthy subjects.
HOME_ITEMS = ("xzxk", "xzcf", LIST_ITEM)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, rt: RuntimeDep, session: SessionDep) -> HTMLResponse:
    today = china_today()
    columns = [
        (rt.catalog.items[code], publicity.latest_published(session, rt.catalog, code, today=today))
        for code in HOME_ITEMS
        if code in rt.catalog.items and rt.catalog.items[code].disclosure == "public"
    ]
    context = {
        "catalog": rt.catalog,
        "columns": columns,
        "today": today,
        "news": latest_articles(session, limit=5),
    }
    return render(request, "home.html", context)


@router.get(
    "/search",
    response_class=HTMLResponse,
    dependencies=[Depends(rate_limit("search", short_query="q"))],
)
def search_page(
    request: Request,
    session: SessionDep,
    q: str = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    """Search results; a query the rules refuse is answered on the same page."""
    context: dict[str, Any] = {"q": q, "result": None, "problem": None, "max_chars": MAX_CHARS}
    status = 200
    if q.strip():
        try:
            context["result"] = publicity.search(session, q, today=china_today(), page=page)
        except ValidationFailed as exc:
            context["problem"] = exc.problems[0].reason if exc.problems else exc.message
            status = 400
    return render(request, "search.html", context, status_code=status)


@router.get(
    "/subjects/{code}", response_class=HTMLResponse, dependencies=[Depends(rate_limit("search"))]
)
def credit_file_page(
    code: Annotated[str, Path(max_length=64)],
    request: Request,
    rt: RuntimeDep,
    session: SessionDep,
) -> HTMLResponse:
    file = publicity.credit_file(
        session, rt.catalog, code, today=china_today(), measures=rt.measures
    )
    return render(request, "subject.html", {"file": file})


@router.get(
    "/publicity/{item}", response_class=HTMLResponse, dependencies=[Depends(rate_limit("search"))]
)
def publicity_page(
    item: Annotated[str, Path(max_length=32)],
    request: Request,
    rt: RuntimeDep,
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    district: Annotated[str | None, Query(max_length=6)] = None,
    industry: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    listing = publicity.list_published(
        session,
        rt.catalog,
        item,
        today=china_today(),
        page=page,
        district=district or None,
        industry=industry or None,
    )
    return render(
        request,
        "publicity.html",
        {
            "listing": listing,
            "districts": region_districts(rt.settings.region_code),
            "industries": INDUSTRY_SECTIONS,
            "items": publicity.public_items(rt.catalog),
        },
    )


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
