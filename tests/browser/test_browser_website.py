"""A citizen checking a company on the public credit website, in a real browser with
JavaScript switched off (the pages are plain server-rendered HTML): searches by a
two-character fragment, pages through the results, opens a credit file, and sees only
what is published, with a person's ID number masked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, ScreenshotTaker
from tests.browser.test_browser_collection import assert_png
from tests.functional.website import (
    PERSON_ID,
    PERSON_ID_MASKED,
    PERSON_NAME,
    Website,
    publish_sample,
)


@pytest.fixture(scope="module")
def site(live_server: LiveServer) -> Website:
    return publish_sample(live_server.runtime)


@pytest.fixture
def citizen(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A browser tab without JavaScript."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1280, "height": 900},
        java_script_enabled=False,
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_citizen_finds_a_firm_by_two_characters_and_opens_its_credit_file(
    citizen: Page, site: Website, screenshot: ScreenshotTaker
) -> None:
    page = citizen
    page.goto("/")
    expect(page).to_have_title("首页 - 信用示范市公共信用信息平台")
    expect(page.get_by_role("heading", level=1)).to_have_text("信用示范市公共信用信息平台")
    expect(page.get_by_role("heading", name="行政处罚公示")).to_be_visible()
    assert_png(screenshot(page, "home"))

    page.get_by_label("输入企业名称或统一社会信用代码").fill("信泽")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_title("“信泽”的查询结果 - 信用示范市公共信用信息平台")
    hits = page.locator("li.hit")
    expect(hits).to_have_count(20)
    expect(page.get_by_text("第 1 页")).to_be_visible()

    page.get_by_role("link", name="下一页").click()
    expect(page.get_by_text("第 2 页")).to_be_visible()
    expect(page.locator("li.hit").first).to_be_visible()
    page.get_by_role("link", name="上一页").click()

    page.get_by_role("link", name=site.firm_name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(site.firm_name)
    expect(page.get_by_text(site.firm_code).first).to_be_visible()
    penalties = page.locator("#sec-xzcf")
    expect(penalties.get_by_role("heading", name="厦市监罚〔2026〕1号")).to_be_visible()
    expect(penalties.get_by_text("公示截止")).to_be_visible()
    expect(page.locator("#sec-yzsx").get_by_text("查询期内无相关信息")).to_be_visible()
    assert_png(screenshot(page, "credit-file"))


def test_suspended_and_expired_penalties_are_not_on_the_page(citizen: Page, site: Website) -> None:
    for code, doc in (
        (site.suspended_code, site.suspended_doc),
        (site.expired_code, site.expired_doc),
    ):
        citizen.goto(f"/subjects/{code}")
        expect(citizen.locator("#sec-xzcf").get_by_text("查询期内无相关信息")).to_be_visible()
        assert doc not in citizen.content()


def test_person_id_number_is_masked_in_the_credit_file(
    citizen: Page, site: Website, screenshot: ScreenshotTaker
) -> None:
    citizen.goto(f"/subjects/{site.person_subject}")
    expect(citizen.get_by_role("heading", level=1)).to_have_text(PERSON_NAME)
    expect(citizen.get_by_text(PERSON_ID_MASKED).first).to_be_visible()
    assert PERSON_ID not in citizen.content()
    assert_png(screenshot(citizen, "person"))


def test_a_one_character_query_is_refused_politely(citizen: Page, site: Website) -> None:
    citizen.goto("/search")
    citizen.get_by_label("输入企业名称或统一社会信用代码").fill("信")
    citizen.get_by_role("button", name="查询").click()
    expect(citizen.get_by_role("alert")).to_have_text("请至少输入两个字")
