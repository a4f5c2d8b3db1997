"""List entries: one subject on one list (``measures`` data defines the lists).

An entry moves proposed → notified (the written notice 告知书 is served; the subject
may object until ``objection_until``) → listed → exited (expiry, repair, correction,
court). ``withdrawn`` ends a proposal that is not pursued (e.g. an upheld objection).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, new_id, utcnow


class ListEntry(Base):
    __tablename__ = "list_entry"
    __table_args__ = (
        CheckConstraint(
            "status IN ('proposed', 'notified', 'listed', 'exited', 'withdrawn')", name="status"
        ),
        Index("ix_list_entry_subject_status", "subject_id", "status"),
        Index("ix_list_entry_list_status", "list_code", "status"),
        Index("ix_list_entry_basis_record", "basis_record_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    list_code: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subject.id"))
    # The identifying authority (认定单位): the organisation that proposed the entry.
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    status: Mapped[str] = mapped_column(String(12), default="proposed")
    doc_number: Mapped[str] = mapped_column(String(200))  # 认定文书号
    reasons: Mapped[str] = mapped_column(Text)  # 列入事由
    # The record the entry rests on, if any: repairing or revoking it ends the entry.
    basis_record_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("credit_record.id"))
    notice_text: Mapped[str | None] = mapped_column(Text)  # the 告知书 as served
    proposed_on: Mapped[dt.date] = mapped_column(Date)
    notified_on: Mapped[dt.date | None] = mapped_column(Date)
    objection_until: Mapped[dt.date | None] = mapped_column(Date)
    listed_on: Mapped[dt.date | None] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)
    exited_on: Mapped[dt.date | None] = mapped_column(Date)
    exit_way: Mapped[str | None] = mapped_column(String(12))
    exit_reason: Mapped[str | None] = mapped_column(Text)
    # A local rule moved this entry here from another list (e.g. black → key attention).
    moved_from_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("list_entry.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
