"""Screening (联合奖惩 自动比对) on both databases: precomputed measures kept current by
the commit hook, answers per subject with legal bases and triggers, one stored
screening and one audit event per call."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.integration.cases_helpers import TODAY, published_penalty
from tests.integration.test_record_reporting import CATALOG
from xinyong.accounts.models import Organisation
from xinyong.actors import Actor
from xinyong.audit.models import AuditEvent
from xinyong.audit.service import chain_pending, pending_events
from xinyong.codes.rules import ric_check_char
from xinyong.errors import Forbidden, ValidationFailed
from xinyong.lists.models import ListEntry
from xinyong.measures.loader import load_measures
from xinyong.privacy.crypto import DataVault
from xinyong.records.models import CreditRecord
from xinyong.records.publication import PublicationState, move
from xinyong.screening import hooks
from xinyong.screening.models import Screening, ScreeningResult, SubjectMeasure
from xinyong.screening.service import recompute, recompute_all, screen
from xinyong.subjects.service import SubjectFacts, ensure_subject

BOOK = load_measures(list(CATALOG.items))
REVOKED_LICENCE = {
    "CF_CFLB": "罚款、吊销营业执照",
    "CF_NR_ZKDX": "营业执照",
    "CF_WSH": "厦市监罚〔2026〕77号",
}


@pytest.fixture
def hooked(session: Session) -> Session:
    """The session as the runtime makes it: recomputed before every commit."""
    session.info[hooks.BOOK] = lambda: BOOK
    session.info[hooks.TODAY] = TODAY
    return session


def _screen(
    session: Session, vault: DataVault, actor: Actor, scenario: str, codes: list[str]
) -> Any:
    return screen(
        session,
        BOOK,
        vault=vault,
        actor=actor,
        scenario=scenario,
        queries=codes,
        today=TODAY,
        catalog=CATALOG,
    )


def _listed(session: Session, record: CreditRecord, list_code: str = "samr-serious") -> ListEntry:
    entry = ListEntry(
        list_code=list_code,
        subject_id=record.subject_id,
        org_id=record.org_id,
        status="listed",
        doc_number="厦市监认〔2026〕3号",
        reasons="受到吊销营业执照的行政处罚",
        proposed_on=TODAY - dt.timedelta(days=20),
        listed_on=TODAY - dt.timedelta(days=5),
        expires_on=TODAY + dt.timedelta(days=3 * 365),
    )
    session.add(entry)
    session.flush()
    return entry


def test_a_revoked_licence_restricts_in_procurement_with_the_law_as_basis(
    hooked: Session, dept: Actor, vault: DataVault
) -> None:
    record = published_penalty(hooked, dept, vault, **REVOKED_LICENCE)
    hooked.commit()  # the hook recomputes the subject
    code = record.values["CF_XDR_SHXYM"]
    outcome = _screen(hooked, vault, dept, "procurement", [code])
    (answer,) = outcome.results
    assert answer["status"] == "restrict"
    (measure,) = answer["measures"]
    assert measure["code"] == "procurement-major-violation"
    assert measure["legal_basis"][0]["document"] == "《中华人民共和国政府采购法》"
    assert measure["legal_basis"][0]["article"] == "第二十二条第一款第（五）项"
    (trigger,) = measure["triggers"]
    assert trigger == {
        "type": "record",
        "id": str(record.id),
        "item": "xzcf",
        "item_name": CATALOG.item("xzcf").name,
        "doc_number": record.doc_number,
        "decision_date": record.decision_date.isoformat(),
    }
    # The same subject in bidding: no measure of that scenario rests on a penalty alone.
    assert _screen(hooked, vault, dept, "bidding", [code]).results[0]["status"] == "clear"


def test_a_listed_entry_restricts_in_bidding(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    record = published_penalty(session, dept, vault)  # a fine: no measure by itself
    entry = _listed(session, record)
    changed = recompute(session, BOOK, subject_ids=[record.subject_id], today=TODAY)
    assert changed == {record.subject_id}
    outcome = _screen(session, vault, dept, "bidding", [record.values["CF_XDR_SHXYM"]])
    (answer,) = outcome.results
    assert answer["status"] == "restrict"
    assert [m["code"] for m in answer["measures"]] == ["bidding-land-awards-listed"]
    (trigger,) = answer["measures"][0]["triggers"]
    assert trigger["type"] == "list"
    assert trigger["list_name"] == "市场监督管理严重违法失信名单"
    assert trigger["doc_number"] == entry.doc_number
    assert entry.listed_on is not None
    assert trigger["listed_on"] == entry.listed_on.isoformat()
    # Recomputing again changes nothing.
    assert recompute(session, BOOK, subject_ids=[record.subject_id], today=TODAY) == set()


def test_unknown_and_invalid_codes_are_answered_per_subject(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    record = published_penalty(session, dept, vault)
    known = record.values["CF_XDR_SHXYM"]
    unknown = "91350200MA2PBMEM0X" if known != "91350200MA2PBMEM0X" else "91350203MA31FJ8K5Y"
    outcome = _screen(
        session, vault, dept, "procurement", [known, "91350200MA2PBMEM00", "某某公司", unknown]
    )
    statuses = [r["status"] for r in outcome.results]
    assert statuses[0] == "clear"
    assert statuses[1] == "invalid" and outcome.results[1]["reason"]
    assert statuses[2] == "invalid"
    assert statuses[3] in ("unknown", "invalid")
    assert outcome.results[0]["subject"]["uscc"] == known


def test_a_batch_over_1000_is_refused_before_anything_is_stored(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        _screen(session, vault, dept, "procurement", ["91350200MA2PBMEM0X"] * 1001)
    assert "1000" in exc.value.message
    with pytest.raises(ValidationFailed) as bad:
        _screen(session, vault, dept, "lottery", ["91350200MA2PBMEM0X"])
    assert "procurement" in bad.value.message
    assert session.scalar(select(func.count()).select_from(Screening)) == 0


def test_repair_makes_the_subject_clear_again(
    hooked: Session, dept: Actor, vault: DataVault
) -> None:
    record = published_penalty(hooked, dept, vault, **REVOKED_LICENCE)
    hooked.commit()
    code = record.values["CF_XDR_SHXYM"]
    assert _screen(hooked, vault, dept, "procurement", [code]).results[0]["status"] == "restrict"
    move(
        hooked,
        actor=dept,
        record=record,
        to=PublicationState.repaired,
        reason="信用修复通过",
    )
    hooked.commit()
    assert (
        hooked.scalar(select(func.count()).where(SubjectMeasure.subject_id == record.subject_id))
        == 0
    )
    assert _screen(hooked, vault, dept, "procurement", [code]).results[0]["status"] == "clear"


def test_one_screening_row_results_and_one_audit_event_per_call(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    record = published_penalty(session, dept, vault, **REVOKED_LICENCE)
    recompute_all(session, BOOK, today=TODAY, catalog=CATALOG)
    events_before = session.scalar(select(func.count()).select_from(AuditEvent))
    code = record.values["CF_XDR_SHXYM"]
    outcome = _screen(session, vault, dept, "procurement", [code, code, "bad"])
    row = session.get(Screening, outcome.id)
    assert row is not None and row.subjects == 3 and row.scenario == "procurement"
    assert row.org_id == dept.org_id
    results = session.scalars(
        select(ScreeningResult)
        .where(ScreeningResult.screening_id == outcome.id)
        .order_by(ScreeningResult.position)
    ).all()
    assert [r.status for r in results] == ["restrict", "restrict", "invalid"]
    assert results[0].subject_id == record.subject_id
    assert results[0].answer["measures"][0]["code"] == "procurement-major-violation"
    # The call's event is queued with the screening, off the chain lock, then chained.
    assert pending_events(session) == 1
    assert chain_pending(session) == 1 and pending_events(session) == 0
    events = session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "screening")).all()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events_before + 1
    (event,) = events
    assert event.action == "screening.run"
    assert event.after is not None and event.after["subjects"] == 3
    assert event.after["counts"] == {"restrict": 2, "invalid": 1}


def test_an_actor_without_an_organisation_is_refused(session: Session, vault: DataVault) -> None:
    nobody = Actor(kind="account", name="loner", id=uuid.uuid4())
    with pytest.raises(Forbidden):
        _screen(session, vault, nobody, "procurement", ["91350200MA2PBMEM0X"])
    assert session.scalar(select(func.count()).select_from(Organisation)) >= 0


def test_a_large_batch_is_stored_in_order(session: Session, dept: Actor, vault: DataVault) -> None:
    """60 answers: PostgreSQL stores them with COPY, SQLite with executemany."""
    record = published_penalty(session, dept, vault, **REVOKED_LICENCE)
    recompute(session, BOOK, subject_ids=[record.subject_id], today=TODAY)
    code = record.values["CF_XDR_SHXYM"]
    outcome = _screen(session, vault, dept, "procurement", [code, "bad"] * 30)
    stored = session.execute(
        select(ScreeningResult.position, ScreeningResult.status, ScreeningResult.answer)
        .where(ScreeningResult.screening_id == outcome.id)
        .order_by(ScreeningResult.position)
    ).all()
    assert [s.position for s in stored] == list(range(60))
    assert [s.status for s in stored[:2]] == ["restrict", "invalid"]
    assert stored[0].answer == outcome.results[0]


def test_a_person_is_found_by_id_number_through_its_keyed_hash(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    body = "35020319900307123"
    id_number = body + ric_check_char(body)
    person, _ = ensure_subject(
        session,
        actor=dept,
        vault=vault,
        facts=SubjectFacts(name="王伟", category="自然人", id_number=id_number),
    )
    outcome = _screen(session, vault, dept, "funding", [id_number])
    (answer,) = outcome.results
    assert answer["status"] == "clear"
    assert answer["subject"]["id"] == str(person.id)
    assert answer["subject"]["name"] is None  # not repeated to the caller
    assert answer["subject"]["id_masked"] == person.id_masked


def test_an_id_number_that_also_passes_the_uscc_check_is_read_as_an_id_number(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    """11010519500101171X ends in the check character of both an ID number and a USCC
    over the same 17 digits: it is a person's ID number (codes.rules.check_code)."""
    id_number = "11010519500101171X"
    assert ric_check_char(id_number[:17]) == "X"
    person, _ = ensure_subject(
        session,
        actor=dept,
        vault=vault,
        facts=SubjectFacts(name="李娜", category="自然人", id_number=id_number),
    )
    (answer,) = _screen(session, vault, dept, "funding", [id_number]).results
    assert answer["status"] == "clear" and answer["subject"]["id"] == str(person.id)


def test_the_commit_hook_reads_penalty_types_with_the_runtime_catalog(
    hooked: Session, dept: Actor, vault: DataVault
) -> None:
    """A city's catalog may take 处罚类别 from another field; the commit hook uses the
    runtime's catalog (session.info["catalog"]), as `xinyong screening rebuild` does."""
    local = dataclasses.replace(
        CATALOG,
        items={
            **CATALOG.items,
            "xzcf": CATALOG.items["xzcf"].model_copy(update={"penalty_types_field": "CF_NR"}),
        },
    )
    hooked.info[hooks.CATALOG] = lambda: local
    record = published_penalty(
        hooked, dept, vault, CF_CFLB="罚款", CF_NR="吊销营业执照", CF_NR_ZKDX="营业执照"
    )
    hooked.commit()
    codes = hooked.scalars(
        select(SubjectMeasure.measure_code).where(SubjectMeasure.subject_id == record.subject_id)
    ).all()
    assert "procurement-major-violation" in codes
