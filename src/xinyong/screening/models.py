"""Screening tables.

``SubjectMeasure`` is the precomputed answer: one row per subject and measure in force,
with what triggers it (a list entry or a record) and until when, recomputed whenever a
record, a list entry or the measure list changes, so a screening call is an index
lookup. ``Screening`` and ``ScreeningResult`` keep every call and its answer per
subject (the screening id a calling system feeds back on).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, new_id, utcnow


class SubjectMeasure(Base):
    __tablename__ = "subject_measure"
    __table_args__ = (Index("ix_subject_measure_subject", "subject_id", "measure_code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subject.id"))
    measure_code: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(8))  # punish | reward
    trigger_type: Mapped[str] = mapped_column(String(8))  # list | record
    trigger_id: Mapped[uuid.UUID]  # list_entry.id or credit_record.id
    since: Mapped[dt.date] = mapped_column(Date)
    until: Mapped[dt.date | None] = mapped_column(Date)  # None: until the trigger ends


class Screening(Base):
    __tablename__ = "screening"
    __table_args__ = (Index("ix_screening_org_created", "org_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisation.id"))
    caller: Mapped[str] = mapped_column(String(200))  # Actor.label
    scenario: Mapped[str] = mapped_column(String(40))
    subjects: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ScreeningResult(Base):
    """The answer for one subject of a screening, and what the caller did with it."""

    __tablename__ = "screening_result"
    __table_args__ = (Index("ix_screening_result_screening", "screening_id", "position"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    screening_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("screening.id"))
    position: Mapped[int] = mapped_column(Integer)
    query: Mapped[str] = mapped_column(String(300))  # the code (or name) asked about
    subject_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("subject.id"))
    status: Mapped[str] = mapped_column(String(10))  # clear|reward|restrict|unknown|invalid
    answer: Mapped[dict[str, Any]]  # measures with bases and triggers, as answered
    # 自动反馈: applied | not_applied (with reason) | rewarded
    feedback: Mapped[str | None] = mapped_column(String(12))
    feedback_reason: Mapped[str | None] = mapped_column(Text)
    feedback_at: Mapped[dt.datetime | None]
    # The measures the caller says it applied (codes of the list; anything else is kept
    # as given and reported by the overreach check); None: all it was answered.
    applied: Mapped[list[str] | None]
