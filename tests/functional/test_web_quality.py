"""Data quality pages, downloads and API as staff use them: the office sees every
department, a department only itself."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.quality_data import PERSON_ID, QualityData, build
from xinyong.accounts.models import Organisation
from xinyong.accounts.service import create_account
from xinyong.actors import Actor
from xinyong.db import china_today
from xinyong.quality.rules import month_label
from xinyong.runtime import Runtime

PASSWORD = "Quality-2026-pass"


@pytest.fixture
def data(runtime: Runtime) -> QualityData:
    with runtime.sessions() as session:
        built = build(session)
        bank = Organisation(name="某银行", uscc="91350200MA00000001", kind="bank")
        session.add(bank)
        session.flush()
        for username, org, role in (
            ("qadmin", built.office, "office_admin"),
            ("qreporter", built.a, "dept_reporter"),
            ("qbank", bank, "auditor"),
        ):
            create_account(
                session,
                actor=Actor.system(),
                username=username,
                password=PASSWORD,
                org_uscc=org.uscc,
                roles=[role],
                display_name=username,
            )
        session.commit()
    return built


def login(client: TestClient, username: str) -> None:
    r = client.post("/staff/login", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text


def bearer(client: TestClient, username: str) -> dict[str, str]:
    token = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_anonymous_visitors_are_sent_to_login(client: TestClient, data: QualityData) -> None:
    for path in (
        "/staff/quality",
        "/staff/quality/notice",
        "/staff/quality/notice.xlsx",
        "/staff/quality/notice.csv",
        "/staff/quality/codes",
    ):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/staff/login", path
    assert client.get("/api/v1/quality/league?month=2026-11").status_code == 401


def test_office_sees_league_table_and_trend_charts(client: TestClient, data: QualityData) -> None:
    login(client, "qadmin")
    r = client.get("/staff/quality?month=2026-11")
    assert r.status_code == 200
    page = r.text
    for org in data.departments:
        assert org.name in page
    assert "合规率最高的是某市生态环境局（100.0%）" in page
    assert "80.0% <strong>需整改</strong>" in page
    assert page.count("<svg") == 2
    assert (
        '<title id="chart-compliance-title">各部门月度合规率（2025年12月至2026年11月）</title>'
        in page
    )
    assert '<desc id="chart-timeliness-desc">' in page
    assert "<details" in page and "趋势数据表" in page
    # The trend table: A in October and November (compliance / timeliness).
    assert "75.0% / 100.0%" in page and "80.0% / 75.0%" in page


def test_page_defaults_to_the_current_month_in_china(client: TestClient, data: QualityData) -> None:
    login(client, "qadmin")
    page = client.get("/staff/quality").text
    assert f"{month_label(china_today().replace(day=1))}数据质量排行" in page


def test_bad_month_is_explained(client: TestClient, data: QualityData) -> None:
    login(client, "qadmin")
    r = client.get("/staff/quality?month=2026-13")
    assert r.status_code == 422 and "YYYY-MM" in r.text
    api = client.get("/api/v1/quality/league?month=11/2026", headers=bearer(client, "qadmin"))
    assert api.status_code == 422 and api.json()["error"]["field"] == "month"


def test_notice_page_and_its_downloads(client: TestClient, data: QualityData) -> None:
    login(client, "qadmin")
    notice = client.get("/staff/quality/notice?month=2026-11")
    assert notice.status_code == 200
    assert "2026年11月数据质量通报" in notice.text
    assert "合规率低于 95% 的有某市市场监督管理局（80.0%）（需整改）" in notice.text
    assert "/staff/quality/notice.xlsx?month=2026-11" in notice.text

    xlsx = client.get("/staff/quality/notice.xlsx?month=2026-11")
    assert xlsx.status_code == 200
    assert "quality-notice-2026-11.xlsx" in xlsx.headers["content-disposition"]
    book = load_workbook(io.BytesIO(xlsx.content))
    sheet = book["数据质量排行"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:4] == ("排名", "部门", "统一社会信用代码", "报送记录数")
    by_name = {row[1]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    a = by_name["某市市场监督管理局"]
    assert (a["排名"], a["报送记录数"], a["首次通过数"], a["首次退回数"], a["退回总数"]) == (
        3,
        10,
        8,
        2,
        3,
    )
    assert a["合规率"] == pytest.approx(0.8) and a["及时率"] == pytest.approx(0.75)
    assert (a["更正数"], a["是否需整改"]) == (3, "需整改")
    assert by_name["某市生态环境局"]["排名"] == 1
    assert by_name["某市税务局"]["排名"] is None and by_name["某市税务局"]["合规率"] is None
    percent_cell = next(
        c for c in sheet[[r[1] for r in rows].index("某市市场监督管理局") + 1] if c.column == 8
    )
    assert percent_cell.number_format == "0.00%"
    assert "合规率最高的是某市生态环境局" in book["通报"]["A2"].value

    raw = client.get("/staff/quality/notice.csv?month=2026-11")
    assert raw.status_code == 200 and raw.headers["content-type"].startswith("text/csv")
    assert raw.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(raw.content.decode("utf-8-sig"))))
    a_csv = next(row for row in table if row["部门"] == "某市市场监督管理局")
    assert (a_csv["报送记录数"], a_csv["合规率"], a_csv["及时率"]) == ("10", "80.00%", "75.00%")


def test_department_sees_only_itself(client: TestClient, data: QualityData) -> None:
    login(client, "qreporter")
    page = client.get("/staff/quality?month=2026-11").text
    assert "某市市场监督管理局" in page
    assert "某市生态环境局" not in page and "某市交通运输局" not in page
    assert "本单位（某市市场监督管理局）入库 10 条" in page
    assert "在 3 个参与排名的部门中列第 3 名" in page

    book = load_workbook(io.BytesIO(client.get("/staff/quality/notice.xlsx?month=2026-11").content))
    names = [row[1] for row in book["数据质量排行"].iter_rows(min_row=2, values_only=True)]
    assert names == ["某市市场监督管理局"]

    headers = bearer(client, "qreporter")
    body = client.get("/api/v1/quality/league?month=2026-11", headers=headers).json()
    assert body["scope"] == "own"
    assert [d["department"] for d in body["departments"]] == [data.a.uscc]
    assert body["departments"][0]["compliance"] == 0.8
    other = client.get(
        f"/api/v1/quality/league?month=2026-11&department={data.b.uscc}", headers=headers
    )
    assert other.status_code == 403
    trend = client.get("/api/v1/quality/trend?month=2026-11", headers=headers).json()
    assert [d["department"] for d in trend["departments"]] == [data.a.uscc]
    codes = client.get("/api/v1/quality/codes", headers=headers).json()
    assert [d["department"] for d in codes["departments"]] == [data.a.uscc]
    assert PERSON_ID not in str(codes)


def test_office_api_lists_every_department(client: TestClient, data: QualityData) -> None:
    body = client.get(
        "/api/v1/quality/league?month=2026-11", headers=bearer(client, "qadmin")
    ).json()
    ranks = {d["department_name"]: d["rank"] for d in body["departments"]}
    assert ranks == {
        "某市生态环境局": 1,
        "某市交通运输局": 2,
        "某市市场监督管理局": 3,
        "某市税务局": None,
    }
    assert body["notice"].startswith("2026年11月，全市共 3 个部门报送数据")


def test_codes_page_shows_targets_and_one_departments_list(
    client: TestClient, data: QualityData
) -> None:
    login(client, "qadmin")
    overview = client.get("/staff/quality/codes")
    assert overview.status_code == 200
    assert "未达标" in overview.text and "达标" in overview.text
    assert "294.12‰" in overview.text  # A: 5 issues over 17 subjects
    detail = client.get(f"/staff/quality/codes?department={data.a.uscc}").text
    assert "厦门甲商贸有限公司" in detail and "厦门乙建材有限公司" in detail
    assert "360426********0071" in detail and PERSON_ID not in detail
    api = client.get("/api/v1/quality/codes", headers=bearer(client, "qadmin")).json()
    d = next(row for row in api["departments"] if row["department"] == data.d.uscc)
    assert d["meets_target"] is True and "wrong_code_items" not in d


def test_bank_auditor_is_refused(client: TestClient, data: QualityData) -> None:
    login(client, "qbank")
    r = client.get("/staff/quality?month=2026-11")
    assert r.status_code == 403 and "信用办和各部门" in r.text
    assert client.get("/staff/quality/notice.csv?month=2026-11").status_code == 403
