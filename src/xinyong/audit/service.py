"""Writing and verifying the audit trail.

Each event's hash covers its content and the previous event's hash, so editing,
inserting or deleting an event breaks the chain from that point on. Appends are
serialised by locking the single ``audit_head`` row (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite serialises writers itself).

Hot paths that must not wait for that lock (every screening call is audited, at
thousands per second) use ``queue_event``: the event is committed with the change in
``audit_pending`` and ``chain_pending`` appends it to the chain shortly after, in the
order written, with its own time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from xinyong.actors import Actor
from xinyong.audit.models import AuditEvent, AuditHead, AuditPending
from xinyong.db import utcnow

GENESIS = "0" * 64


def _default(value: Any) -> Any:
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"not JSON-serialisable in audit: {type(value).__name__}")


def jsonable(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """``data`` as plain JSON values (dates as ISO strings), as stored in the event."""
    if data is None:
        return None
    loaded: dict[str, Any] = orjson.loads(orjson.dumps(data, default=_default))
    return loaded


_CHAINED = (
    "seq",
    "at",
    "actor",
    "actor_org",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
    "reason",
    "legal_basis",
)


def _digest_of(prev_hash: str, fields: dict[str, Any]) -> str:
    """The chain hash over an event's content (``fields``) and the previous hash."""
    payload = {name: fields[name] for name in _CHAINED}
    payload["at"] = fields["at"].astimezone(dt.UTC).isoformat(timespec="microseconds")
    blob = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(prev_hash.encode() + blob).hexdigest()


def _digest(prev_hash: str, event: AuditEvent) -> str:
    return _digest_of(prev_hash, {name: getattr(event, name) for name in _CHAINED})


def _locked_head(session: Session) -> AuditHead:
    """The chain head, locked until the transaction ends (created on first use)."""
    head = session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, last_seq=0, last_hash=GENESIS)
        session.add(head)
    return head


def record_event(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: str | uuid.UUID,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    legal_basis: str | None = None,
) -> AuditEvent:
    """Append one event to the chain in the caller's transaction."""
    head = _locked_head(session)
    event = AuditEvent(
        seq=head.last_seq + 1,
        at=utcnow(),
        actor=actor.label,
        actor_org=actor.org_uscc,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=jsonable(before),
        after=jsonable(after),
        reason=reason,
        legal_basis=legal_basis,
        prev_hash=head.last_hash,
    )
    event.hash = _digest(head.last_hash, event)
    session.add(event)
    head.last_seq = event.seq
    head.last_hash = event.hash
    session.flush()
    return event


@dataclass(frozen=True)
class EventDraft:
    """One event to append with ``record_events``."""

    action: str
    entity_type: str
    entity_id: str | uuid.UUID
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    reason: str | None = None
    legal_basis: str | None = None


def _append(session: Session, contents: list[dict[str, Any]]) -> int:
    """Chain and insert events (``contents``: every chained field but ``seq``) in one
    executemany, the head locked once; in the caller's transaction."""
    if not contents:
        return 0
    session.flush()
    head = _locked_head(session)
    session.flush()
    seq, prev = head.last_seq, head.last_hash
    rows: list[dict[str, Any]] = []
    for content in contents:
        seq += 1
        row = {**content, "seq": seq, "prev_hash": prev}
        prev = row["hash"] = _digest_of(prev, row)
        rows.append(row)
    session.execute(insert(AuditEvent), rows)
    head.last_seq, head.last_hash = seq, prev
    session.flush()
    return len(rows)


def record_events(session: Session, *, actor: Actor, drafts: list[EventDraft]) -> int:
    """Append many events by one actor in the caller's transaction: the chain head is
    locked once and the events are inserted in one executemany (bulk loading)."""
    at = utcnow()
    return _append(
        session,
        [
            {
                "at": at,
                "actor": actor.label,
                "actor_org": actor.org_uscc,
                "action": draft.action,
                "entity_type": draft.entity_type,
                "entity_id": str(draft.entity_id),
                "before": jsonable(draft.before),
                "after": jsonable(draft.after),
                "reason": draft.reason,
                "legal_basis": draft.legal_basis,
            }
            for draft in drafts
        ],
    )


def queue_event(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: str | uuid.UUID,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """Record one event in the caller's transaction without locking the chain head;
    ``chain_pending`` appends it to the chain later (within the delivery interval)."""
    session.execute(
        insert(AuditPending),
        [
            {
                "id": uuid.uuid4(),
                "at": utcnow(),
                "actor": actor.label,
                "actor_org": actor.org_uscc,
                "action": action,
                "entity_type": entity_type,
                "entity_id": str(entity_id),
                "before": None,
                "after": jsonable(after),
                "reason": reason,
                "legal_basis": None,
            }
        ],
    )


def chain_pending(session: Session, *, limit: int = 20_000) -> int:
    """Append up to ``limit`` queued events to the chain, oldest first, keeping their
    time and actor; returns how many. Concurrent runs serialise on the chain head."""
    session.flush()
    _locked_head(session)  # before reading: a concurrent run's events are then gone
    queued = list(
        session.execute(
            select(AuditPending).order_by(AuditPending.at, AuditPending.id).limit(limit)
        ).scalars()
    )
    done = _append(
        session, [{name: getattr(q, name) for name in _CHAINED if name != "seq"} for q in queued]
    )
    ids = [q.id for q in queued]
    for start in range(0, len(ids), 900):
        session.execute(delete(AuditPending).where(AuditPending.id.in_(ids[start : start + 900])))
    return done


def pending_events(session: Session) -> int:
    """Events queued by ``queue_event`` and not chained yet."""
    return session.scalar(select(func.count()).select_from(AuditPending)) or 0


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    events: int
    first_broken_seq: int | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "intact": self.intact,
            "events": self.events,
            "first_broken_seq": self.first_broken_seq,
            "problem": self.problem,
        }


def _iter_events(session: Session, batch: int = 5000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = (
            session.execute(
                select(AuditEvent)
                .where(AuditEvent.seq > last)
                .order_by(AuditEvent.seq)
                .limit(batch)
            )
            .scalars()
            .all()
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


def verify_chain(session: Session) -> ChainReport:
    """Recompute every hash; report the first event whose content or link is wrong.
    Queued events (``queue_event``) are chained first, so the report covers them."""
    while chain_pending(session):
        pass
    prev = GENESIS
    expected_seq = 1
    count = 0
    for event in _iter_events(session):
        count += 1
        if event.seq != expected_seq:
            return ChainReport(False, count, expected_seq, f"event {expected_seq} is missing")
        if event.prev_hash != prev:
            return ChainReport(False, count, event.seq, "link to previous event is broken")
        if _digest(prev, event) != event.hash:
            return ChainReport(False, count, event.seq, "event content does not match its hash")
        prev = event.hash
        expected_seq += 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != prev):
        return ChainReport(False, count, expected_seq, "events after this point were removed")
    return ChainReport(True, count)


def events_for(session: Session, entity_type: str, entity_id: str | uuid.UUID) -> list[AuditEvent]:
    """The history of one entity, oldest first."""
    return list(
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
            .order_by(AuditEvent.seq)
        ).scalars()
    )
