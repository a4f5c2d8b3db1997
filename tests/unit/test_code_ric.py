"""Resident identity numbers (居民身份证号码, GB 11643) and the legacy 15-digit form."""

from __future__ import annotations

import datetime as dt

import pytest
from stdnum.cn import ric as stdnum_ric

from xinyong.codes.rules import check_code, check_ric, check_ric15


def _reasons(code: str, **kwargs: object) -> list[str]:
    return [p.reason for p in check_code(code, **kwargs).errors]  # type: ignore[arg-type]


# RULES.md §10 (python-stdnum) and hutool IdcardUtilTest (dromara/hutool,
# hutool-core/src/test/java/cn/hutool/core/util/IdcardUtilTest.java).
@pytest.mark.parametrize(
    "code",
    [
        "360426199101010071",
        "44011320141005001X",
        "44011320141005001x",
        "321083197812162119",  # hutool ID_18
        "33010219200403064X",  # hutool, strict upper case
        "33010219200403064x",  # hutool, lenient
        "81000019980902013X",  # hutool: Hong Kong resident
        "820000200009100032",  # hutool: Macao resident
    ],
)
def test_valid_resident_ids(code: str) -> None:
    assert stdnum_ric.calc_check_digit(code.upper()) == code[-1].upper()
    result = check_code(code)
    assert result.kind == "ric"
    assert result.valid
    assert result.errors == []
    assert result.warnings == []


def test_details() -> None:
    details = check_code("360426199101010071").details
    assert details["birth_date"] == "1991-01-01"
    assert details["division"]["province"] == "江西省"
    assert details["division"]["name"] == "德安县"


def test_wrong_check_digit_names_the_expected_character() -> None:
    assert _reasons("36042619910102009X") == ["校验位应为 3，实为 X"]
    assert check_code("36042619910102009X").fails_only_check_digit


def test_invalid_birth_date() -> None:
    result = check_code("360426199113010079")
    assert result.kind == "ric"
    assert not result.valid
    assert [p.reason for p in result.errors] == ["出生日期 19911301 不是有效日期"]
    # hutool: "生日无效"
    assert "birth_date" in check_code("201511221897205960").details["error_codes"]


def test_birth_date_in_the_future() -> None:
    first17 = "36042620300101007"
    code = first17 + stdnum_ric.calc_check_digit(first17 + "0")
    result = check_ric(code, today=dt.date(2026, 1, 1))
    assert not result.valid
    assert [p.reason for p in result.errors] == ["出生日期 2030-01-01 晚于今天"]
    assert check_ric(code, today=dt.date(2030, 1, 1)).valid


@pytest.mark.parametrize("code", ["T60426199101010078", "3301022011022000D6"])
def test_format(code: str) -> None:
    result = check_code(code)
    assert result.kind == "ric"
    assert not result.valid
    assert result.details["error_codes"] == ["format"]
    assert "前 17 位应为数字" in result.errors[0].reason
    assert not result.fails_only_check_digit


def test_first_character_named_in_format_error() -> None:
    assert _reasons("T60426199101010078") == [
        "居民身份证号码前 17 位应为数字，第 18 位应为数字或 X：第 1 位为“T”"
    ]


@pytest.mark.parametrize(
    "code",
    [
        "990426199112010074",  # RULES.md: region unknown, checksum right
        "830000200209060065",  # hutool: Taiwan resident (830000 is not in GB/T 2260)
        "932682198501010017",  # hutool: new foreign permanent residence ID
    ],
)
def test_unknown_region_is_only_a_warning(code: str) -> None:
    assert stdnum_ric.calc_check_digit(code) == code[-1]
    result = check_code(code)
    assert result.kind == "ric"
    assert result.valid
    assert result.errors == []
    assert result.details["warning_codes"] == ["division_unknown"]
    assert code[:6] in result.warnings[0].reason


def test_fifteen_digits_checked_as_ric_get_a_hint() -> None:
    result = check_ric("150102880730303")
    assert not result.valid
    assert "15 位" in result.errors[0].reason


# Legacy 15-digit numbers: hutool IdcardUtilTest (ID_15 and convert15To18Test).
@pytest.mark.parametrize(
    ("code", "ric18", "born"),
    [
        ("150102880730303", "150102198807303035", "1988-07-30"),
        ("330102200403064", "33010219200403064X", "1920-04-03"),
    ],
)
def test_valid_ric15(code: str, ric18: str, born: str) -> None:
    result = check_code(code)
    assert result.kind == "ric15"
    assert result.valid
    assert result.details["ric18"] == ric18
    assert result.details["birth_date"] == born
    assert check_code(ric18).valid


@pytest.mark.parametrize(
    ("code", "raw_date"),
    [("360198910283844", "19910283"), ("815727834224151", "19834224")],  # hutool: invalid
)
def test_ric15_invalid_date(code: str, raw_date: str) -> None:
    result = check_ric15(code)
    assert not result.valid
    assert [p.reason for p in result.errors] == [f"出生日期 {raw_date} 不是有效日期"]


def test_ric15_unknown_region_is_a_warning() -> None:
    # hutool issue I88YKM accepts 111111111111111; the region 111111 does not exist.
    result = check_code("111111111111111")
    assert result.kind == "ric15"
    assert result.valid
    assert result.details["warning_codes"] == ["division_unknown"]


@pytest.mark.parametrize("code", ["15010288073030", "15010288073030A"])
def test_ric15_format(code: str) -> None:
    result = check_ric15(code)
    assert not result.valid
    assert "15 位数字" in result.errors[0].reason
