"""Organisations, staff accounts and API keys."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from xinyong.db import Base, JSONType, new_id, utcnow


class Organisation(Base):
    """A unit using the platform: the credit office, a department, a bank, …"""

    __tablename__ = "organisation"
    __table_args__ = (
        CheckConstraint("kind IN ('office', 'department', 'bank', 'other')", name="kind"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    # e.g. 市场监管, 生态环境, 税务: selects sector-specific rule sets.
    sector: Mapped[str | None] = mapped_column(String(40))
    district: Mapped[str | None] = mapped_column(String(6))  # GB/T 2260 code
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Account(Base):
    """A staff member who logs in to the website with a password."""

    __tablename__ = "account"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    # A JSON list (not a comma string) so a role code can never be split or merged.
    roles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]
    # Session tokens issued before this instant are refused (set on password change).
    sessions_valid_after: Mapped[dt.datetime | None]

    organisation: Mapped[Organisation] = relationship()


class ApiKey(Base):
    """A key with which a department's or bank's system calls the API.

    Only ``HMAC-SHA256(secret_key, key)`` is stored; the key is shown once.
    """

    __tablename__ = "api_key"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    label: Mapped[str] = mapped_column(String(60))
    prefix: Mapped[str] = mapped_column(String(12))  # first characters, to recognise a key
    key_hmac: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))  # Actor.label
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]

    organisation: Mapped[Organisation] = relationship()
