"""Values as departments' collection files really write them: "no value" placeholders,
amounts with units and currencies, amounts in 元, suspiciously large amounts, and dates
as spreadsheet serial numbers."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from tests.unit.test_catalog_values import CATALOG, CF, TODAY, penalty
from xinyong.catalog.loader import load_catalog
from xinyong.catalog.rules import (
    NO_VALUE_PLACEHOLDERS,
    ParsedAmount,
    compile_validator,
    normalise_value,
    parse_amount,
    parse_date,
    validate_values,
)
from xinyong.catalog.schema import CatalogItem

DJ = CATALOG.item("djzc")


def registration(**changes: Any) -> dict[str, Any]:
    """A complete 登记注册 record of a company."""
    raw: dict[str, Any] = {
        "DJ_MC": "厦门某某贸易有限公司",
        "DJ_SHXYM": "91110000600037341L",
        "DJ_ZTLB": "法人及非法人组织",
        "DJ_CLRQ": "2015-06-01",
        "DJ_DJJG": "厦门市市场监督管理局",
        "DJ_DJJGDM": "121200004013590816",
    }
    raw.update(changes)
    return {k: v for k, v in raw.items() if v is not None}


def problems_of(item: CatalogItem, raw: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Field → (level, Chinese reason) of every problem."""
    checked = validate_values(item, raw, today=TODAY)
    return {str(p.field): (p.level, p.reason) for p in checked.problems}


# --- placeholders ------------------------------------------------------------------------


STRUCTURED_PLACEHOLDERS = ["N/A", "n/a", "NA", "NULL", "null", "None", "无", "暂无"]
STRUCTURED_PLACEHOLDERS += ["-", "--", "—", "／", "/", " 无 ", "\u3000N/A"]


def test_the_placeholder_table_is_narrower_for_free_text() -> None:
    assert NO_VALUE_PLACEHOLDERS["string"] == NO_VALUE_PLACEHOLDERS["text"]
    assert NO_VALUE_PLACEHOLDERS["string"] == {"N/A", "n/a", "NULL", "null", "None"}
    for kind in ("decimal", "integer", "date", "code", "id_number", "enum"):
        assert NO_VALUE_PLACEHOLDERS[kind] >= {"无", "暂无", "-", "--", "—", "／", "/", "NA"}
        assert NO_VALUE_PLACEHOLDERS[kind] > NO_VALUE_PLACEHOLDERS["string"]


@pytest.mark.parametrize("placeholder", STRUCTURED_PLACEHOLDERS)
def test_placeholder_in_an_optional_field_leaves_it_empty(placeholder: str) -> None:
    raw = penalty(CF_GSJZQ=placeholder, CF_XDR_GSZC=placeholder, CF_FR_ZJLX=placeholder)
    checked = validate_values(CF, raw, today=TODAY)
    assert checked.ok, checked.problems
    assert checked.problems == []
    for code in ("CF_GSJZQ", "CF_XDR_GSZC", "CF_FR_ZJLX"):
        assert code not in checked.values


@pytest.mark.parametrize("placeholder", STRUCTURED_PLACEHOLDERS)
def test_placeholder_in_a_required_field_is_reported_missing(placeholder: str) -> None:
    problems = problems_of(CF, penalty(CF_JDRQ=placeholder, CF_CFJGDM=placeholder))
    assert problems["CF_JDRQ"] == ("error", "「处罚决定日期」为必填项")
    assert problems["CF_CFJGDM"] == ("error", "「处罚机关统一社会信用代码」为必填项")


def test_placeholder_amount_counts_as_missing_when_a_fine_needs_one() -> None:
    problems = problems_of(CF, penalty(CF_NR_FK="无"))
    assert set(problems) == {"CF_NR_FK"}
    level, reason = problems["CF_NR_FK"]
    assert level == "error" and reason.endswith("「罚款金额」为必填项")
    checked = validate_values(CF, penalty(CF_CFLB="警告", CF_NR_FK="--"), today=TODAY)
    assert checked.ok and checked.problems == [] and "CF_NR_FK" not in checked.values


def test_free_text_keeps_chinese_placeholder_words_as_content() -> None:
    checked = validate_values(CF, penalty(CF_FRDB="无", CF_SY="-"), today=TODAY)
    assert checked.ok, checked.problems
    assert checked.values["CF_FRDB"] == "无" and checked.values["CF_SY"] == "-"
    checked = validate_values(CF, penalty(CF_FRDB="N/A", BZ="NULL"), today=TODAY)
    assert checked.ok, checked.problems
    assert "CF_FRDB" not in checked.values and "BZ" not in checked.values
    assert problems_of(CF, penalty(CF_WSH="None"))["CF_WSH"] == (
        "error",
        "「行政处罚决定书文号」为必填项",
    )


def test_an_enumeration_value_wins_over_a_placeholder(tmp_path: Any) -> None:
    path = tmp_path / "local.yaml"
    path.write_text(
        "items:\n"
        "  - extends: xzcf\n"
        "    add_fields:\n"
        "      - {code: CF_XM_YW, name: 有无前科, type: enum, enum: [有, 无]}\n",
        encoding="utf-8",
    )
    item = load_catalog([path]).item("xzcf")
    assert validate_values(item, penalty(CF_XM_YW="无"), today=TODAY).values["CF_XM_YW"] == "无"
    assert "CF_XM_YW" not in validate_values(item, penalty(CF_XM_YW="N/A"), today=TODAY).values


def test_placeholder_column_does_not_conflict_with_a_real_value() -> None:
    raw = {**penalty(CF_NR_FK="N/A"), "罚款金额（万元）": "2"}
    checked = validate_values(CF, raw, today=TODAY)
    assert checked.ok, checked.problems
    assert checked.values["CF_NR_FK"] == Decimal("2")


def test_normalise_value_gives_nothing_for_a_placeholder() -> None:
    assert normalise_value(CF.field("CF_JDRQ"), "暂无") == (None, None)
    assert normalise_value(CF.field("CF_XDR_SHXYM"), "n/a") == (None, None)
    assert normalise_value(CF.field("CF_FRDB"), "无") == ("无", None)


# --- amounts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number", "currency"),
    [
        ("5,000(万元人民币)", "5000", "人民币"),
        ("5,000（万元人民币）", "5000", "人民币"),
        ("211.5(万元美元)", "211.5", "美元"),
        ("211.5万美元", "211.5", "美元"),
        ("100万元", "100", None),
        ("100 万", "100", None),
        ("5000.00", "5000.00", None),
        ("５，０００．５", "5000.5", None),
        ("1.2亿元", "12000", None),
        ("人民币 5000 万元", "5000", "人民币"),
    ],
)
def test_amounts_with_units_and_currencies(text: str, number: str, currency: str | None) -> None:
    assert parse_amount(text) == ParsedAmount(Decimal(number), currency, from_yuan=False)


@pytest.mark.parametrize(
    ("text", "number", "currency"),
    [("50000元", "5", None), ("12345元人民币", "1.2345", "人民币"), ("5000美元", "0.5", "美元")],
)
def test_amounts_in_yuan_are_converted(text: str, number: str, currency: str | None) -> None:
    assert parse_amount(text) == ParsedAmount(Decimal(number), currency, from_yuan=True)


@pytest.mark.parametrize("text", ["一万元", "5(万元", "5万元(美元", "约 5 万元 左右", "", "万元"])
def test_text_that_is_not_an_amount(text: str) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("5,000(万元人民币)", "5000"),
        ("5,000（万元人民币）", "5000"),
        ("100万元", "100"),
        ("100 万", "100"),
        ("5000.00", "5000.00"),
        ("５０００", "5000"),
        ("5万元", "5"),
    ],
)
def test_fine_amounts_as_written_are_accepted(text: str, number: str) -> None:
    checked = validate_values(CF, penalty(CF_NR_FK=text), today=TODAY)
    assert checked.ok and checked.problems == [], checked.problems
    assert checked.values["CF_NR_FK"] == Decimal(number)


def test_fine_in_yuan_is_converted_with_a_warning() -> None:
    checked = validate_values(CF, penalty(CF_NR_FK="50000元"), today=TODAY)
    assert checked.ok, checked.problems
    assert checked.values["CF_NR_FK"] == Decimal("5")
    [warning] = checked.warnings
    assert warning.field == "CF_NR_FK"
    assert warning.reason == "「罚款金额」按元填写（「50000元」），已换算为 5 万元"
    assert "converted" in warning.reason_en


def test_fine_in_a_foreign_currency_is_refused() -> None:
    level, reason = problems_of(CF, penalty(CF_NR_FK="211.5(万元美元)"))["CF_NR_FK"]
    assert level == "error"
    assert reason == "「罚款金额」应为人民币金额（单位：万元），实际为「211.5(万元美元)」"
    assert validate_values(CF, penalty(CF_NR_FK="2(万元人民币)"), today=TODAY).ok


def test_amount_that_looks_like_yuan_is_flagged_not_refused() -> None:
    checked = validate_values(CF, penalty(CF_NR_FK="50000"), today=TODAY)
    assert checked.ok
    assert checked.values["CF_NR_FK"] == Decimal("50000")
    [warning] = checked.problems
    assert (warning.field, warning.level) == ("CF_NR_FK", "warning")
    assert warning.reason == "「罚款金额」为 50000 万元，数值偏大，疑似按元填报，请核实"
    assert "probably entered in yuan" in warning.reason_en
    just_below = validate_values(CF, penalty(CF_NR_FK="9999.99"), today=TODAY)
    assert just_below.problems == []
    at_limit = validate_values(CF, penalty(CF_NR_FK=10000), today=TODAY)
    assert [p.level for p in at_limit.problems] == ["warning"]


def test_confiscation_amount_is_flagged_too() -> None:
    raw = penalty(CF_CFLB="没收违法所得", CF_NR_FK=None, CF_NR_WFFF="120000")
    problems = problems_of(CF, raw)
    assert problems == {
        "CF_NR_WFFF": (
            "warning",
            "「没收违法所得、没收非法财物的金额」为 120000 万元，数值偏大，疑似按元填报，请核实",
        )
    }


def test_amount_converted_from_yuan_is_not_flagged_as_yuan() -> None:
    checked = validate_values(CF, penalty(CF_NR_FK="200000000元"), today=TODAY)
    assert checked.values["CF_NR_FK"] == Decimal("20000")
    assert [p.reason for p in checked.problems] == [
        "「罚款金额」按元填写（「200000000元」），已换算为 20000 万元"
    ]


def test_registered_capital_threshold_is_higher() -> None:
    ordinary = registration(DJ_ZCZB="50000", DJ_ZBBZ="人民币")
    assert validate_values(DJ, ordinary, today=TODAY).problems == []
    large = registration(DJ_ZCZB="20000000", DJ_ZBBZ="人民币")
    flagged = validate_values(DJ, large, today=TODAY)
    assert [(p.field, p.level) for p in flagged.problems] == [("DJ_ZCZB", "warning")]


def test_currency_in_the_unit_fills_an_empty_currency_field() -> None:
    checked = validate_values(DJ, registration(DJ_ZCZB="211.5(万元美元)"), today=TODAY)
    assert checked.ok and checked.problems == [], checked.problems
    assert checked.values["DJ_ZCZB"] == Decimal("211.5")
    assert checked.values["DJ_ZBBZ"] == "美元"
    # in field order, as if it had been given
    codes = list(checked.values)
    assert codes.index("DJ_ZBBZ") == codes.index("DJ_ZCZB") + 1
    filled = validate_values(DJ, registration(DJ_ZCZB="500万港币", DJ_ZBBZ="无"), today=TODAY)
    assert filled.values["DJ_ZBBZ"] == "港元"


def test_without_a_currency_the_currency_field_is_still_required() -> None:
    problems = problems_of(DJ, registration(DJ_ZCZB="5,000"))
    assert set(problems) == {"DJ_ZBBZ"}
    assert problems["DJ_ZBBZ"][0] == "error" and "为必填项" in problems["DJ_ZBBZ"][1]


def test_currency_in_the_unit_agreeing_with_the_currency_field() -> None:
    checked = validate_values(
        DJ, registration(DJ_ZCZB="5,000（万元人民币）", DJ_ZBBZ="人民币"), today=TODAY
    )
    assert checked.ok and checked.problems == []
    assert checked.values["DJ_ZCZB"] == Decimal("5000") and checked.values["DJ_ZBBZ"] == "人民币"
    # an alias of the same currency agrees
    assert validate_values(DJ, registration(DJ_ZCZB="100万USD", DJ_ZBBZ="美元"), today=TODAY).ok


def test_currency_in_the_unit_contradicting_the_currency_field() -> None:
    checked = validate_values(
        DJ, registration(DJ_ZCZB="211.5(万元美元)", DJ_ZBBZ="人民币"), today=TODAY
    )
    [error] = checked.errors
    assert error.field == "DJ_ZCZB"
    assert error.reason == "「注册资本」写明的币种「美元」与「注册资本币种」「人民币」不一致"
    assert "DJ_ZCZB" not in checked.values and checked.values["DJ_ZBBZ"] == "人民币"


def test_currency_in_the_unit_must_be_a_value_of_the_currency_field() -> None:
    checked = validate_values(DJ, registration(DJ_ZCZB="100(万元英镑)"), today=TODAY)
    [error] = checked.errors
    assert error.field == "DJ_ZCZB"
    assert error.reason.startswith("「注册资本」写明的币种「英镑」不是「注册资本币种」的可选值")
    assert "人民币、美元、港元、欧元、日元" in error.reason
    assert "DJ_ZCZB" not in checked.values and "DJ_ZBBZ" not in checked.values


def test_amount_in_yuan_needs_no_more_than_the_allowed_decimal_places() -> None:
    level, reason = problems_of(CF, penalty(CF_NR_FK="1.234元"))["CF_NR_FK"]
    assert (level, reason) == ("error", "「罚款金额」最多保留 6 位小数")


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", [45356, 45356.0, 45356.6875])
def test_spreadsheet_serial_numbers_are_dates(cell: float) -> None:
    assert parse_date(cell) == dt.date(2024, 3, 5)
    checked = validate_values(CF, penalty(CF_JDRQ=cell, CF_YXQ=45721), today=TODAY)
    assert checked.ok, checked.problems
    assert checked.values["CF_JDRQ"] == dt.date(2024, 3, 5)
    assert checked.values["CF_YXQ"] == dt.date(2025, 3, 5)


def test_numbers_outside_the_serial_range_are_not_serial_dates() -> None:
    assert parse_date(19999) is None and parse_date(80001) is None
    assert parse_date(20240305) == dt.date(2024, 3, 5)
    assert parse_date(20240305.0) == dt.date(2024, 3, 5)
    assert parse_date(True) is None and parse_date(float("nan")) is None
    assert parse_date("45356") is None  # text is never a serial number


def test_serial_date_in_the_future_is_still_an_error() -> None:
    serial = (dt.date(2024, 6, 2) - dt.date(1899, 12, 30)).days
    checked = validate_values(CF, penalty(CF_JDRQ=serial, CF_YXQ="2025-06-02"), today=TODAY)
    errors = {p.field: p.reason for p in checked.errors}
    assert set(errors) == {"CF_JDRQ"} and "晚于今天" in errors["CF_JDRQ"]


# --- the compiled validator --------------------------------------------------------------


def test_compiled_validator_is_prepared_once_per_item() -> None:
    validator = compile_validator(CF)
    assert compile_validator(CF) is validator
    assert compile_validator(DJ) is not validator
    raw = penalty(CF_NR_FK="50000元", CF_YXQ="N/A")
    direct = validate_values(CF, raw, today=TODAY)
    compiled = validator(raw, today=TODAY)
    assert (compiled.values, compiled.problems) == (direct.values, direct.problems)


def test_repeated_values_give_each_record_its_own_lists() -> None:
    first = validate_values(CF, penalty(CF_CFLB="罚款、警告"), today=TODAY)
    first.values["CF_CFLB"].append("changed")
    second = validate_values(CF, penalty(CF_CFLB="罚款、警告"), today=TODAY)
    assert second.values["CF_CFLB"] == ["罚款", "警告"]
