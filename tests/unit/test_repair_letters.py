"""The repair reminder (信用修复提醒函, 两书同达) and the repair commitment (信用修复承诺书)
built from records held in memory: what they say, and when there is no reminder."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any

import pytest
from pypdf import PdfReader

from xinyong.cases.letters import (
    COMMITMENT_TITLE,
    REMINDER_TITLE,
    cn_date,
    commitment_for_record,
    commitment_text,
    render_commitment_html,
    render_reminder_html,
    repair_commitment,
    repair_reminder,
)
from xinyong.catalog.loader import Catalog, load_catalog
from xinyong.config import Settings
from xinyong.errors import ValidationFailed
from xinyong.pdf import html_to_pdf, normalise_text
from xinyong.records.models import CreditRecord
from xinyong.rulesets.loader import RuleBook, load_rulesets
from xinyong.rulesets.rules import compute_periods
from xinyong.subjects.models import Subject

D = dt.date.fromisoformat
FIRM_USCC = "91350203MA2P0001XX"
AUTHORITY = "厦门市生态环境局"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return load_rulesets()


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings(
        environment="test",
        site_name="信用厦门",
        secret_key="test-secret-key-0123456789abcdef",
        data_key="test-data-key-0123456789abcdef",
        repair_office_days=10,
        repair_department_days=3,
    )


def firm() -> Subject:
    return Subject(
        id=uuid.uuid4(),
        kind="legal_person",
        name="厦门鹭岛信泽文化传媒有限公司",
        name_norm="厦门鹭岛信泽文化传媒有限公司",
        uscc=FIRM_USCC,
    )


def penalty(
    book: RuleBook,
    *,
    severity: str = "一般",
    decided: dt.date = D("2024-03-05"),
    types: list[str] | None = None,
    sector: str | None = None,
    **values: Any,
) -> CreditRecord:
    """A stored xzcf record with the periods its rule set gives it."""
    types = types or ["罚款"]
    answer = compute_periods(
        book, severity=severity, decided=decided, sector=sector, penalty_types=types
    )
    return CreditRecord(
        id=uuid.uuid4(),
        item_code="xzcf",
        subject_id=uuid.uuid4(),
        org_id=uuid.uuid4(),
        authority_code="11350200MB0000000X",
        doc_number="厦环罚〔2024〕12号",
        decision_date=decided,
        sector=sector,
        status="active",
        publication_state="published",
        values={"CF_CFLB": types, "CF_CFJG": AUTHORITY, **values},
        masked={},
        sealed={},
        **answer.record_columns(severity),
    )


def test_reminder_for_a_general_penalty_names_decision_dates_materials_and_deadlines(
    catalog: Catalog, book: RuleBook, settings: Settings
) -> None:
    # 国办发〔2025〕22号 is not yet in force in March 2024: Order 58 governs.
    record = penalty(book)
    letter = repair_reminder(catalog, book, record, firm(), AUTHORITY, settings=settings)
    assert letter is not None
    assert letter.subject_name == "厦门鹭岛信泽文化传媒有限公司"
    assert letter.subject_code == FIRM_USCC and letter.subject_code_label == "统一社会信用代码"
    assert (letter.authority, letter.doc_number) == (AUTHORITY, "厦环罚〔2024〕12号")
    assert letter.item_name == "行政处罚" and letter.decision_date == D("2024-03-05")
    assert letter.rule_set == "国家发展改革委令第58号"
    assert letter.earliest_repair == D("2024-06-05")  # 3 months
    assert letter.auto_withdraw == D("2025-03-05")  # 1 year
    assert [r.code for r in letter.requirements] == [
        "application_form",
        "identity_documents",
        "proof_of_correction",
        "proof_of_performance",
        "commitment",
    ]
    assert (letter.office_days, letter.department_days) == (10, 3)
    assert letter.apply_at == f"/subjects/{FIRM_USCC}"

    html = render_reminder_html(letter)
    assert REMINDER_TITLE in html and "两书同达" in html and "国办发〔2025〕22号" in html
    assert "厦门鹭岛信泽文化传媒有限公司：" in html and FIRM_USCC in html
    assert "2024年3月5日" in html and "厦环罚〔2024〕12号" in html
    assert "自2024年6月5日起" in html and "至2025年3月5日最长公示期届满" in html
    for requirement in letter.requirements:
        assert requirement.label in html
    assert "10 个工作日内" in html and "3 个工作日内" in html
    assert "终止公示，停止共享和使用" in html and "信用厦门" in html


def test_serious_penalty_under_527_requires_training_and_a_credit_report(
    catalog: Catalog, book: RuleBook, settings: Settings
) -> None:
    record = penalty(book, severity="严重", decided=D("2020-05-10"))
    letter = repair_reminder(
        catalog,
        book,
        record,
        firm(),
        AUTHORITY,
        settings=settings,
        site_url="https://credit.xm.gov.cn/",
    )
    assert letter is not None
    assert letter.rule_set == "发改办财金〔2019〕527号"
    codes = {r.code for r in letter.requirements}
    assert {"training_certificate", "credit_report", "commitment"} <= codes
    assert letter.earliest_repair == D("2020-11-10")  # serious under 527号: six months
    assert letter.apply_at == f"https://credit.xm.gov.cn/subjects/{FIRM_USCC}"
    html = render_reminder_html(letter)
    assert "失信程度：严重" in html and "https://credit.xm.gov.cn/subjects/" in html


def test_market_regulation_penalty_lists_the_samr_conditions(
    catalog: Catalog, book: RuleBook, settings: Settings
) -> None:
    record = penalty(book, decided=D("2024-03-05"), sector="市场监管")
    letter = repair_reminder(catalog, book, record, firm(), AUTHORITY, settings=settings)
    assert letter is not None and letter.rule_set == "国家市场监督管理总局令第45号"
    assert [r.code for r in letter.requirements] == [
        "proof_of_performance",
        "harm_removed",
        "no_repeat_violation",
        "not_listed",
    ]
    html = render_reminder_html(letter)
    for r in letter.requirements:
        assert r.label != r.code and f"<li>{r.label}</li>" in html  # labels, not codes
    assert letter.counted_from == "publication"  # Order 45 counts from publication


def test_never_repairable_penalty_gets_no_reminder(
    catalog: Catalog, book: RuleBook, settings: Settings
) -> None:
    record = penalty(book, severity="严重", decided=D("2020-05-10"), types=["吊销营业执照"])
    assert record.repairable is False and record.auto_withdraw is not None
    assert repair_reminder(catalog, book, record, firm(), AUTHORITY, settings=settings) is None


def test_penalty_under_1171_without_early_repair_gets_no_reminder(
    catalog: Catalog, book: RuleBook, settings: Settings
) -> None:
    record = penalty(book, decided=D("2018-03-15"))
    assert repair_reminder(catalog, book, record, firm(), AUTHORITY, settings=settings) is None


def test_revoked_penalty_gets_no_reminder(
    catalog: Catalog, book: RuleBook, settings: Settings
) -> None:
    record = penalty(book)
    record.status = "revoked"
    assert repair_reminder(catalog, book, record, firm(), AUTHORITY, settings=settings) is None


def test_licence_gets_no_reminder(catalog: Catalog, book: RuleBook, settings: Settings) -> None:
    licence = CreditRecord(
        id=uuid.uuid4(),
        item_code="xzxk",
        subject_id=uuid.uuid4(),
        org_id=uuid.uuid4(),
        authority_code="11350200MB0000000X",
        doc_number="厦环许〔2024〕3号",
        decision_date=D("2024-03-05"),
        status="active",
        publication_state="published",
        values={},
        masked={},
        sealed={},
        severity=None,
        repairable=None,
        earliest_repair=None,
        auto_withdraw=None,
    )
    assert repair_reminder(catalog, book, licence, firm(), AUTHORITY, settings=settings) is None


def test_natural_person_is_named_as_published_and_shown_only_a_masked_id(
    catalog: Catalog, book: RuleBook, settings: Settings
) -> None:
    person = Subject(
        id=uuid.uuid4(),
        kind="natural_person",
        name="林小红",
        name_norm="林小红",
        id_masked="350203********123X",
    )
    record = penalty(book)
    record.values = {**record.values, "CF_XDR_MC": "林小红"}
    letter = repair_reminder(catalog, book, record, person, AUTHORITY, settings=settings)
    assert letter is not None
    assert letter.subject_code == "350203********123X"
    assert letter.apply_at == f"/subjects/{person.id}"  # never addressed by an ID number
    html = render_reminder_html(letter)
    assert "对你作出" in html and "35020319900101123X" not in html


def test_commitment_text_is_a_credit_repair_commitment_with_the_signatory(
    catalog: Catalog, book: RuleBook
) -> None:
    record = penalty(book)
    letter = commitment_for_record(
        catalog, record, firm(), AUTHORITY, signatory="  王  伟 ", signed_on=D("2024-07-01")
    )
    assert letter.signatory == "王 伟"
    text = commitment_text(letter)
    assert text.startswith(f"{COMMITMENT_TITLE}\n")
    assert "承诺类型：信用修复型" in text
    assert "承诺人：厦门鹭岛信泽文化传媒有限公司" in text and FIRM_USCC in text
    assert f"{AUTHORITY}于2024年3月5日作出的行政处罚决定（厦环罚〔2024〕12号）" in text
    assert "申请材料真实、准确、完整、有效" in text
    assert "按最长公示期限予以公示" in text  # RULES.md §9: breach means the maximum period
    assert "签署人：王 伟" in text and "日期：2024年7月1日" in text
    assert commitment_text(letter) == text  # stable: stored verbatim with the application
    html = render_commitment_html(letter)
    assert COMMITMENT_TITLE in html and "王 伟" in html and "信用修复型" in html


def test_commitment_refuses_a_missing_or_overlong_signatory() -> None:
    args: dict[str, Any] = {
        "subject_name": "某公司",
        "subject_code": FIRM_USCC,
        "authority": AUTHORITY,
        "doc_number": "厦环罚〔2024〕12号",
        "item_name": "行政处罚",
        "signed_on": D("2024-07-01"),
    }
    for bad in ("", "   ", "张" * 51):
        with pytest.raises(ValidationFailed) as caught:
            repair_commitment(signatory=bad, **args)
        assert caught.value.field == "signatory"


def test_commitment_html_escapes_typed_names() -> None:
    letter = repair_commitment(
        subject_name="某公司",
        subject_code=None,
        authority=AUTHORITY,
        doc_number="X<1>",
        item_name="行政处罚",
        signatory="<script>",
        signed_on=D("2024-07-01"),
        natural_person=True,
    )
    html = render_commitment_html(letter)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "本人郑重承诺" in commitment_text(letter)
    assert letter.filename == "信用修复承诺书-X_1.pdf"


def test_chinese_dates() -> None:
    assert cn_date(D("2026-01-09")) == "2026年1月9日" and cn_date(None) == ""


def test_pdf_input_loses_non_breaking_hyphens_before_layout() -> None:
    # U+2011 makes WeasyPrint's layout take about a minute (STACK.md §4, WeasyPrint#2811).
    assert normalise_text("沪\u2011A 12\u00ad34\x07") == "沪-A 1234"
    pdf = html_to_pdf("<h1>信用修复提醒函</h1><p>编号\u2011001</p>")
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert pdf.startswith(b"%PDF") and "信用修复提醒函" in text and "编号-001" in text
