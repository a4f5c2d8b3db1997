"""Keeping the precomputed measures current: one place for every change.

Two SQLAlchemy session events, installed once for every ``Session``:

- ``after_flush`` notes the subject of every ``CreditRecord`` and ``ListEntry`` the
  flush inserted, changed or deleted through the ORM (a record stored, corrected,
  revoked or moved through the publication states, including the daily sweep; a list
  entry proposed, listed or exited; a subject's old and new id when a record moves
  between subjects);
- ``before_commit`` recomputes those subjects (``service.recompute``) in the same
  transaction, so a committed change never leaves a stale screening answer.

Bulk paths that write with Core statements (the records loader's executemany and
PostgreSQL COPY) call ``mark_subjects`` for the subjects of their batch.

The measure book comes from ``session.info["measure_book"]``, a callable the
runtime's session factory sets (``Runtime.sessions``); a session without it (a
script's own session, most unit-of-work tests) is not recomputed automatically: call
``recompute_marked`` or ``service.recompute`` yourself.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from xinyong.db import china_today
from xinyong.lists.models import ListEntry
from xinyong.measures.loader import MeasureBook
from xinyong.records.models import CreditRecord

MARKED = "screening_marked"
BOOK = "measure_book"
CATALOG = "catalog"  # a callable giving the runtime's catalog (with local items)
CHANGED = "screening_changed"  # subjects whose answer changed in this transaction
TODAY = "screening_today"  # optional date to compute as of (tests, replays); else today
REASONS = "screening_reasons"  # what happened, for the watch-list webhooks' "reason"


def mark_subjects(session: Session, subject_ids: Iterable[uuid.UUID | None]) -> None:
    """Recompute these subjects before the session commits."""
    marked: set[uuid.UUID] = session.info.setdefault(MARKED, set())
    marked.update(s for s in subject_ids if s is not None)


def _subjects_of(obj: Any) -> list[uuid.UUID | None]:
    found: list[uuid.UUID | None] = [obj.subject_id]
    history = inspect(obj).attrs.subject_id.history
    found.extend(history.deleted or ())
    return found


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    ids: list[uuid.UUID | None] = []
    reasons: set[str] = session.info.setdefault(REASONS, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, CreditRecord | ListEntry):
            ids.extend(_subjects_of(obj))
            reasons.add(_reason(obj))
    if ids:
        mark_subjects(session, ids)


def _reason(obj: CreditRecord | ListEntry) -> str:
    """``list_entry.listed``, ``record.repaired`` …: the object's kind and status."""
    if isinstance(obj, ListEntry):
        return f"list_entry.{obj.status}"
    return f"record.{obj.publication_state}"


def recompute_marked(session: Session, book: MeasureBook) -> set[uuid.UUID]:
    """Recompute the marked subjects now; returns those whose answer changed (also
    kept in ``session.info["screening_changed"]`` until the transaction ends)."""
    from xinyong.screening.service import recompute

    session.flush()  # the pending ORM changes mark their subjects (after_flush)
    marked: set[uuid.UUID] = session.info.pop(MARKED, set())
    changed: set[uuid.UUID] = set()
    if marked:
        # Recomputing writes SubjectMeasure rows only, which mark nothing again.
        today = session.info.get(TODAY) or china_today()
        catalog = session.info[CATALOG]() if CATALOG in session.info else None
        changed = recompute(session, book, subject_ids=marked, today=today, catalog=catalog)
    session.info.setdefault(CHANGED, set()).update(changed)
    if changed:
        # Watched subjects whose answer changed: their webhooks are queued in this
        # same transaction (sent later by the delivery loop), so none is lost.
        from xinyong.watch.service import subjects_changed

        reasons = sorted(session.info.pop(REASONS, set())) or ["screening.recompute"]
        subjects_changed(
            session,
            book,
            subject_ids=changed,
            today=session.info.get(TODAY) or china_today(),
            reason=",".join(reasons),
        )
    return changed


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    provider: Callable[[], MeasureBook] | None = session.info.get(BOOK)
    if provider is None or (not session.info.get(MARKED) and not _pending_changes(session)):
        return
    recompute_marked(session, provider())


def _pending_changes(session: Session) -> bool:
    return any(
        isinstance(obj, CreditRecord | ListEntry)
        for obj in (*session.new, *session.dirty, *session.deleted)
    )


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(MARKED, None)
    session.info.pop(CHANGED, None)
    session.info.pop(REASONS, None)
