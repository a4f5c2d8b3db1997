"""Organisation code (组织机构代码, GB 11714)."""

from __future__ import annotations

import pytest

from xinyong.codes.rules import check_code, check_org_code


def _ref_check_char(body: str) -> str:
    """Reference GB 11714 check character (0-9 and A-Z valued 0-35)."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    total = sum(digits.index(ch) * w for ch, w in zip(body, [3, 7, 9, 10, 5, 8, 4, 2], strict=True))
    return "0123456789X0"[11 - total % 11]


# Organisation codes embedded in valid USCCs of RULES.md §10.
@pytest.mark.parametrize(
    ("raw", "compact"),
    [
        ("600037341", "600037341"),
        ("60003734-1", "600037341"),
        ("MA2PBMEM-2", "MA2PBMEM2"),
        ("56010553-X", "56010553X"),
        ("l0151012-8", "L01510128"),
        ("40135908－1", "401359081"),
    ],
)
def test_valid_org_codes(raw: str, compact: str) -> None:
    assert _ref_check_char(compact[:8]) == compact[8]
    result = check_code(raw)
    assert result.kind == "org_code"
    assert result.valid
    assert result.code == compact
    assert result.details["formatted"] == f"{compact[:8]}-{compact[8]}"


def test_wrong_check_character() -> None:
    result = check_org_code("60003734-2")
    assert not result.valid
    assert [p.reason for p in result.errors] == ["校验位应为 1，实为 2"]
    assert result.fails_only_check_digit


@pytest.mark.parametrize(
    ("raw", "error_code"),
    [
        ("6000373", "length"),
        ("6000-3734-1", "length"),
        ("600$3734-1", "format"),
        ("60003734-Y", "format"),
    ],
)
def test_malformed_org_codes(raw: str, error_code: str) -> None:
    result = check_org_code(raw)
    assert not result.valid
    assert error_code in result.details["error_codes"]
    assert not result.fails_only_check_digit
    assert all(p.reason for p in result.errors)
