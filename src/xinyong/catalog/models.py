"""Tables of the catalog feature: each distinct catalog the platform has loaded."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, new_id, utcnow


class CatalogVersion(Base):
    """One catalog (national items plus local files) as loaded, kept so that every
    record can be read under the definitions it was reported with."""

    __tablename__ = "catalog_version"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    version: Mapped[str] = mapped_column(String(32), index=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    # Canonical definitions: {"version", "title", "issued", "items": [...]}.
    content: Mapped[dict[str, Any]]
    loaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    loaded_by: Mapped[str] = mapped_column(String(200))
