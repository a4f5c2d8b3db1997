"""Tables of the due-process cases: objections (异议) and credit repair (信用修复).

A ``CreditCase`` is one application about one record, with its case number, its
applicant (contact details sealed, a masked copy for screens), its current timed step
and deadline, and its outcome. ``CaseEntry`` rows are its history (status changes,
notes, decisions), shown to staff and, when ``public``, to the applicant.
``CaseAttachment`` rows hold the cleaned files (proof, authorisation letter, 受理通知书).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, new_id, utcnow


class CreditCase(Base):
    __tablename__ = "credit_case"
    __table_args__ = (
        CheckConstraint("kind IN ('objection', 'repair')", name="kind"),
        Index("ix_credit_case_queue", "status", "due_on"),
        Index("ix_credit_case_org_status", "org_id", "status"),
        Index("ix_credit_case_record_open", "record_id", "closed_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(24), unique=True)  # e.g. YY20261124000001
    kind: Mapped[str] = mapped_column(String(12))
    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("credit_record.id"))
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subject.id"), index=True)
    # The department that reported the record: it answers and decides.
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    status: Mapped[str] = mapped_column(String(20))
    # The timed step now running (cases.rules.Step) and its deadline.
    step: Mapped[str | None] = mapped_column(String(12))
    step_started: Mapped[dt.date | None] = mapped_column(Date)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    due_provisional: Mapped[bool] = mapped_column(default=False)
    extended: Mapped[bool] = mapped_column(default=False)
    # The office's overall deadline for answering the applicant.
    final_due_on: Mapped[dt.date | None] = mapped_column(Date)
    # Applicant: the subject itself or an agent with an authorisation letter.
    applicant_role: Mapped[str] = mapped_column(String(10))  # subject | agent
    contact_sealed: Mapped[str] = mapped_column(Text)  # JSON of name, phone, email; sealed
    contact_masked: Mapped[dict[str, Any]]
    access_hash: Mapped[str] = mapped_column(String(64))  # HMAC of the applicant's 查询码
    # Objection: the fields disputed and the ground; repair: the signed commitment.
    fields: Mapped[list[str]] = mapped_column(default=list)
    ground: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    declarations: Mapped[list[str]] = mapped_column(default=list)
    commitment_text: Mapped[str | None] = mapped_column(Text)
    commitment_signatory: Mapped[str | None] = mapped_column(String(100))
    # Publication effects while the case is open.
    suspended_from: Mapped[str | None] = mapped_column(String(16))
    tag: Mapped[str | None] = mapped_column(String(20))  # 复议/诉讼中
    assignee: Mapped[str | None] = mapped_column(String(200))  # Actor.label
    # Outcome.
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_reason: Mapped[str | None] = mapped_column(Text)
    refusal_code: Mapped[str | None] = mapped_column(String(30))
    dept_answered_on: Mapped[dt.date | None] = mapped_column(Date)
    dept_on_time: Mapped[bool | None]
    filed_on: Mapped[dt.date] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    handling_workdays: Mapped[int | None] = mapped_column(Integer)
    on_time: Mapped[bool | None]
    filed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    # Optimistic locking: two handlers acting on one case at once cannot both win.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it)


class CaseEntry(Base):
    """One line of a case's history: a status change, a note or a decision."""

    __tablename__ = "credit_case_entry"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("credit_case.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))  # Actor.label
    action: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(20))  # the status after this entry
    text: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(default=True)  # shown to the applicant


class CaseAttachment(Base):
    """A file filed with a case, already cleaned (``cases.attachments.clean_attachment``)."""

    __tablename__ = "credit_case_attachment"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("credit_case.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(24))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
