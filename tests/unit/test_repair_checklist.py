"""The repair checklist (pure): blocking conditions first, then materials."""

from __future__ import annotations

import datetime as dt

from xinyong.cases.rules import CaseKind, Purpose, RepairFacts, case_number, repair_checklist

TODAY = dt.date(2026, 11, 24)
REQS = (
    ("proof_of_performance", "已履行法定义务的证明"),
    ("harm_removed", "已消除不良影响"),
    ("commitment", "信用修复承诺书"),
    ("not_listed", "未在失信名单中"),
)


def _facts(**extra: object) -> RepairFacts:
    base: dict[str, object] = {
        "negative": True,
        "repairable": True,
        "not_repairable_reason": None,
        "in_publication": True,
        "earliest_repair": dt.date(2026, 9, 1),
        "requirements": REQS,
        "rule_set": "市场监管总局令第107号",
    }
    base.update(extra)
    return RepairFacts(**base)  # type: ignore[arg-type]


def test_everything_provided_is_complete() -> None:
    result = repair_checklist(
        _facts(),
        today=TODAY,
        purposes=frozenset({"performance"}),
        declarations=frozenset({"harm_removed"}),
        committed=True,
    )
    assert result.eligible and result.complete and result.missing == []


def test_missing_materials_are_not_blocking_and_name_the_attachment() -> None:
    result = repair_checklist(_facts(), today=TODAY)
    assert result.eligible and not result.complete
    assert [i.code for i in result.missing] == [
        "proof_of_performance",
        "harm_removed",
        "commitment",
    ]
    assert result.needed_purposes() == [Purpose.performance]


def test_minimum_period_not_reached_blocks_with_the_date() -> None:
    result = repair_checklist(_facts(earliest_repair=dt.date(2027, 1, 1)), today=TODAY)
    refusal = result.refusal
    assert refusal is not None and refusal.code == "min_period"
    assert refusal.detail == "最短公示期未满，2027-01-01 起方可申请"


def test_earliest_day_itself_is_allowed() -> None:
    result = repair_checklist(_facts(earliest_repair=TODAY), today=TODAY)
    assert result.eligible


def test_never_repairable_names_the_reason_and_rule_set() -> None:
    result = repair_checklist(
        _facts(repairable=False, not_repairable_reason="吊销营业执照的处罚不可提前修复"),
        today=TODAY,
    )
    refusal = result.refusal
    assert refusal is not None and refusal.code == "repairable"
    assert refusal.detail == "吊销营业执照的处罚不可提前修复（市场监管总局令第107号）"


def test_a_listed_subject_must_leave_the_list_first() -> None:
    result = repair_checklist(_facts(listed=True), today=TODAY)
    refusal = result.refusal
    assert refusal is not None and refusal.code == "not_listed"


def test_licences_need_no_repair() -> None:
    result = repair_checklist(_facts(negative=False), today=TODAY)
    refusal = result.refusal
    assert refusal is not None and refusal.detail == "该信息不属于失信信息，无需信用修复"


def test_case_numbers_carry_kind_date_and_serial() -> None:
    assert case_number(CaseKind.objection, TODAY, 7) == "YY202611240007"
    assert case_number(CaseKind.repair, TODAY, 12) == "XF202611240012"
