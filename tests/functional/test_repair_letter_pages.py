"""两书同达 over HTTP: the repair reminder (信用修复提醒函) of a published penalty as a page
and a PDF, for the deciding department and the credit office on the staff side and for
anyone on the subject's credit file; refusals for other departments and for records
that have no reminder or are not published (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import io
import logging
import urllib.parse

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select

from tests.functional.collecting import PASSWORD, login, make_department, penalty, uscc
from tests.functional.website import Website, publish_sample
from xinyong.accounts.service import create_account, create_organisation
from xinyong.actors import Actor
from xinyong.db import china_today, transaction
from xinyong.pdf import harfbuzz_subsetting
from xinyong.records.models import CreditRecord
from xinyong.records.service import report_record
from xinyong.runtime import Runtime

REVOKED_LICENCE_DOC = "厦市监罚〔2026〕40号"  # a penalty revoking the business licence


@pytest.fixture
def site(runtime: Runtime) -> Website:
    site = publish_sample(runtime)
    with transaction(runtime.sessions) as session:
        report_record(
            session,
            actor=site.dept.actor,
            catalog=runtime.catalog,
            rulebook=runtime.rulebook,
            vault=runtime.vault,
            item_code="xzcf",
            raw=penalty(
                site.dept,
                40,
                decided=china_today() - dt.timedelta(days=30),
                CF_CFLB="吊销营业执照",
                CF_NR="吊销营业执照",
                CF_NR_FK="",
                CF_NR_ZKDX="营业执照",
            ),
            today=china_today(),
        )
    return site


def record_id(rt: Runtime, doc_number: str) -> str:
    with rt.sessions() as session:
        record = session.execute(
            select(CreditRecord).where(CreditRecord.doc_number == doc_number)
        ).scalar_one()
        return str(record.id)


def pdf_text(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    return "".join(page.extract_text() for page in reader.pages)


def test_credit_file_links_the_reminder_and_the_pdf_names_subject_and_decision(
    client: TestClient, runtime: Runtime, site: Website, caplog: pytest.LogCaptureFixture
) -> None:
    rid = record_id(runtime, "厦市监罚〔2026〕1号")
    page = client.get(f"/subjects/{site.firm_code}")
    assert page.status_code == 200
    assert "信用修复提醒函（PDF）" in page.text
    subject_id = page.text.split(f"/records/{rid}/repair-letter.pdf")[0].rsplit("/subjects/", 1)[1]
    link = f"/subjects/{subject_id}/records/{rid}/repair-letter.pdf"
    assert f'href="{link}"' in page.text

    html = client.get(f"/subjects/{site.firm_code}/records/{rid}/repair-letter")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "信用修复提醒函" in html.text and site.firm_name in html.text
    assert "厦市监罚〔2026〕1号" in html.text and "两书同达" in html.text
    assert f"http://testserver/subjects/{site.firm_code}" in html.text  # where to apply

    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = client.get(link)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    disposition = pdf.headers["content-disposition"]
    assert disposition.startswith("inline;")
    expected = urllib.parse.quote("信用修复提醒函-厦市监罚〔2026〕1号.pdf")
    assert f"filename*=UTF-8''{expected}" in disposition
    assert pdf.content.startswith(b"%PDF")
    text = pdf_text(pdf.content)
    assert "信用修复提醒函" in text and site.firm_name in text
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 1  # one printed A4 page
    # The CJK fonts are embedded as subsets made by HarfBuzz: without libharfbuzz-subset0
    # WeasyPrint falls back to its slow fontTools path and logs a warning (and warns on
    # import, an error under pytest); without subsetting a face of the Noto CJK
    # collection would be embedded whole (megabytes). Two faces (regular, bold title)
    # weigh about 270 KB.
    assert harfbuzz_subsetting()
    assert not [r for r in caplog.records if "subset" in r.getMessage().lower()]
    assert len(pdf.content) < 400_000


def test_deciding_department_gets_the_letter_and_another_department_is_refused(
    client: TestClient, runtime: Runtime, site: Website
) -> None:
    rid = record_id(runtime, "厦市监罚〔2026〕2号")
    login(client, site.dept.username)
    page = client.get(f"/staff/records/{rid}")
    assert page.status_code == 200
    assert f'href="/staff/records/{rid}/repair-letter.pdf"' in page.text
    html = client.get(f"/staff/records/{rid}/repair-letter")
    assert html.status_code == 200 and "厦市监罚〔2026〕2号" in html.text
    pdf = client.get(f"/staff/records/{rid}/repair-letter.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "信用修复提醒函" in pdf_text(pdf.content)

    other = make_department(runtime, body="JG350288", name="厦门市生态环境局", user="sthj")
    client.cookies.clear()
    login(client, other.username)
    for path in (f"/staff/records/{rid}/repair-letter", f"/staff/records/{rid}/repair-letter.pdf"):
        refused = client.get(path)
        assert refused.status_code == 403
        assert "只能查看本单位" in refused.text


def test_credit_office_staff_get_any_departments_letter(
    client: TestClient, runtime: Runtime, site: Website
) -> None:
    office = uscc("XY350277", "11", "350200")
    with runtime.sessions() as session:
        create_organisation(
            session, actor=Actor.system(), name="信用办", uscc=office, kind="office"
        )
        create_account(
            session,
            actor=Actor.system(),
            username="xyb",
            password=PASSWORD,
            org_uscc=office,
            roles=["office_staff"],
            display_name="信用办",
        )
        session.commit()
    login(client, "xyb")
    rid = record_id(runtime, "厦市监罚〔2026〕3号")
    assert client.get(f"/staff/records/{rid}/repair-letter").status_code == 200


def test_anonymous_staff_letter_goes_to_the_login_page(
    client: TestClient, runtime: Runtime, site: Website
) -> None:
    rid = record_id(runtime, "厦市监罚〔2026〕1号")
    response = client.get(f"/staff/records/{rid}/repair-letter.pdf", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")


def test_never_repairable_penalty_has_no_letter_and_no_link(
    client: TestClient, runtime: Runtime, site: Website
) -> None:
    rid = record_id(runtime, REVOKED_LICENCE_DOC)
    code = penalty(site.dept, 40)["CF_XDR_SHXYM"]
    page = client.get(f"/subjects/{code}")
    assert page.status_code == 200 and REVOKED_LICENCE_DOC in page.text
    assert "信用修复提醒函" not in page.text
    for suffix in ("", ".pdf"):
        response = client.get(f"/subjects/{code}/records/{rid}/repair-letter{suffix}")
        assert response.status_code == 404
        assert "不适用信用修复" in response.text
    login(client, site.dept.username)
    staff = client.get(f"/staff/records/{rid}/repair-letter.pdf")
    assert staff.status_code == 404 and "不适用信用修复" in staff.text


def test_unpublished_or_foreign_records_answer_the_404_page(
    client: TestClient, runtime: Runtime, site: Website
) -> None:
    suspended = record_id(runtime, site.suspended_doc)
    expired = record_id(runtime, site.expired_doc)
    firm_record = record_id(runtime, "厦市监罚〔2026〕1号")
    for code, rid in (
        (site.suspended_code, suspended),  # 暂停公示
        (site.expired_code, expired),  # past its period
        (penalty(site.dept, 2)["CF_XDR_SHXYM"], firm_record),  # another subject's record
        (site.firm_code, "not-a-record"),
    ):
        for suffix in ("", ".pdf"):
            response = client.get(f"/subjects/{code}/records/{rid}/repair-letter{suffix}")
            assert response.status_code == 404, (code, rid, suffix)
            assert "未找到" in response.text
            assert "%PDF" not in response.text
