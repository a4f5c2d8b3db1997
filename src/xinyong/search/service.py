"""Search credit subjects by name fragment or code (issue 4; STACK.md §1).

Paths, chosen by the cleaned query:

- a full USCC (18 characters of the GB 32100 alphabet) or a 15-digit registration
  number: exact lookup by code;
- 2 characters: ``LIKE '%q%'`` on ``subject.name_norm`` (trigrams cannot serve two
  characters; the scan stops early under ``LIMIT``), and no exact total;
- 3 or more: PostgreSQL ``LIKE`` served by the GIN trigram index, SQLite ``MATCH`` on
  the FTS5 trigram table ``subject_fts``; exact totals.

Ranking: exact name, then prefix, then substring, then name order.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import ColumnElement, TextClause, case, func, select, text
from sqlalchemy.orm import Session

from xinyong.search.rules import MAX_RESULTS, check_paging, clean_query, escape_like, fts5_phrase
from xinyong.search.schema import FTS_TABLE
from xinyong.subjects.models import Subject

Match = Literal["code", "exact", "prefix", "substring"]
_MATCHES: tuple[Match, ...] = ("exact", "prefix", "substring")


@dataclass(frozen=True)
class SearchHit:
    id: uuid.UUID
    name: str
    uscc: str | None
    district: str | None
    kind: str
    match: Match


@dataclass(frozen=True)
class SearchPage:
    items: list[SearchHit]
    page: int
    has_more: bool
    total: int | None  # None for 2-character queries: no exact totals


def search_subjects(
    session: Session,
    query: str,
    *,
    page: int = 1,
    per_page: int = 20,
    exclude_kinds: tuple[str, ...] = (),
) -> SearchPage:
    """One page of subjects matching ``query``, leaving out subjects of
    ``exclude_kinds``; raises ValidationFailed for bad input."""
    q = clean_query(query)
    check_paging(page, per_page)
    offset = (page - 1) * per_page
    columns = (Subject.id, Subject.name, Subject.uscc, Subject.district, Subject.kind)

    if q.kind != "name":
        code_column = Subject.uscc if q.kind == "uscc" else Subject.regno
        stmt = (
            select(*columns)
            .where(code_column == q.text, *_kinds(exclude_kinds))
            .order_by(Subject.name_norm, Subject.id)
            .limit(MAX_RESULTS)
        )
        rows = session.execute(stmt).all()
        hits = [SearchHit(r.id, r.name, r.uscc, r.district, r.kind, "code") for r in rows]
        return SearchPage(
            hits[offset : offset + per_page], page, len(hits) > offset + per_page, len(hits)
        )

    condition = _name_condition(session, q.text)
    rank = case(
        (Subject.name_norm == q.text, 0),
        (func.substr(Subject.name_norm, 1, len(q.text)) == q.text, 1),
        else_=2,
    ).label("rank")
    stmt = (
        select(*columns, rank)
        .where(condition, *_kinds(exclude_kinds))
        .order_by(rank, Subject.name_norm, Subject.id)
        .offset(offset)
        .limit(per_page + 1)
    )
    rows = session.execute(stmt).all()
    hits = [SearchHit(r.id, r.name, r.uscc, r.district, r.kind, _MATCHES[r.rank]) for r in rows]
    total: int | None = None
    if len(q.text) >= 3:
        count = select(func.count()).select_from(Subject).where(condition, *_kinds(exclude_kinds))
        total = session.execute(count).scalar_one()
    return SearchPage(hits[:per_page], page, len(hits) > per_page, total)


def _name_condition(session: Session, needle: str) -> ColumnElement[bool] | TextClause:
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite" and len(needle) >= 3:
        return text(
            f"subject.rowid IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :fts)"
        ).bindparams(fts=fts5_phrase(needle))
    # PostgreSQL: the GIN trigram index serves 3+ characters; 2 characters scan.
    return Subject.name_norm.like(f"%{escape_like(needle)}%", escape="\\")


def _kinds(exclude: tuple[str, ...]) -> list[ColumnElement[bool]]:
    return [Subject.kind.not_in(exclude)] if exclude else []
