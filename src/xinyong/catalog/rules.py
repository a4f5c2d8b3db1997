"""Pure rules on the values of one record under a catalog item: validation and
normalisation, the public view, and sealing of personal data. No database.

- ``validate_values`` checks mandatory and conditionally mandatory fields, types,
  enumerations, lengths and dates, and returns normalised values (dates as ``date``,
  amounts as ``Decimal``, multi-valued enumerations as lists) with the problems found.
  ``compile_validator`` gives the same check as a callable prepared once per item, for
  bulk loading (``validate_values`` uses it too, cached per item).
- ``public_view`` gives what public surfaces may show: public fields only, personal
  values de-identified by their mask (RULES.md §11).
- ``seal_personal`` splits values into clear (non-personal) values and sealed
  (encrypted) personal ones, so personal values are never stored in clear.

Identifier check digits are not checked here: ``code_checker`` plugs them in.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Final

import orjson

from xinyong.catalog.schema import (
    CatalogItem,
    Condition,
    FieldSpec,
    RequiredGroup,
    normalise_token,
)
from xinyong.errors import Problem
from xinyong.privacy.crypto import DataVault

CodeChecker = Callable[[str], tuple[list[Problem], list[Problem]]]
"""Checks one identifier; returns (errors, warnings)."""

CodeCheckers = CodeChecker | Mapping[str, CodeChecker] | None
"""One checker for every identifier field, or one per scheme, or none."""

# 有效期至 2099/12/31 means long-term (RULES.md §3); 长期 is written for it too.
LONG_TERM = dt.date(2099, 12, 31)
LONG_TERM_WORDS = frozenset({"长期", "长期有效", "永久", "永久有效", "无期限", "无固定期限"})

# Values of a 证件类型 field under which an id_number is a resident ID (居民身份证).
RESIDENT_ID_TYPES = frozenset({"身份证", "居民身份证"})

MULTI_SEPARATORS = re.compile(r"[、;；,，]")

# Placeholders departments' collection files use for "no value". A field holding one (after
# ``clean_text``) is blank: a required field is then reported missing (为必填项) and an
# optional one stays empty. Free text (string, text) counts only the unambiguous ones,
# since 无 or - may be the real content; an enumeration value or alias wins over a
# placeholder (an enum may list 无 as a value).
_NO_VALUE_TEXT = frozenset({"N/A", "n/a", "NULL", "null", "None"})
_NO_VALUE_ANY = _NO_VALUE_TEXT | {"NA", "无", "暂无", "-", "--", "—", "——", "／", "/"}
NO_VALUE_PLACEHOLDERS: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "string": _NO_VALUE_TEXT,
        "text": _NO_VALUE_TEXT,
        "decimal": _NO_VALUE_ANY,
        "integer": _NO_VALUE_ANY,
        "date": _NO_VALUE_ANY,
        "code": _NO_VALUE_ANY,
        "id_number": _NO_VALUE_ANY,
        "enum": _NO_VALUE_ANY,
    }
)

_ASCII_FOLD = {
    **{0xFF10 + i: 0x30 + i for i in range(10)},  # ０-９
    **{0xFF21 + i: 0x41 + i for i in range(26)},  # Ａ-Ｚ
    **{0xFF41 + i: 0x61 + i for i in range(26)},  # ａ-ｚ
    0x3000: 0x20,  # ideographic space
    0x00A0: 0x20,  # no-break space
}
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"), "-")
_SPACES = re.compile(r"[ \t\f\v]+")
_ANY_SPACE = re.compile(r"\s+")
_RESIDENT_ID = re.compile(r"\d{17}[\dX]|\d{15}")
_ID_SHAPE = re.compile(r"[0-9A-Z()\-]+")

_DATE_PATTERNS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),
)
_TIME_SUFFIX = re.compile(r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$")
DATE_FORMATS_HINT = "2024-03-05、2024/03/05、20240305、2024年3月5日 或 长期"

# Spreadsheet serial day numbers (Excel, WPS: day 1 is 1900-01-01, with 1900 wrongly taken
# for a leap year, so counting from 1899-12-30 is right from 1900-03-01 on). Only numbers in
# this range are read as dates: 20000 is 1954-10-03, 80000 is 2119-01-10.
_SERIAL_EPOCH = dt.date(1899, 12, 30)
_SERIAL_RANGE = (20000, 80000)


# --- text normalisation ------------------------------------------------------------------


# Invisible format characters (Unicode category Cf) that spreadsheets and web forms leave
# behind: soft hyphen, zero-width (non-)joiners and spaces, direction marks, BOM.
_FORMAT_SET = frozenset(
    chr(code)
    for first, last in (
        (0x00AD, 0x00AD),
        (0x061C, 0x061C),
        (0x180E, 0x180E),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x2064),
        (0x2066, 0x206F),
        (0xFEFF, 0xFEFF),
    )
    for code in range(first, last + 1)
)
_FORMAT_CLASS = "".join(sorted(_FORMAT_SET))
_FORMAT_CHARS = re.compile(f"[{_FORMAT_CLASS}]")
_FOLDED_CLASS = "".join(map(chr, sorted(_ASCII_FOLD)))

# Text that ``clean_text`` would change, found by one search (most values are clean
# already, and searching is much cheaper than cleaning). Single-line: a full-width or
# format character, whitespace other than one space, two spaces, a space at either end.
_UNCLEAN_LINE = re.compile(f"[{_FOLDED_CLASS}{_FORMAT_CLASS}]|[^\\S ]|  |\\A |\\s\\Z")
# Multi-line: the same, but line breaks are kept unless they touch other whitespace.
_UNCLEAN_TEXT = re.compile(
    f"[{_FOLDED_CLASS}{_FORMAT_CLASS}\\t\\f\\v\\r]|  |[^\\S\\n]\\n|\\n[^\\S\\n]|\\A\\s|\\s\\Z"
)


def _without_format_chars(text: str) -> str:
    return _FORMAT_CHARS.sub("", text)


def clean_text(value: str, *, multiline: bool = False) -> str:
    """Full-width digits, letters and spaces to half-width; invisible characters removed;
    runs of spaces collapsed (line breaks kept in ``multiline`` text); trimmed.
    Chinese punctuation such as （） is kept as written."""
    if not (_UNCLEAN_TEXT if multiline else _UNCLEAN_LINE).search(value):
        return value
    text = _without_format_chars(value.translate(_ASCII_FOLD))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if multiline:
        lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
        return "\n".join(lines).strip()
    return _ANY_SPACE.sub(" ", text).strip()


def clean_code(value: str) -> str:
    """An identifier as compared and stored: NFKC, dashes unified, no whitespace, upper."""
    if value.isascii():  # NFKC, dashes and format characters concern non-ASCII only
        return "".join(value.split()).upper()
    text = unicodedata.normalize("NFKC", value).translate(_DASHES)
    return "".join(_without_format_chars(text).split()).upper()


def _as_text(value: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a number typed into a spreadsheet text column
    return str(value)


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        if value and not value[0].isspace() and value[0] not in _FORMAT_SET:
            return False  # starts with a visible character
        return not _without_format_chars(value).strip()
    if isinstance(value, list | tuple):
        return all(is_blank(v) for v in value)
    return False


def is_placeholder(spec: FieldSpec, value: Any) -> bool:
    """Whether ``value`` is a "no value" placeholder for a field of ``spec``'s type
    (``NO_VALUE_PLACEHOLDERS``); an enumeration value or alias is never one."""
    if not isinstance(value, str):
        return False
    text = clean_text(value, multiline=spec.type == "text")
    if text not in NO_VALUE_PLACEHOLDERS[spec.type]:
        return False
    return spec.type != "enum" or normalise_token(text) not in spec.enum_lookup()


def _is_blank_for(spec: FieldSpec, value: Any) -> bool:
    return is_blank(value) or is_placeholder(spec, value)


# --- dates -------------------------------------------------------------------------------


def parse_date(value: Any) -> dt.date | None:
    """A date from the formats departments send (see ``DATE_FORMATS_HINT``); 长期 and
    2099/12/31 give ``LONG_TERM``; ``None`` when the text is not a valid date.

    A number (as a spreadsheet cell gives it) between 20000 and 80000 is a spreadsheet
    serial day number (45356 is 2024-03-05); other whole numbers are read as text
    (20240305)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float) and not value.is_integer():
        if value == value and _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1]:
            return _SERIAL_EPOCH + dt.timedelta(days=int(value))  # the time of day dropped
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = int(value)
        if _SERIAL_RANGE[0] <= number <= _SERIAL_RANGE[1]:
            return _SERIAL_EPOCH + dt.timedelta(days=number)
        value = str(number)
    if not isinstance(value, str):
        return None
    return _parse_date_text(value)


@lru_cache(maxsize=8192)  # bulk files repeat the same few hundred dates
def _parse_date_text(value: str) -> dt.date | None:
    text = clean_text(unicodedata.normalize("NFKC", value).translate(_DASHES))
    if text in LONG_TERM_WORDS:
        return LONG_TERM
    text = _TIME_SUFFIX.sub("", text).strip()
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            try:
                return dt.date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return None
    return None


# --- amounts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParsedAmount:
    """An amount as written for a field in 万元 (``parse_amount``)."""

    number: Decimal  # in 万元
    currency: str | None  # the currency named next to the number, as written (美元)
    from_yuan: bool  # written in 元 (of its currency) and converted: ÷ 10000


# The unit after the number, longest first, with the power of ten to 万元. No unit: 万元.
_AMOUNT_UNITS = (("万元", 0), ("万", 0), ("亿元", 4), ("亿", 4), ("元", -4))
_AMOUNT = re.compile(r"([^\d.+\-]*)([+-]?(?:\d+(?:\.\d*)?|\.\d+))(\D*)")
_BRACKETED = re.compile(r"([^()]*)\(([^()]*)\)")
# Currencies a field in 万元 without a ``currency_field`` accepts: it is in 人民币.
_RMB_TOKENS = frozenset({"人民币", "rmb", "cny"})


def parse_amount(value: str) -> ParsedAmount | None:
    """An amount for a field in 万元 as departments write it: ``5,000(万元人民币)``,
    ``5,000（万元人民币）``, ``211.5(万元美元)``, ``100万元``, ``100 万``, ``1.2亿元``,
    ``人民币 5000 万元``, full-width digits. A bare number is in 万元; one in 元 or in a
    currency without 万 (``50000元``, ``5000美元``) is converted (÷ 10000, ``from_yuan``).
    ``None`` when the text is not an amount."""
    text = unicodedata.normalize("NFKC", clean_text(value))
    text = "".join(text.split()).replace(",", "")
    if "(" in text or ")" in text:
        bracketed = _BRACKETED.fullmatch(text)
        if bracketed is None:
            return None
        text = bracketed[1] + bracketed[2]
    match = _AMOUNT.fullmatch(text)
    if match is None:
        return None
    before, digits, after = match.groups()
    unit, shift = None, 0
    for name, power in _AMOUNT_UNITS:
        if after.startswith(name):
            unit, after, shift = name, after[len(name) :], power
            break
    if before and after:
        return None
    if (before or after) and unit is None:
        shift = -4  # 5000美元, 人民币5000: in units of the currency (元), not 万
    number = Decimal(digits)  # the pattern admits decimal digits only
    if shift:
        number = Decimal(f"{number.scaleb(shift).normalize():f}")
    return ParsedAmount(number, before or after or None, shift < 0)


# --- one value ---------------------------------------------------------------------------


def _problem(spec: FieldSpec, zh: str, en: str, level: str = "error") -> Problem:
    return Problem(spec.code, f"{spec.label()}{zh}", f"{spec.code}: {en}", level)  # type: ignore[arg-type]


_Normalised = tuple[Any, Problem | None]
_NOTHING: _Normalised = (None, None)


@dataclass(frozen=True, slots=True)
class _Amount:
    """What reading an amount gives besides its number: a note (warning) and currency."""

    note: Problem | None = None
    currency: str | None = None


_NO_AMOUNT_EXTRA = _Amount()


class _FieldRules:
    """How one field's values are normalised, prepared once (compiled pattern, label,
    lookup tables, a cache of results for repeated values)."""

    __slots__ = (
        "_cache",
        "amount",
        "code",
        "enum_table",
        "kind",
        "label",
        "pattern",
        "placeholders",
        "spec",
    )

    CACHE_SIZE = 4096

    def __init__(self, spec: FieldSpec) -> None:
        self.spec = spec
        self.code = spec.code
        self.kind = spec.type
        self.label = spec.label()
        self.pattern = re.compile(spec.pattern) if spec.pattern is not None else None
        self.placeholders = NO_VALUE_PLACEHOLDERS[spec.type]
        self.amount = spec.in_wan_yuan
        self.enum_table = spec.enum_lookup()
        self._cache: dict[str, tuple[Any, Problem | None, _Amount]] = {}

    def problem(self, zh: str, en: str, level: str = "error") -> Problem:
        return Problem(self.code, f"{self.label}{zh}", f"{self.code}: {en}", level)  # type: ignore[arg-type]

    def placeholder(self, value: Any) -> bool:
        return is_placeholder(self.spec, value)

    def normalise(self, value: Any) -> tuple[Any, Problem | None, _Amount]:
        """``value`` (not blank) as stored, or the error saying why it cannot be; a
        placeholder gives no value and no error. Amounts also give a note and a currency."""
        kind = self.kind
        if kind == "string" or kind == "text":
            text = clean_text(_as_text(value), multiline=kind == "text")
            if text in self.placeholders:
                return None, None, _NO_AMOUNT_EXTRA
            problem = self._check_length(text)
            return (None, problem, _NO_AMOUNT_EXTRA) if problem else (text, None, _NO_AMOUNT_EXTRA)
        if kind == "code" or kind == "id_number":
            return (*self._code(value), _NO_AMOUNT_EXTRA)
        if type(value) is not str:
            return self._normalise(value)
        cache = self._cache
        found = cache.get(value)
        if found is None:
            if len(cache) >= self.CACHE_SIZE:
                cache.clear()
            found = cache[value] = self._normalise(value)
        if type(found[0]) is list:  # a multi-valued enumeration: the caller's own list
            return list(found[0]), found[1], found[2]
        return found

    def _normalise(self, value: Any) -> tuple[Any, Problem | None, _Amount]:
        kind = self.kind
        if kind == "date":
            parsed = parse_date(value)
            if parsed is not None:
                return parsed, None, _NO_AMOUNT_EXTRA
            if self.placeholder(value):
                return None, None, _NO_AMOUNT_EXTRA
            unrecognised = self.problem(
                f"无法识别为日期：「{value}」，可用格式：{DATE_FORMATS_HINT}",
                f"unrecognised date {value!r}",
            )
            return None, unrecognised, _NO_AMOUNT_EXTRA
        if kind == "decimal" or kind == "integer":
            number, problem, extra = self._decimal(value)
            if problem is not None and self.placeholder(value):
                return None, None, _NO_AMOUNT_EXTRA
            if kind == "decimal" or problem is not None or number is None:
                return number, problem, extra
            if number != number.to_integral_value():
                fraction = self.problem(
                    f"应为整数，实际为 {value}", f"expected an integer, got {value}"
                )
                return None, fraction, _NO_AMOUNT_EXTRA
            return int(number), None, extra
        chosen, problem = self._enum(value)
        if problem is not None and self.placeholder(value):
            return None, None, _NO_AMOUNT_EXTRA
        return chosen, problem, _NO_AMOUNT_EXTRA

    def _check_length(self, text: str) -> Problem | None:
        spec = self.spec
        if spec.max_length is not None and len(text) > spec.max_length:
            return self.problem(
                f"过长：最多 {spec.max_length} 个字符，实际 {len(text)} 个",
                f"too long: {len(text)} characters, at most {spec.max_length}",
            )
        if self.pattern is not None and not self.pattern.fullmatch(text):
            return self.problem(f"格式不符：「{text}」", f"{text!r} does not match {spec.pattern}")
        return None

    def _code(self, value: Any) -> _Normalised:
        text = clean_code(_as_text(value))
        if len(text) <= 4 and self.placeholder(value):
            return _NOTHING
        problem = self._check_length(text)
        if problem is None and self.kind == "id_number" and not _ID_SHAPE.fullmatch(text):
            problem = self.problem(
                f"含有不允许的字符：「{text}」",
                f"{text!r} contains characters not allowed in an ID number",
            )
        return (None, problem) if problem else (text, None)

    def _not_a_number(self, value: Any) -> Problem:
        unit = f"（单位：{self.spec.unit}）" if self.spec.unit else ""
        return self.problem(
            f"应为数字{unit}，实际为「{value}」", f"expected a number, got {value!r}"
        )

    def _decimal(self, value: Any) -> tuple[Decimal | None, Problem | None, _Amount]:
        spec = self.spec
        extra = _NO_AMOUNT_EXTRA
        if isinstance(value, bool):
            number = None
        elif isinstance(value, Decimal):
            number = value
        elif isinstance(value, int):
            number = Decimal(value)
        elif isinstance(value, float):
            number = Decimal(repr(value))
        else:
            text = clean_text(str(value)).replace(",", "").replace(" ", "")
            if spec.unit and text.endswith(spec.unit):
                text = text[: -len(spec.unit)]
            try:
                number = Decimal(text)
            except InvalidOperation:
                number = None
                if self.amount:
                    number, extra, problem = self._amount(str(value))
                    if problem is not None:
                        return None, problem, _NO_AMOUNT_EXTRA
        if number is None or not number.is_finite():
            return None, self._not_a_number(value), _NO_AMOUNT_EXTRA
        if spec.minimum is not None and number < spec.minimum:
            problem = self.problem(
                f"不能小于 {spec.minimum}", f"must be at least {spec.minimum}, got {number}"
            )
            return None, problem, _NO_AMOUNT_EXTRA
        if spec.maximum is not None and number > spec.maximum:
            problem = self.problem(
                f"不能大于 {spec.maximum}", f"must be at most {spec.maximum}, got {number}"
            )
            return None, problem, _NO_AMOUNT_EXTRA
        if spec.decimal_places is not None:
            exponent = number.as_tuple().exponent
            if isinstance(exponent, int) and -exponent > spec.decimal_places:
                problem = self.problem(
                    f"最多保留 {spec.decimal_places} 位小数",
                    f"at most {spec.decimal_places} decimal places",
                )
                return None, problem, _NO_AMOUNT_EXTRA
        suspect_at = spec.yuan_suspect_at
        if suspect_at is not None and number >= suspect_at and extra.note is None:
            note = self.problem(
                f"为 {number} 万元，数值偏大，疑似按元填报，请核实",
                f"{number} 万元 (ten thousand yuan) is unusually large; "
                "probably entered in yuan, please check",
                "warning",
            )
            extra = _Amount(note, extra.currency)
        return number, None, extra

    def _amount(self, text: str) -> tuple[Decimal | None, _Amount, Problem | None]:
        parsed = parse_amount(text)
        if parsed is None:
            return None, _NO_AMOUNT_EXTRA, None  # reported as not a number
        currency = parsed.currency
        if (
            currency is not None
            and self.spec.currency_field is None
            and normalise_token(currency) not in _RMB_TOKENS
        ):
            problem = self.problem(
                f"应为人民币金额（单位：万元），实际为「{text}」",
                f"expected an amount in 万元 of 人民币, got {text!r}",
            )
            return None, _NO_AMOUNT_EXTRA, problem
        note = None
        if parsed.from_yuan:
            note = self.problem(
                f"按元填写（「{text}」），已换算为 {parsed.number} 万元",
                f"given in yuan ({text!r}); converted to {parsed.number} 万元",
                "warning",
            )
        if self.spec.currency_field is None:
            currency = None
        return parsed.number, _Amount(note, currency), None

    def _enum(self, value: Any) -> _Normalised:
        spec = self.spec
        table = self.enum_table
        multi = spec.multi

        def bad(token: str) -> Problem:
            allowed = "、".join(spec.enum_values)
            return self.problem(
                f"取值「{token}」无效，应为 {allowed} {'中的一项或多项' if multi else '之一'}",
                f"invalid value {token!r}; allowed: {', '.join(spec.enum_values)}",
            )

        if isinstance(value, list | tuple):
            tokens = [_as_text(v) for v in value]
        else:
            text = clean_text(_as_text(value))
            whole = table.get(normalise_token(text))
            if whole is not None:
                return ([whole] if multi else whole), None
            if not multi:
                return None, bad(text)
            tokens = MULTI_SEPARATORS.split(text)
        if not multi and len(tokens) != 1:
            return None, bad("、".join(tokens))
        chosen: list[str] = []
        for token in tokens:
            token = clean_text(token)
            if not token:
                continue
            found = table.get(normalise_token(token))
            if found is None:
                return None, bad(token)
            if found not in chosen:
                chosen.append(found)
        if not chosen:
            return _NOTHING
        return (chosen if multi else chosen[0]), None


def normalise_value(spec: FieldSpec, value: Any) -> tuple[Any, Problem | None]:
    """``value`` (not blank) as stored for ``spec``, or a problem saying why it cannot be.
    A "no value" placeholder (``NO_VALUE_PLACEHOLDERS``) gives ``(None, None)``. Notes on
    amounts (converted from 元, suspiciously large) are left to ``validate_values``."""
    normalised, problem, _ = _FieldRules(spec).normalise(value)
    return normalised, problem


# --- conditions --------------------------------------------------------------------------


def _as_strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(_json_value(v)) for v in value]
    return [str(_json_value(value))]


def condition_holds(cond: Condition, values: Mapping[str, Any]) -> bool:
    """Whether ``cond`` holds for the (normalised) ``values``."""
    if cond.any_of is not None:
        return any(condition_holds(sub, values) for sub in cond.any_of)
    if cond.all_of is not None:
        return all(condition_holds(sub, values) for sub in cond.all_of)
    assert cond.field is not None
    raw = values.get(cond.field)
    present = not is_blank(raw)
    if cond.present is not None:
        return present == cond.present
    have = _as_strings(raw) if present else []
    if cond.equals is not None:
        return cond.equals in have
    if cond.not_equals is not None:
        return cond.not_equals not in have
    if cond.contains is not None:
        return any(cond.contains in v for v in have)
    if cond.in_ is not None:
        return any(v in cond.in_ for v in have)
    return False


_Test = Callable[[Mapping[str, Any]], bool]


def _filled(raw: Any) -> list[str]:
    """The values of a field as text, for conditions; empty when the field is blank."""
    if raw is None:
        return []
    if type(raw) is str:
        return [] if is_blank(raw) else [raw]
    return [] if is_blank(raw) else _as_strings(raw)


def _compile_condition(cond: Condition) -> _Test:
    """``condition_holds`` for ``cond`` as a function prepared once (same results)."""
    if cond.any_of is not None:
        any_of = tuple(map(_compile_condition, cond.any_of))
        return lambda values: any(test(values) for test in any_of)
    if cond.all_of is not None:
        all_of = tuple(map(_compile_condition, cond.all_of))
        return lambda values: all(test(values) for test in all_of)
    assert cond.field is not None
    name = cond.field
    if cond.present is not None:
        present = cond.present
        return lambda values: (not is_blank(values.get(name))) == present
    if cond.equals is not None:
        equals = cond.equals
        return lambda values: equals in _filled(values.get(name))
    if cond.not_equals is not None:
        not_equals = cond.not_equals
        return lambda values: not_equals not in _filled(values.get(name))
    if cond.contains is not None:
        contains = cond.contains
        return lambda values: any(contains in v for v in _filled(values.get(name)))
    if cond.in_ is not None:
        in_ = cond.in_
        return lambda values: any(v in in_ for v in _filled(values.get(name)))
    return lambda values: False


def describe_condition(item: CatalogItem, cond: Condition) -> tuple[str, str]:
    """The condition in words: (Chinese, English)."""
    if cond.any_of is not None or cond.all_of is not None:
        parts = [describe_condition(item, sub) for sub in cond.any_of or cond.all_of or ()]
        joiner, joiner_en = ("或", " or ") if cond.any_of is not None else ("且", " and ")
        return joiner.join(p[0] for p in parts), joiner_en.join(p[1] for p in parts)
    assert cond.field is not None
    name = item.field(cond.field).label() if item.has_field(cond.field) else cond.field
    code = cond.field
    if cond.present is not None:
        if cond.present:
            return f"填写了{name}", f"{code} is filled"
        return f"未填写{name}", f"{code} is empty"
    if cond.equals is not None:
        return f"{name}为「{cond.equals}」", f"{code} is {cond.equals!r}"
    if cond.not_equals is not None:
        return f"{name}不为「{cond.not_equals}」", f"{code} is not {cond.not_equals!r}"
    if cond.contains is not None:
        return f"{name}包含「{cond.contains}」", f"{code} contains {cond.contains!r}"
    options = "」或「".join(cond.in_ or ())
    return f"{name}为「{options}」", f"{code} in {list(cond.in_ or ())}"


def is_personal(spec: FieldSpec, values: Mapping[str, Any]) -> bool:
    """Whether this field holds data about a natural person in this record."""
    if isinstance(spec.personal, bool):
        return spec.personal
    return condition_holds(spec.personal, values)


# --- validation --------------------------------------------------------------------------


@dataclass
class ValidatedValues:
    """Normalised values of one record and the problems found (errors and warnings)."""

    values: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors


def _checker_for(spec: FieldSpec, code_checker: CodeCheckers) -> CodeChecker | None:
    if code_checker is None or spec.scheme is None:
        return None
    if isinstance(code_checker, Mapping):
        return code_checker.get(spec.scheme)
    return code_checker


_NO_DEFAULT: Any = object()


class _FieldPlan(_FieldRules):
    """A field as the validator of its item sees it."""

    __slots__ = (
        "currency",
        "default",
        "required",
        "required_when",
        "when_text",
    )

    def __init__(self, item: CatalogItem, spec: FieldSpec) -> None:
        super().__init__(spec)
        self.default: Any = _NO_DEFAULT
        if spec.default is not None:
            self.default = self.normalise(spec.default)[0]
        self.required = spec.required
        self.required_when = (
            _compile_condition(spec.required_when) if spec.required_when is not None else None
        )
        self.when_text = (
            describe_condition(item, spec.required_when)
            if spec.required_when is not None
            else ("", "")
        )
        self.currency = item.field(spec.currency_field) if spec.currency_field is not None else None

    def default_value(self) -> Any:
        default = self.default
        return list(default) if type(default) is list else default


@dataclass(frozen=True, slots=True)
class _GroupPlan:
    codes: tuple[str, ...]
    when: _Test | None
    reason: str | None = None  # None: a field is unknown, the message is built when needed
    reason_en: str = ""


class ItemValidator:
    """``validate_values`` for one catalog item, prepared once: field lookups, compiled
    conditions, message texts and caches of normalised values. Build it with
    ``compile_validator``; call it once per record (thread-safe)."""

    COLUMN_CACHE_SIZE = 1024

    def __init__(self, item: CatalogItem) -> None:
        self.item = item
        plans = [_FieldPlan(item, spec) for spec in item.fields]
        self._fields = tuple(plans)
        self._by_spec = {id(plan.spec): plan for plan in plans}
        self._identifiers = tuple(p for p in plans if p.kind in ("code", "id_number"))
        self._required = tuple(p for p in plans if p.required or p.required_when is not None)
        self._with_currency = tuple(p for p in plans if p.currency is not None)
        # References to unknown fields (only in items not checked by the loader) are
        # looked up when used, as they always were, so they fail or pass the same way.
        self._not_before = tuple(
            (p, item.field(p.spec.not_before))
            for p in plans
            if p.spec.not_before is not None and item.has_field(p.spec.not_before)
        )
        self._groups = tuple(
            _GroupPlan(
                group.fields,
                _compile_condition(group.when) if group.when is not None else None,
                *(self._group_reason(group) if all(map(item.has_field, group.fields)) else ()),
            )
            for group in item.required_any_of
        )
        self._decision = (
            item.field(item.decision_date_field)
            if item.has_field(item.decision_date_field)
            else None
        )
        self._columns: dict[str, _FieldPlan | None] = {}

    def _group_reason(self, group: RequiredGroup) -> tuple[str, str]:
        item = self.item
        names = "、".join(item.field(code).label() for code in group.fields)
        when, when_en = (
            describe_condition(item, group.when) if group.when is not None else ("", "always")
        )
        prefix = f"{when}时，" if when else ""
        return (
            f"{prefix}{names}至少须填写一项",
            f"at least one of {', '.join(group.fields)} is required when {when_en}",
        )

    def _column(self, key: Any) -> _FieldPlan | None:
        if type(key) is not str:
            return self._resolve(key)
        columns = self._columns
        try:
            return columns[key]
        except KeyError:
            if len(columns) >= self.COLUMN_CACHE_SIZE:
                columns.clear()
            plan = columns[key] = self._resolve(key)
            return plan

    def _resolve(self, key: Any) -> _FieldPlan | None:
        spec = self.item.resolve_column(str(key))
        return None if spec is None else self._by_spec[id(spec)]

    def __call__(
        self,
        raw: Mapping[str, Any],
        *,
        today: dt.date,
        code_checker: CodeCheckers = None,
    ) -> ValidatedValues:
        item = self.item
        problems: list[Problem] = []
        given: dict[str, Any] = {}
        for key, value in raw.items():
            plan = self._column(key)
            if plan is None:
                if not is_blank(value):
                    problems.append(
                        Problem(
                            str(key),
                            f"事项「{item.name}」没有字段「{key}」，已忽略",
                            f"item {item.code} has no field {key!r}; ignored",
                            "warning",
                        )
                    )
                continue
            code = plan.code
            if code in given:
                before = given[code]
                if not _is_blank_for(plan.spec, before):
                    if not _is_blank_for(plan.spec, value) and value != before:
                        problems.append(
                            plan.problem(
                                f"重复出现且取值不同（「{before}」与「{value}」）",
                                f"given twice with different values ({before!r}, {value!r})",
                            )
                        )
                    continue
            given[code] = value

        values: dict[str, Any] = {}
        invalid: set[str] = set()
        currencies: dict[str, str] | None = None
        for plan in self._fields:
            code = plan.code
            value = given.get(code)
            if value is None or is_blank(value):
                if plan.default is not _NO_DEFAULT:
                    values[code] = plan.default_value()
                continue
            normalised, problem, extra = plan.normalise(value)
            if problem is not None:
                problems.append(problem)
                invalid.add(code)
                continue
            if normalised is not None and normalised != "" and normalised != []:
                values[code] = normalised
            elif plan.default is not _NO_DEFAULT:
                values[code] = plan.default_value()
            if extra is not _NO_AMOUNT_EXTRA:
                if extra.note is not None:
                    problems.append(extra.note)
                if extra.currency is not None:
                    currencies = currencies or {}
                    currencies[code] = extra.currency

        if currencies is not None:
            self._apply_currencies(currencies, given, values, invalid, problems)

        for plan in self._identifiers:
            code = plan.code
            if code not in values:
                continue
            spec = plan.spec
            text = str(values[code])
            resident = plan.kind == "id_number" and _is_resident_id(spec, values)
            if resident and not _RESIDENT_ID.fullmatch(text):
                problems.append(
                    plan.problem(
                        "应为 18 位居民身份证号码（末位可为 X；旧号码 15 位）",
                        f"{text!r} is not shaped like a resident ID number",
                    )
                )
                invalid.add(code)
                del values[code]
                continue
            if plan.kind == "id_number" and spec.scheme == "ric" and not resident:
                continue  # a passport or permit number: no resident-ID check
            checker = _checker_for(spec, code_checker)
            if checker is None:
                continue
            errors, warnings = checker(text)
            for p in errors:
                problems.append(
                    replace(p, field=code, reason=f"{plan.label}{p.reason}", level="error")
                )
            for p in warnings:
                problems.append(
                    replace(p, field=code, reason=f"{plan.label}{p.reason}", level="warning")
                )
            if errors:
                invalid.add(code)
                del values[code]

        for plan in self._required:
            code = plan.code
            if code in values or code in invalid:
                continue
            if plan.required:
                problems.append(plan.problem("为必填项", "is required"))
            elif plan.required_when is not None and plan.required_when(values):
                when, when_en = plan.when_text
                problems.append(
                    Problem(
                        code,
                        f"{when}时，{plan.label}为必填项",
                        f"{code} is required when {when_en}",
                    )
                )

        for index, group in enumerate(self._groups):
            if group.when is not None and not group.when(values):
                continue
            if any(code in values or code in invalid for code in group.codes):
                continue
            if group.reason is None:
                reason, reason_en = self._group_reason(item.required_any_of[index])
            else:
                reason, reason_en = group.reason, group.reason_en
            problems.append(Problem(group.codes[0], reason, reason_en))

        for plan, other in self._not_before:
            code = plan.code
            if code not in values:
                continue
            earlier = values.get(plan.spec.not_before)  # type: ignore[arg-type]
            if isinstance(earlier, dt.date) and values[code] < earlier:
                problems.append(
                    plan.problem(
                        f"（{values[code]}）不能早于{other.label()}（{earlier}）",
                        f"{values[code]} is before {other.code} {earlier}",
                    )
                )

        decided = values.get(item.decision_date_field)
        if isinstance(decided, dt.date) and decided > today:
            problems.append(
                _problem(
                    self._decision or item.field(item.decision_date_field),
                    f"（{decided}）晚于今天（{today}），决定日期不能在将来",
                    f"{decided} is in the future (today {today})",
                )
            )
        return ValidatedValues(values, problems)

    def _apply_currencies(
        self,
        currencies: Mapping[str, str],
        given: Mapping[str, Any],
        values: dict[str, Any],
        invalid: set[str],
        problems: list[Problem],
    ) -> None:
        """A currency written with an amount (5000（万元美元）) fills the item's currency
        field when that is blank; when both are given they must agree."""
        filled = False
        for plan in self._with_currency:
            written = currencies.get(plan.code)
            target = plan.currency
            if written is None or target is None or plan.code not in values:
                continue
            currency = target.enum_lookup().get(normalise_token(written))
            if currency is None:
                allowed = "、".join(target.enum_values)
                problems.append(
                    plan.problem(
                        f"写明的币种「{written}」不是{target.label()}的可选值（{allowed}）",
                        f"currency {written!r} is not a value of {target.code} ({allowed})",
                    )
                )
            elif target.code in invalid:
                continue
            elif not _is_blank_for(target, given.get(target.code)):
                stated = values.get(target.code)
                if stated == currency:
                    continue
                problems.append(
                    plan.problem(
                        f"写明的币种「{currency}」与{target.label()}「{stated}」不一致",
                        f"currency {currency!r} differs from {target.code} {stated!r}",
                    )
                )
            else:
                values[target.code] = currency
                filled = True
                continue
            invalid.add(plan.code)
            del values[plan.code]
        if filled:  # keep the values in field order
            ordered = {p.code: values[p.code] for p in self._fields if p.code in values}
            values.clear()
            values.update(ordered)


def _is_resident_id(spec: FieldSpec, values: Mapping[str, Any]) -> bool:
    if spec.id_type_field is None:
        return spec.scheme in (None, "ric")
    doc_type = values.get(spec.id_type_field)
    return doc_type is None or doc_type in RESIDENT_ID_TYPES


_VALIDATORS: dict[int, tuple[CatalogItem, ItemValidator]] = {}
_VALIDATORS_SIZE = 256


def compile_validator(item: CatalogItem) -> ItemValidator:
    """The validator of ``item`` (prepared once per item object and kept): call it as
    ``validator(raw, today=…, code_checker=…)``; it gives what ``validate_values`` gives."""
    # Keyed by identity: an item is immutable, and hashing a whole pydantic model on every
    # record would cost more than the validation saves. The entry holds the item, so its
    # id is not reused while the entry lives.
    entry = _VALIDATORS.get(id(item))
    if entry is not None and entry[0] is item:
        return entry[1]
    validator = ItemValidator(item)
    if len(_VALIDATORS) >= _VALIDATORS_SIZE:
        _VALIDATORS.clear()
    _VALIDATORS[id(item)] = (item, validator)
    return validator


def validate_values(
    item: CatalogItem,
    raw: Mapping[str, Any],
    *,
    today: dt.date,
    code_checker: CodeCheckers = None,
) -> ValidatedValues:
    """Check and normalise one record's values for ``item``.

    ``raw`` is keyed by field code, name or alias (as ``resolve_column`` understands
    them). "No value" placeholders (N/A, 无, - …: ``NO_VALUE_PLACEHOLDERS``) count as
    blank. ``code_checker`` checks identifiers of fields of type code/id_number that
    declare a ``scheme``: either one callable for all of them or a mapping from scheme
    (``uscc``, ``org_code``, ``regno``, ``ric``) to callable. A resident-ID check runs
    only when the field's 证件类型 is empty or 身份证.

    Amounts in 万元 accept a unit and currency (5,000（万元人民币）); one written in 元 is
    converted with a warning, one at or above the field's ``yuan_suspect_at`` is warned
    about, and a currency fills the field's ``currency_field`` when that is blank.
    """
    return compile_validator(item)(raw, today=today, code_checker=code_checker)


# --- JSON form ---------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def to_jsonable(item: CatalogItem, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` of ``item``'s fields as JSON values (dates YYYY-MM-DD, amounts as text),
    in field order."""
    return {
        spec.code: _json_value(values[spec.code])
        for spec in item.fields
        if values.get(spec.code) is not None
    }


def _restore_value(spec: FieldSpec, value: Any) -> Any:
    if value is None:
        return None
    if spec.type == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if spec.type == "decimal" and not isinstance(value, Decimal):
        return Decimal(str(value))
    if spec.type == "integer" and not isinstance(value, int):
        return int(value)
    if spec.type == "enum" and spec.multi and isinstance(value, tuple):
        return list(value)
    return value


def restore_values(item: CatalogItem, data: Mapping[str, Any]) -> dict[str, Any]:
    """The typed values (``date``, ``Decimal``) of JSON ``data``, in field order."""
    return {
        spec.code: _restore_value(spec, data[spec.code])
        for spec in item.fields
        if data.get(spec.code) is not None
    }


# --- public view -------------------------------------------------------------------------


def _masked(spec: FieldSpec, json_value: Any) -> str | None:
    text = "、".join(json_value) if isinstance(json_value, list) else str(json_value)
    return spec.mask_rule().apply(text)


def public_view(item: CatalogItem, values: Mapping[str, Any]) -> dict[str, Any]:
    """What public surfaces may show: fields marked public, in field order, personal
    values masked by their rule (hidden ones left out), as JSON values."""
    shown: dict[str, Any] = {}
    for spec in item.fields:
        if not spec.public:
            continue
        value = values.get(spec.code)
        if is_blank(value):
            continue
        json_value = _json_value(value)
        if is_personal(spec, values):
            masked = _masked(spec, json_value)
            if masked is None:
                continue
            shown[spec.code] = masked
        else:
            shown[spec.code] = json_value
    return shown


# --- sealing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SealedValues:
    """One record's values split for storage; personal values exist only sealed."""

    clear: dict[str, Any]  # non-personal values, JSON
    sealed: dict[str, str]  # field code → DataVault.seal(JSON of the value)
    masked: dict[str, str]  # field code → public (masked) form; hidden fields absent
    hashes: dict[str, str]  # id_number field code → keyed lookup hash


def seal_personal(item: CatalogItem, values: Mapping[str, Any], vault: DataVault) -> SealedValues:
    """Split ``values``: personal ones sealed (with their masked form and, for ID
    numbers, a lookup hash ``vault.lookup_hash(field code, value)``), the rest clear."""
    clear: dict[str, Any] = {}
    sealed: dict[str, str] = {}
    masked: dict[str, str] = {}
    hashes: dict[str, str] = {}
    for spec in item.fields:
        value = values.get(spec.code)
        if value is None or is_blank(value):
            continue
        json_value = _json_value(value)
        if spec.personal is False:
            clear[spec.code] = json_value
            continue
        if not is_personal(spec, values):
            clear[spec.code] = json_value
            continue
        sealed[spec.code] = vault.seal(orjson.dumps(json_value).decode())
        public_form = _masked(spec, json_value)
        if public_form is not None:
            masked[spec.code] = public_form
        if spec.type == "id_number":
            hashes[spec.code] = vault.lookup_hash(spec.code, str(json_value))
    return SealedValues(clear, sealed, masked, hashes)


def open_personal(
    item: CatalogItem,
    sealed: Mapping[str, str],
    vault: DataVault,
    *,
    clear: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The typed values again: ``clear`` plus the unsealed personal values, in field
    order. For staff reads; the caller records the read in the audit trail."""
    opened: dict[str, Any] = dict(clear or {})
    for code, token in sealed.items():
        opened[code] = orjson.loads(vault.unseal(token))
    return restore_values(item, opened)
