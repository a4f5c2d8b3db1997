"""The publication state machine (公示状态) of records the catalog makes public.

States: 待公示 pending → 公示中 published → 暂停公示 suspended (while an objection is
verified) → 已撤销 revoked (by the department) / 已修复 repaired (credit repair) /
公示期满 expired (the maximum period of its rule set ended). Records of items that are
not public are 不公示 (internal) and never move. Every move is checked here and audited;
``sweep`` moves what the calendar moves (start reached, period ended), so nothing stays
online past its period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.actors import Actor
from xinyong.audit.service import EventDraft, record_events
from xinyong.catalog.loader import CatalogItem
from xinyong.db import utcnow
from xinyong.errors import Conflict
from xinyong.records.models import CreditRecord


class PublicationState(StrEnum):
    pending = "pending"
    published = "published"
    suspended = "suspended"
    revoked = "revoked"
    repaired = "repaired"
    expired = "expired"
    internal = "internal"


STATE_LABELS: dict[str, str] = {
    PublicationState.pending: "待公示",
    PublicationState.published: "公示中",
    PublicationState.suspended: "暂停公示",
    PublicationState.revoked: "已撤销",
    PublicationState.repaired: "已修复",
    PublicationState.expired: "公示期满",
    PublicationState.internal: "不公示",
}

_P = PublicationState
# A live record moves to internal when a correction makes it one its rule set does not
# publish (e.g. a SAMR penalty corrected to a warning alone).
TRANSITIONS: dict[PublicationState, frozenset[PublicationState]] = {
    _P.pending: frozenset({_P.published, _P.revoked, _P.expired, _P.internal}),
    _P.published: frozenset({_P.suspended, _P.revoked, _P.repaired, _P.expired, _P.internal}),
    _P.suspended: frozenset({_P.published, _P.revoked, _P.repaired, _P.expired, _P.internal}),
    _P.revoked: frozenset(),
    _P.repaired: frozenset(),
    _P.expired: frozenset(),
    _P.internal: frozenset({_P.revoked}),
}
TERMINAL = frozenset({_P.revoked, _P.repaired, _P.expired})
LIVE_STATES = frozenset({_P.pending.value, _P.published.value, _P.suspended.value})


def initial_state(
    item: CatalogItem,
    *,
    publication_start: dt.date | None,
    auto_withdraw: dt.date | None,
    today: dt.date,
    publishable: bool = True,
) -> PublicationState:
    """Where a newly stored record starts: not published at all when the item is not
    public or its rule set says so (``publishable``: e.g. a SAMR penalty that is only
    a warning); a decision whose maximum period has already ended is never published
    (old decisions loaded late); one whose publication starts later waits."""
    if item.disclosure != "public" or not publishable:
        return _P.internal
    if auto_withdraw is not None and auto_withdraw <= today:
        return _P.expired
    if publication_start is not None and publication_start > today:
        return _P.pending
    return _P.published


def check_move(current: str, target: PublicationState) -> None:
    """Refuse a move the state machine does not allow, in Chinese."""
    allowed = TRANSITIONS.get(PublicationState(current), frozenset())
    if target not in allowed:
        raise Conflict(
            f"公示状态不能从「{STATE_LABELS[current]}」变为「{STATE_LABELS[target]}」",
            f"publication state cannot move from {current} to {target}",
            field="publication_state",
        )


def _moved(
    record: CreditRecord,
    to: PublicationState,
    *,
    reason: str,
    legal_basis: str | None = None,
    now: dt.datetime,
) -> EventDraft:
    """Set ``record``'s state and return the audit event saying so."""
    before = record.publication_state
    record.publication_state, record.state_changed_at = to.value, now
    return EventDraft(
        "record.publication",
        "record",
        record.id,
        before={"publication_state": before},
        after={"publication_state": to.value},
        reason=reason,
        legal_basis=legal_basis,
    )


def move(
    session: Session,
    *,
    actor: Actor,
    record: CreditRecord,
    to: PublicationState,
    reason: str,
    legal_basis: str | None = None,
) -> CreditRecord:
    """Move one record to ``to`` (checked, audited)."""
    check_move(record.publication_state, to)
    draft = _moved(record, to, reason=reason, legal_basis=legal_basis, now=utcnow())
    session.flush()
    record_events(session, actor=actor, drafts=[draft])
    return record


@dataclass(frozen=True)
class SweepResult:
    published: int
    expired: int

    def as_dict(self) -> dict[str, Any]:
        return {"published": self.published, "expired": self.expired}


def sweep(session: Session, *, actor: Actor, today: dt.date, limit: int = 50_000) -> SweepResult:
    """Publish records whose start has come and take down those whose maximum period
    has ended (the day ``auto_withdraw`` is reached), each with an audit event naming
    the rule set. Idempotent; run daily (and by ``xinyong publish sweep``)."""
    live = [_P.pending.value, _P.published.value, _P.suspended.value]
    expiring = session.scalars(
        select(CreditRecord)
        .where(
            CreditRecord.publication_state.in_(live),
            CreditRecord.auto_withdraw.is_not(None),
            CreditRecord.auto_withdraw <= today,
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    starting = session.scalars(
        select(CreditRecord)
        .where(
            CreditRecord.publication_state == _P.pending.value,
            CreditRecord.publication_start <= today,
            (CreditRecord.auto_withdraw.is_(None)) | (CreditRecord.auto_withdraw > today),
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    now = utcnow()
    drafts = [
        _moved(
            record,
            _P.expired,
            reason=f"公示期满：依规则集 {record.rule_set_id}，最长公示至 {record.auto_withdraw}，"
            "自动撤下",
            legal_basis=record.rule_set_id,
            now=now,
        )
        for record in expiring
    ]
    drafts += [
        _moved(
            record,
            _P.published,
            reason=f"公示起始日 {record.publication_start} 已到，开始公示",
            now=now,
        )
        for record in starting
    ]
    session.flush()
    record_events(session, actor=actor, drafts=drafts)
    return SweepResult(published=len(starting), expired=len(expiring))
