"""Identifier checks for credit subjects (RULES.md §10). Pure: no database.

Kinds of code:

- ``uscc``: 统一社会信用代码, GB 32100-2015, 18 characters.
- ``org_code``: 组织机构代码, GB 11714, 8 characters + check (``XXXXXXXX-X`` or without hyphen).
- ``ric``: 居民身份证号码, GB 11643, 18 characters.
- ``ric15``: the legacy 15-digit 身份证号码 (6 region + YYMMDD + 3 sequence, no check digit).
- ``regno``: the old 15-digit 工商注册号 (GS 15-2006), check digit per GB/T 17710
  (ISO 7064 MOD 11,10).
- ``unknown``: anything else.

Division codes (GB/T 2260) come from python-stdnum's bundled ``stdnum/cn/loc.dat``, which
keeps abolished divisions; a code absent from it is only a warning, because issued codes
keep the division of the day (RULES.md §10, "check division codes leniently").
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from stdnum.iso7064 import mod_11_10

from xinyong.errors import Problem, ValidationFailed

KINDS = ("uscc", "org_code", "ric", "ric15", "regno", "unknown")

KIND_LABELS = {
    "uscc": "统一社会信用代码",
    "org_code": "组织机构代码",
    "ric": "居民身份证号码",
    "ric15": "15 位居民身份证号码",
    "regno": "工商注册号",
    "unknown": "无法识别的代码",
}

# Machine-readable names of the checks that failed, listed in ``details["error_codes"]``.
# A code failing only these is "well-formed but with a wrong check character".
CHECK_DIGIT_ERRORS = frozenset({"check_digit", "org_code_check_digit"})

_FIELD = "code"

# --- normalisation -----------------------------------------------------------------------

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"), "-")


@lru_cache(maxsize=65_536)  # bulk loads repeat the same codes on many rows
def normalize_code(raw: str) -> str:
    """The code as compared and stored.

    NFKC (full-width letters, digits and spaces to half-width), every kind of dash to
    ``-``, all whitespace and invisible format characters (zero-width space, BOM…)
    removed, upper case (so a resident ID's ``x`` becomes ``X``).
    """
    text = unicodedata.normalize("NFKC", raw).translate(_DASHES)
    kept = (ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf")
    return "".join(kept).upper()


# --- result ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of checking one code: errors make it invalid, warnings do not."""

    code: str  # normalised
    kind: str
    valid: bool
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON: reasons as Chinese strings, for scripts and the CLI."""
        return {
            "code": self.code,
            "kind": self.kind,
            "valid": self.valid,
            "warnings": [p.reason for p in self.warnings],
            "errors": [p.reason for p in self.errors],
            "details": self.details,
        }

    @property
    def error_codes(self) -> list[str]:
        codes: list[str] = self.details.get("error_codes", [])
        return codes

    @property
    def fails_only_check_digit(self) -> bool:
        """Well-formed, but a check character is wrong (the case of early pilot codes)."""
        return bool(self.errors) and set(self.error_codes) <= CHECK_DIGIT_ERRORS


class _Collector:
    """Gathers problems and machine-readable failure names while a check runs."""

    def __init__(self, code: str, kind: str) -> None:
        self.code = code
        self.kind = kind
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self.error_codes: list[str] = []
        self.warning_codes: list[str] = []
        self.details: dict[str, Any] = {"kind_label": KIND_LABELS[kind]}

    def error(self, name: str, reason: str, reason_en: str) -> None:
        self.errors.append(Problem(_FIELD, reason, reason_en, "error"))
        self.error_codes.append(name)

    def warn(self, name: str, reason: str, reason_en: str) -> None:
        self.warnings.append(Problem(_FIELD, reason, reason_en, "warning"))
        self.warning_codes.append(name)

    def result(self) -> CodeCheck:
        details = dict(self.details)
        details["error_codes"] = list(self.error_codes)
        details["warning_codes"] = list(self.warning_codes)
        return CodeCheck(
            code=self.code,
            kind=self.kind,
            valid=not self.errors,
            errors=list(self.errors),
            warnings=list(self.warnings),
            details=details,
        )


# --- administrative divisions (GB/T 2260) ------------------------------------------------


def _compare_check(c: _Collector, expected: str, actual: str) -> None:
    """Record the check character and, when wrong, an error naming the expected one."""
    c.details["check_digit"] = {"expected": expected, "actual": actual}
    if actual != expected:
        c.error(
            "check_digit",
            f"校验位应为 {expected}，实为 {actual}",
            f"check character should be {expected}, is {actual}",
        )


@dataclass(frozen=True)
class Division:
    code: str
    province: str
    name: str  # the name of the latest period
    abolished: bool  # every period in the table has ended


_PERIOD = re.compile(r"^\[(\d*)-(\d*)\](.*)$")
_LOC_LINE = re.compile(r'^(?P<indent> *)(?P<key>\d+) (?:province|county)="(?P<value>[^"]*)"$')


@lru_cache(maxsize=1)
def _divisions() -> dict[str, Division]:
    """Division codes from python-stdnum's ``cn/loc.dat`` (the data ``stdnum.cn.ric`` uses).

    The file lists a province line (``35 province="福建省"``) followed by indented
    4-digit county lines (``  0200 county="厦门市"``); a county value may hold several
    comma-separated periods such as ``[1983-2002]杏林区,[2003-]海沧区``.
    """
    table: dict[str, Division] = {}
    resource = importlib.resources.files("stdnum").joinpath("cn/loc.dat")
    province_code = ""
    province = ""
    for line in resource.read_text(encoding="utf-8").splitlines():
        match = _LOC_LINE.match(line)
        if not match:
            continue
        if not match["indent"]:
            province_code, province = match["key"], match["value"]
            continue
        names: list[str] = []
        ended = True
        for period in match["value"].split(","):
            timed = _PERIOD.match(period)
            if timed:
                names.append(timed[3])
                ended = ended and bool(timed[2])
            else:
                names.append(period)
                ended = False
        code = province_code + match["key"]
        table[code] = Division(code, province, names[-1], ended)
    return table


@lru_cache(maxsize=1)
def _provinces() -> dict[str, str]:
    return {code[:2]: division.province for code, division in _divisions().items()}


# Registration authorities at national level use 100000 in the USCC (no GB/T 2260 entry).
_NATIONAL = "100000"


def lookup_division(code: str) -> dict[str, Any] | None:
    """Facts about a 6-digit division code, or None when the table does not know it.

    A province-level (``350000``) or prefecture-level (``350200``) code counts as known
    when the province, or any county of that prefecture, is in the table.
    """
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    if code == _NATIONAL:
        return {"code": code, "province": None, "name": "国家级", "abolished": False}
    table = _divisions()
    found = table.get(code)
    if found is not None:
        return {
            "code": code,
            "province": found.province,
            "name": found.name,
            "abolished": found.abolished,
        }
    province = _provinces().get(code[:2])
    if province is not None and code.endswith("0000"):
        return {"code": code, "province": province, "name": province, "abolished": False}
    if province is not None and code.endswith("00") and any(c.startswith(code[:4]) for c in table):
        return {"code": code, "province": province, "name": None, "abolished": False}
    return None


def _check_division(c: _Collector, division: str, what: str, what_en: str) -> None:
    found = lookup_division(division)
    c.details["division_code"] = division
    c.details["division"] = found
    if found is None:
        c.warn(
            "division_unknown",
            f"{what} {division} 不在行政区划代码表（GB/T 2260）中，请核实",
            f"{what_en} {division} is not in the GB/T 2260 division table",
        )


# --- GB 11714 organisation code ----------------------------------------------------------

ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_BODY = re.compile(r"[0-9A-Z]{8}")


def org_code_check_char(body: str) -> str:
    """The GB 11714 check character of an 8-character body (0–9, A–Z valued 0–35)."""
    total = sum(int(ch, 36) * w for ch, w in zip(body, ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def check_org_code(code: str) -> CodeCheck:
    """组织机构代码 (GB 11714): 8 digits/letters + check digit or X, hyphen optional."""
    norm = normalize_code(code)
    compact = norm[:8] + norm[9:] if len(norm) == 10 and norm[8] == "-" else norm
    c = _Collector(compact, "org_code")
    if len(compact) != 9:
        c.error(
            "length",
            f"组织机构代码应为 9 位（可写作 XXXXXXXX-X），实为 {len(norm)} 位",
            f"organisation code must have 9 characters (XXXXXXXX-X), got {len(norm)}",
        )
        return c.result()
    body, check = compact[:8], compact[8]
    if not _ORG_BODY.fullmatch(body):
        c.error(
            "format",
            "组织机构代码前 8 位只能是数字或大写字母",
            "the first 8 characters of an organisation code must be digits or letters",
        )
    if not (check.isascii() and (check.isdigit() or check == "X")):
        c.error(
            "format",
            f"组织机构代码第 9 位校验码只能是数字或 X，实为 {check}",
            f"organisation code check character must be a digit or X, got {check}",
        )
    if c.errors:
        return c.result()
    expected = org_code_check_char(body)
    c.details["formatted"] = f"{body}-{check}"
    _compare_check(c, expected, check)
    return c.result()


# --- GB 32100 unified social credit code -------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# 登记管理部门 → (name, {机构类别: name}) (RULES.md §10).
AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": (
        "机构编制",
        {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"},
    ),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": (
        "旅游",
        {
            "1": "外国旅游部门常驻代表机构",
            "2": "港澳台地区旅游部门常驻内地（大陆）代表机构",
            "9": "其他",
        },
    ),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室（军队）", {"1": "军队事业单位", "9": "其他"}),
    "N": (
        "农业",
        {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"},
    ),
    "Y": ("其他", {"1": "其他"}),
}

# Subject kinds (the values of xinyong.subjects.rules.SubjectKind) by USCC prefix.
SUBJECT_KIND_LABELS = {
    "legal_person": "法人及非法人组织",
    "individual_business": "个体工商户",
    "public_body": "机关事业单位",
    "social_organisation": "社会组织",
}
_PREFIX_SUBJECT_KIND = {
    "11": "public_body",
    "12": "public_body",
    "13": "public_body",
    "19": "public_body",
    "A1": "public_body",
    "51": "social_organisation",
    "52": "social_organisation",
    "53": "social_organisation",
    "59": "social_organisation",
    "92": "individual_business",
}


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters."""
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_subject_kind(code: str) -> str:
    """The likely subject kind of a USCC from its first two characters."""
    return _PREFIX_SUBJECT_KIND.get(code[:2], "legal_person")


def check_uscc(code: str) -> CodeCheck:
    """统一社会信用代码 (GB 32100-2015)."""
    norm = normalize_code(code)
    c = _Collector(norm, "uscc")
    if len(norm) != 18:
        c.error(
            "length",
            f"统一社会信用代码应为 18 位，实为 {len(norm)} 位",
            f"a USCC must have 18 characters, got {len(norm)}",
        )
        return c.result()
    bad = [(i + 1, ch) for i, ch in enumerate(norm) if ch not in USCC_ALPHABET]
    if bad:
        listed = "、".join(f"第 {i} 位“{ch}”" for i, ch in bad)
        listed_en = ", ".join(f"{ch!r} at {i}" for i, ch in bad)
        c.error(
            "charset",
            f"含有统一社会信用代码不使用的字符：{listed}"
            "（只用数字和除 I、O、Z、S、V 外的大写字母）",
            f"characters not allowed in a USCC: {listed_en}",
        )

    authority, category = norm[0], norm[1]
    if authority in AUTHORITIES:
        authority_name, categories = AUTHORITIES[authority]
        c.details["registration_authority"] = authority_name
        if category in categories:
            c.details["category"] = categories[category]
            c.details["subject_kind"] = uscc_subject_kind(norm)
            c.details["subject_kind_label"] = SUBJECT_KIND_LABELS[c.details["subject_kind"]]
        else:
            allowed = "、".join(authority + k for k in categories)
            c.error(
                "category",
                f"第 2 位机构类别代码“{category}”不属于登记管理部门“{authority_name}”"
                f"（应为 {allowed}）",
                f"category {category!r} does not exist for registration authority "
                f"{authority!r} (allowed: {allowed})",
            )
    else:
        c.error(
            "authority",
            f"第 1 位登记管理部门代码“{authority}”不存在（应为 {'、'.join(AUTHORITIES)} 之一）",
            f"registration authority {authority!r} does not exist",
        )

    division = norm[2:8]
    if division.isascii() and division.isdigit():
        _check_division(c, division, "登记管理机关行政区划码", "division code")
    else:
        c.error(
            "division_format",
            f"第 3–8 位登记管理机关行政区划码应为 6 位数字，实为“{division}”",
            f"positions 3-8 (division code) must be 6 digits, got {division!r}",
        )

    org = norm[8:17]
    c.details["org_code"] = org
    if all(ch in USCC_ALPHABET for ch in org):
        expected_org = org_code_check_char(org[:8])
        if org[8] != expected_org:
            c.error(
                "org_code_check_digit",
                f"第 9–17 位主体标识码（组织机构代码）{org[:8]}-{org[8]} 的校验位"
                f"应为 {expected_org}，实为 {org[8]}",
                f"embedded organisation code {org[:8]}-{org[8]}: check character should be "
                f"{expected_org}, is {org[8]}",
            )

    if not bad:
        expected = uscc_check_char(norm[:17])
        _compare_check(c, expected, norm[17])
    return c.result()


# --- GB 11643 resident identity numbers --------------------------------------------------

RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RIC_CHECK_CHARS = "10X98765432"
_RIC = re.compile(r"[0-9]{17}[0-9X]")
_DIGITS = re.compile(r"[0-9]+")


def ric_check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    total = sum(int(ch) * w for ch, w in zip(first17, RIC_WEIGHTS, strict=True))
    return RIC_CHECK_CHARS[total % 11]


def _parse_date(yyyymmdd: str) -> dt.date | None:
    if not _DIGITS.fullmatch(yyyymmdd) or len(yyyymmdd) != 8:
        return None
    try:
        return dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return None


def _check_birth_date(c: _Collector, raw: str, today: dt.date | None) -> None:
    born = _parse_date(raw)
    if born is None:
        c.error(
            "birth_date",
            f"出生日期 {raw} 不是有效日期",
            f"birth date {raw} is not a valid date",
        )
        return
    c.details["birth_date"] = born.isoformat()
    if born > (today or dt.date.today()):
        c.error(
            "birth_date_future",
            f"出生日期 {born.isoformat()} 晚于今天",
            f"birth date {born.isoformat()} is in the future",
        )


def check_ric(code: str, *, today: dt.date | None = None) -> CodeCheck:
    """居民身份证号码 (GB 11643): region, birth date, sequence, check character."""
    norm = normalize_code(code)
    c = _Collector(norm, "ric")
    if len(norm) != 18:
        hint = "（15 位的旧号码请按 15 位身份证号码校验）" if len(norm) == 15 else ""
        c.error(
            "length",
            f"居民身份证号码应为 18 位，实为 {len(norm)} 位{hint}",
            f"a resident ID number must have 18 characters, got {len(norm)}",
        )
        return c.result()
    if not _RIC.fullmatch(norm):
        bad = [(i + 1, ch) for i, ch in enumerate(norm[:17]) if ch not in "0123456789"]
        if norm[17] not in "0123456789X":
            bad.append((18, norm[17]))
        listed = "、".join(f"第 {i} 位为“{ch}”" for i, ch in bad)
        listed_en = ", ".join(f"{ch!r} at {i}" for i, ch in bad)
        c.error(
            "format",
            f"居民身份证号码前 17 位应为数字，第 18 位应为数字或 X：{listed}",
            f"a resident ID number is 17 digits and a digit or X: {listed_en}",
        )
        return c.result()
    _check_division(c, norm[:6], "第 1–6 位地址码", "region code")
    _check_birth_date(c, norm[6:14], today)
    expected = ric_check_char(norm[:17])
    _compare_check(c, expected, norm[17])
    return c.result()


def ric15_to_ric(code: str) -> str:
    """The 18-digit form of a 15-digit resident ID (century 19, check character added)."""
    first17 = code[:6] + "19" + code[6:]
    return first17 + ric_check_char(first17)


def check_ric15(code: str, *, today: dt.date | None = None) -> CodeCheck:
    """The legacy 15-digit 身份证号码: 6 region + YYMMDD (19YY) + 3 sequence, no check."""
    norm = normalize_code(code)
    c = _Collector(norm, "ric15")
    if len(norm) != 15 or not _DIGITS.fullmatch(norm):
        c.error(
            "format" if len(norm) == 15 else "length",
            f"15 位居民身份证号码应为 15 位数字，实为“{norm}”",
            f"a 15-digit resident ID number must be 15 digits, got {len(norm)} characters",
        )
        return c.result()
    _check_division(c, norm[:6], "第 1–6 位地址码", "region code")
    _check_birth_date(c, "19" + norm[6:12], today)
    if not c.errors:
        c.details["ric18"] = ric15_to_ric(norm)
    return c.result()


# --- GS 15-2006 registration number (工商注册号) -------------------------------------------


def regno_check_char(first14: str) -> str:
    """The GB/T 17710 (ISO 7064 MOD 11,10) check digit of the first 14 digits."""
    check: str = mod_11_10.calc_check_digit(first14)
    return check


def check_regno(code: str) -> CodeCheck:
    """The old 15-digit 工商注册号: 6-digit authority division, 8 sequence, 1 check."""
    norm = normalize_code(code)
    c = _Collector(norm, "regno")
    if len(norm) != 15:
        c.error(
            "length",
            f"工商注册号应为 15 位，实为 {len(norm)} 位",
            f"a registration number must have 15 digits, got {len(norm)}",
        )
        return c.result()
    if not _DIGITS.fullmatch(norm):
        c.error(
            "format",
            "工商注册号应为 15 位数字",
            "a registration number must be 15 digits",
        )
        return c.result()
    _check_division(c, norm[:6], "第 1–6 位登记机关行政区划码", "authority division code")
    expected = regno_check_char(norm[:14])
    _compare_check(c, expected, norm[14])
    return c.result()


# --- detection and dispatch --------------------------------------------------------------


def _uscc_prefix_ok(code: str) -> bool:
    authority = AUTHORITIES.get(code[0])
    return authority is not None and code[1] in authority[1]


def _detect(code: str) -> tuple[str, str | None]:
    """(kind, another kind the code would also pass as, if any)."""
    n = len(code)
    if n == 18:
        if _RIC.fullmatch(code):
            ric_ok = _parse_date(code[6:14]) is not None and ric_check_char(code[:17]) == code[17]
            uscc_ok = _uscc_prefix_ok(code) and uscc_check_char(code[:17]) == code[17]
            if ric_ok:
                return "ric", "uscc" if uscc_ok else None
            if uscc_ok:
                return "uscc", None
            # Neither passes: report against the standard the code resembles more.
            if not _uscc_prefix_ok(code) or _parse_date(code[6:14]) is not None:
                return "ric", None
            return "uscc", None
        # e.g. T60426199101010078: one stray character in an otherwise ID-shaped number
        # that is no passing USCC either.
        non_digits = sum(ch not in "0123456789" for ch in code[:17])
        if (
            non_digits <= 1
            and _parse_date(code[6:14]) is not None
            and not (
                all(ch in USCC_ALPHABET for ch in code)
                and _uscc_prefix_ok(code)
                and uscc_check_char(code[:17]) == code[17]
            )
        ):
            return "ric", None
        return "uscc", None
    if n == 15:
        if not _DIGITS.fullmatch(code):
            return "regno", None
        regno_ok = regno_check_char(code[:14]) == code[14]
        date_ok = _parse_date("19" + code[6:12]) is not None
        if regno_ok:
            return "regno", "ric15" if date_ok else None
        if date_ok:
            return "ric15", None
        return "regno", None
    if n == 9 or (n == 10 and code[8] == "-"):
        return "org_code", None
    return "unknown", None


def detect_kind(code: str) -> str:
    """The most likely kind of ``code`` (normalised first), by length, shape and checks."""
    return _detect(normalize_code(code))[0]


_AMBIGUOUS = {
    ("regno", "ric15"): (
        "该 15 位代码同时符合 15 位居民身份证号码的格式，请确认代码类型",
        "this 15-digit code is also a well-formed 15-digit resident ID number",
    ),
    ("ric", "uscc"): (
        "该 18 位代码同时符合统一社会信用代码的校验规则，请确认代码类型",
        "this 18-digit code also passes the USCC check",
    ),
}


def check_code(code: str, kind: str | None = None, *, today: dt.date | None = None) -> CodeCheck:
    """Check ``code`` as ``kind``, or as the kind it most likely is.

    ``today`` (default: the current date) bounds birth dates in resident IDs.
    """
    norm = normalize_code(code)
    also: str | None = None
    if kind is None:
        kind, also = _detect(norm)
    elif kind not in KINDS:
        raise ValidationFailed(
            f"代码类型 {kind} 不受支持（应为 {'、'.join(KINDS)} 之一）",
            f"unsupported code kind {kind!r}",
            field="kind",
        )
    if kind == "uscc":
        result = check_uscc(norm)
    elif kind == "org_code":
        result = check_org_code(norm)
    elif kind == "ric":
        result = check_ric(norm, today=today)
    elif kind == "ric15":
        result = check_ric15(norm, today=today)
    elif kind == "regno":
        result = check_regno(norm)
    else:
        c = _Collector(norm, "unknown")
        if not norm:
            c.error("empty", "代码为空", "the code is empty")
        else:
            c.error(
                "length",
                f"无法识别的代码（{len(norm)} 位）：统一社会信用代码和身份证号码为 18 位，"
                "工商注册号和旧身份证号码为 15 位，组织机构代码为 9 位",
                f"unrecognised code of {len(norm)} characters (expected 18, 15 or 9)",
            )
        return c.result()
    if also is not None and result.valid:
        reason, reason_en = _AMBIGUOUS[(kind, also)]
        details = dict(result.details)
        details["warning_codes"] = [*details["warning_codes"], "ambiguous_kind"]
        details["also_valid_as"] = also
        result = replace(
            result,
            warnings=[*result.warnings, Problem(_FIELD, reason, reason_en, "warning")],
            details=details,
        )
    return result


def district_name(code: str | None) -> str | None:
    """The name of a 6-digit division code (思明区 for 350203), or None when unknown."""
    if not code:
        return None
    found = lookup_division(code)
    return found["name"] if found else None


def region_districts(region: str) -> list[tuple[str, str]]:
    """The current county-level divisions of a prefecture (``350200`` → 思明区, …) or of
    a province (``350000`` → every county), as (code, name), in code order."""
    prefix = region[:2] if region.endswith("0000") else region[:4]
    return [
        (code, division.name)
        for code, division in sorted(_divisions().items())
        if code.startswith(prefix)
        and not division.abolished
        and not code.endswith("00")
        and division.name != "市辖区"  # a statistical placeholder, not a district
    ]
