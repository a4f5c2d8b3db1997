"""Credit records: one administrative decision (or list entry) reported under a catalog item."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, new_id, utcnow


class CreditRecord(Base):
    """A decision as last reported. Personal values live only in ``sealed`` (encrypted)
    and ``masked`` (their public form); ``values`` holds everything else."""

    __tablename__ = "credit_record"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    item_code: Mapped[str] = mapped_column(String(32))
    catalog_version: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subject.id"), index=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    authority_code: Mapped[str] = mapped_column(String(18))
    doc_number: Mapped[str] = mapped_column(String(200))
    decision_date: Mapped[dt.date] = mapped_column(Date)
    severity: Mapped[str | None] = mapped_column(String(4))
    sector: Mapped[str | None] = mapped_column(String(40))
    values: Mapped[dict[str, Any]]
    masked: Mapped[dict[str, Any]]
    sealed: Mapped[dict[str, Any]]
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | revoked
    # The publication state machine (records.publication): pending, published,
    # suspended, revoked, repaired, expired; internal for items that are not public.
    publication_state: Mapped[str] = mapped_column(String(16), default="published")
    state_changed_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Computed periods, with the rule set that decided them (RULES.md "Rule sets by date").
    rule_set_id: Mapped[str | None] = mapped_column(String(40))
    publication_start: Mapped[dt.date | None] = mapped_column(Date)
    earliest_repair: Mapped[dt.date | None] = mapped_column(Date)
    auto_withdraw: Mapped[dt.date | None] = mapped_column(Date)
    repairable: Mapped[bool | None]
    # Collection: where the values came from and how timely the first report was.
    # ``provenance`` maps a field code to the submission that last changed it; fields
    # not in it came with ``first_submission_id`` (see ``records.service.value_sources``).
    first_submission_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("submission.id"))
    submission_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("submission.id"))
    provenance: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_on: Mapped[dt.date | None] = mapped_column(Date)
    lag_workdays: Mapped[int | None] = mapped_column(Integer)
    late: Mapped[bool | None]
    first_pass: Mapped[bool] = mapped_column(default=True)  # passed every check first time
    revoked_at: Mapped[dt.datetime | None]
    unpublish_by: Mapped[dt.date | None] = mapped_column(Date)  # revoked: off-line by then
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("item_code", "authority_code", "doc_number"),
        Index("ix_credit_record_item_decided", "item_code", "decision_date"),
        Index("ix_credit_record_org_received", "org_id", "received_on"),
        Index("ix_credit_record_publication", "publication_state", "auto_withdraw"),
    )
