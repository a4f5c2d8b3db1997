"""Code governance (重错码): duplicate and wrong codes per department, per 1,000 subjects."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.quality_data import PERSON_ID, QualityData, build
from xinyong.actors import Actor
from xinyong.catalog.loader import load_catalog
from xinyong.quality.service import DepartmentCodes, code_fields, code_governance

CATALOG = load_catalog()


@pytest.fixture
def data(session: Session) -> QualityData:
    return build(session)


def office(data: QualityData) -> Actor:
    return Actor(
        kind="account",
        name="clerk",
        org_id=data.office.id,
        org_uscc=data.office.uscc,
        roles=frozenset({"office_staff"}),
    )


def rows(session: Session, data: QualityData) -> dict[str, DepartmentCodes]:
    report = code_governance(session, actor=office(data), catalog=CATALOG)
    assert not report.detailed
    return {r.uscc: r for r in report.rows}


def test_code_fields_are_organisation_codes_only() -> None:
    fields = code_fields(CATALOG)
    assert {"xzcf:CF_XDR_SHXYM", "xzcf:CF_XDR_ZZJG", "xzcf:CF_CFJGDM"} <= fields
    assert "xzcf:CF_XDR_GSZC" not in fields  # type code but no scheme
    assert "xzcf:CF_XDR_ZJHM" not in fields  # ID numbers of persons are not codes here


def test_counts_rates_and_target(session: Session, data: QualityData) -> None:
    found = rows(session, data)
    a = found[data.a.uscc]
    # A: one code under another name, one organisation with two codes, three rows
    # rejected for a wrong code (open, resolved, withdrawn), over 17 subjects.
    assert (a.subjects, a.duplicate_names, a.duplicate_codes, a.wrong_codes) == (17, 1, 1, 3)
    assert a.rate_per_mille == pytest.approx(5000 / 17)
    assert a.meets_target is False
    b = found[data.b.uscc]
    # B used a former registered name (not a duplicate) and the other code of S2/S3.
    assert (b.subjects, b.duplicate_names, b.duplicate_codes, b.wrong_codes) == (5, 0, 1, 0)
    assert b.rate_per_mille == 200.0 and b.meets_target is False
    d = found[data.d.uscc]
    # Same-named individual businesses are not "one organisation, several codes".
    assert (d.subjects, d.issues, d.rate_per_mille, d.meets_target) == (3, 0, 0.0, True)
    c = found[data.c.uscc]
    assert (c.subjects, c.issues, c.rate_per_mille, c.meets_target) == (0, 0, None, None)
    assert data.office.uscc not in found


def test_one_department_lists_its_offending_codes(session: Session, data: QualityData) -> None:
    report = code_governance(
        session, actor=office(data), catalog=CATALOG, department=data.a.uscc.lower()
    )
    assert report.detailed
    (a,) = report.rows
    (dup_name,) = a.duplicate_name_items
    assert dup_name.uscc == data.subjects["s1"].uscc
    assert dup_name.name == "厦门甲贸易有限公司"
    assert dup_name.reported_names == ["厦门甲商贸有限公司"]
    (dup_code,) = a.duplicate_code_items
    assert dup_code.name == "厦门乙建材有限公司"
    used = {c["uscc"]: c["used"] for c in dup_code.codes}
    assert used == {data.subjects["s2"].uscc: True, data.subjects["s3"].uscc: False}
    wrong = {p["field"]: p for w in a.wrong_code_items for p in w.problems}
    assert set(wrong) == {"CF_XDR_SHXYM", "CF_CFJGDM", "CF_XDR_ZZJG"}
    assert {w.status for w in a.wrong_code_items} == {"open", "resolved", "withdrawn"}
    assert wrong["CF_XDR_ZZJG"]["value"] == "12345678-0"
    assert wrong["CF_CFJGDM"]["field_name"] == "处罚机关统一社会信用代码"


def test_a_person_id_number_sent_as_a_code_is_never_shown(
    session: Session, data: QualityData
) -> None:
    report = code_governance(session, actor=office(data), catalog=CATALOG, department=data.a.uscc)
    body = report.as_dict()
    text = repr(body)
    assert PERSON_ID not in text
    problem = next(
        p
        for w in body["departments"][0]["wrong_code_items"]
        for p in w["problems"]
        if p["field"] == "CF_XDR_SHXYM"
    )
    assert problem["value"] == "360426********0071"
    assert problem["reason"].endswith("360426********0071")


def test_department_sees_its_own_list_only(session: Session, data: QualityData) -> None:
    actor = Actor(
        kind="account",
        name="reporter",
        org_id=data.b.id,
        org_uscc=data.b.uscc,
        roles=frozenset({"dept_reporter"}),
    )
    report = code_governance(session, actor=actor, catalog=CATALOG)
    assert report.detailed
    assert [r.uscc for r in report.rows] == [data.b.uscc]
    body = report.as_dict()["departments"][0]
    assert body["duplicate_codes"] == 1 and body["duplicate_name_items"] == []
    assert len(body["duplicate_code_items"]) == 1
