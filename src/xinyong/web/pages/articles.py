"""Articles (信用动态 / 政策法规): the office writes them under /staff/articles, the public
reads them under /news and /policies."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from xinyong.accounts.rules import require_role
from xinyong.actors import Actor
from xinyong.articles import service
from xinyong.articles.models import Article
from xinyong.articles.rules import (
    FIELD_LABELS,
    KIND_LABELS,
    MAX_PAGE,
    STATUS_LABELS,
    excerpt,
    render_markdown,
)
from xinyong.errors import ValidationFailed, XinyongError
from xinyong.web.deps import SessionDep, StaffActor, same_origin
from xinyong.web.templating import problems_by_field, render

router = APIRouter(include_in_schema=False)

# Public address of each kind's list; the detail page is "<path>/<id>".
KIND_PATHS = {"news": "/news", "policy": "/policies"}
STAFF = "/staff/articles"
NOTICES = {
    "created": "草稿已保存。发布后公众才能看到。",
    "saved": "修改已保存。",
    "published": "文章已发布。",
    "withdrawn": "文章已撤回，公众已无法访问。",
}

# Generous form limits: longer input reaches the rules, which name the field and keep
# the text in the form (a FastAPI limit would answer with a bare error page).
TitleForm = Annotated[str, Form(max_length=2_000)]
BodyForm = Annotated[str, Form(max_length=200_000)]
OptionalForm = Annotated[str, Form(max_length=5_000)]


def article_form(
    kind: Annotated[str, Form(max_length=16)] = "",
    title: TitleForm = "",
    body: BodyForm = "",
    summary: OptionalForm = "",
    source: OptionalForm = "",
) -> dict[str, str]:
    """The fields of the article form, as typed (kept to re-render the form on errors)."""
    return {"kind": kind, "title": title, "summary": summary, "body": body, "source": source}


ArticleForm = Annotated[dict[str, str], Depends(article_form)]
PageQuery = Annotated[int, Query(ge=1, le=10_000)]
IdPath = Annotated[str, Path(max_length=64)]


def article_url(article: Article) -> str:
    return f"{KIND_PATHS[article.kind]}/{article.id}"


_HELPERS: dict[str, Any] = {
    "article_url": article_url,
    "excerpt": excerpt,
    "kind_labels": KIND_LABELS,
    "kind_paths": KIND_PATHS,
    "status_labels": STATUS_LABELS,
}


# --- staff -----------------------------------------------------------------------------------


def article_editor(actor: StaffActor) -> Actor:
    """The signed-in user, if an office role lets them write articles (else Forbidden)."""
    require_role(actor, *service.OFFICE_ROLES)
    return actor


ArticleEditor = Annotated[Actor, Depends(article_editor)]


def _form_page(
    request: Request,
    *,
    article: Article | None,
    values: dict[str, Any],
    error: XinyongError | None = None,
    withdraw_reason: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    by_field, other = problems_by_field(error, FIELD_LABELS)
    return render(
        request,
        "staff/articles_form.html",
        {
            **_HELPERS,
            "article": article,
            "values": values,
            "error": error,
            "field_problems": by_field,
            "other_problems": other,
            "field_labels": FIELD_LABELS,
            "withdraw_reason": withdraw_reason,
            "notice": NOTICES.get(request.query_params.get("done", "")),
            "preview": Markup(render_markdown(article.body)) if article else None,
        },
        status_code=status_code,
    )


def _values(article: Article) -> dict[str, Any]:
    return {
        "kind": article.kind,
        "title": article.title,
        "summary": article.summary or "",
        "body": article.body,
        "source": article.source or "",
    }


@router.get(STAFF, response_class=HTMLResponse, response_model=None)
def staff_list(
    request: Request,
    session: SessionDep,
    staff: ArticleEditor,
    kind: Annotated[str | None, Query(max_length=16)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    page: PageQuery = 1,
) -> Response:
    """Every article with its status; filters by kind and status."""
    listing = service.list_all(
        session, actor=staff, kind=kind or None, status=status or None, page=page
    )
    return render(
        request,
        "staff/articles.html",
        {
            **_HELPERS,
            "listing": listing,
            "kind": kind or "",
            "status": status or "",
            "notice": NOTICES.get(request.query_params.get("done", "")),
        },
    )


@router.get(f"{STAFF}/new", response_class=HTMLResponse, response_model=None)
def new_form(
    request: Request,
    staff: ArticleEditor,
    kind: Annotated[str, Query(max_length=16)] = "news",
) -> Response:
    values = {
        "kind": kind if kind in KIND_LABELS else "news",
        "title": "",
        "summary": "",
        "body": "",
        "source": "",
    }
    return _form_page(request, article=None, values=values)


@router.post(f"{STAFF}/new", response_model=None)
def create(
    request: Request,
    session: SessionDep,
    staff: ArticleEditor,
    values: ArticleForm,
) -> Response:
    same_origin(request)
    try:
        article = service.create_article(session, actor=staff, **values)
    except ValidationFailed as exc:
        return _form_page(request, article=None, values=values, error=exc, status_code=422)
    return RedirectResponse(f"{STAFF}/{article.id}/edit?done=created", status_code=303)


@router.get(f"{STAFF}/{{article_id}}/edit", response_class=HTMLResponse, response_model=None)
def edit_form(
    request: Request, session: SessionDep, staff: ArticleEditor, article_id: IdPath
) -> Response:
    article = service.get_article(session, actor=staff, article_id=article_id)
    return _form_page(request, article=article, values=_values(article))


@router.post(f"{STAFF}/{{article_id}}/edit", response_model=None)
def save(
    request: Request,
    session: SessionDep,
    staff: ArticleEditor,
    article_id: IdPath,
    values: ArticleForm,
) -> Response:
    same_origin(request)
    article = service.get_article(session, actor=staff, article_id=article_id)
    try:
        service.update_article(session, actor=staff, article_id=article.id, **values)
    except ValidationFailed as exc:
        return _form_page(request, article=article, values=values, error=exc, status_code=422)
    return RedirectResponse(f"{STAFF}/{article.id}/edit?done=saved", status_code=303)


@router.post(f"{STAFF}/{{article_id}}/publish", response_model=None)
def publish(
    request: Request, session: SessionDep, staff: ArticleEditor, article_id: IdPath
) -> Response:
    same_origin(request)
    article = service.publish_article(session, actor=staff, article_id=article_id)
    return RedirectResponse(f"{STAFF}/{article.id}/edit?done=published", status_code=303)


@router.post(f"{STAFF}/{{article_id}}/withdraw", response_model=None)
def withdraw(
    request: Request,
    session: SessionDep,
    staff: ArticleEditor,
    article_id: IdPath,
    reason: OptionalForm = "",
) -> Response:
    same_origin(request)
    article = service.get_article(session, actor=staff, article_id=article_id)
    try:
        service.withdraw_article(session, actor=staff, article_id=article.id, reason=reason)
    except ValidationFailed as exc:
        return _form_page(
            request,
            article=article,
            values=_values(article),
            error=exc,
            withdraw_reason=reason,
            status_code=422,
        )
    return RedirectResponse(f"{STAFF}/{article.id}/edit?done=withdrawn", status_code=303)


# --- public ----------------------------------------------------------------------------------


def _list_page(request: Request, session: SessionDep, kind: str, page: int) -> HTMLResponse:
    context: dict[str, Any] = {**_HELPERS, "kind": kind, "listing": None, "problem": None}
    try:
        context["listing"] = service.list_published(session, kind, page)
    except ValidationFailed as exc:
        # Past the last page a list may show: say so on the list page itself.
        context["problem"] = exc.problems[0].reason if exc.problems else exc.message
        context["page"] = page
        return render(request, "articles.html", context, status_code=400)
    return render(request, "articles.html", {**context, "page": page, "max_page": MAX_PAGE})


def _detail_page(request: Request, session: SessionDep, kind: str, article_id: str) -> Response:
    article = service.get_published(session, article_id, kind)
    return render(
        request,
        "article.html",
        {
            **_HELPERS,
            "article": article,
            "body_html": Markup(render_markdown(article.body)),
        },
    )


@router.get("/news", response_class=HTMLResponse)
def news_list(request: Request, session: SessionDep, page: PageQuery = 1) -> HTMLResponse:
    return _list_page(request, session, "news", page)


@router.get("/policies", response_class=HTMLResponse)
def policy_list(request: Request, session: SessionDep, page: PageQuery = 1) -> HTMLResponse:
    return _list_page(request, session, "policy", page)


@router.get("/news/{article_id}", response_class=HTMLResponse, response_model=None)
def news_article(request: Request, session: SessionDep, article_id: IdPath) -> Response:
    return _detail_page(request, session, "news", article_id)


@router.get("/policies/{article_id}", response_class=HTMLResponse, response_model=None)
def policy_article(request: Request, session: SessionDep, article_id: IdPath) -> Response:
    return _detail_page(request, session, "policy", article_id)
