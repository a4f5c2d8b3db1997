"""``xinyong init``: schema, data files and calendar, idempotently."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.actors import Actor
from xinyong.audit.models import AuditEvent
from xinyong.audit.service import record_event
from xinyong.catalog.service import sync_catalog
from xinyong.db import transaction
from xinyong.runtime import Runtime
from xinyong.schema import upgrade
from xinyong.workdays.service import seed_from_chinesecalendar, uncovered_years_ahead


def _audit_data_file(
    session: Session, actor: Actor, action: str, entity_id: str, after: dict[str, Any]
) -> None:
    """An audit event when a data file's content (by sha256) differs from the last load,
    so what governed each period stays traceable."""
    last = session.execute(
        select(AuditEvent.after)
        .where(AuditEvent.action == action)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).scalar_one_or_none()
    if not last or last.get("sha256") != after["sha256"]:
        record_event(
            session,
            actor=actor,
            action=action,
            entity_type=action.split(".")[0],
            entity_id=entity_id,
            after=after,
        )


def initialise(rt: Runtime, *, actor: Actor) -> dict[str, Any]:
    """Create or upgrade the database and load catalog, rule sets, lists and measures,
    and the calendar."""
    upgrade(rt.engine)
    rt.check_database()
    book = rt.measures
    with transaction(rt.sessions) as session:
        version = sync_catalog(session, actor=actor, catalog=rt.catalog)
        _audit_data_file(
            session,
            actor,
            "rulesets.load",
            "rulebook",
            {"sha256": rt.rulebook.sha256, "rule_sets": [rs.id for rs in rt.rulebook.rule_sets]},
        )
        _audit_data_file(
            session,
            actor,
            "measures.load",
            "measurebook",
            {"sha256": book.sha256, "lists": list(book.lists), "measures": list(book.measures)},
        )
        seeded = seed_from_chinesecalendar(session, actor=actor)
        missing = uncovered_years_ahead(session, dt.date.today())
    return {
        "database": rt.engine.dialect.name,
        "catalog_version": version.version,
        "rule_sets": len(rt.rulebook.rule_sets),
        "lists": len(book.lists),
        "measures": len(book.measures),
        "calendar_days_seeded": seeded,
        "calendar_missing_years": missing,
    }
