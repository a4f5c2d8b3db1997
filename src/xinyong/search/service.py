"""Search credit subjects by name fragment or code (issue 4; STACK.md §1).

Paths, chosen by the cleaned query:

- a full USCC (18 characters of the GB 32100 alphabet) or a 15-digit registration
  number: exact lookup by code;
- a name fragment: three bounded tiers, each fetching only the rows this page needs
  (at most 201): exact name (B-tree), names starting with the fragment (B-tree
  range), then names containing it: 3+ characters through the trigram index
  (PostgreSQL GIN on ``name_norm``, SQLite FTS5 ``subject_fts``), 2 letters or digits
  through the bigram index (``name_bigrams``: PostgreSQL GIN on its pairs, chosen by
  the planner for rare pairs, SQLite FTS5 ``subject_bigram``), anything else by a scan
  that stops at the limit. The substring tier is in storage order, never sorted:
  sorting every match of a frequent fragment (290k names contain 有限公 in 1M) is what
  made it slow.
- totals: none for 2 characters, counted up to 1,000 for 3+ ("1000+" above).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Join,
    TableClause,
    Text,
    TextClause,
    cast,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.orm import Session

from xinyong.search.rules import (
    MAX_RESULTS,
    check_paging,
    clean_query,
    escape_like,
    fts5_phrase,
    is_bigram,
)
from xinyong.search.schema import BIGRAM_TABLE, FTS_TABLE
from xinyong.subjects.models import Subject

Match = Literal["code", "exact", "prefix", "substring"]


@dataclass(frozen=True)
class SearchHit:
    id: uuid.UUID
    name: str
    uscc: str | None
    district: str | None
    kind: str
    match: Match
    status: str | None = None  # registration status (登记状态)


@dataclass(frozen=True)
class SearchPage:
    items: list[SearchHit]
    page: int
    has_more: bool
    total: int | None  # None for 2-character queries and for more than COUNT_CAP
    total_over: int | None = None  # COUNT_CAP when there are more matches than that


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
    if q.kind != "name":
        code_column = Subject.uscc if q.kind == "uscc" else Subject.regno
        stmt = (
            select(*_COLUMNS)
            .where(code_column == q.text, *_kinds(exclude_kinds))
            .order_by(Subject.name_norm, Subject.id)
            .limit(MAX_RESULTS)
        )
        rows = session.execute(stmt).all()
        hits = _hits(rows, "code")
        return SearchPage(
            hits[offset : offset + per_page], page, len(hits) > offset + per_page, len(hits)
        )

    need = offset + per_page + 1  # enough rows to fill this page and see if more follow
    kinds = _kinds(exclude_kinds)
    if session.get_bind().dialect.name == "postgresql":
        _postgres_search_settings(session)
    exact = session.execute(
        select(*_COLUMNS)
        .where(Subject.name_norm == q.text, *kinds)
        .order_by(Subject.id)
        .limit(need)
    ).all()
    hits = _hits(exact, "exact")
    if len(hits) < need:
        prefix = session.execute(
            select(*_COLUMNS)
            .where(Subject.name_norm > q.text, Subject.name_norm < q.text + PREFIX_END, *kinds)
            .order_by(Subject.name_norm, Subject.id)
            .limit(need - len(hits))
        ).all()
        hits += _hits(prefix, "prefix")
    if len(hits) < need:
        rows = _substring_rows(session, q.text, kinds, need - len(hits))
        hits += _hits(rows, "substring")
    total: int | None = None
    over: int | None = None
    if len(q.text) >= 3:
        total = _capped_count(session, q.text, kinds)
        if total > COUNT_CAP:
            total, over = None, COUNT_CAP
    more = len(hits) > offset + per_page
    return SearchPage(hits[offset : offset + per_page], page, more, total, over)


# Greater than any character a name can hold: [q, q + PREFIX_END) is every name that
# starts with q, a range the plain B-tree index on name_norm serves on both backends
# (byte order: SQLite's BINARY collation; PostgreSQL databases are created with
# LC_COLLATE C, see docs/operations).
PREFIX_END = "\U0010ffff"
COUNT_CAP = 1000  # totals above this are shown as "1000+": counting them costs a scan


def _substring_rows(
    session: Session, needle: str, kinds: list[ColumnElement[bool]], limit: int
) -> Sequence[Any]:  # rows of (id, name, uscc, district, kind)
    """Names containing ``needle`` but not starting with it, in storage order, at most
    ``limit``. No ORDER BY on a computed rank: the index or scan stops after ``limit``
    matches instead of sorting every match (290k for 有限公 in 1M names)."""
    not_prefix = func.substr(Subject.name_norm, 1, len(needle)) != needle
    columns = _COLUMNS
    if session.get_bind().dialect.name == "sqlite":
        if len(needle) >= 3:
            # FTS5 hands out rowids in ascending order and stops at the LIMIT.
            join, match = _fts_match(needle)
            stmt = (
                select(*columns)
                .select_from(join)
                .where(match, not_prefix, *kinds)
                .order_by(_FTS.c.rowid)
                .limit(limit)
            )
            return session.execute(stmt).all()
        if is_bigram(needle):
            # Two letters or digits: the bigram FTS5 table, in rowid order.
            join, match = _fts_match(needle.casefold(), _BIGRAMS)
            stmt = (
                select(*columns)
                .select_from(join)
                .where(match, not_prefix, *kinds)
                .order_by(_BIGRAMS.c.rowid)
                .limit(limit)
            )
            return session.execute(stmt).all()
        # Two characters with punctuation: a scan in rowid order that stops at the LIMIT.
        stmt = (
            select(*columns)
            .where(_like(needle), not_prefix, *kinds)
            .order_by(text("subject.rowid"))
            .limit(limit)
        )
        return session.execute(stmt).all()
    # PostgreSQL: the planner takes the GIN trigram index for rare fragments and a scan
    # that stops early for frequent ones; rows come in physical order (custom plans and
    # no synchronised scans: _postgres_search_settings).
    if len(needle) >= 3 or not is_bigram(needle):
        condition = _like(needle)
    else:
        # The GIN index on the name's pairs for rare pairs; for frequent ones the
        # planner (statistics of the index expression) prefers a scan that stops early.
        condition = _PAIRS.contains(cast(array([needle.casefold()]), ARRAY(Text)))
    stmt = select(*columns).where(condition, not_prefix, *kinds).limit(limit)
    return session.execute(stmt).all()


_FTS = table(FTS_TABLE, column("rowid"))
_BIGRAMS = table(BIGRAM_TABLE, column("rowid"))
# The expression the PostgreSQL bigram index is built on (migration e0bb15215768).
# The delimiter is a literal, not a parameter, so the expression matches the index's.
_PAIRS = func.string_to_array(Subject.name_bigrams, literal_column("' '"), type_=ARRAY(Text))


def _fts_match(needle: str, fts: TableClause = _FTS) -> tuple[Join, TextClause]:
    """The FROM clause joining an FTS5 table's rows to subjects, and the MATCH
    condition for ``needle`` (one quoted phrase, so no FTS5 syntax leaks in)."""
    join = fts.join(Subject, literal_column("subject.rowid") == fts.c.rowid)
    match = text(f"{fts.name} MATCH :fts").bindparams(fts=fts5_phrase(needle))
    return join, match


def _capped_count(session: Session, needle: str, kinds: list[ColumnElement[bool]]) -> int:
    """How many subjects match, counted up to ``COUNT_CAP`` + 1 (more is "1000+")."""
    if session.get_bind().dialect.name == "sqlite":
        join, match = _fts_match(needle)
        matches = select(Subject.id).select_from(join).where(match, *kinds)
    else:
        matches = select(Subject.id).where(_like(needle), *kinds)
    inner = matches.limit(COUNT_CAP + 1).subquery()
    return int(session.execute(select(func.count()).select_from(inner)).scalar_one())


def _like(needle: str) -> ColumnElement[bool]:
    return Subject.name_norm.like(f"%{escape_like(needle)}%", escape="\\")


_COLUMNS = (
    Subject.id,
    Subject.name,
    Subject.uscc,
    Subject.district,
    Subject.kind,
    Subject.status,
)


def _hits(rows: Sequence[Any], match: Match) -> list[SearchHit]:
    return [SearchHit(r.id, r.name, r.uscc, r.district, r.kind, match, r.status) for r in rows]


def _postgres_search_settings(session: Session) -> None:
    """For this transaction, in one round trip: custom plans always (psycopg prepares
    a statement run 5 times, and PostgreSQL's generic plan for ``LIKE $1`` cannot know
    the pattern, so it would scan the table even for a fragment the trigram index
    answers in a millisecond); no synchronised scans, so that a scan stopped by LIMIT
    starts at the table's first page and page 2 continues where page 1 ended."""
    session.execute(
        text(
            "SELECT set_config('plan_cache_mode', 'force_custom_plan', true),"
            " set_config('synchronize_seqscans', 'off', true)"
        )
    )


def _kinds(exclude: tuple[str, ...]) -> list[ColumnElement[bool]]:
    return [Subject.kind.not_in(exclude)] if exclude else []
