"""Unified social credit code (统一社会信用代码, GB 32100-2015), RULES.md §10."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from stdnum.cn import uscc as stdnum_uscc

from xinyong.codes.rules import CodeCheck, check_code, check_uscc

DATA = Path(__file__).resolve().parents[1] / "data" / "uscc_valid.txt"


def _ref_check_char(first17: str) -> str:
    """Reference GB 32100 check character, written independently of the code under test."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, 16, …
    total = sum(alphabet.index(ch) * w for ch, w in zip(first17, weights, strict=True))
    return alphabet[-total % 31]


def _reasons(result: CodeCheck) -> list[str]:
    return [p.reason for p in result.errors]


# Valid vectors of RULES.md §10 (from python-stdnum).
@pytest.mark.parametrize(
    "code",
    [
        "91110000600037341L",
        "121200004013590816",
        "91620105L015101280",
        "92340602MA2PBMEM24",
        "9131012056010553X5",
    ],
)
def test_rules_valid_vectors(code: str) -> None:
    result = check_code(code)
    assert result.kind == "uscc"
    assert result.valid
    assert result.errors == []
    assert result.warnings == []
    assert result.details["check_digit"] == {"expected": code[-1], "actual": code[-1]}


def test_wrong_check_digit_names_the_expected_character() -> None:
    result = check_code("91110000600037341N")
    assert not result.valid
    assert _reasons(result) == ["校验位应为 L，实为 N"]
    assert result.errors[0].reason_en == "check character should be L, is N"
    assert result.errors[0].field == "code"
    assert result.details["error_codes"] == ["check_digit"]
    assert result.details["check_digit"] == {"expected": "L", "actual": "N"}
    assert result.fails_only_check_digit


def test_forbidden_characters_are_a_format_error() -> None:
    result = check_code("9111000060003IOZSV")
    assert result.kind == "uscc"
    assert not result.valid
    assert result.details["error_codes"] == ["charset"]
    (reason,) = _reasons(result)
    for position, char in [(14, "I"), (15, "O"), (16, "Z"), (17, "S"), (18, "V")]:
        assert f"第 {position} 位“{char}”" in reason
    assert not result.fails_only_check_digit


def test_wrong_length() -> None:
    result = check_uscc("12345")
    assert not result.valid
    assert _reasons(result) == ["统一社会信用代码应为 18 位，实为 5 位"]
    assert result.details["error_codes"] == ["length"]
    detected = check_code("12345")
    assert detected.kind == "unknown"
    assert not detected.valid


# Registration authorities A, N and Y are legal; python-stdnum rejects them. The check
# characters were computed with _ref_check_char and python-stdnum's calc_check_digit.
@pytest.mark.parametrize(
    ("code", "authority", "category"),
    [
        ("A1110000600037341K", "中央军委改革和编制办公室（军队）", "军队事业单位"),
        ("A93502006000373413", "中央军委改革和编制办公室（军队）", "其他"),
        ("N1350211600037341D", "农业", "组级集体经济组织"),
        ("N23501006000373417", "农业", "村级集体经济组织"),
        ("N31100006000373411", "农业", "乡镇级集体经济组织"),
        ("N9110000600037341E", "农业", "其他"),
        ("Y1110000600037341Y", "其他", "其他"),
    ],
)
def test_letter_registration_authorities_are_accepted(
    code: str, authority: str, category: str
) -> None:
    assert _ref_check_char(code[:17]) == code[17]
    assert stdnum_uscc.calc_check_digit(code) == code[17]
    assert not stdnum_uscc.is_valid(code)  # why the format check is our own
    result = check_code(code)
    assert result.kind == "uscc"
    assert result.valid, result.errors
    assert result.details["registration_authority"] == authority
    assert result.details["category"] == category


@pytest.mark.parametrize(
    ("code", "expected_kind", "category"),
    [
        ("91110000600037341L", "legal_person", "企业"),
        ("92340602MA2PBMEM24", "individual_business", "个体工商户"),
        ("93350200600037341N", "legal_person", "农民专业合作社"),
        ("51110000600037341Q", "social_organisation", "社会团体"),
        ("11110000600037341W", "public_body", "机关"),
        ("121200004013590816", "public_body", "事业单位"),
        ("A1350200600037341U", "public_body", "军队事业单位"),
    ],
)
def test_details_suggest_the_subject_kind(code: str, expected_kind: str, category: str) -> None:
    assert _ref_check_char(code[:17]) == code[17]
    result = check_code(code)
    assert result.valid
    assert result.details["subject_kind"] == expected_kind
    assert result.details["category"] == category


def test_details_name_authority_division_and_org_code() -> None:
    details = check_code("91350200600037341W").details
    assert details["registration_authority"] == "工商"
    assert details["category"] == "企业"
    assert details["division_code"] == "350200"
    assert details["division"]["name"] == "厦门市"
    assert details["org_code"] == "600037341"


@pytest.mark.parametrize("first17", ["95110000600037341", "9K110000600037341"])
def test_category_not_belonging_to_authority(first17: str) -> None:
    code = first17 + _ref_check_char(first17)
    result = check_code(code, "uscc")
    assert not result.valid
    assert result.details["error_codes"] == ["category"]
    assert f"第 2 位机构类别代码“{code[1]}”不属于登记管理部门“工商”" in _reasons(result)[0]
    assert "91、92、93" in _reasons(result)[0]


def test_unknown_registration_authority() -> None:
    code = "B1110000600037341" + _ref_check_char("B1110000600037341")
    result = check_code(code)
    assert result.kind == "uscc"
    assert result.details["error_codes"] == ["authority"]
    assert "第 1 位登记管理部门代码“B”不存在" in _reasons(result)[0]


def test_division_must_be_six_digits() -> None:
    code = "91A10000600037341" + _ref_check_char("91A10000600037341")
    result = check_code(code)
    assert not result.valid
    assert result.details["error_codes"] == ["division_format"]
    assert "6 位数字" in _reasons(result)[0]


def test_unknown_division_is_only_a_warning() -> None:
    code = "91990000600037341" + _ref_check_char("91990000600037341")
    result = check_code(code)
    assert result.valid
    assert result.errors == []
    assert result.details["warning_codes"] == ["division_unknown"]
    assert "990000" in result.warnings[0].reason
    assert result.warnings[0].level == "warning"


def test_embedded_org_code_check_failure_is_an_error() -> None:
    # 600037341 is a valid GB 11714 code; 60003734-2 is not (expected 1).
    code = "91110000600037342" + _ref_check_char("91110000600037342")
    assert code == "91110000600037342P"
    result = check_code(code)
    assert not result.valid
    assert result.details["error_codes"] == ["org_code_check_digit"]
    assert _reasons(result) == [
        "第 9–17 位主体标识码（组织机构代码）60003734-2 的校验位应为 1，实为 2"
    ]


def test_stdnum_vectors_all_pass() -> None:
    codes = [
        line.strip()
        for line in DATA.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(codes) == 383
    failing = [c for c in codes if not (r := check_code(c)).valid or r.kind != "uscc"]
    assert failing == []
    warned = [c for c in codes if check_code(c).warnings]
    assert warned == []


# hutool CreditCodeUtilTest (dromara/hutool,
# hutool-core/src/test/java/cn/hutool/core/util/CreditCodeUtilTest.java).
@pytest.mark.parametrize("code", ["91310115591693856A", "91310110666007217T"])
def test_hutool_valid_vectors(code: str) -> None:
    result = check_code(code)
    assert result.kind == "uscc"
    assert result.valid


# Early pilot codes: legal as issued but failing the check (RULES.md §10; hutool's
# isCreditCode2 uses 91350211M00013FA1N for the same reason).
@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("91350211M0000XUF46", "R"),
        ("91350100M0001TGQXM", "1"),
        ("91350203M0001FUE2P", "J"),
        ("91350211M00013FA1N", "3"),
    ],
)
def test_pilot_codes_fail_only_their_check_digit(code: str, expected: str) -> None:
    assert _ref_check_char(code[:17]) == expected
    result = check_code(code)
    assert not result.valid
    assert _reasons(result) == [f"校验位应为 {expected}，实为 {code[-1]}"]
    assert result.fails_only_check_digit


def test_as_dict_shape() -> None:
    data = check_code("91110000600037341N").as_dict()
    assert set(data) == {"code", "kind", "valid", "warnings", "errors", "details"}
    assert data["code"] == "91110000600037341N"
    assert data["kind"] == "uscc"
    assert data["valid"] is False
    assert data["errors"] == ["校验位应为 L，实为 N"]
    assert data["warnings"] == []
    assert orjson.loads(orjson.dumps(data)) == data
