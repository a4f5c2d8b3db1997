"""Use cases of the catalog: recording which catalog the platform runs with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.actors import Actor
from xinyong.audit.service import record_event
from xinyong.catalog.loader import Catalog
from xinyong.catalog.models import CatalogVersion
from xinyong.db import utcnow


def current_version(session: Session) -> CatalogVersion | None:
    """The catalog loaded most recently, or ``None`` before the first sync."""
    return session.execute(
        select(CatalogVersion).order_by(CatalogVersion.loaded_at.desc()).limit(1)
    ).scalar_one_or_none()


def item_changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any]
) -> dict[str, list[str]]:
    """Codes of the items added, changed and removed between two catalog contents."""
    old = {item["code"]: item for item in (before or {}).get("items", [])}
    new = {item["code"]: item for item in after.get("items", [])}
    return {
        "items_added": sorted(set(new) - set(old)),
        "items_changed": sorted(c for c in set(new) & set(old) if new[c] != old[c]),
        "items_removed": sorted(set(old) - set(new)),
    }


def sync_catalog(session: Session, *, actor: Actor, catalog: Catalog) -> CatalogVersion:
    """Make ``catalog`` the current one. Idempotent: a row (and a ``catalog.load`` audit
    event) is written only when the content differs from the current catalog's."""
    current = current_version(session)
    if current is not None and current.sha256 == catalog.sha256:
        return current
    content = catalog.content()
    changes = item_changes(current.content if current is not None else None, content)
    loaded_at = utcnow()
    if current is not None and loaded_at <= current.loaded_at:
        # Keep "most recently loaded" unambiguous even within one clock tick.
        loaded_at = current.loaded_at + dt.timedelta(microseconds=1)
    row = session.execute(
        select(CatalogVersion).where(CatalogVersion.sha256 == catalog.sha256)
    ).scalar_one_or_none()
    reactivated = row is not None
    if row is None:
        row = CatalogVersion(
            version=catalog.version,
            sha256=catalog.sha256,
            content=content,
            loaded_at=loaded_at,
            loaded_by=actor.label,
        )
        session.add(row)
    else:  # going back to a catalog loaded before
        row.loaded_at = loaded_at
        row.loaded_by = actor.label
    session.flush()
    before = {"version": current.version, "sha256": current.sha256} if current is not None else None
    record_event(
        session,
        actor=actor,
        action="catalog.load",
        entity_type="catalog_version",
        entity_id=row.id,
        before=before,
        after={
            "version": catalog.version,
            "sha256": catalog.sha256,
            "reactivated": reactivated,
            **changes,
        },
        legal_basis=catalog.title,
    )
    return row
