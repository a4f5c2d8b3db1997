"""The public credit file, search and list reads: only what is published, masked as
the catalog says (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy.orm import Session

from tests.integration.test_record_reporting import CATALOG, RULES, penalty
from xinyong.actors import Actor
from xinyong.errors import NotFound, ValidationFailed
from xinyong.privacy.crypto import DataVault
from xinyong.publicity import service as publicity
from xinyong.records.models import CreditRecord
from xinyong.records.publication import PublicationState, move, sweep
from xinyong.records.service import report_record, revoke_record
from xinyong.subjects.models import Subject

TODAY = dt.date(2026, 11, 24)
SYSTEM = Actor.system("test")
PERSON_ID = "35020319900101123X"  # valid check digit (GB 11643)


def _report(session: Session, dept: Actor, vault: DataVault, **extra: str) -> CreditRecord:
    extra.setdefault("CF_JDRQ", "2026-06-01")
    extra.setdefault("CF_YXQ", "2027-06-01")
    return report_record(
        session,
        actor=dept,
        catalog=CATALOG,
        rulebook=RULES,
        vault=vault,
        item_code="xzcf",
        raw=penalty(dept, **extra),
        today=TODAY,
    ).record


def _person_penalty(session: Session, dept: Actor, vault: DataVault, doc: str) -> CreditRecord:
    return _report(
        session,
        dept,
        vault,
        CF_XDR_MC="林小红",
        CF_XDR_LB="自然人",
        CF_XDR_SHXYM="",
        CF_FRDB="",
        CF_XDR_ZJLX="身份证",
        CF_XDR_ZJHM=PERSON_ID,
        CF_WSH=doc,
    )


def test_credit_file_shows_a_published_penalty_with_its_national_fields(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    record = _report(session, dept, vault)
    file = publicity.credit_file(session, CATALOG, penalty(dept)["CF_XDR_SHXYM"], today=TODAY)
    data = file.as_dict()
    (shown,) = data["sections"]["xzcf"]["records"]
    assert shown["fields"]["CF_WSH"] == record.doc_number
    assert shown["fields"]["CF_NR_FK"] == "5"
    assert shown["publication_end"] == record.auto_withdraw.isoformat()  # type: ignore[union-attr]
    assert shown["repair"]["earliest"] == record.earliest_repair.isoformat()  # type: ignore[union-attr]
    assert "CF_FR_ZJLX" not in shown["fields"]  # not public in the catalog
    assert data["sections"]["yzsx"] == {
        "title": "失信名单",
        "records": [],
        "note": "查询期内无相关信息",
    }
    assert data["sections"]["commitments"]["note"] == "查询期内无相关信息"
    assert data["subject"]["name"] == "厦门鹭岛信泽文化传媒有限公司"


def test_person_id_number_is_masked_and_legal_rep_id_never_shown(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    record = _person_penalty(session, dept, vault, "厦市监罚〔2026〕7号")
    file = publicity.credit_file(session, CATALOG, str(record.subject_id), today=TODAY)
    data = file.as_dict()
    assert data["subject"]["code"] == "350203********123X"
    assert data["subject"]["facts"] == {}  # no address, phone or anything else of a person
    fields = data["sections"]["xzcf"]["records"][0]["fields"]
    assert fields["CF_XDR_ZJHM"] == "350203********123X"
    assert PERSON_ID not in repr(data)
    assert "CF_FR_ZJHM" not in fields


@pytest.mark.parametrize("state", [PublicationState.suspended, PublicationState.expired])
def test_suspended_or_expired_records_are_not_in_the_file(
    session: Session, dept: Actor, vault: DataVault, state: PublicationState
) -> None:
    record = _report(session, dept, vault)
    move(session, actor=SYSTEM, record=record, to=state, reason="测试")
    file = publicity.credit_file(session, CATALOG, str(record.subject_id), today=TODAY)
    assert file.as_dict()["sections"]["xzcf"]["records"] == []


def test_record_past_its_period_disappears_before_and_after_the_sweep(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    record = _report(session, dept, vault)
    end = record.auto_withdraw
    assert end is not None
    code = str(record.subject_id)
    before = publicity.credit_file(session, CATALOG, code, today=end - dt.timedelta(days=1))
    assert len(before.as_dict()["sections"]["xzcf"]["records"]) == 1
    assert (
        publicity.credit_file(session, CATALOG, code, today=end).as_dict()["sections"]["xzcf"][
            "records"
        ]
        == []
    )
    sweep(session, actor=SYSTEM, today=end)
    assert record.publication_state == "expired"
    assert publicity.latest_published(session, CATALOG, "xzcf", today=end) == []


def test_revoked_record_leaves_every_public_read(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    record = _report(session, dept, vault)
    revoke_record(session, actor=dept, record_id=record.id, reason="复议撤销")
    assert publicity.list_published(session, CATALOG, "xzcf", today=TODAY).records == []
    hits = publicity.search(session, "鹭岛信泽", today=TODAY).hits
    assert [h.published for h in hits] == [0]


def test_person_without_published_records_has_no_public_file_and_is_not_searchable(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    record = _person_penalty(session, dept, vault, "厦市监罚〔2026〕8号")
    assert publicity.search(session, "林小红", today=TODAY).hits == []
    revoke_record(session, actor=dept, record_id=record.id, reason="复议撤销")
    with pytest.raises(NotFound):
        publicity.credit_file(session, CATALOG, str(record.subject_id), today=TODAY)


def test_search_hits_carry_status_district_and_published_count(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    _report(session, dept, vault)
    _report(session, dept, vault, CF_WSH="厦市监罚〔2026〕99号")
    (hit,) = publicity.search(session, "信泽文化", today=TODAY).hits
    assert hit.published == 2
    assert hit.as_dict()["published_records"] == 2
    assert hit.district_name is not None


def test_list_filters_by_district_and_stops_at_the_page_cap(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    record = _report(session, dept, vault)
    subject = session.get(Subject, record.subject_id)
    assert subject is not None and subject.district
    listing = publicity.list_published(
        session, CATALOG, "xzcf", today=TODAY, district=subject.district
    )
    assert [r.id for r in listing.records] == [record.id]
    other = publicity.list_published(session, CATALOG, "xzcf", today=TODAY, district="350299")
    assert other.records == []
    with pytest.raises(ValidationFailed) as caught:
        publicity.list_published(session, CATALOG, "xzcf", today=TODAY, page=51)
    assert caught.value.problems[0].field == "page"
    with pytest.raises(NotFound):
        publicity.list_published(session, CATALOG, "xzqz", today=TODAY)  # shared, not public


def test_unknown_codes_are_not_found(session: Session) -> None:
    for code in ("91350200MA2PBMEM0X", str(uuid.uuid4()), "not-a-code", "123456789012345"):
        with pytest.raises(NotFound):
            publicity.find_subject(session, code)
