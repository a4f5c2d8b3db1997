"""The platform's periodic jobs, composed once: the web server runs them on its timers
(``web.app``) and the CLI runs them from cron (`xinyong publish sweep`, `notices send`,
`watch deliver`, `audit chain`), so the two cannot drift apart."""

from __future__ import annotations

import datetime as dt
from typing import Any

from xinyong.actors import Actor
from xinyong.audit.service import chain_pending
from xinyong.cases.handling import enforce_deadlines
from xinyong.db import transaction, utcnow
from xinyong.ingest.service import close_stale_submissions
from xinyong.lists.service import expire_entries
from xinyong.notices.senders import sender_from_settings
from xinyong.notices.service import DeliveryResult, deliver_pending
from xinyong.records.publication import sweep
from xinyong.runtime import Runtime
from xinyong.watch.service import DeliveryCounts, deliver_webhooks, refresh_due


def daily_sweep(rt: Runtime, *, actor: Actor, today: dt.date) -> dict[str, Any]:
    """Publication moves due today, loads that died, objections the office left
    unmarked past their deadline, expired list entries, and watchers told of measures
    that started or ended with the date; one transaction. Idempotent."""
    with transaction(rt.sessions) as session:
        result: dict[str, Any] = sweep(session, actor=actor, today=today).as_dict()
        result["stale_submissions"] = close_stale_submissions(session, actor=actor, now=utcnow())
        ctx = rt.case_context(session, today)
        result["objections_marked"] = len(enforce_deadlines(session, ctx, actor=actor))
        result["list_entries_expired"] = len(expire_entries(session, actor=actor, today=today))
        result["watch_deliveries_queued"] = refresh_due(session, rt.measures, today=today)
    return result


def deliver_notices(rt: Runtime, *, limit: int = 100) -> DeliveryResult:
    return deliver_pending(
        rt.sessions,
        rt.vault,
        sender_from_settings(rt.settings),
        limit=limit,
        max_attempts=rt.settings.notice_max_attempts,
    )


def deliver_webhooks_now(rt: Runtime, *, limit: int = 100) -> DeliveryCounts:
    return deliver_webhooks(
        rt.sessions,
        rt.vault,
        limit=limit,
        max_attempts=rt.settings.webhook_max_attempts,
        timeout=rt.settings.webhook_timeout_seconds,
    )


def chain_audit(rt: Runtime) -> int:
    """Append every queued audit event to the chain (in committed chunks)."""
    total = 0
    while True:
        with transaction(rt.sessions) as session:
            done = chain_pending(session)
        total += done
        if not done:
            return total
