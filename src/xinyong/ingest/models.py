"""Submissions (报送批次) and the quarantine of rejected rows (待修正数据)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, new_id, utcnow


class Submission(Base):
    """One delivery by a department: an API call, an uploaded or ingested file, or the
    resubmission of corrected quarantined rows. Counts are kept as rows are loaded, so
    an interrupted load still says how far it got."""

    __tablename__ = "submission"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))  # api | upload | cli | resubmit
    actor: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str | None] = mapped_column(String(300))
    file_format: Mapped[str | None] = mapped_column(String(8))
    file_encoding: Mapped[str | None] = mapped_column(String(16))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(Text)
    # running | done | interrupted | failed
    status: Mapped[str] = mapped_column(String(16), default="running")
    rows_seen: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)  # file-level problem, Chinese
    error_en: Mapped[str | None] = mapped_column(Text)
    # The first rows of the per-row report (the quarantine holds every rejected row).
    rows_report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_on: Mapped[dt.date] = mapped_column(index=True)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]


class QuarantineRow(Base):
    """A rejected row, kept with its original content until the department fixes and
    resends it (resolved) or withdraws it; never silently dropped."""

    __tablename__ = "quarantine_row"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    submission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("submission.id"), index=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    item_code: Mapped[str] = mapped_column(String(32))
    row_number: Mapped[int] = mapped_column(Integer)
    raw: Mapped[dict[str, Any]]  # header -> value as sent (JSON-safe)
    raw_hash: Mapped[str] = mapped_column(String(64))
    problems: Mapped[dict[str, Any]]  # {"items": [{field, level, reason, reason_en}]}
    doc_key: Mapped[str | None] = mapped_column(String(240))  # authority|doc number if known
    # original: first sending; resubmit: a corrected row that failed again
    origin: Mapped[str] = mapped_column(String(12), default="original")
    status: Mapped[str] = mapped_column(String(12), default="open")  # open|resolved|withdrawn
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("submission.id"))
    resolved_at: Mapped[dt.datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    received_on: Mapped[dt.date]

    __table_args__ = (
        Index("ix_quarantine_org_status", "org_id", "status", "item_code"),
        Index("ix_quarantine_raw_hash", "org_id", "item_code", "raw_hash"),
        Index("ix_quarantine_doc_key", "item_code", "doc_key"),
    )
