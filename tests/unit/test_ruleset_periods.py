"""Publication periods and repair by the rule set in force on the decision date.

Figures come from RULES.md "Rule sets by date", §1a (Order 36, 国办发〔2025〕22号),
§1b (SAMR Orders 45 and 107), §1c (NDRC Order 58) and §2 (1171号, 527号).
"""

import datetime as dt

import pytest

from xinyong.errors import NotFound, ValidationFailed
from xinyong.rulesets.loader import RuleBook, load_rulesets
from xinyong.rulesets.rules import compute_periods, rule_set_in_force

D = dt.date.fromisoformat


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return load_rulesets()


def test_2018_penalties_follow_1171_one_and_three_years_without_early_repair(
    book: RuleBook,
) -> None:
    # RULES.md §2: from 2017-07-31 published 1 year, serious 3 years, from the decision date.
    general = compute_periods(book, severity="一般", decided=D("2018-03-15"))
    assert general.rule_set == "发改办财金〔2017〕1171号"
    assert general.publication_start == D("2018-03-15")
    assert general.auto_withdraw == D("2019-03-15")
    assert general.earliest_repair is None and general.repairable is False
    assert general.reason is not None and "1171号" in general.reason
    serious = compute_periods(book, severity="严重", decided=D("2018-03-15"))
    assert serious.auto_withdraw == D("2021-03-15") and not serious.repairable
    # 1171号 has no minor class: treated as general.
    minor = compute_periods(book, severity="轻微", decided=D("2018-03-15"))
    assert minor.auto_withdraw == general.auto_withdraw
    assert general.deadlines == {"publish_working_days": 7}


def test_1171_starts_on_2017_07_31_and_earlier_decisions_have_no_rule_set(
    book: RuleBook,
) -> None:
    assert compute_periods(book, severity="一般", decided=D("2017-07-31")).rule_set_id == (
        "ndrc-2017-1171"
    )
    with pytest.raises(NotFound) as exc:
        compute_periods(book, severity="一般", decided=D("2017-07-30"))
    assert exc.value.field == "decided"
    assert "2017-07-31" in exc.value.message and "1171号" in exc.value.message


def test_2020_penalties_follow_527_general_3m_to_1y_serious_6m_to_3y(book: RuleBook) -> None:
    # RULES.md §2: 527号 from 2019-07-01, general 3 months–1 year, serious 6 months–3 years.
    general = compute_periods(book, severity="一般", decided=D("2020-01-31"))
    assert general.rule_set == "发改办财金〔2019〕527号"
    assert general.earliest_repair == D("2020-04-30")  # month end clamps
    assert general.auto_withdraw == D("2021-01-31")
    assert general.repairable and general.reason is None
    assert [r.code for r in general.requirements] == [
        "identity_documents",
        "proof_of_performance",
        "commitment",
    ]
    serious = compute_periods(book, severity="严重", decided=D("2020-05-20"))
    assert serious.earliest_repair == D("2020-11-20")
    assert serious.auto_withdraw == D("2023-05-20")
    # Serious repair also needs training and a credit report (RULES.md §2).
    codes = [r.code for r in serious.requirements]
    assert "training_certificate" in codes and "credit_report" in codes
    assert all(r.label for r in serious.requirements)


def test_527_covers_the_gap_until_order_58(book: RuleBook) -> None:
    assert compute_periods(book, severity="一般", decided=D("2019-07-01")).rule_set_id == (
        "ndrc-2019-527"
    )
    assert compute_periods(book, severity="一般", decided=D("2019-06-30")).rule_set_id == (
        "ndrc-2017-1171"
    )
    assert compute_periods(book, severity="一般", decided=D("2023-04-30")).rule_set_id == (
        "ndrc-2019-527"
    )
    assert compute_periods(book, severity="一般", decided=D("2023-05-01")).rule_set_id == (
        "ndrc-order-58"
    )


def test_revoked_business_licence_is_never_repairable_under_the_2019_rules(
    book: RuleBook,
) -> None:
    # RULES.md §2: 吊销许可证/执照 penalties run the full maximum with no early repair.
    answer = compute_periods(
        book, severity="严重", decided=D("2020-05-01"), penalty_types=["罚款", "吊销营业执照"]
    )
    assert answer.rule_set == "发改办财金〔2019〕527号"
    assert not answer.repairable and answer.earliest_repair is None
    assert answer.auto_withdraw == D("2023-05-01")
    assert (
        answer.reason
        == "依据发改办财金〔2019〕527号，吊销营业执照类处罚不得提前修复，公示期满后停止公示"
    )
    assert answer.requirements == ()
    # The sector limitation of 527号 is unconfirmed, so the answer says so.
    assert answer.confirmed is False
    fine_only = compute_periods(
        book, severity="严重", decided=D("2020-05-01"), penalty_types=["罚款"]
    )
    assert fine_only.repairable and fine_only.confirmed


def test_2024_penalties_follow_order_58(book: RuleBook) -> None:
    # RULES.md §1c: general 3 months–1 year, serious 1–3 years (unconfirmed).
    general = compute_periods(book, severity="一般", decided=D("2024-08-31"))
    assert general.rule_set_id == "ndrc-order-58"
    assert general.earliest_repair == D("2024-11-30")
    assert general.auto_withdraw == D("2025-08-31")
    serious = compute_periods(book, severity="严重", decided=D("2024-02-29"))
    assert serious.earliest_repair == D("2025-02-28")  # leap day clamps
    assert serious.auto_withdraw == D("2027-02-28")
    assert serious.confirmed is False
    assert any("未经原文核实" in n for n in serious.notes)


def test_22_hao_overrides_order_58_from_2025_06_22(book: RuleBook) -> None:
    # RULES.md "Rule sets by date": both in force; the later valid_from (higher precedence) wins.
    assert rule_set_in_force(book, family="penalty", decided=D("2025-06-21")).id == (
        "ndrc-order-58"
    )
    minor = compute_periods(book, severity="轻微", decided=D("2025-09-01"))
    assert minor.rule_set == "国办发〔2025〕22号"
    assert minor.earliest_repair == D("2025-09-01")  # repair once obligations are met
    assert minor.auto_withdraw == D("2025-12-01")  # at most 3 months
    assert minor.deadlines == {
        "office_answer_working_days": 10,
        "department_decision_working_days": 3,
    }


def test_2026_05_penalties_follow_order_36(book: RuleBook) -> None:
    # RULES.md §1a: general 3 months–1 year, serious 1–3 years, from the decision date.
    general = compute_periods(book, severity="一般", decided=D("2026-05-01"))
    assert general.rule_set_id == "ndrc-order-36"
    assert (general.earliest_repair, general.auto_withdraw) == (D("2026-08-01"), D("2027-05-01"))
    serious = compute_periods(book, severity="严重", decided=D("2026-05-01"))
    assert (serious.earliest_repair, serious.auto_withdraw) == (D("2027-05-01"), D("2029-05-01"))
    assert [r.code for r in serious.requirements] == ["proof_of_performance", "commitment"]
    assert compute_periods(book, severity="一般", decided=D("2026-03-31")).rule_set_id == (
        "gov-2025-22"
    )


def test_market_regulation_2022_follows_samr_order_45(book: RuleBook) -> None:
    # RULES.md §1b: 3 years, counted from publication; never early for revoked licences.
    answer = compute_periods(
        book,
        severity="一般",
        decided=D("2022-01-10"),
        sector="市场监管",
        published_on=D("2022-01-20"),
    )
    assert answer.rule_set == "国家市场监督管理总局令第45号"
    assert answer.publication_start == D("2022-01-20")
    assert answer.auto_withdraw == D("2025-01-20")
    assert answer.deadlines == {"publish_working_days": 20, "withdraw_working_days": 3}
    minor = compute_periods(book, severity="轻微", decided=D("2022-01-10"), sector="市场监管")
    assert minor.auto_withdraw == D("2022-04-10") and not minor.repairable
    assert any("暂以决定日期计算" in n for n in minor.notes)
    banned = compute_periods(
        book,
        severity="严重",
        decided=D("2022-01-10"),
        sector="市场监管",
        penalty_types=["限制从业"],
    )
    assert not banned.repairable and banned.reason is not None and "限制从业" in banned.reason
    # Other sectors in 2022 stay with 527号.
    assert (
        compute_periods(
            book, severity="一般", decided=D("2022-01-10"), sector="生态环境"
        ).rule_set_id
        == "ndrc-2019-527"
    )


def test_warning_only_market_penalty_is_not_published(book: RuleBook) -> None:
    # RULES.md §1b: a warning alone is not published.
    answer = compute_periods(
        book, severity="轻微", decided=D("2022-03-01"), sector="市场监管", penalty_types=["警告"]
    )
    assert not answer.published and not answer.repairable
    assert answer.auto_withdraw is None and answer.earliest_repair is None
    assert answer.reason is not None and "警告" in answer.reason
    fined = compute_periods(
        book,
        severity="轻微",
        decided=D("2022-03-01"),
        sector="市场监管",
        penalty_types=["警告", "罚款"],
    )
    assert fined.published


def test_market_regulation_2026_follows_samr_order_107(book: RuleBook) -> None:
    # RULES.md §1b: moderate 3 months–1 year, serious 1–3 years.
    general = compute_periods(book, severity="一般", decided=D("2026-01-10"), sector="市场监管")
    assert general.rule_set == "国家市场监督管理总局令第107号"
    assert (general.earliest_repair, general.auto_withdraw) == (D("2026-04-10"), D("2027-01-10"))
    serious = compute_periods(book, severity="严重", decided=D("2026-05-01"), sector="市场监管")
    assert serious.rule_set_id == "samr-order-107"  # sector rule beats Order 36
    assert (serious.earliest_repair, serious.auto_withdraw) == (D("2027-05-01"), D("2029-05-01"))
    assert (
        compute_periods(
            book, severity="一般", decided=D("2025-12-24"), sector="市场监管"
        ).rule_set_id
        == "samr-order-45"
    )


def test_as_dict_has_the_public_keys(book: RuleBook) -> None:
    body = compute_periods(book, severity="一般", decided=D("2020-01-31")).as_dict()
    assert body["rule_set"] == "发改办财金〔2019〕527号"
    assert body["earliest_repair"] == "2020-04-30"
    assert body["auto_withdraw"] == "2021-01-31"
    assert body["repairable"] is True
    assert body["rule_set_id"] == "ndrc-2019-527" and body["published"] is True
    assert body["requirements"][0] == {
        "code": "identity_documents",
        "label": book.requirements["identity_documents"],
    }
    unrepairable = compute_periods(book, severity="严重", decided=D("2018-01-02")).as_dict()
    assert unrepairable["earliest_repair"] is None and unrepairable["repairable"] is False


def test_unknown_severity_and_family_are_refused(book: RuleBook) -> None:
    with pytest.raises(ValidationFailed) as exc:
        compute_periods(book, severity="特别严重", decided=D("2024-01-01"))  # type: ignore[arg-type]
    assert exc.value.field == "severity" and "轻微" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        compute_periods(book, family="licence", severity="一般", decided=D("2024-01-01"))
    assert exc.value.field == "family"


def test_publication_date_before_decision_is_refused(book: RuleBook) -> None:
    with pytest.raises(ValidationFailed) as exc:
        compute_periods(
            book,
            severity="一般",
            decided=D("2022-01-10"),
            sector="市场监管",
            published_on=D("2022-01-09"),
        )
    assert exc.value.field == "published_on"
