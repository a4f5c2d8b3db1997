"""Staff pages of list entries over HTTP: the lists with their basis, proposing with
errors shown beside the form, notifying, listing refused inside the objection window,
the printable notice, the history, and the entry on the public credit file (SQLite and
PostgreSQL)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.functional.collecting import (
    Department,
    login,
    make_department,
    make_reviewer,
    penalty,
)
from xinyong.db import china_today, transaction
from xinyong.records.service import report_record
from xinyong.runtime import Runtime


@pytest.fixture
def dept(runtime: Runtime) -> Department:
    department = make_department(runtime)
    make_reviewer(runtime, department)
    return department


def _firm(rt: Runtime, dept: Department) -> str:
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
    return str(row["CF_XDR_SHXYM"])


def _form(code: str, **extra: str) -> dict[str, str]:
    data = {
        "list_code": "samr-serious",
        "subject_code": code,
        "doc_number": "厦市监信认〔2026〕9号",
        "reasons": "拒不履行行政处罚决定，情节严重。",
    }
    data.update(extra)
    return data


def test_anonymous_visitors_go_to_the_login_page(client: TestClient) -> None:
    for path in ("/staff/lists", "/staff/lists/new"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/staff/login"


def test_the_lists_page_shows_each_list_with_its_basis(
    client: TestClient, dept: Department
) -> None:
    login(client, dept.username)
    page = client.get("/staff/lists")
    assert page.status_code == 200
    assert "市场监督管理严重违法失信名单" in page.text
    assert "国家市场监督管理总局令第44号" in page.text and "条款待核实" in page.text
    assert "拟列入名单" not in page.text  # a reporter only reads
    assert client.get("/staff/lists/new").status_code == 403


def test_a_reviewer_proposes_notifies_and_is_refused_listing_inside_the_window(
    client: TestClient, runtime: Runtime, dept: Department
) -> None:
    code = _firm(runtime, dept)
    login(client, "scjg-review")
    bad = client.post("/staff/lists/new", data=_form(code, reasons=""))
    assert bad.status_code == 422
    assert "列入事由不能为空" in bad.text
    assert "厦市监信认〔2026〕9号" in bad.text and code in bad.text  # input kept
    wrong = client.post("/staff/lists/new", data=_form(code, list_code="key-attention"))
    assert wrong.status_code == 403 and "不能认定重点关注名单" in wrong.text

    made = client.post("/staff/lists/new", data=_form(code), follow_redirects=False)
    assert made.status_code == 303
    entry_url = made.headers["location"].split("?")[0]
    again = client.post("/staff/lists/new", data=_form(code))
    assert again.status_code == 409 and "不能重复列入" in again.text

    notified = client.post(f"{entry_url}/notify", follow_redirects=False)
    assert notified.status_code == 303
    page = client.get(entry_url)
    assert "列入告知书" in page.text and "已告知（异议期）" in page.text
    until = re.search(r"<dt>异议期至</dt><dd>(\d{4}-\d{2}-\d{2})</dd>", page.text)
    assert until is not None
    refused = client.post(f"{entry_url}/confirm")
    assert refused.status_code == 409
    assert f"异议期至 {until.group(1)} 届满" in refused.text
    printable = client.get(f"{entry_url}/notice")
    assert printable.status_code == 200
    assert "陈述、申辩或异议" in printable.text and "<nav" not in printable.text
    history = client.get(entry_url).text
    assert "拟列入" in history and "送达告知书" in history

    listing = client.get("/staff/lists?list=samr-serious&status=notified")
    assert "厦门鹭岛信泽0007文化传媒有限公司" in listing.text
    assert "厦门鹭岛信泽0007" not in client.get("/staff/lists?status=listed").text


def test_a_listed_entry_shows_on_the_credit_file_and_exits(
    client: TestClient, runtime: Runtime, dept: Department
) -> None:
    code = _firm(runtime, dept)
    login(client, "scjg-review")
    made = client.post(
        "/staff/lists/new", data=_form(code, list_code="abnormal"), follow_redirects=False
    )
    entry_url = made.headers["location"].split("?")[0]
    client.post(f"{entry_url}/notify")
    listed = client.post(f"{entry_url}/confirm", follow_redirects=False)
    assert listed.status_code == 303  # no objection window on this list
    public = client.get(f"/subjects/{code}")
    assert "名单信息" in public.text and "经营异常名录" in public.text
    assert "《企业信息公示暂行条例》第十七条" in public.text

    kept = client.post(f"{entry_url}/exit", data={"way": "correction", "reason": ""})
    assert kept.status_code == 422 and "移出理由不能为空" in kept.text
    exited = client.post(
        f"{entry_url}/exit",
        data={"way": "correction", "reason": "已补报年度报告"},
        follow_redirects=False,
    )
    assert exited.status_code == 303
    assert "已移出" in client.get(entry_url).text
    assert "名单信息" not in client.get(f"/subjects/{code}").text


def test_a_reviewer_withdraws_a_notified_entry_with_a_reason(
    client: TestClient, runtime: Runtime, dept: Department
) -> None:
    """E.g. after an objection in the window was upheld: the entry ends, never listed."""
    code = _firm(runtime, dept)
    login(client, "scjg-review")
    made = client.post("/staff/lists/new", data=_form(code), follow_redirects=False)
    entry_url = made.headers["location"].split("?")[0]
    client.post(f"{entry_url}/notify")
    no_reason = client.post(f"{entry_url}/withdraw", data={"reason": ""})
    assert no_reason.status_code == 422
    done = client.post(
        f"{entry_url}/withdraw", data={"reason": "当事人异议成立"}, follow_redirects=False
    )
    assert done.status_code == 303
    page = client.get(entry_url).text
    assert "已撤回" in page and "当事人异议成立" in page
    assert client.post(f"{entry_url}/confirm").status_code == 409
