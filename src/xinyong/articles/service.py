"""Writing, publishing and withdrawing articles; the public's view of them.

Staff functions need an office role (``office_admin`` or ``office_staff``); each change
records an audit event with the state before and after. The public functions return
only published articles.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.accounts.rules import require_role
from xinyong.actors import Actor
from xinyong.articles.models import Article
from xinyong.articles.rules import (
    KIND_LABELS,
    MAX_PAGE,
    PER_PAGE,
    STATUS_LABELS,
    check_article,
    check_page,
    check_reason,
    normalise,
)
from xinyong.audit.service import record_event
from xinyong.db import utcnow
from xinyong.errors import Conflict, NotFound, ValidationFailed

OFFICE_ROLES = ("office_admin", "office_staff")
ENTITY = "article"


@dataclass(frozen=True)
class ArticlePage:
    """One page of a list of articles, newest first."""

    items: list[Article]
    page: int
    per_page: int
    has_more: bool
    kind: str | None = None
    total: int | None = None  # counted for staff lists only

    @property
    def max_page(self) -> int:
        return MAX_PAGE

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "page": self.page,
            "per_page": self.per_page,
            "has_more": self.has_more,
            "items": [
                {
                    "id": str(a.id),
                    "kind": a.kind,
                    "title": a.title,
                    "summary": a.summary,
                    "published_at": a.published_at.isoformat() if a.published_at else None,
                }
                for a in self.items
            ],
        }


def snapshot(article: Article) -> dict[str, Any]:
    """The article's state as the audit trail keeps it."""
    return {
        "kind": article.kind,
        "title": article.title,
        "summary": article.summary,
        "body": article.body,
        "source": article.source,
        "status": article.status,
        "published_at": article.published_at.isoformat() if article.published_at else None,
    }


def _changed(
    session: Session,
    actor: Actor,
    article: Article,
    action: str,
    *,
    before: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """Flush ``article`` and audit the change (state before and after)."""
    session.flush()
    record_event(
        session,
        actor=actor,
        action=action,
        entity_type=ENTITY,
        entity_id=article.id,
        before=before,
        after=snapshot(article),
        reason=reason,
    )


def _valid(
    *, kind: str, title: str, body: str, summary: str | None, source: str | None
) -> dict[str, Any]:
    data = normalise(kind=kind, title=title, body=body, summary=summary, source=source)
    problems = check_article(data)
    if problems:
        raise ValidationFailed.from_problems(problems)
    return data.as_dict()


def _not_found(article_id: object) -> NotFound:
    return NotFound(
        "没有找到这篇文章，它可能尚未发布、已被撤回或地址有误", f"no article {article_id}"
    )


def _parse_id(article_id: str | uuid.UUID) -> uuid.UUID:
    if isinstance(article_id, uuid.UUID):
        return article_id
    try:
        return uuid.UUID(article_id)
    except ValueError:
        raise _not_found(article_id) from None


# --- staff -----------------------------------------------------------------------------------


def create_article(
    session: Session,
    *,
    actor: Actor,
    kind: str,
    title: str,
    body: str,
    summary: str | None = None,
    source: str | None = None,
) -> Article:
    """A new draft; not public until ``publish_article``."""
    require_role(actor, *OFFICE_ROLES)
    values = _valid(kind=kind, title=title, body=body, summary=summary, source=source)
    now = utcnow()
    article = Article(
        id=uuid.uuid4(), status="draft", author=actor.label, created_at=now, updated_at=now
    )
    for name, value in values.items():
        setattr(article, name, value)
    session.add(article)
    _changed(session, actor, article, "article.create")
    return article


def get_article(session: Session, *, actor: Actor, article_id: str | uuid.UUID) -> Article:
    """Any article, whatever its status (staff)."""
    require_role(actor, *OFFICE_ROLES)
    article = session.get(Article, _parse_id(article_id))
    if article is None:
        raise _not_found(article_id)
    return article


def update_article(
    session: Session,
    *,
    actor: Actor,
    article_id: str | uuid.UUID,
    kind: str,
    title: str,
    body: str,
    summary: str | None = None,
    source: str | None = None,
) -> Article:
    """Change an article's text; its status stays (a published article is corrected
    in place, and the audit event keeps the text the public saw before)."""
    article = get_article(session, actor=actor, article_id=article_id)
    values = _valid(kind=kind, title=title, body=body, summary=summary, source=source)
    before = snapshot(article)
    if all(before[name] == value for name, value in values.items()):
        return article  # nothing changed: no event
    for name, value in values.items():
        setattr(article, name, value)
    article.updated_at = utcnow()
    _changed(session, actor, article, "article.update", before=before)
    return article


def publish_article(
    session: Session,
    *,
    actor: Actor,
    article_id: str | uuid.UUID,
    published_at: dt.datetime | None = None,
) -> Article:
    """Put a draft or withdrawn article on the site, dated ``published_at`` (now)."""
    article = get_article(session, actor=actor, article_id=article_id)
    if article.status == "published":
        raise Conflict("这篇文章已经发布", f"article {article.id} is already published")
    before = snapshot(article)
    article.status = "published"
    article.published_at = published_at or utcnow()
    article.updated_at = utcnow()
    _changed(session, actor, article, "article.publish", before=before)
    return article


def withdraw_article(
    session: Session, *, actor: Actor, article_id: str | uuid.UUID, reason: str | None
) -> Article:
    """Take a published article off the site; the reason is required and audited."""
    article = get_article(session, actor=actor, article_id=article_id)
    text, problems = check_reason(reason)
    if problems:
        raise ValidationFailed.from_problems(problems)
    if article.status != "published":
        raise Conflict(
            f"只能撤回已发布的文章，这篇文章的状态为“{STATUS_LABELS[article.status]}”",
            f"article {article.id} is {article.status}, not published",
        )
    before = snapshot(article)
    article.status = "withdrawn"
    article.updated_at = utcnow()
    _changed(session, actor, article, "article.withdraw", before=before, reason=text)
    return article


def list_all(
    session: Session,
    *,
    actor: Actor,
    kind: str | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> ArticlePage:
    """Every article for staff, newest change first, optionally by kind and status."""
    require_role(actor, *OFFICE_ROLES)
    page = max(1, page)
    stmt = select(Article)
    if kind in KIND_LABELS:
        stmt = stmt.where(Article.kind == kind)
    if status in STATUS_LABELS:
        stmt = stmt.where(Article.status == status)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = list(
        session.execute(
            stmt.order_by(Article.updated_at.desc(), Article.id)
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).scalars()
    )
    return ArticlePage(rows, page, per_page, page * per_page < total, kind, total)


# --- public ----------------------------------------------------------------------------------


def list_published(
    session: Session, kind: str, page: int = 1, per_page: int = PER_PAGE
) -> ArticlePage:
    """One page of the published articles of ``kind``, newest first; pages stop at
    ``MAX_PAGE`` (ValidationFailed on ``page``)."""
    if kind not in KIND_LABELS:
        raise NotFound("没有这个栏目", f"no article kind {kind!r}")
    problems = check_page(page)
    if problems:
        raise ValidationFailed.from_problems(problems)
    per_page = min(max(per_page, 1), 100)
    rows = list(
        session.execute(
            select(Article)
            .where(Article.kind == kind, Article.status == "published")
            .order_by(Article.published_at.desc(), Article.id)
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        ).scalars()
    )
    return ArticlePage(rows[:per_page], page, per_page, len(rows) > per_page, kind)


def latest_published(session: Session, limit: int = 5, kind: str | None = None) -> list[Article]:
    """The newest published articles (both kinds unless ``kind``), for the home page."""
    stmt = select(Article).where(Article.status == "published")
    if kind is not None:
        stmt = stmt.where(Article.kind == kind)
    return list(
        session.execute(
            stmt.order_by(Article.published_at.desc(), Article.id).limit(limit)
        ).scalars()
    )


def get_published(
    session: Session, article_id: str | uuid.UUID, kind: str | None = None
) -> Article:
    """A published article (of ``kind`` when given); NotFound for drafts, withdrawn
    articles, other kinds and unknown or malformed ids alike."""
    article = session.get(Article, _parse_id(article_id))
    if article is None or article.status != "published" or (kind and article.kind != kind):
        raise _not_found(article_id)
    return article
