"""Tables of this feature: the outbox of notices waiting to be sent.

A notice is written in the same transaction as the case change it reports, so a
committed change always has its notice and a rolled-back one never does; delivery
happens later, outside that transaction (``xinyong.notices.service.deliver_pending``).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, new_id, utcnow


class NoticeOutbox(Base):
    """One notice to one recipient: ``queued`` → ``sending`` (claimed by a delivery run,
    ``claimed_at`` set) → ``sent``, or back to ``queued`` after a failed attempt, or
    ``failed`` after the last one. The address is personal data: sealed with the
    DataVault, shown masked. ``case_id`` names the objection or repair case without a
    foreign key, so that the outbox does not depend on the cases tables (and notices may
    exist without a case)."""

    __tablename__ = "notice_outbox"
    __table_args__ = (
        CheckConstraint("channel IN ('email')", name="channel"),
        CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name="status"),
        Index("ix_notice_outbox_pending", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(String(16), default="email")
    recipient_sealed: Mapped[str] = mapped_column(Text)  # DataVault.seal of the address
    recipient_masked: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)  # English, for staff and logs
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[dt.datetime | None] = mapped_column()
    sent_at: Mapped[dt.datetime | None] = mapped_column()
