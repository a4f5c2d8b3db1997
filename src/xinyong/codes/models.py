"""Tables of this feature: the register of legacy codes that fail their check digit."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, new_id, utcnow


class CodeException(Base):
    """A code that is legal as issued although its check character is wrong.

    Early pilot areas issued USCCs before GB 32100 settled, and some fail the check
    (RULES.md §10: keep them as issued and flag them). A registered code passes
    ``check_code_with_exceptions`` with a warning instead of an error.
    """

    __tablename__ = "code_exception"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(18), unique=True)  # normalised
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(300))  # the subject's name as issued
    reason: Mapped[str] = mapped_column(Text)
    registered_by: Mapped[str] = mapped_column(String(200))  # Actor.label
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
