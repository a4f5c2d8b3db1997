"""泛化监测: measures applied beyond the answer or the list, measures still applied after
their trigger ended, list entries without a footing (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from tests.integration.cases_helpers import TODAY, published_penalty
from tests.integration.test_record_reporting import CATALOG
from xinyong.actors import Actor
from xinyong.lists.models import ListEntry
from xinyong.measures.loader import load_measures
from xinyong.privacy.crypto import DataVault
from xinyong.screening.feedback import FeedbackItem, record_feedback
from xinyong.screening.models import Screening, ScreeningResult, SubjectMeasure
from xinyong.screening.overreach import overreach_report

BOOK = load_measures(CATALOG.items)
SINCE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
ANSWER = {"measures": [{"code": "procurement-listed"}]}


def _screened(session: Session, caller: Actor, subject_ids: list[object]) -> Screening:
    screening = Screening(
        org_id=caller.org_id, caller=caller.label, scenario="procurement", subjects=2
    )
    session.add(screening)
    session.flush()
    for i, sid in enumerate(subject_ids):
        session.add(
            ScreeningResult(
                screening_id=screening.id,
                position=i,
                query=f"Q{i}",
                subject_id=sid,
                status="restrict",
                answer=ANSWER,
            )
        )
    session.flush()
    return screening


def test_measures_beyond_the_answer_and_after_the_trigger_are_reported(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    still = published_penalty(session, dept, vault).subject_id
    ended = published_penalty(
        session,
        dept,
        vault,
        CF_XDR_MC="厦门另一家公司",
        CF_XDR_SHXYM="91350200MA2PBMEN0L",
        CF_WSH="厦市监罚〔2026〕99号",
    ).subject_id
    entry = ListEntry(
        list_code="samr-serious",
        subject_id=still,
        org_id=dept.org_id,
        status="listed",
        doc_number="厦市监列严〔2026〕1号",
        reasons="提供虚假材料",
        proposed_on=TODAY,
        listed_on=TODAY,
    )
    session.add(entry)
    session.flush()
    session.add(
        SubjectMeasure(
            subject_id=still,
            measure_code="procurement-listed",
            kind="punish",
            trigger_type="list",
            trigger_id=entry.id,
            since=TODAY,
        )
    )
    screening = _screened(session, dept, [still, ended])
    record_feedback(
        session,
        actor=dept,
        screening_id=screening.id,
        items=[
            FeedbackItem(
                "applied", position=0, measures=("procurement-listed", "暂停投标资格一年")
            ),
            FeedbackItem("applied", position=1),
        ],
    )
    report = overreach_report(session, BOOK, today=TODAY, since=SINCE)
    (uncovered,) = report.uncovered
    assert uncovered.measure == "暂停投标资格一年" and "措施清单之外" in uncovered.what
    (stale,) = report.stale
    assert stale.subject is not None and "厦门另一家公司" in stale.subject
    assert stale.measure == "procurement-listed" and "应解除" in stale.what
    assert not report.clean


def test_list_entries_without_a_footing_and_unconfirmed_bases_are_reported(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    subject = published_penalty(session, dept, vault).subject_id
    for code, doc in (("gone-list", "厦列〔2026〕2号"), ("samr-serious", " ")):
        session.add(
            ListEntry(
                list_code=code,
                subject_id=subject,
                org_id=dept.org_id,
                status="listed",
                doc_number=doc,
                reasons="测试",
                proposed_on=TODAY,
                listed_on=TODAY,
            )
        )
    session.flush()
    whats = [f.what for f in overreach_report(session, BOOK, today=TODAY, since=SINCE).unfounded]
    assert any("gone-list" in w and "缺乏依据" in w for w in whats)
    assert "列入缺少认定文书号" in whats
    # Shipped measures whose every basis is flagged unconfirmed are listed for review.
    assert any("依据条款尚未核实" in w and "限制申请财政性资金项目" in w for w in whats)
