"""A department's data officer in a real browser: logs in, uploads a CSV with a bad row,
reads the report, fixes the row in the quarantine and resends it."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.conftest import LiveServer, ScreenshotTaker
from tests.functional.collecting import PASSWORD, csv_text, make_department, penalty, uscc
from xinyong.ingest.models import QuarantineRow
from xinyong.records.models import CreditRecord

GOOD_CODE = uscc("MA2P0003")
BAD_CODE = GOOD_CODE[:-1] + ("0" if GOOD_CODE[-1] != "0" else "1")


def assert_png(path: Path) -> None:
    assert path.is_file() and path.stat().st_size > 0, path
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path


def test_officer_uploads_a_csv_reads_the_bad_row_and_fixes_it_in_the_quarantine(
    page: Page, live_server: LiveServer, screenshot: ScreenshotTaker, tmp_path: Path
) -> None:
    rt = live_server.runtime
    dept = make_department(rt)
    file = tmp_path / "2026年11月行政处罚.csv"
    file.write_text(
        csv_text([penalty(dept, 1), penalty(dept, 3, CF_XDR_SHXYM=BAD_CODE)]), encoding="utf-8"
    )

    # Log in through the real form; the protected page sends us there first.
    page.goto("/staff/collection")
    expect(page).to_have_url(re.compile(r"/staff/login$"))
    page.fill("#username", dept.username)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/staff$"))

    # Upload through the form.
    page.goto("/staff/collection")
    page.select_option("select#item", "xzcf")
    page.set_input_files("input#file", file)
    page.fill("input#reason", "十一月报送")
    page.get_by_role("button", name="上传并校验入库").click()

    # The report: one row in, one row back, with its number and reason.
    expect(page).to_have_url(re.compile(r"/staff/collection/submissions/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", name="报送报告")).to_be_visible()
    cards = page.locator("ul.cards li")
    expect(cards.filter(has_text="新增")).to_contain_text("1")
    expect(cards.filter(has_text="退回（待修正）")).to_contain_text("1")
    problem = page.locator("table.data tbody tr")
    expect(problem).to_have_count(1)
    expect(problem.locator("td").nth(0)).to_have_text("2")
    expect(problem.locator("td").nth(1)).to_contain_text("CF_XDR_SHXYM")
    expect(problem.locator("td").nth(3)).to_contain_text("校验位")
    expect(page.get_by_text("第 2 行：待修正")).to_be_visible()
    assert_png(screenshot(page, "report"))

    # The quarantine lists the row; its fix form marks the wrong field.
    page.get_by_role("link", name="待修正数据").first.click()
    expect(page).to_have_url(re.compile(r"/staff/collection/quarantine$"))
    listed = page.locator("table.data tbody tr")
    expect(listed).to_have_count(1)
    expect(listed.locator("td").nth(3)).to_have_text("2")
    expect(listed).to_contain_text("校验位")
    listed.get_by_role("link", name="修正").click()
    expect(page).to_have_url(re.compile(r"/staff/collection/quarantine/[0-9a-f-]{36}$"))
    code_input = page.locator('input[name="f:CF_XDR_SHXYM"]')
    expect(code_input).to_have_value(BAD_CODE)
    expect(code_input).to_have_attribute("aria-invalid", "true")
    expect(page.locator('input[name="f:CF_WSH"]')).to_have_value("厦市监罚〔2026〕3号")
    assert_png(screenshot(page, "fix"))

    # Fix the code and resend: a new submission with the row accepted.
    code_input.fill(GOOD_CODE)
    page.fill("input#reason", "改正统一社会信用代码")
    page.get_by_role("button", name="重新提交").click()
    expect(page).to_have_url(re.compile(r"/staff/collection/submissions/[0-9a-f-]{36}$"))
    expect(page.locator("ul.cards li").filter(has_text="新增")).to_contain_text("1")
    expect(page.locator("ul.cards li").filter(has_text="退回（待修正）")).to_contain_text("0")
    resent = page.url.rsplit("/", 1)[1]

    page.goto("/staff/collection/quarantine")
    expect(page.get_by_text("没有待修正的数据。")).to_be_visible()

    with rt.sessions() as session:
        (row,) = session.execute(select(QuarantineRow)).scalars()
        assert row.status == "resolved" and str(row.resolved_by) == resent
        record = session.execute(
            select(CreditRecord).where(CreditRecord.doc_number == "厦市监罚〔2026〕3号")
        ).scalar_one()
        assert record.values["CF_XDR_SHXYM"] == GOOD_CODE and record.status == "active"
        first = session.execute(
            select(CreditRecord).where(CreditRecord.doc_number == "厦市监罚〔2026〕1号")
        ).scalar_one()
        assert first.values["CF_XDR_MC"] == "厦门鹭岛信泽0001文化传媒有限公司"
