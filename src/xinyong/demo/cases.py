"""Demo objections and repair applications, so the staff queues, the figures and the
applicant's 办件查询 have something to show after ``xinyong demo``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from typing import Any

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts.models import Organisation
from xinyong.actors import Actor
from xinyong.cases import filing, handling
from xinyong.cases.context import Application, CaseContext, Contact, Filed, Upload
from xinyong.db import transaction
from xinyong.records.models import CreditRecord
from xinyong.runtime import Runtime
from xinyong.subjects.models import Subject

APPLICANT = Actor(kind="public", name="demo-applicant")
OFFICE = Actor(kind="system", name="demo-office", roles=frozenset({"office_staff"}))


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(buf, "PNG")
    return buf.getvalue()


def _candidates(session: Session, ctx: CaseContext, org_uscc: str) -> list[CreditRecord]:
    """Published, repairable general penalties of one department, oldest first."""
    rows = session.scalars(
        select(CreditRecord)
        .where(
            CreditRecord.item_code == "xzcf",
            CreditRecord.authority_code == org_uscc,
            CreditRecord.repairable.is_(True),
            CreditRecord.earliest_repair <= ctx.today,
            CreditRecord.publication_state == "published",
        )
        .order_by(CreditRecord.decision_date)
        .limit(40)
    ).all()
    return [r for r in rows if r.values.get("CF_XDR_SHXYM")]


def _application(session: Session, record: CreditRecord, **extra: Any) -> Application:
    subject = session.get(Subject, record.subject_id)
    assert subject is not None
    fields: dict[str, Any] = {
        "record_id": record.id,
        "subject_code": subject.uscc or "",
        "subject_name": subject.name,
        "contact": Contact("陈明", "13906001234", None),
        "reason": "",
    }
    fields.update(extra)
    return Application(**fields)


def _repair(session: Session, ctx: CaseContext, record: CreditRecord) -> Filed:
    needed = filing.checklist(session, ctx, record)
    uploads = [Upload(p.value, f"{p.label}.png", _png()) for p in needed.needed_purposes()]
    declared = [i.code for i in needed.items if i.purpose is None and i.code != "commitment"]
    app = _application(
        session,
        record,
        reason="已缴清罚款并完成整改，申请提前停止公示。",
        signatory="陈明",
        uploads=uploads,
        declarations=declared,
    )
    return filing.file_repair(session, ctx, actor=APPLICANT, application=app)


def _objection(session: Session, ctx: CaseContext, record: CreditRecord) -> Filed:
    app = _application(
        session,
        record,
        reason="处罚决定书载明的罚款金额与公示内容不一致。",
        ground="content",
        fields=["CF_NR_FK"],
        uploads=[Upload("evidence", "处罚决定书.png", _png())],
    )
    return filing.file_objection(session, ctx, actor=APPLICANT, application=app)


def demo_cases(rt: Runtime, *, dept: Actor, today: dt.date) -> dict[str, Any]:
    """Five cases about the market regulator's penalties, in different states."""
    with transaction(rt.sessions) as session:
        org = session.scalars(select(Organisation).where(Organisation.uscc == dept.org_uscc)).one()
        reviewer = dataclasses.replace(dept, org_id=org.id, roles=frozenset({"dept_reviewer"}))
        ctx = rt.case_context(session, today)
        records = _candidates(session, ctx, dept.org_uscc or "")
        if len(records) < 5:
            return {"cases": 0}
        waiting = _objection(session, ctx, records[0])
        forwarded = _objection(session, ctx, records[1])
        handling.mark(session, ctx, actor=OFFICE, case_id=forwarded.case.id, accept=True)
        handling.forward(session, ctx, actor=OFFICE, case_id=forwarded.case.id)
        rejected = _objection(session, ctx, records[2])
        handling.mark(session, ctx, actor=OFFICE, case_id=rejected.case.id, accept=True)
        handling.forward(session, ctx, actor=OFFICE, case_id=rejected.case.id)
        handling.decide_objection(
            session,
            ctx,
            actor=reviewer,
            case_id=rejected.case.id,
            outcome="rejected",
            reason="经核对处罚决定书原件，公示内容无误。",
        )
        repair = _repair(session, ctx, records[3])
        handling.forward(session, ctx, actor=OFFICE, case_id=repair.case.id)
        approved = _repair(session, ctx, records[4])
        handling.forward(session, ctx, actor=OFFICE, case_id=approved.case.id)
        handling.approve_repair(
            session,
            ctx,
            actor=reviewer,
            case_id=approved.case.id,
            reason="当事人已履行处罚决定并完成整改，同意信用修复。",
        )
        return {
            "cases": 5,
            "case_lookup": {"number": waiting.case.number, "access_code": waiting.access_code},
        }
