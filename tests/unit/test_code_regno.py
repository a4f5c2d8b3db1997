"""The old 15-digit registration number (工商注册号), check digit per GB/T 17710 MOD 11,10."""

from __future__ import annotations

import pytest

from xinyong.codes.rules import check_code, check_regno


def _ref_check_digit(first14: str) -> str:
    """Reference ISO 7064 MOD 11,10 (hybrid system), written from the standard's recurrence."""
    p = 10
    for ch in first14:
        s = (p + int(ch)) % 10 or 10
        p = (2 * s) % 11
    return str((11 - p) % 10)


# Public registration numbers listed as test data in ButterflyCabin/Groovy001,
# src/Java/RegexTest.java ("营业执照百度的15位").
PUBLIC_REGNOS = [
    "310117003171688",
    "330282602082220",
    "430524600099555",
    "350205200033663",
    "320507000045918",
    "440301104041144",
    "440307811872564",
    "130903000004802",
    "370125200024527",
    "330225000051892",
    "340100000400528",
    "445381600190918",
    "441900001868015",
    "310230000419464",
    "440301103072002",
    "320483000067847",
    "110108000000016",
    "320300000174110",
]


@pytest.mark.parametrize("code", PUBLIC_REGNOS)
def test_public_registration_numbers_are_valid(code: str) -> None:
    assert _ref_check_digit(code[:14]) == code[14]
    result = check_code(code)
    assert result.kind == "regno"
    assert result.valid
    assert result.errors == []


def test_wrong_check_digit_names_the_expected_digit() -> None:
    result = check_regno("110108000000017")
    assert not result.valid
    assert [p.reason for p in result.errors] == ["校验位应为 6，实为 7"]
    assert result.fails_only_check_digit


def test_details() -> None:
    details = check_regno("110108000000016").details
    assert details["division"]["name"] == "海淀区"
    assert details["check_digit"] == {"expected": "6", "actual": "6"}


@pytest.mark.parametrize(
    ("code", "error_code"), [("11010800000001", "length"), ("11010800000001A", "format")]
)
def test_malformed(code: str, error_code: str) -> None:
    result = check_regno(code)
    assert not result.valid
    assert result.details["error_codes"] == [error_code]
