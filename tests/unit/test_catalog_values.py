"""Checking and normalising one record's values against its catalog item."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from xinyong.catalog.loader import load_catalog
from xinyong.catalog.rules import LONG_TERM, parse_date, validate_values
from xinyong.catalog.schema import CatalogItem
from xinyong.errors import Problem

TODAY = dt.date(2024, 6, 1)
CATALOG = load_catalog()
CF = CATALOG.item("xzcf")
XK = CATALOG.item("xzxk")


def penalty(**changes: Any) -> dict[str, Any]:
    """A complete 行政处罚 record of an organisation, fined 1.5 万元."""
    raw: dict[str, Any] = {
        "CF_XDR_MC": "厦门某某贸易有限公司",
        "CF_XDR_LB": "法人及非法人组织",
        "CF_XDR_SHXYM": "91110000600037341L",
        "CF_FRDB": "李四",
        "CF_WSH": "厦市监罚〔2024〕12号",
        "CF_WFXW": "销售不合格产品",
        "CF_SY": "经查，当事人销售不合格产品。",
        "CF_YJ": "《中华人民共和国产品质量法》第四十九条",
        "CF_CFLB": "罚款",
        "CF_NR": "罚款人民币壹万伍仟元整",
        "CF_NR_FK": "1.5",
        "CF_JDRQ": "2024-03-05",
        "CF_YXQ": "2025-03-05",
        "CF_CFJG": "厦门市市场监督管理局",
        "CF_CFJGDM": "121200004013590816",
        "CF_SJLY": "厦门市市场监督管理局",
        "CF_SJLYDM": "121200004013590816",
    }
    raw.update(changes)
    return {k: v for k, v in raw.items() if v is not None}


def errors_for(item: CatalogItem, raw: dict[str, Any]) -> dict[str | None, str]:
    checked = validate_values(item, raw, today=TODAY)
    return {p.field: p.reason for p in checked.errors}


def test_complete_penalty_is_ok_and_normalised() -> None:
    checked = validate_values(CF, penalty(), today=TODAY)
    assert checked.ok, checked.problems
    values = checked.values
    assert values["CF_JDRQ"] == dt.date(2024, 3, 5)
    assert values["CF_NR_FK"] == Decimal("1.5")
    assert values["CF_CFLB"] == ["罚款"]
    assert values["CF_SXYZCD"] == "一般"  # the local field's default


def test_mandatory_fields_are_named_in_chinese() -> None:
    errors = errors_for(CF, penalty(CF_WSH=None, CF_YJ="  "))
    assert errors["CF_WSH"] == "「行政处罚决定书文号」为必填项"
    assert errors["CF_YJ"] == "「处罚依据」为必填项"


def test_fine_amount_required_when_penalty_includes_fine() -> None:
    errors = errors_for(CF, penalty(CF_NR_FK=None))
    assert set(errors) == {"CF_NR_FK"}
    assert "罚款" in errors["CF_NR_FK"] and "「罚款金额」" in errors["CF_NR_FK"]
    # a warning alone needs no amount
    assert errors_for(CF, penalty(CF_CFLB="警告", CF_NR_FK=None)) == {}


def test_confiscation_and_revocation_need_their_details() -> None:
    errors = errors_for(CF, penalty(CF_CFLB="罚款;没收违法所得;吊销许可证件"))
    assert set(errors) == {"CF_NR_WFFF", "CF_NR_ZKDX"}
    assert (
        errors_for(
            CF, penalty(CF_CFLB="暂扣许可证件", CF_NR_FK=None, CF_NR_ZKDX="食品经营许可证 JY123")
        )
        == {}
    )


def test_organisation_needs_at_least_one_subject_code() -> None:
    errors = errors_for(CF, penalty(CF_XDR_SHXYM=None))
    assert set(errors) == {"CF_XDR_SHXYM"}
    assert "至少须填写一项" in errors["CF_XDR_SHXYM"]
    assert errors_for(CF, penalty(CF_XDR_SHXYM=None, CF_XDR_GSZC="350200100012345")) == {}
    assert (
        errors_for(
            CF, penalty(CF_XDR_LB="个体工商户", CF_XDR_SHXYM=None, CF_XDR_MC="思明区某某小吃店")
        )
        == {}
    )


def test_natural_person_needs_id_type_and_number() -> None:
    errors = errors_for(CF, penalty(CF_XDR_LB="自然人", CF_XDR_MC="张三", CF_XDR_SHXYM=None))
    assert set(errors) == {"CF_XDR_ZJLX", "CF_XDR_ZJHM"}


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-05",
        "2024/03/05",
        "2024/3/5",
        "20240305",
        "2024年3月5日",
        "2024.03.05",
        "２０２４－０３－０５",
        "2024-03-05 00:00:00",
        dt.date(2024, 3, 5),
        dt.datetime(2024, 3, 5, 9, 30),
    ],
)
def test_date_formats(text: Any) -> None:
    checked = validate_values(CF, penalty(CF_JDRQ=text), today=TODAY)
    assert checked.ok, checked.problems
    assert checked.values["CF_JDRQ"] == dt.date(2024, 3, 5)


def test_long_term_dates() -> None:
    assert parse_date("2099/12/31") == LONG_TERM == dt.date(2099, 12, 31)
    assert parse_date("长期") == LONG_TERM
    assert parse_date("2024-02-30") is None
    assert parse_date("三月五日") is None


def test_unreadable_date_says_which_formats_work() -> None:
    errors = errors_for(CF, penalty(CF_YXQ="明年三月"))
    assert "明年三月" in errors["CF_YXQ"] and "2024年3月5日" in errors["CF_YXQ"]


def test_decision_date_in_the_future_is_an_error() -> None:
    errors = errors_for(CF, penalty(CF_JDRQ="2024-06-02", CF_YXQ="2025-06-02"))
    assert set(errors) == {"CF_JDRQ"}
    assert "晚于今天" in errors["CF_JDRQ"]
    assert errors_for(CF, penalty(CF_JDRQ="2024-06-01", CF_YXQ="2025-06-01")) == {}


def test_end_date_before_start_date() -> None:
    errors = errors_for(CF, penalty(CF_YXQ="2024-03-04"))
    assert set(errors) == {"CF_YXQ"} and "不能早于" in errors["CF_YXQ"]


def test_multi_enum_splits_on_chinese_and_ascii_separators() -> None:
    for text in (
        "罚款、没收违法所得",
        "罚款;没收违法所得",
        "罚款，没收违法所得",
        "罚款, 没收违法所得",
    ):
        checked = validate_values(CF, penalty(CF_CFLB=text, CF_NR_WFFF="0.3"), today=TODAY)
        assert checked.ok, checked.problems
        assert checked.values["CF_CFLB"] == ["罚款", "没收违法所得"]
    checked = validate_values(
        CF, penalty(CF_CFLB=["警告", "罚款", "罚款"], CF_NR_FK="2"), today=TODAY
    )
    assert checked.values["CF_CFLB"] == ["警告", "罚款"]


def test_invalid_enum_value_lists_the_allowed_ones() -> None:
    errors = errors_for(CF, penalty(CF_CFLB="罚款、打板子"))
    assert "打板子" in errors["CF_CFLB"] and "通报批评" in errors["CF_CFLB"]
    errors = errors_for(CF, penalty(CF_XDR_LB="公司"))
    assert "法人及非法人组织" in errors["CF_XDR_LB"]


def test_enum_aliases_and_labels_store_the_value() -> None:
    checked = validate_values(
        CF,
        penalty(
            CF_XDR_LB="法人和非法人组织",
            CF_CFLB="吊销营业执照",
            CF_NR_FK=None,
            CF_NR_ZKDX="营业执照",
        ),
        today=TODAY,
    )
    assert checked.ok, checked.problems
    assert checked.values["CF_XDR_LB"] == "法人及非法人组织"
    assert checked.values["CF_CFLB"] == ["吊销许可证件"]
    licence = {
        "XK_XDR_MC": "厦门某某餐饮有限公司",
        "XK_XDR_LB": "法人及非法人组织",
        "XK_XDR_SHXYM": "91110000600037341L",
        "XK_XKWS": "食品经营许可决定书",
        "XK_WSH": "厦食许〔2024〕8号",
        "XK_XKLB": "普通",
        "XK_NR": "食品经营",
        "XK_JDRQ": "2024/01/10",
        "XK_YXQZ": "2024/01/10",
        "XK_YXQZI": "2099/12/31",
        "XK_XKJG": "厦门市市场监督管理局",
        "XK_XKJGDM": "121200004013590816",
        "XK_ZT": "有效",
        "XK_LYDW": "厦门市市场监督管理局",
        "XK_LYDWDM": "121200004013590816",
    }
    checked = validate_values(XK, licence, today=TODAY)
    assert checked.ok, checked.problems
    assert checked.values["XK_ZT"] == "1"
    assert checked.values["XK_YXQZI"] == LONG_TERM
    assert validate_values(XK, {**licence, "XK_ZT": 2}, today=TODAY).values["XK_ZT"] == "2"


def test_max_length() -> None:
    errors = errors_for(CF, penalty(CF_WSH="文" * 129))
    assert "最多 128 个字符" in errors["CF_WSH"]


def test_full_width_digits_and_spaces_are_normalised() -> None:
    checked = validate_values(
        CF,
        penalty(
            CF_NR_FK="１.５万元",
            CF_XDR_SHXYM="９１１１００００６０００３７３４１ｌ",
            CF_XDR_MC="厦门某某\u3000贸易有限公司（分公司） ",
        ),
        today=TODAY,
    )
    assert checked.ok, checked.problems
    assert checked.values["CF_NR_FK"] == Decimal("1.5")
    assert checked.values["CF_XDR_SHXYM"] == "91110000600037341L"
    assert checked.values["CF_XDR_MC"] == "厦门某某 贸易有限公司（分公司）"


def test_amount_must_be_a_non_negative_number() -> None:
    assert "应为数字" in errors_for(CF, penalty(CF_NR_FK="一万元"))["CF_NR_FK"]
    assert "不能小于 0" in errors_for(CF, penalty(CF_NR_FK="-1"))["CF_NR_FK"]


def test_identifier_shape_is_checked_here() -> None:
    errors = errors_for(CF, penalty(CF_XDR_SHXYM="9111000060003734"))
    assert "格式不符" in errors["CF_XDR_SHXYM"]
    person = penalty(
        CF_XDR_LB="自然人",
        CF_XDR_MC="张三",
        CF_XDR_SHXYM=None,
        CF_XDR_ZJLX="身份证",
        CF_XDR_ZJHM="3604261991",
    )
    assert "居民身份证" in errors_for(CF, person)["CF_XDR_ZJHM"]
    passport = {**person, "CF_XDR_ZJLX": "护照", "CF_XDR_ZJHM": "E12345678"}
    assert errors_for(CF, passport) == {}


def test_code_checker_hook_runs_on_identifier_fields() -> None:
    seen: list[str] = []

    def checker(code: str) -> tuple[list[Problem], list[Problem]]:
        seen.append(code)
        if code == "91110000600037341N":
            return [Problem("code", "校验位错误，应为 L", "bad check digit")], []
        return [], [Problem("code", "试点期代码", "pilot code", "warning")]

    checked = validate_values(
        CF, penalty(CF_XDR_SHXYM="91110000600037341N"), today=TODAY, code_checker=checker
    )
    errors = {p.field: p.reason for p in checked.errors}
    assert errors["CF_XDR_SHXYM"] == "「统一社会信用代码」校验位错误，应为 L"
    assert "CF_XDR_SHXYM" not in checked.values
    # authority and source codes are checked too (and only fields with a scheme)
    assert seen == ["91110000600037341N", "121200004013590816", "121200004013590816"]
    assert {p.field for p in checked.warnings} == {"CF_CFJGDM", "CF_SJLYDM"}


def test_code_checker_by_scheme_skips_passports() -> None:
    calls: list[tuple[str, str]] = []

    def make(kind: str) -> Any:
        def check(code: str) -> tuple[list[Problem], list[Problem]]:
            calls.append((kind, code))
            return [], []

        return check

    checkers = {"uscc": make("uscc"), "ric": make("ric")}
    person = penalty(
        CF_XDR_LB="自然人",
        CF_XDR_MC="张三",
        CF_XDR_SHXYM=None,
        CF_XDR_ZJLX="身份证",
        CF_XDR_ZJHM="360426199101010071",
    )
    assert validate_values(CF, person, today=TODAY, code_checker=checkers).ok
    assert ("ric", "360426199101010071") in calls
    calls.clear()
    passport = {**person, "CF_XDR_ZJLX": "护照号", "CF_XDR_ZJHM": "E12345678"}
    assert validate_values(CF, passport, today=TODAY, code_checker=checkers).ok
    assert [kind for kind, _ in calls] == ["uscc", "uscc"]


def test_columns_by_chinese_name_and_unknown_columns_warn() -> None:
    raw = penalty()
    raw["行政相对人名称"] = raw.pop("CF_XDR_MC")
    raw["罚款金额（万元）"] = raw.pop("CF_NR_FK")
    raw["经办人"] = "王五"
    checked = validate_values(CF, raw, today=TODAY)
    assert checked.ok, checked.problems
    assert checked.values["CF_XDR_MC"] == "厦门某某贸易有限公司"
    assert [(p.field, p.level) for p in checked.problems] == [("经办人", "warning")]


def test_conflicting_duplicate_columns() -> None:
    raw = {**penalty(), "行政相对人名称": "另一家公司"}
    errors = errors_for(CF, raw)
    assert "重复出现" in errors["CF_XDR_MC"]
