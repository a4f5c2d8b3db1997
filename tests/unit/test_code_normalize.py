"""normalize_code: the form every code is compared and stored in."""

from __future__ import annotations

import pytest

from xinyong.codes.rules import check_code, normalize_code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("９１１１００００６０００３７３４１Ｌ", "91110000600037341L"),  # full-width
        (" 9111 0000\u3000600037341L\t\n", "91110000600037341L"),  # spaces, ideographic space
        ("\u200b91110000\u200c600037341L\ufeff\u2060", "91110000600037341L"),  # invisible
        ("91110000600037341l", "91110000600037341L"),
        ("44011320141005001x", "44011320141005001X"),  # resident ID x -> X
        ("12345678－9", "12345678-9"),  # full-width hyphen
        ("12345678–9", "12345678-9"),  # en dash
        ("12345678\u20119", "12345678-9"),  # non-breaking hyphen
        ("", ""),
    ],
)
def test_normalize_code(raw: str, expected: str) -> None:
    assert normalize_code(raw) == expected


def test_check_code_reports_the_normalised_code() -> None:
    result = check_code(" ９１１１００００６０００３７３４１ｌ\u200b ")
    assert result.code == "91110000600037341L"
    assert result.kind == "uscc"
    assert result.valid


def test_lowercase_x_resident_id_is_valid() -> None:
    result = check_code("44011320141005001x")
    assert result.code == "44011320141005001X"
    assert result.kind == "ric"
    assert result.valid
