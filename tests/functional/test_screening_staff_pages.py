"""Staff screening pages over HTTP: the form, a screening by hand that shows each
subject's status with the measures' legal bases and triggers under a screening id,
errors kept beside the form, name candidates, the screening certificate (PDF), and
another organisation refused (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import urllib.parse

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select

from tests.functional.collecting import (
    Department,
    login,
    make_department,
    make_reviewer,
    penalty,
)
from xinyong.audit.models import AuditEvent
from xinyong.audit.service import verify_chain
from xinyong.db import china_today, transaction
from xinyong.records.service import report_record
from xinyong.runtime import Runtime

INVALID = "91350200MA2PBMEM00"  # wrong check character
PERSON = "11010519491231002X"  # a well-formed ID number the register does not hold
FIRM = "厦门鹭岛信泽0007文化传媒有限公司"


@pytest.fixture
def dept(runtime: Runtime) -> Department:
    """A department with a reviewer who may list subjects."""
    department = make_department(runtime)
    make_reviewer(runtime, department)
    return department


def _listed_firm(client: TestClient, rt: Runtime, dept: Department) -> str:
    """A firm put on the 经营异常名录 through the staff list pages (no objection
    window), which triggers the procurement measure 《企业信息公示暂行条例》第十八条."""
    row = penalty(dept, 7)
    with transaction(rt.sessions) as session:
        report_record(
            session,
            actor=dept.actor,
            catalog=rt.catalog,
            rulebook=rt.rulebook,
            vault=rt.vault,
            item_code="xzcf",
            raw=row,
            today=china_today(),
        )
    code = str(row["CF_XDR_SHXYM"])
    login(client, "scjg-review")
    made = client.post(
        "/staff/lists/new",
        data={
            "list_code": "abnormal",
            "subject_code": code,
            "doc_number": "厦市监异〔2026〕3号",
            "reasons": "通过登记的住所无法联系。",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    entry_url = made.headers["location"].split("?")[0]
    assert client.post(f"{entry_url}/notify", follow_redirects=False).status_code == 303
    assert client.post(f"{entry_url}/confirm", follow_redirects=False).status_code == 303
    return code


def _screen(client: TestClient, **data: str) -> str:
    made = client.post(
        "/staff/screening",
        data={"scenario": "procurement", **data},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    location = made.headers["location"]
    assert location.startswith("/staff/screening/")
    return location


def _pdf_text(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    return "".join(page.extract_text() for page in reader.pages)


def test_anonymous_visitors_go_to_the_login_page(client: TestClient) -> None:
    some = "/staff/screening/00000000-0000-4000-8000-000000000000"
    for path in ("/staff/screening", some, f"{some}.pdf"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/staff/login"
    posted = client.post(
        "/staff/screening", data={"scenario": "procurement"}, follow_redirects=False
    )
    assert posted.status_code == 303 and posted.headers["location"] == "/staff/login"


def test_the_form_offers_the_scenarios_and_the_dashboard_links_it(
    client: TestClient, dept: Department
) -> None:
    login(client, dept.username)
    dashboard = client.get("/staff")
    assert 'href="/staff/screening"' in dashboard.text and 'href="/staff/lists"' in dashboard.text
    page = client.get("/staff/screening")
    assert page.status_code == 200
    assert '<option value="procurement">政府采购</option>' in page.text
    assert "招标投标" in page.text and "评优评先" in page.text
    assert "本单位尚无比对" in page.text


def test_a_listed_subject_is_restricted_with_basis_and_trigger_and_audited(
    client: TestClient, runtime: Runtime, dept: Department
) -> None:
    code = _listed_firm(client, runtime, dept)
    login(client, dept.username)
    location = _screen(client, subjects=f"{code}，{INVALID}\n")
    screening_id = location.rsplit("/", 1)[1]

    page = client.get(location)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert screening_id in page.text and "政府采购" in page.text
    assert '<span class="screen-status screen-restrict">适用失信惩戒措施</span>' in page.text
    assert FIRM in page.text
    assert "在政府采购中依法予以限制或禁入" in page.text
    assert "《企业信息公示暂行条例》第十八条" in page.text and "条款待核实" in page.text
    assert "经营异常名录" in page.text and "厦市监异〔2026〕3号" in page.text
    assert "代码格式或校验位错误" in page.text and "screen-muted" in page.text
    assert f'href="/staff/screening/{screening_id}.pdf"' in page.text
    assert "打印比对证明（PDF）" in page.text

    with runtime.sessions() as session:
        assert verify_chain(session).intact  # chains the queued screening event first
        events = session.execute(
            select(AuditEvent).where(
                AuditEvent.action == "screening.run", AuditEvent.entity_id == screening_id
            )
        ).scalars()
        (event,) = events
        assert event.actor == f"account:{dept.username}"
        assert event.after is not None
        assert event.after["counts"] == {"restrict": 1, "invalid": 1}

    form = client.get("/staff/screening")
    assert f'href="/staff/screening/{screening_id}"' in form.text  # recent screenings


def test_bad_input_comes_back_with_the_reason_and_the_input_kept(
    client: TestClient, dept: Department
) -> None:
    login(client, dept.username)
    too_many = "\n".join(["91350200MA2PBMEM0X"] * 1001)
    refused = client.post("/staff/screening", data={"scenario": "bidding", "subjects": too_many})
    assert refused.status_code == 422
    assert "单次最多比对 1000 个主体" in refused.text and 'id="subjects-error"' in refused.text
    assert '<option value="bidding" selected>' in refused.text
    assert refused.text.count("91350200MA2PBMEM0X") == 1001

    unknown = client.post(
        "/staff/screening", data={"scenario": "lottery", "subjects": "91350200MA2PBMEM0X"}
    )
    assert unknown.status_code == 422
    assert 'id="scenario-error"' in unknown.text and "procurement（政府采购）" in unknown.text
    assert "91350200MA2PBMEM0X</textarea>" in unknown.text

    empty = client.post("/staff/screening", data={"scenario": "procurement", "subjects": " ,\n"})
    assert empty.status_code == 422 and "请至少提供一个主体代码" in empty.text
    missing = client.post("/staff/screening", data={"subjects": "91350200MA2PBMEM0X"})
    assert missing.status_code == 422 and "请选择应用场景" in missing.text

    elsewhere = client.post(
        "/staff/screening",
        data={"scenario": "procurement", "subjects": "91350200MA2PBMEM0X"},
        headers={"Origin": "https://evil.example"},
    )
    assert elsewhere.status_code == 403
    assert "本单位尚无比对" in client.get("/staff/screening").text  # nothing was stored


def test_names_give_candidates_with_a_reason_and_no_status(
    client: TestClient, runtime: Runtime, dept: Department
) -> None:
    _listed_firm(client, runtime, dept)
    login(client, dept.username)
    location = _screen(client, names="鹭岛信泽0007\n")
    assert "?name=" + urllib.parse.quote("鹭岛信泽0007") in location
    page = client.get(location)
    assert page.status_code == 200
    table = page.text.split('class="data screening-candidates"', 1)[1].split("</table>")[0]
    assert FIRM in table and "名称包含“鹭岛信泽0007”" in table
    assert "适用失信惩戒措施" not in table
    assert "screening-results" not in page.text  # no codes: no statuses at all


def test_the_certificate_pdf_carries_the_screening_id_and_the_basis(
    client: TestClient, runtime: Runtime, dept: Department
) -> None:
    code = _listed_firm(client, runtime, dept)
    login(client, dept.username)
    location = _screen(client, subjects=f"{code} {PERSON}")
    screening_id = location.rsplit("/", 1)[1]
    page = client.get(location).text
    assert "110105********002X" in page and PERSON not in page  # masked as everywhere

    pdf = client.get(f"{location}.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["cache-control"] == "no-store"
    assert pdf.headers["content-disposition"].startswith(
        f'inline; filename="screening-{screening_id}.pdf"'
    )
    assert pdf.content.startswith(b"%PDF")
    text = _pdf_text(pdf.content).replace("\n", "").replace(" ", "")
    assert "信用核查（联合奖惩比对）证明" in text
    assert f"比对编号：{screening_id}" in text
    assert code in text and "适用失信惩戒措施" in text
    assert "《企业信息公示暂行条例》第十八条" in text
    assert dept.name in text  # the requesting organisation
    assert "平台无此主体" in text and "110105********002X" in text and PERSON not in text
    assert f"GET/api/v1/screening/{screening_id}" in text


def test_another_organisation_is_refused_the_result_and_the_certificate(
    client: TestClient, runtime: Runtime, dept: Department
) -> None:
    login(client, dept.username)
    location = _screen(client, subjects=INVALID)
    other = make_department(runtime, "HB350202", "厦门市生态环境局", "sthj")
    login(client, other.username)
    for path in (location, f"{location}.pdf"):
        refused = client.get(path)
        assert refused.status_code == 403
        assert "本单位" in refused.text
    assert location not in client.get("/staff/screening").text
    missing = client.get("/staff/screening/not-an-id")
    assert missing.status_code == 404
