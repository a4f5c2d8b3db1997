"""自动反馈: a calling system reports what it did with each screening answer; the
month's joint reward and punishment cases and the screenings still waiting for
feedback (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import uuid

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.integration.cases_helpers import refused
from tests.integration.test_record_reporting import CATALOG
from xinyong.actors import Actor
from xinyong.audit.models import AuditEvent
from xinyong.errors import Forbidden, NotFound, ValidationFailed
from xinyong.measures.loader import load_measures
from xinyong.screening.feedback import (
    FeedbackItem,
    joint_cases,
    joint_cases_csv,
    joint_cases_xlsx,
    record_feedback,
    unanswered,
)
from xinyong.screening.models import Screening, ScreeningResult

BOOK = load_measures(CATALOG.items)
NOVEMBER = dt.date(2026, 11, 1)


def _screening(session: Session, caller: Actor) -> Screening:
    screening = Screening(
        org_id=caller.org_id,
        caller=caller.label,
        scenario="procurement",
        subjects=3,
        created_at=dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC),
    )
    session.add(screening)
    session.flush()
    answers = [
        ("91350200MA2PBMEM0X", "restrict", {"measures": [{"code": "procurement-listed"}]}),
        ("91350200MA2PBMEN9Y", "clear", {"measures": []}),
        ("91350200MA2PBMEP5B", "restrict", {"measures": [{"code": "procurement-listed"}]}),
    ]
    for i, (code, status, answer) in enumerate(answers):
        session.add(
            ScreeningResult(
                screening_id=screening.id, position=i, query=code, status=status, answer=answer
            )
        )
    session.flush()
    return screening


def test_feedback_is_kept_audited_and_becomes_a_joint_case(session: Session, dept: Actor) -> None:
    screening = _screening(session, dept)
    record_feedback(
        session,
        actor=dept,
        screening_id=screening.id,
        items=[
            FeedbackItem("applied", position=0),
            FeedbackItem("not_applied", query="91350200MA2PBMEP5B", reason="采购已于比对前完成"),
        ],
    )
    results = session.scalars(
        select(ScreeningResult)
        .where(ScreeningResult.screening_id == screening.id)
        .order_by(ScreeningResult.position)
    ).all()
    assert [r.feedback for r in results] == ["applied", None, "not_applied"]
    events = session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_id == str(screening.id))
    ).all()
    assert events == ["screening.feedback", "screening.feedback"]
    month = results[0].feedback_at.astimezone(dt.timezone(dt.timedelta(hours=8))).date()  # type: ignore[union-attr]
    cases = joint_cases(session, BOOK, month=month.replace(day=1))
    assert [c.outcome for c in cases] == ["已实施", "未实施"]
    first = cases[0]
    assert first.scenario == "政府采购" and first.kind == "联合惩戒"
    assert "《企业信息公示暂行条例》第十八条" in first.bases
    assert cases[1].reason == "采购已于比对前完成"
    text = joint_cases_csv(cases).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("案例编号,应用场景,实施单位")
    sheet = load_workbook(io.BytesIO(joint_cases_xlsx(cases, "2026年11月"))).active
    assert sheet is not None and sheet.max_row == 3


def test_feedback_must_fit_the_answer_and_nothing_is_kept_on_error(
    session: Session, dept: Actor
) -> None:
    screening = _screening(session, dept)
    with refused(ValidationFailed, "不能反馈“已实施”"):
        record_feedback(
            session,
            actor=dept,
            screening_id=screening.id,
            items=[FeedbackItem("applied", position=0), FeedbackItem("applied", position=1)],
        )
    with refused(ValidationFailed, "未实施须说明理由"):
        record_feedback(
            session,
            actor=dept,
            screening_id=screening.id,
            items=[FeedbackItem("not_applied", position=0)],
        )
    with refused(ValidationFailed, "该比对中没有这个主体"):
        record_feedback(
            session,
            actor=dept,
            screening_id=screening.id,
            items=[FeedbackItem("applied", query="91350200XXXXXXXXXX")],
        )
    stored = session.scalars(
        select(ScreeningResult.feedback).where(ScreeningResult.screening_id == screening.id)
    ).all()
    assert stored == [None, None, None]


def test_feedback_on_another_org_screening_is_refused(
    session: Session, dept: Actor, other_dept: Actor
) -> None:
    screening = _screening(session, dept)
    with refused(Forbidden, "只能反馈本单位发起的比对"):
        record_feedback(
            session,
            actor=other_dept,
            screening_id=screening.id,
            items=[FeedbackItem("applied", position=0)],
        )
    with pytest.raises(NotFound):
        record_feedback(session, actor=dept, screening_id=uuid.uuid4(), items=[])


def test_screenings_waiting_for_feedback_are_listed(session: Session, dept: Actor) -> None:
    screening = _screening(session, dept)
    later = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
    (waiting,) = [
        u for u in unanswered(session, BOOK, before=later) if u.screening_id == screening.id
    ]
    assert waiting.waiting == 2 and waiting.scenario == "政府采购"
    reviewer = dataclasses.replace(dept)
    record_feedback(
        session,
        actor=reviewer,
        screening_id=screening.id,
        items=[FeedbackItem("applied", position=0), FeedbackItem("applied", position=2)],
    )
    assert [
        u for u in unanswered(session, BOOK, before=later) if u.screening_id == screening.id
    ] == []


def test_correcting_feedback_needs_a_reason_and_keeps_the_earlier_in_the_audit(
    session: Session, dept: Actor
) -> None:
    screening = _screening(session, dept)
    record_feedback(
        session, actor=dept, screening_id=screening.id, items=[FeedbackItem("applied", 0)]
    )
    with refused(ValidationFailed, "更正反馈须说明理由"):
        record_feedback(
            session,
            actor=dept,
            screening_id=screening.id,
            items=[FeedbackItem("applied", 0, measures=("procurement-listed",))],
        )
    record_feedback(
        session,
        actor=dept,
        screening_id=screening.id,
        items=[FeedbackItem("not_applied", 0, reason="误报：该项目已终止")],
    )
    last = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_id == str(screening.id))
        .order_by(AuditEvent.seq.desc())
    ).first()
    assert last is not None and last.before == {"feedback": "applied", "feedback_reason": None}
    assert last.reason == "误报：该项目已终止"
