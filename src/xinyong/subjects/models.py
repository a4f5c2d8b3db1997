"""Credit subjects (信用主体) and their identifiers."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, new_id, utcnow
from xinyong.subjects.rules import name_bigrams


class Subject(Base):
    """One credit subject. Natural persons' ID numbers exist only sealed and hashed."""

    __tablename__ = "subject"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    name: Mapped[str] = mapped_column(String(300))
    name_norm: Mapped[str] = mapped_column(String(300), index=True)
    # Terms of the 2-character search index (subjects.rules.name_bigrams), kept in
    # step with name_norm by the listener below; bulk loaders fill it themselves.
    name_bigrams: Mapped[str | None] = mapped_column(Text)
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    regno: Mapped[str | None] = mapped_column(String(15), index=True)
    org_code: Mapped[str | None] = mapped_column(String(9), index=True)
    # Natural persons: keyed hash for lookup, sealed copy, public masked form.
    id_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    id_sealed: Mapped[str | None] = mapped_column(Text)
    id_masked: Mapped[str | None] = mapped_column(String(32))
    district: Mapped[str | None] = mapped_column(String(6), index=True)
    industry: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[str | None] = mapped_column(String(20))
    legal_rep: Mapped[str | None] = mapped_column(String(100))
    registered_capital: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    capital_currency: Mapped[str | None] = mapped_column(String(10))
    registered_on: Mapped[dt.date | None] = mapped_column(Date)
    address: Mapped[str | None] = mapped_column(String(300))
    business_scope: Mapped[str | None] = mapped_column(Text)
    code_flags: Mapped[str | None] = mapped_column(String(200))  # e.g. "legacy_check_digit"
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_subject_kind_district", "kind", "district"),)


class SubjectAlias(Base):
    """Other names a subject has been reported under (renamed firms, typos)."""

    __tablename__ = "subject_alias"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subject.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    name_norm: Mapped[str] = mapped_column(String(300), index=True)
    # registration: a former registered name; report: a department reported the subject's
    # code under this name (code governance counts these, by the reporting department).
    source: Mapped[str] = mapped_column(String(16), default="registration")
    org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisation.id"))
    first_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("subject_id", "name_norm", "org_id"),)


@event.listens_for(Subject, "before_insert")
@event.listens_for(Subject, "before_update")
def _fill_bigrams(mapper: Any, connection: Any, subject: Subject) -> None:
    subject.name_bigrams = name_bigrams(subject.name_norm)
