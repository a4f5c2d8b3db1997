"""Objections and credit repair end to end in a real browser (SQLite and PostgreSQL).

Firms use the public website with JavaScript switched off (the pages are plain HTML
forms); the credit office and the reporting department's reviewer work on the staff
pages. One firm objects to its fine, which is suspended while checked and republished
corrected once the department upholds the objection; another repairs a general penalty
after its minimum period and it leaves the website at once; a third is told why its
revoked licence can never be repaired early. Each leaves its audit trail."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from tests.browser.conftest import LiveServer, ScreenshotTaker
from tests.browser.test_browser_collection import assert_png
from tests.functional.cases_public import (
    DUE_DOC,
    FIRST_DOC,
    NUMBER_RE,
    REVOKED_DOC,
    CaseSite,
    png,
    seed,
)
from tests.functional.collecting import PASSWORD, uscc
from xinyong.accounts.service import create_account, create_organisation
from xinyong.actors import Actor
from xinyong.audit.models import AuditEvent
from xinyong.cases.models import CaseAttachment, CreditCase
from xinyong.records.models import CreditRecord

OFFICE_USER = "xyb"
REVIEWER_USER = "scjg-sh"
REVOKED_CODE = uscc("MA2P0040")  # firm 40 of tests.functional.cases_public.seed

# Opens a browser tab on the live server: JavaScript on or off, logged in as a staff
# user when a user name is given.
Tab = Callable[..., Page]


@pytest.fixture(scope="module")
def cs(live_server: LiveServer) -> CaseSite:
    """The published sample (firm 1's fine), a general penalty past its minimum period
    (firm 41) and a revoked licence (firm 40); a credit office clerk and a reviewer of
    the department that reported the penalties."""
    rt = live_server.runtime
    site = seed(rt)
    office = uscc("XY350200", "11", "350200")
    with rt.sessions() as session:
        create_organisation(
            session, actor=Actor.system(), name="信用办", uscc=office, kind="office"
        )
        create_account(
            session,
            actor=Actor.system(),
            username=OFFICE_USER,
            password=PASSWORD,
            org_uscc=office,
            roles=["office_staff"],
            display_name="信用办经办人",
        )
        create_account(
            session,
            actor=Actor.system(),
            username=REVIEWER_USER,
            password=PASSWORD,
            org_uscc=site.site.dept.uscc,
            roles=["dept_reviewer"],
            display_name="市场监管局审核员",
        )
        session.commit()
    return site


@pytest.fixture
def tab(browser: Browser, live_server: LiveServer) -> Iterator[Tab]:
    contexts: list[BrowserContext] = []

    def open_tab(user: str | None = None, *, javascript: bool = True) -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport={"width": 1280, "height": 900},
            java_script_enabled=javascript,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        if user is not None:
            page.goto("/staff/login")
            page.fill("#username", user)
            page.fill("#password", PASSWORD)
            page.get_by_role("button", name="登录").click()
            expect(page).to_have_url(re.compile(r"/staff$"))
        return page

    yield open_tab
    for context in contexts:
        context.close()


@pytest.fixture
def png_file(tmp_path: Path) -> Path:
    path = tmp_path / "证明材料.png"
    path.write_bytes(png())
    return path


def record_of(live_server: LiveServer, doc_number: str) -> CreditRecord:
    with live_server.runtime.sessions() as session:
        return session.execute(
            select(CreditRecord).where(CreditRecord.doc_number == doc_number)
        ).scalar_one()


def case_of(live_server: LiveServer, number: str) -> CreditCase:
    with live_server.runtime.sessions() as session:
        return session.execute(select(CreditCase).where(CreditCase.number == number)).scalar_one()


def purposes(live_server: LiveServer, case_id: uuid.UUID) -> list[str]:
    """The purposes of the files filed with the case."""
    with live_server.runtime.sessions() as session:
        return sorted(
            session.scalars(select(CaseAttachment.purpose).where(CaseAttachment.case_id == case_id))
        )


def events(live_server: LiveServer, entity_id: uuid.UUID) -> list[AuditEvent]:
    with live_server.runtime.sessions() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.entity_id == str(entity_id))
                .order_by(AuditEvent.seq)
            )
        )


def open_case(page: Page, number: str) -> None:
    """From the staff queue, open case ``number``."""
    page.goto("/staff/cases")
    page.get_by_role("link", name=number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)


def penalties(page: Page, code: str) -> Page:
    page.goto(f"/subjects/{code}")
    expect(page.locator("#sec-xzcf")).to_be_visible()
    return page


def test_firm_objects_the_fine_is_suspended_then_upheld_corrected_and_republished(
    tab: Tab,
    cs: CaseSite,
    live_server: LiveServer,
    screenshot: ScreenshotTaker,
    png_file: Path,
) -> None:
    firm = tab(javascript=False)
    record = record_of(live_server, FIRST_DOC)
    assert record.publication_state == "published" and str(record.values["CF_NR_FK"]) == "5"

    # The firm opens its credit file and objects to the fine.
    penalties(firm, cs.site.firm_code)
    card = firm.locator("#sec-xzcf article.record").filter(has_text=FIRST_DOC)
    expect(card.locator('dd[data-code="CF_NR_FK"]')).to_have_text("5 万元")
    card.get_by_role("link", name="提出异议").click()
    expect(firm).to_have_url(re.compile(rf"/cases/objection\?record={record.id}$"))
    expect(firm.get_by_role("heading", level=1)).to_have_text("对公示信息提出异议")

    firm.get_by_role("checkbox", name=re.compile(r"^罚款金额：5 万元$")).check()
    firm.get_by_label("理由类别").select_option(label="信息内容有误")
    firm.get_by_label("具体理由").fill("罚款金额登记有误，决定书载明为人民币3万元。")
    firm.get_by_role("radio", name="主体本身").check()
    expect(firm.get_by_label("统一社会信用代码（自然人填写居民身份证号码）")).to_have_value(
        cs.site.firm_code
    )
    firm.get_by_label("信用主体名称（姓名）").fill(cs.site.firm_name)
    firm.set_input_files("input#evidence", png_file)
    firm.get_by_label("联系人姓名").fill("王伟")
    firm.get_by_label("联系电话").fill("13800138000")
    firm.get_by_label("电子邮箱（选填）").fill("wangwei@example.com")
    assert_png(screenshot(firm, "objection-form"))
    firm.get_by_role("button", name="提交异议").click()

    expect(firm.get_by_role("heading", level=1)).to_have_text("异议申请已提交")
    number = firm.get_by_test_id("case-number").inner_text()
    code = firm.get_by_test_id("access-code").inner_text()
    assert NUMBER_RE.fullmatch(number) and number.startswith("YY")
    assert re.fullmatch(r"[A-Z0-9]{8}", code)
    assert_png(screenshot(firm, "objection-filed"))
    case = case_of(live_server, number)
    assert case.record_id == record.id and case.status == "submitted"
    assert case.fields == ["CF_NR_FK"] and case.ground == "content"
    assert purposes(live_server, case.id) == ["evidence"]

    # The credit office accepts it: publication is suspended at once.
    office = tab(OFFICE_USER)
    open_case(office, number)
    disputed = office.get_by_role("table", name="异议字段")
    expect(disputed.get_by_role("row", name="罚款金额 CF_NR_FK 5")).to_be_visible()
    office.get_by_role("button", name="受理", exact=True).click()
    expect(office.get_by_role("status")).to_contain_text("已受理")
    assert record_of(live_server, FIRST_DOC).publication_state == "suspended"
    penalties(firm, cs.site.firm_code)
    expect(firm.locator("#sec-xzcf").get_by_text("查询期内无相关信息")).to_be_visible()
    assert FIRST_DOC not in firm.content()

    # ...and forwards it to the reporting department.
    office.get_by_label("转办意见（选填）").fill("请核查罚款金额")
    office.get_by_role("button", name="转报送部门核查").click()
    expect(office.get_by_role("status")).to_contain_text("已转报送部门核查")
    expect(office.get_by_role("button", name="提交核查结论")).to_have_count(0)
    assert_png(screenshot(office, "objection-forwarded"))

    # The department's reviewer upholds it and corrects the fine.
    reviewer = tab(REVIEWER_USER)
    open_case(reviewer, number)
    reviewer.get_by_label("核查结论").select_option(label="异议成立")
    reviewer.get_by_label("处理方式").select_option(label="更正")
    correction = reviewer.locator("input#corr-CF_NR_FK")
    expect(correction).to_have_value("5")
    correction.fill("3")
    reviewer.get_by_label("理由（必填）").fill(
        "经核实，决定书载明罚款金额为人民币3万元，予以更正。"
    )
    assert_png(screenshot(reviewer, "objection-decision"))
    reviewer.get_by_role("button", name="提交核查结论").click()
    facts = reviewer.locator("dl.facts").first
    expect(facts).to_contain_text("异议成立")
    expect(facts).to_contain_text("予以更正")
    assert_png(screenshot(reviewer, "objection-upheld"))

    # The penalty is back on the credit file with the corrected fine.
    penalties(firm, cs.site.firm_code)
    card = firm.locator("#sec-xzcf article.record").filter(has_text=FIRST_DOC)
    expect(card).to_have_count(1)
    expect(card.locator('dd[data-code="CF_NR_FK"]')).to_have_text("3 万元")
    assert_png(screenshot(firm, "republished"))

    # The firm follows the case with its number and code.
    firm.goto("/cases/lookup")
    firm.get_by_label("案件编号").fill(number)
    firm.get_by_label("查询码").fill(code)
    firm.get_by_role("button", name="查询").click()
    expect(firm.get_by_test_id("case-status")).to_have_text("异议成立")
    expect(firm.get_by_role("heading", name="办理结果：异议成立")).to_be_visible()
    expect(firm.get_by_text("理由：经核实，决定书载明罚款金额为人民币3万元")).to_be_visible()
    assert_png(screenshot(firm, "lookup"))

    # The audit trail of the case and of the record.
    case = case_of(live_server, number)
    assert case.status == "upheld" and case.outcome == "upheld"
    corrected = record_of(live_server, FIRST_DOC)
    assert corrected.publication_state == "published"
    assert str(corrected.values["CF_NR_FK"]) in ("3", "3.0")
    case_actions = [e.action for e in events(live_server, case.id)]
    for action in ("case.file", "case.accept", "case.forward", "case.decide"):
        assert action in case_actions, case_actions
    assert case_actions.index("case.file") < case_actions.index("case.accept")
    assert case_actions.index("case.forward") < case_actions.index("case.decide")
    trail = events(live_server, record.id)
    moves = [
        (e.before or {}).get("publication_state", "") + ">" + (e.after or {})["publication_state"]
        for e in trail
        if e.action == "record.publication"
    ]
    assert moves == ["published>suspended", "suspended>published"], moves
    assert "record.correct" in [e.action for e in trail]


def test_firm_repairs_a_general_penalty_and_it_leaves_the_website_at_once(
    tab: Tab,
    cs: CaseSite,
    live_server: LiveServer,
    screenshot: ScreenshotTaker,
    png_file: Path,
) -> None:
    firm = tab(javascript=False)
    record = record_of(live_server, DUE_DOC)
    assert record.publication_state == "published"

    penalties(firm, cs.due_code)
    card = firm.locator("#sec-xzcf article.record").filter(has_text=DUE_DOC)
    card.locator("p.record-actions").get_by_role("link", name="申请信用修复").click()
    expect(firm).to_have_url(re.compile(rf"/cases/repair\?record={record.id}$"))
    expect(firm.get_by_role("heading", name="修复条件自查")).to_be_visible()
    checklist = firm.locator("ul.checklist li")
    expect(checklist.filter(has_text="未满足").first).to_be_visible()
    expect(checklist.filter(has_text="已满足").first).to_be_visible()
    assert_png(screenshot(firm, "repair-checklist"))

    firm.get_by_role("radio", name="主体本身").check()
    firm.get_by_label("信用主体名称（姓名）").fill(cs.due_name)
    firm.get_by_label("统一社会信用代码（自然人填写居民身份证号码）").fill(cs.due_code)
    declarations = firm.locator('input[name="declarations"]')
    for n in range(declarations.count()):
        declarations.nth(n).check()
    # Upload what the checklist asks for ("须上传：…"), each under its own label.
    needed = [
        text.removeprefix("须上传：")
        for text in checklist.locator("span.detail").all_inner_texts()
        if text.startswith("须上传：")
    ]
    assert needed, checklist.all_inner_texts()
    for label in needed:
        firm.get_by_label(label, exact=True).set_input_files(png_file)
    firm.get_by_label("履行义务、纠正失信行为的情况").fill("已缴清罚款并完成整改。")
    firm.get_by_label("签署人姓名").fill("王伟")
    firm.get_by_label("本人已阅读并承诺").check()
    firm.get_by_label("联系人姓名").fill("王伟")
    firm.get_by_label("联系电话").fill("13800138000")
    assert_png(screenshot(firm, "repair-form"))
    firm.get_by_role("button", name="提交信用修复申请").click()

    expect(firm.get_by_role("heading", level=1)).to_have_text("信用修复申请已提交")
    number = firm.get_by_test_id("case-number").inner_text()
    assert NUMBER_RE.fullmatch(number) and number.startswith("XF")
    assert_png(screenshot(firm, "repair-filed"))

    # The office checks the materials and forwards the application.
    office = tab(OFFICE_USER)
    open_case(office, number)
    office.get_by_label("转办意见（选填）").fill("材料齐全，请部门决定")
    office.get_by_role("button", name="转报送部门核查").click()
    expect(office.get_by_role("status")).to_contain_text("已转报送部门核查")

    # The department approves: the penalty leaves publication at once.
    reviewer = tab(REVIEWER_USER)
    open_case(reviewer, number)
    reviewer.get_by_label("修复决定理由（必填）").fill("已履行处罚决定并完成整改，同意修复。")
    reviewer.get_by_role("button", name="同意修复（立即停止公示）").click()
    expect(reviewer.locator("dl.facts").first).to_contain_text("同意修复。")
    assert_png(screenshot(reviewer, "repair-approved"))

    penalties(firm, cs.due_code)
    expect(firm.locator("#sec-xzcf").get_by_text("查询期内无相关信息")).to_be_visible()
    assert DUE_DOC not in firm.content()
    assert_png(screenshot(firm, "repaired"))

    case = case_of(live_server, number)
    assert case.status == "approved" and case.commitment_signatory == "王伟"
    assert case.declarations and purposes(live_server, case.id) == ["performance"]
    assert record_of(live_server, DUE_DOC).publication_state == "repaired"
    case_actions = [e.action for e in events(live_server, case.id)]
    for action in ("case.file", "case.forward", "case.approve"):
        assert action in case_actions, case_actions
    moves = [
        (e.after or {})["publication_state"]
        for e in events(live_server, record.id)
        if e.action == "record.publication"
    ]
    assert moves == ["repaired"], moves


def test_a_revoked_licence_is_refused_repair_with_the_reason_and_no_form(
    tab: Tab, cs: CaseSite, live_server: LiveServer, screenshot: ScreenshotTaker
) -> None:
    firm = tab(javascript=False)
    before = record_of(live_server, REVOKED_DOC)
    trail_before = [e.seq for e in events(live_server, before.id)]

    penalties(firm, REVOKED_CODE)
    card = firm.locator("#sec-xzcf article.record").filter(has_text=REVOKED_DOC)
    expect(card).to_contain_text("本信息依规定不适用提前修复")
    expect(card.get_by_role("link", name="申请信用修复")).to_have_count(0)
    card.get_by_role("link", name="查看说明").click()
    expect(firm).to_have_url(re.compile(rf"/cases/repair\?record={before.id}$"))
    refusal = firm.get_by_role("alert")
    expect(refusal).to_contain_text("不能申请信用修复")
    expect(refusal).to_contain_text("不可提前修复")
    expect(refusal).to_contain_text("吊销")
    expect(firm.locator('form[action="/cases/repair"]')).to_have_count(0)
    expect(firm.get_by_role("button", name="提交信用修复申请")).to_have_count(0)
    assert_png(screenshot(firm, "refused"))

    after = record_of(live_server, REVOKED_DOC)
    assert (after.publication_state, after.version) == (before.publication_state, before.version)
    assert after.publication_state == "published"
    assert [e.seq for e in events(live_server, before.id)] == trail_before
    with live_server.runtime.sessions() as session:
        assert (
            session.execute(select(CreditCase).where(CreditCase.record_id == before.id)).first()
            is None
        )
