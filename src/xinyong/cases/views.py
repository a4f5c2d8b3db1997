"""Reading cases: a case's history and attachments, the staff's work list, and the marks
the public credit file shows on records under objection. Reads only (opening a sealed
attachment is audited: ``cases.handling.read_attachment``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.actors import Actor
from xinyong.cases.context import sees_all_cases
from xinyong.cases.models import CaseAttachment, CaseEntry, CreditCase
from xinyong.cases.rules import OBJECTION_MARK, OPEN_STATUSES, CaseKind, Status
from xinyong.errors import NotFound


def history(session: Session, case: CreditCase, *, public_only: bool) -> list[CaseEntry]:
    q = select(CaseEntry).where(CaseEntry.case_id == case.id)
    if public_only:
        q = q.where(CaseEntry.public.is_(True))
    return list(session.scalars(q.order_by(CaseEntry.at, CaseEntry.id)))


def attachments(session: Session, case: CreditCase) -> list[CaseAttachment]:
    return list(
        session.scalars(
            select(CaseAttachment)
            .where(CaseAttachment.case_id == case.id)
            .order_by(CaseAttachment.added_at)
        )
    )


def attachment(
    session: Session, case: CreditCase, attachment_id: uuid.UUID | str
) -> CaseAttachment:
    """One attachment of ``case``; its ``data`` is sealed (``read_attachment`` opens it)."""
    try:
        aid = uuid.UUID(str(attachment_id))
    except ValueError as exc:
        raise NotFound("未找到该附件", "attachment not found") from exc
    found = session.get(CaseAttachment, aid)
    if found is None or found.case_id != case.id:
        raise NotFound("未找到该附件", "attachment not found")
    return found


def queue(
    session: Session, actor: Actor, *, scope: str = "open", limit: int = 200
) -> list[CreditCase]:
    """Cases a handler works on: the office sees all, a department those about its own
    records; ``open`` (soonest due first), ``overdue`` or ``closed`` (latest first)."""
    q = select(CreditCase)
    if not sees_all_cases(session, actor):
        if actor.org_id is None:
            return []
        q = q.where(CreditCase.org_id == actor.org_id)
    open_values = [s.value for s in OPEN_STATUSES]
    if scope == "closed":
        q = q.where(CreditCase.status.not_in(open_values)).order_by(CreditCase.closed_at.desc())
    else:
        q = q.where(CreditCase.status.in_(open_values)).order_by(
            CreditCase.due_on, CreditCase.filed_at
        )
    return list(session.scalars(q.limit(limit)))


def case_marks(session: Session, record_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Marks the public credit file shows on records with an open objection:
    复议/诉讼中, or 异议处理中 once the office has accepted it."""
    if not record_ids:
        return {}
    rows = session.execute(
        select(CreditCase.record_id, CreditCase.tag, CreditCase.status).where(
            CreditCase.record_id.in_(list(record_ids)),
            CreditCase.kind == CaseKind.objection.value,
            CreditCase.status.in_([Status.accepted.value, Status.forwarded.value]),
        )
    ).all()
    return {rid: (tag or OBJECTION_MARK) for rid, tag, _status in rows}
