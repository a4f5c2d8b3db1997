"""The quarantine of rejected rows: listing, fixing and resending, withdrawing.

A department sees and fixes its own rows; the credit office sees every department's.
Resending runs the corrected row through the same pipeline as any submission
(``Collector.collect`` with ``resubmitting``): accepted, the row is resolved; rejected
again, it stays one quarantined row with the new problems.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.accounts.models import Organisation
from xinyong.accounts.roles import AUDITOR, DEPT_REPORTER, OFFICE_ADMIN, OFFICE_STAFF, SYSTEM
from xinyong.accounts.rules import require_role
from xinyong.actors import Actor
from xinyong.audit.service import record_event
from xinyong.db import transaction, utcnow
from xinyong.errors import Conflict, Forbidden, NotFound, ValidationFailed
from xinyong.ingest.models import QuarantineRow, Submission
from xinyong.ingest.readers import table_from_records
from xinyong.ingest.service import CollectionReport, Collector

STATUS_LABELS = {"open": "待修正", "resolved": "已修正", "withdrawn": "已撤回"}


def sees_all_departments(actor: Actor) -> bool:
    return actor.has_role(OFFICE_ADMIN, OFFICE_STAFF, AUDITOR, SYSTEM)


def _visible(actor: Actor, row: QuarantineRow, org: Organisation | None) -> bool:
    if sees_all_departments(actor):
        return True
    return org is not None and org.uscc == actor.org_uscc


def get_submission(
    session: Session, actor: Actor, submission_id: uuid.UUID
) -> tuple[Submission, Organisation]:
    """A submission the actor may see (the office: all; a department: its own)."""
    sub = session.get(Submission, submission_id)
    org = session.get(Organisation, sub.org_id) if sub else None
    if (
        sub is None
        or org is None
        or not (sees_all_departments(actor) or org.uscc == actor.org_uscc)
    ):
        raise NotFound("未找到该报送批次", f"submission {submission_id} not found")
    return sub, org


def get_quarantined(session: Session, actor: Actor, row_id: uuid.UUID) -> QuarantineRow:
    row = session.get(QuarantineRow, row_id)
    if row is None or not _visible(actor, row, session.get(Organisation, row.org_id)):
        raise NotFound("未找到该条待修正数据", f"quarantined row {row_id} not found")
    return row


@dataclass(frozen=True)
class QuarantinePage:
    rows: list[QuarantineRow]
    total: int
    orgs: dict[uuid.UUID, Organisation]


def list_quarantined(
    session: Session,
    actor: Actor,
    *,
    status: str = "open",
    item_code: str | None = None,
    submission_id: uuid.UUID | None = None,
    limit: int = 50,
    offset: int = 0,
) -> QuarantinePage:
    """Quarantined rows the actor may see, oldest first."""
    query = select(QuarantineRow)
    if status != "all":
        query = query.where(QuarantineRow.status == status)
    if item_code:
        query = query.where(QuarantineRow.item_code == item_code)
    if submission_id:
        query = query.where(QuarantineRow.submission_id == submission_id)
    if not sees_all_departments(actor):
        own = session.execute(
            select(Organisation.id).where(Organisation.uscc == actor.org_uscc)
        ).scalar_one_or_none()
        if own is None:
            raise Forbidden("只有部门或信用办可以查看待修正数据", "no organisation")
        query = query.where(QuarantineRow.org_id == own)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = list(
        session.execute(
            query.order_by(QuarantineRow.created_at, QuarantineRow.row_number)
            .limit(limit)
            .offset(offset)
        ).scalars()
    )
    org_ids = {r.org_id for r in rows}
    orgs = {
        o.id: o
        for o in session.execute(select(Organisation).where(Organisation.id.in_(org_ids))).scalars()
    }
    return QuarantinePage(rows, total, orgs)


def withdraw_quarantined(
    session: Session, actor: Actor, row_id: uuid.UUID, *, reason: str
) -> QuarantineRow:
    """The department says the row should not have been sent: kept, marked withdrawn."""
    row = get_quarantined(session, actor, row_id)
    org = session.get(Organisation, row.org_id)
    if not (actor.has_role(OFFICE_ADMIN, SYSTEM) or (org and org.uscc == actor.org_uscc)):
        raise Forbidden("只能撤回本单位的数据", "may only withdraw own rows")
    require_role(actor, DEPT_REPORTER, OFFICE_ADMIN, SYSTEM)
    if not reason.strip():
        raise ValidationFailed.one("reason", "撤回须说明理由", "a reason is required")
    if row.status != "open":
        raise Conflict(
            f"该条数据{STATUS_LABELS.get(row.status, row.status)}，不能撤回",
            f"row is {row.status}",
        )
    row.status, row.note, row.resolved_at = "withdrawn", reason.strip(), utcnow()
    session.flush()
    record_event(
        session,
        actor=actor,
        action="quarantine.withdraw",
        entity_type="quarantine_row",
        entity_id=row.id,
        after={"status": row.status, "row_number": row.row_number, "item_code": row.item_code},
        reason=reason,
    )
    return row


def resubmit_quarantined(
    collector: Collector,
    row_id: uuid.UUID,
    values: Mapping[str, Any],
    *,
    reason: str | None = None,
) -> CollectionReport:
    """Send a corrected quarantined row through the pipeline."""
    with transaction(collector.sessions) as session:
        row = get_quarantined(session, collector.actor, row_id)
        if row.status != "open":
            raise Conflict(
                f"该条数据{STATUS_LABELS.get(row.status, row.status)}，无需重新提交",
                f"row is {row.status}",
            )
        org = session.get(Organisation, row.org_id)
        assert org is not None
        item_code, department, original = row.item_code, org.uscc, dict(row.raw)
    item = collector.catalog.item(item_code)

    def by_field(cells: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in cells.items():
            spec = item.resolve_column(str(key))
            out[spec.code if spec else str(key)] = value
        return out

    # Only the corrected cells need be sent: the rest come from the quarantined row.
    cleaned = {**by_field(original), **by_field(values)}
    return collector.collect(
        table_from_records([cleaned]),
        item_code=item_code,
        department=department,
        channel="resubmit",
        reason=reason or "修正后重新提交",
        resubmitting=row_id,
    )
