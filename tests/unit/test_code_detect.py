"""detect_kind and check_code dispatch, including codes that fit two standards."""

from __future__ import annotations

import pytest

from xinyong.codes.rules import check_code, detect_kind, lookup_division
from xinyong.errors import ValidationFailed


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("91110000600037341L", "uscc"),
        ("91110000600037341N", "uscc"),
        ("121200004013590816", "uscc"),  # all digits, yet a USCC
        ("9111000060003IOZSV", "uscc"),
        ("A1110000600037341K", "uscc"),
        ("360426199101010071", "ric"),
        ("36042619910102009X", "ric"),
        ("360426199113010079", "ric"),
        ("T60426199101010078", "ric"),
        ("150102880730303", "ric15"),
        ("110108000000016", "regno"),
        ("110108000000017", "regno"),
        ("600037341", "org_code"),
        ("60003734-1", "org_code"),
        ("12345", "unknown"),
        ("", "unknown"),
    ],
)
def test_detect_kind(code: str, kind: str) -> None:
    assert detect_kind(code) == kind
    assert check_code(code).kind == kind


def test_fifteen_digits_fitting_both_standards_warn() -> None:
    # A public registration number whose digits 7-12 also read as a date (1900-04-19).
    result = check_code("310230000419464")
    assert result.kind == "regno"
    assert result.valid
    assert result.details["also_valid_as"] == "ric15"
    assert "ambiguous_kind" in result.details["warning_codes"]
    assert any("15 位居民身份证号码" in p.reason for p in result.warnings)
    assert check_code("310230000419464", "ric15").valid


def test_explicit_kind_overrides_detection() -> None:
    result = check_code("110108000000016", "ric15")
    assert result.kind == "ric15"
    assert not result.valid
    assert check_code("91110000600037341L", "ric").details["error_codes"] == ["format"]


def test_unsupported_kind_is_refused() -> None:
    with pytest.raises(ValidationFailed) as info:
        check_code("91110000600037341L", "passport")
    assert info.value.field == "kind"
    assert "不受支持" in info.value.message


def test_empty_and_unknown_codes() -> None:
    assert [p.reason for p in check_code(" ").errors] == ["代码为空"]
    unknown = check_code("12345")
    assert not unknown.valid
    assert "无法识别的代码（5 位）" in unknown.errors[0].reason


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("350200", "厦门市"),
        ("350100", "福州市"),
        ("110000", "北京市"),
        ("350000", "福建省"),
        ("100000", "国家级"),
    ],
)
def test_province_and_city_level_divisions_are_known(code: str, name: str) -> None:
    found = lookup_division(code)
    assert found is not None
    assert found["name"] == name
    assert not found["abolished"]


def test_abolished_division_is_known() -> None:
    found = lookup_division("110103")  # 崇文区, merged in 2010
    assert found is not None
    assert found["name"] == "崇文区"
    assert found["abolished"]


@pytest.mark.parametrize("code", ["990000", "359900", "990426", "12345", "ABCDEF"])
def test_unknown_divisions(code: str) -> None:
    assert lookup_division(code) is None
