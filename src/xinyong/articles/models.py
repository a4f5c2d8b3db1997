"""Tables of this feature: articles the credit office writes and the public reads."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, new_id, utcnow


class Article(Base):
    """A news item (信用动态) or a policy text (政策法规).

    Only ``published`` articles are public; ``withdrawn`` ones keep their text and
    ``published_at`` for the record but leave the site. ``body`` is Markdown, rendered
    to safe HTML by ``xinyong.articles.rules.render_markdown``.
    """

    __tablename__ = "article"
    __table_args__ = (
        CheckConstraint("kind IN ('news', 'policy')", name="kind"),
        CheckConstraint("status IN ('draft', 'published', 'withdrawn')", name="status"),
        Index("ix_article_listing", "kind", "status", "published_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    published_at: Mapped[dt.datetime | None] = mapped_column()
    author: Mapped[str] = mapped_column(String(200))  # Actor.label of the creator
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
