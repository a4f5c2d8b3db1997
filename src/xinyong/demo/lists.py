"""Demo list entries (issue 6): the market regulator lists some firms with serious
penalties on its serious-dishonesty list, through the real lifecycle (proposed,
notified with the objection window, listed), has two more in their objection window,
and four firms on the 经营异常名录, so `/staff/lists`, the credit files and
`POST /api/v1/screening` show them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import select

from xinyong.accounts.models import Organisation
from xinyong.actors import Actor
from xinyong.db import transaction
from xinyong.lists import service
from xinyong.records.models import CreditRecord
from xinyong.runtime import Runtime
from xinyong.workdays.service import load_calendar

LISTED = 6
NOTIFIED = 2
ABNORMAL = 4


def demo_list_entries(rt: Runtime, *, dept: Actor, today: dt.date) -> dict[str, Any]:
    """Entries on ``samr-serious`` resting on the department's published 较重 or 严重
    penalties of organisations; returns the listed firms' codes (to try screening)."""
    with transaction(rt.sessions) as session:
        org = session.scalars(select(Organisation).where(Organisation.uscc == dept.org_uscc)).one()
        reviewer = dataclasses.replace(dept, org_id=org.id, roles=frozenset({"dept_reviewer"}))
        calendar = load_calendar(session)
        records = [
            r
            for r in session.scalars(
                select(CreditRecord)
                .where(
                    CreditRecord.item_code == "xzcf",
                    CreditRecord.authority_code == dept.org_uscc,
                    CreditRecord.severity.in_(("严重", "较重")),
                    CreditRecord.publication_state == "published",
                )
                .order_by(CreditRecord.decision_date.desc())
                .limit(40)
            )
            if r.values.get("CF_XDR_SHXYM")
        ]
        chosen: dict[Any, CreditRecord] = {}  # one record per firm
        for record in records:
            chosen.setdefault(record.subject_id, record)
        listed: list[str] = []
        for n, record in enumerate(list(chosen.values())[: LISTED + NOTIFIED]):
            # Listed ones were proposed and notified a month ago; the window has passed.
            start = today - dt.timedelta(days=30) if n < LISTED else today
            entry = service.propose(
                session,
                actor=reviewer,
                book=rt.measures,
                today=start,
                list_code="samr-serious",
                subject_id=record.subject_id,
                doc_number=f"厦市监信认〔{start.year}〕{n + 1:03d}号",
                reasons="受到较重行政处罚且拒不履行，情节严重。",
                basis_record_id=record.id,
            )
            service.notify(
                session,
                actor=reviewer,
                book=rt.measures,
                calendar=calendar,
                today=start,
                entry_id=entry.id,
            )
            if n < LISTED:
                service.confirm(
                    session,
                    actor=reviewer,
                    book=rt.measures,
                    today=today - dt.timedelta(days=10),
                    entry_id=entry.id,
                )
                listed.append(str(record.values["CF_XDR_SHXYM"]))
        # 经营异常名录: no objection window, no basis record (a missed annual report).
        others = session.scalars(
            select(CreditRecord)
            .where(
                CreditRecord.item_code == "xzcf",
                CreditRecord.authority_code == dept.org_uscc,
                CreditRecord.severity == "一般",
                CreditRecord.publication_state == "published",
                CreditRecord.subject_id.not_in(list(chosen)),
            )
            .order_by(CreditRecord.decision_date)
            .limit(20)
        )
        abnormal = 0
        for record in others:
            code = record.values.get("CF_XDR_SHXYM")
            if not code or code in listed or abnormal == ABNORMAL:
                continue
            day = today - dt.timedelta(days=15)
            entry = service.propose(
                session,
                actor=reviewer,
                book=rt.measures,
                today=day,
                list_code="abnormal",
                subject_id=record.subject_id,
                doc_number=f"厦市监异〔{day.year}〕{abnormal + 1:03d}号",
                reasons="未按规定期限公示年度报告。",
            )
            service.notify(
                session,
                actor=reviewer,
                book=rt.measures,
                calendar=calendar,
                today=day,
                entry_id=entry.id,
            )
            service.confirm(session, actor=reviewer, book=rt.measures, today=day, entry_id=entry.id)
            listed.append(str(code))
            abnormal += 1
        serious = min(len(chosen), LISTED + NOTIFIED)
        return {"list_entries": serious + abnormal, "listed_codes": listed}
