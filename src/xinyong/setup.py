"""``xinyong init``: schema, data files and calendar, idempotently."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from xinyong.actors import Actor
from xinyong.audit.models import AuditEvent
from xinyong.audit.service import record_event
from xinyong.catalog.service import sync_catalog
from xinyong.db import transaction
from xinyong.runtime import Runtime
from xinyong.schema import upgrade
from xinyong.workdays.service import seed_from_chinesecalendar, uncovered_years_ahead


def initialise(rt: Runtime, *, actor: Actor) -> dict[str, Any]:
    """Create or upgrade the database and load catalog, rule sets and calendar."""
    upgrade(rt.engine)
    rt.check_database()
    with transaction(rt.sessions) as session:
        version = sync_catalog(session, actor=actor, catalog=rt.catalog)
        digest = rt.rulebook.sha256
        last = session.execute(
            select(AuditEvent.after)
            .where(AuditEvent.action == "rulesets.load")
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        ).scalar_one_or_none()
        if not last or last.get("sha256") != digest:
            record_event(
                session,
                actor=actor,
                action="rulesets.load",
                entity_type="rulesets",
                entity_id="rulebook",
                after={"sha256": digest, "rule_sets": [rs.id for rs in rt.rulebook.rule_sets]},
            )
        seeded = seed_from_chinesecalendar(session, actor=actor)
        missing = uncovered_years_ahead(session, dt.date.today())
    return {
        "database": rt.engine.dialect.name,
        "catalog_version": version.version,
        "rule_sets": len(rt.rulebook.rule_sets),
        "calendar_days_seeded": seeded,
        "calendar_missing_years": missing,
    }
