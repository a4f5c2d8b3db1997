"""Reporting, correcting and revoking credit records.

One function takes a department's values for one decision through the catalog's
checks, the subject register and the rule sets, and stores it: new, unchanged
(identical resend), or corrected (changed resend, previous state in the audit
trail). Departments may only write their own decisions.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from xinyong.accounts.models import Organisation
from xinyong.accounts.rules import require_own_org
from xinyong.actors import Actor
from xinyong.audit.service import record_event
from xinyong.catalog.loader import Catalog
from xinyong.catalog.rules import validate_values
from xinyong.db import china_today, utcnow
from xinyong.errors import NotFound, Problem, ValidationFailed
from xinyong.lists.service import end_entries_based_on
from xinyong.privacy.crypto import DataVault
from xinyong.records.loader import (
    Outcome,
    RecordLoader,
    cached_code_checkers,
    public_state,
)
from xinyong.records.models import CreditRecord
from xinyong.records.publication import TERMINAL, PublicationState, check_move
from xinyong.rulesets.loader import RuleBook
from xinyong.workdays.rules import WorkCalendar
from xinyong.workdays.service import load_calendar

__all__ = ["ReportResult", "public_state", "report_record", "revoke_record"]


@dataclass
class ReportResult:
    record: CreditRecord
    outcome: Outcome
    warnings: list[Problem] = field(default_factory=list)


def organisation_by_uscc(session: Session, uscc: str, field_code: str) -> Organisation:
    org = session.execute(
        select(Organisation).where(Organisation.uscc == uscc)
    ).scalar_one_or_none()
    if org is None:
        raise NotFound(
            f"{field_code}：单位 {uscc} 尚未在平台登记，请联系信用办",
            f"{field_code}: organisation {uscc} is not registered",
            field=field_code,
        )
    return org


def report_record(
    session: Session,
    *,
    actor: Actor,
    catalog: Catalog,
    rulebook: RuleBook,
    vault: DataVault,
    item_code: str,
    raw: Mapping[str, Any],
    today: dt.date,
    reason: str | None = None,
    calendar: WorkCalendar | None = None,
    submission_id: uuid.UUID | None = None,
) -> ReportResult:
    """Validate and store one reported decision; raises ``ValidationFailed`` naming fields.

    The single-decision form of the collection pipeline (``RecordLoader``)."""
    item = catalog.item(item_code)
    checkers = cached_code_checkers(session)
    checked = validate_values(item, raw, today=today, code_checker=checkers)
    if not checked.ok:
        raise ValidationFailed.from_problems(checked.problems)
    authority_field = item.authority_code_field
    authority = str(checked.values[authority_field])
    require_own_org(actor, authority, field=authority_field)
    org = organisation_by_uscc(session, authority, authority_field)
    loader = RecordLoader(
        session,
        actor=actor,
        catalog=catalog,
        rulebook=rulebook,
        vault=vault,
        calendar=calendar if calendar is not None else load_calendar(session),
        item_code=item_code,
        org=org,
        received_on=today,
        submission_id=submission_id,
        reason=reason,
        checkers=checkers,
    )
    prepared = loader.prepared(1, checked)
    if not prepared.ok:
        raise ValidationFailed.from_problems(prepared.checked.problems)
    (result,) = loader.store([prepared])
    if result.outcome == "rejected" or result.record_id is None:
        raise ValidationFailed.from_problems(result.problems)
    record = session.get(CreditRecord, result.record_id)
    assert record is not None
    return ReportResult(record, result.outcome, result.problems)


# Working days within which a revoked record must leave every public surface.
UNPUBLISH_WORKDAYS = 3


def revoke_record(
    session: Session,
    *,
    actor: Actor,
    record_id: uuid.UUID,
    reason: str,
    legal_basis: str | None = None,
    today: dt.date | None = None,
) -> CreditRecord:
    """Revoke (撤销) a record, e.g. after reconsideration; it is kept for the audit and
    leaves publication at once (at the latest within 3 working days)."""
    record = session.get(CreditRecord, record_id)
    if record is None:
        raise NotFound("未找到该信用记录", f"record {record_id} not found")
    require_own_org(actor, record.authority_code, field="authority_code")
    if not reason.strip():
        raise ValidationFailed.one("reason", "撤销须说明理由", "a reason is required to revoke")
    if record.status == "revoked":
        return record
    before = public_state(record)
    day = today or china_today()
    record.status = "revoked"
    record.revoked_at = utcnow()
    if record.publication_state not in TERMINAL:
        # Revocation takes it off every public surface at once (one audit event below).
        check_move(record.publication_state, PublicationState.revoked)
        record.publication_state = PublicationState.revoked.value
        record.state_changed_at = record.revoked_at
    record.unpublish_by = load_calendar(session).add_working_days(day, UNPUBLISH_WORKDAYS).date
    session.flush()
    record_event(
        session,
        actor=actor,
        action="record.revoke",
        entity_type="record",
        entity_id=record.id,
        before=before,
        after={
            **public_state(record),
            "unpublish_by": record.unpublish_by,
            "publication_state": record.publication_state,
        },
        reason=reason,
        legal_basis=legal_basis,
    )
    # List entries resting on the revoked record leave their lists (way "correction").
    end_entries_based_on(
        session,
        actor=actor,
        record_id=record.id,
        way="correction",
        reason=f"所依据的信用记录已撤销：{reason.strip()}"[:500],
        today=day,
    )
    return record


def is_published(record: CreditRecord, today: dt.date) -> bool:
    """Whether public surfaces may show the record today: only in state 公示中, never
    revoked, and not before its start date nor after its maximum period."""
    if record.status != "active" or record.publication_state != PublicationState.published:
        return False
    if record.auto_withdraw is not None and record.auto_withdraw <= today:
        return False  # the sweep has not run yet: still, nothing shows past its period
    return record.publication_start is None or record.publication_start <= today


def published_clause(today: dt.date) -> ColumnElement[bool]:
    """``is_published`` as a SQL condition on ``credit_record``: every public query
    filters with it, so a page never shows what the record page would not."""
    return and_(
        CreditRecord.status == "active",
        CreditRecord.publication_state == PublicationState.published.value,
        or_(CreditRecord.auto_withdraw.is_(None), CreditRecord.auto_withdraw > today),
        or_(CreditRecord.publication_start.is_(None), CreditRecord.publication_start <= today),
    )


def value_sources(record: CreditRecord) -> dict[str, uuid.UUID | None]:
    """For every stored value, the submission it came from (per-value provenance)."""
    fields_ = [*record.values, *record.sealed]
    provenance = record.provenance or {}
    return {
        code: uuid.UUID(provenance[code]) if code in provenance else record.first_submission_id
        for code in fields_
    }
