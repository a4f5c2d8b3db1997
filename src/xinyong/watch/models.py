"""Watch lists, their watched subjects, and the outbox of webhook deliveries.

A delivery is written in the same transaction as the change it reports
(``watch.service.subjects_changed``) and sent later, outside it
(``watch.service.deliver_webhooks``), like the notice outbox.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, new_id, utcnow


class WatchList(Base):
    """One calling system's list of watched subjects for one scenario, and where to send
    changes. The HMAC secret is sealed with the DataVault (it is needed in clear to
    sign) and shown to the caller once, on creation. Deleting a list sets ``active``
    false: its deliveries stay as the record of what was sent."""

    __tablename__ = "watch_list"
    __table_args__ = (Index("ix_watch_list_org", "org_id", "active"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    name: Mapped[str] = mapped_column(String(100))
    scenario: Mapped[str] = mapped_column(String(40))
    webhook_url: Mapped[str] = mapped_column(String(500))
    secret_sealed: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(200))  # Actor.label
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WatchEntry(Base):
    """One watched code. ``query`` is the lookup key: the normalised code of an
    organisation, or ``ric:<keyed hash>`` of a resident ID number (never stored in
    clear; ``query_masked`` is what is shown and sent). ``subject_id`` is empty while
    the code is unknown to the platform and filled when the subject appears.
    ``last_status`` and ``last_measures`` are what the caller was last told (or, for a
    new entry, the state when it was added)."""

    __tablename__ = "watch_entry"
    __table_args__ = (
        UniqueConstraint("watch_list_id", "query"),
        Index("ix_watch_entry_subject", "subject_id"),
        Index("ix_watch_entry_query", "query"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    watch_list_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("watch_list.id", ondelete="CASCADE")
    )
    subject_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("subject.id"))
    query: Mapped[str] = mapped_column(String(80))
    query_masked: Mapped[str] = mapped_column(String(32))
    last_status: Mapped[str] = mapped_column(String(10))  # clear|reward|restrict|unknown
    last_measures: Mapped[list[str]]  # codes of the scenario's measures in force
    last_changed_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One POST to a watch list's webhook: ``queued`` → ``sending`` (claimed by a
    delivery run) → ``sent``; a failed attempt goes back to ``queued`` with a later
    ``next_attempt_at``, and after the last one to ``dead`` (kept with its last error
    until the caller re-queues it)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'sending', 'sent', 'dead')", name="status"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_list", "watch_list_id", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    watch_list_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("watch_list.id"))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(8), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[dt.datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)  # English, for the caller and logs
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column()
