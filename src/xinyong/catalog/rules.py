"""Pure rules on the values of one record under a catalog item: validation and
normalisation, the public view, and sealing of personal data. No database.

- ``validate_values`` checks mandatory and conditionally mandatory fields, types,
  enumerations, lengths and dates, and returns normalised values (dates as ``date``,
  amounts as ``Decimal``, multi-valued enumerations as lists) with the problems found.
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
from typing import Any

import orjson

from xinyong.catalog.schema import CatalogItem, Condition, FieldSpec, normalise_token
from xinyong.errors import Problem
from xinyong.privacy.crypto import DataVault

CodeChecker = Callable[[str], tuple[list[Problem], list[Problem]]]
"""Checks one identifier; returns (errors, warnings)."""

# 有效期至 2099/12/31 means long-term (RULES.md §3); 长期 is written for it too.
LONG_TERM = dt.date(2099, 12, 31)
LONG_TERM_WORDS = frozenset({"长期", "长期有效", "永久", "永久有效", "无期限", "无固定期限"})

# Values of a 证件类型 field under which an id_number is a resident ID (居民身份证).
RESIDENT_ID_TYPES = frozenset({"身份证", "居民身份证"})

MULTI_SEPARATORS = re.compile(r"[、;；,，]")

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


# --- text normalisation ------------------------------------------------------------------


# Invisible format characters (Unicode category Cf) that spreadsheets and web forms leave
# behind: soft hyphen, zero-width (non-)joiners and spaces, direction marks, BOM.
_FORMAT_CHARS = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)


def _without_format_chars(text: str) -> str:
    return _FORMAT_CHARS.sub("", text)


def clean_text(value: str, *, multiline: bool = False) -> str:
    """Full-width digits, letters and spaces to half-width; invisible characters removed;
    runs of spaces collapsed (line breaks kept in ``multiline`` text); trimmed.
    Chinese punctuation such as （） is kept as written."""
    text = _without_format_chars(value.translate(_ASCII_FOLD))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if multiline:
        lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
        return "\n".join(lines).strip()
    return _ANY_SPACE.sub(" ", text).strip()


def clean_code(value: str) -> str:
    """An identifier as compared and stored: NFKC, dashes unified, no whitespace, upper."""
    text = unicodedata.normalize("NFKC", value).translate(_DASHES)
    return "".join(ch for ch in _without_format_chars(text) if not ch.isspace()).upper()


def _as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a number typed into a spreadsheet text column
    return str(value)


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not _without_format_chars(value).strip()
    if isinstance(value, list | tuple):
        return all(is_blank(v) for v in value)
    return False


# --- dates -------------------------------------------------------------------------------


def parse_date(value: Any) -> dt.date | None:
    """A date from the formats departments send (see ``DATE_FORMATS_HINT``); 长期 and
    2099/12/31 give ``LONG_TERM``; ``None`` when the text is not a valid date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
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


# --- one value ---------------------------------------------------------------------------


def _problem(spec: FieldSpec, zh: str, en: str, level: str = "error") -> Problem:
    return Problem(spec.code, f"{spec.label()}{zh}", f"{spec.code}: {en}", level)  # type: ignore[arg-type]


def _check_length(spec: FieldSpec, text: str) -> Problem | None:
    if spec.max_length is not None and len(text) > spec.max_length:
        return _problem(
            spec,
            f"过长：最多 {spec.max_length} 个字符，实际 {len(text)} 个",
            f"too long: {len(text)} characters, at most {spec.max_length}",
        )
    if spec.pattern is not None and not re.fullmatch(spec.pattern, text):
        return _problem(spec, f"格式不符：「{text}」", f"{text!r} does not match {spec.pattern}")
    return None


def _decimal(spec: FieldSpec, value: Any) -> tuple[Decimal | None, Problem | None]:
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
    if number is None or not number.is_finite():
        unit = f"（单位：{spec.unit}）" if spec.unit else ""
        return None, _problem(
            spec, f"应为数字{unit}，实际为「{value}」", f"expected a number, got {value!r}"
        )
    if spec.minimum is not None and number < spec.minimum:
        return None, _problem(
            spec, f"不能小于 {spec.minimum}", f"must be at least {spec.minimum}, got {number}"
        )
    if spec.maximum is not None and number > spec.maximum:
        return None, _problem(
            spec, f"不能大于 {spec.maximum}", f"must be at most {spec.maximum}, got {number}"
        )
    if spec.decimal_places is not None:
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > spec.decimal_places:
            return None, _problem(
                spec,
                f"最多保留 {spec.decimal_places} 位小数",
                f"at most {spec.decimal_places} decimal places",
            )
    return number, None


def _enum(spec: FieldSpec, value: Any) -> tuple[Any, Problem | None]:
    table = spec.enum_lookup()
    allowed = "、".join(spec.enum_values)

    def bad(token: str) -> Problem:
        return _problem(
            spec,
            f"取值「{token}」无效，应为 {allowed} {'中的一项或多项' if spec.multi else '之一'}",
            f"invalid value {token!r}; allowed: {', '.join(spec.enum_values)}",
        )

    if isinstance(value, list | tuple):
        tokens = [_as_text(v) for v in value]
    else:
        text = clean_text(_as_text(value))
        whole = table.get(normalise_token(text))
        if whole is not None:
            return ([whole] if spec.multi else whole), None
        if not spec.multi:
            return None, bad(text)
        tokens = MULTI_SEPARATORS.split(text)
    if not spec.multi and len(tokens) != 1:
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
        return None, None
    return (chosen if spec.multi else chosen[0]), None


def normalise_value(spec: FieldSpec, value: Any) -> tuple[Any, Problem | None]:
    """``value`` (not blank) as stored for ``spec``, or a problem saying why it cannot be."""
    kind = spec.type
    if kind in ("string", "text"):
        text = clean_text(_as_text(value), multiline=kind == "text")
        problem = _check_length(spec, text)
        return (None, problem) if problem else (text, None)
    if kind in ("code", "id_number"):
        text = clean_code(_as_text(value))
        problem = _check_length(spec, text)
        if problem is None and kind == "id_number" and not _ID_SHAPE.fullmatch(text):
            problem = _problem(
                spec,
                f"含有不允许的字符：「{text}」",
                f"{text!r} contains characters not allowed in an ID number",
            )
        return (None, problem) if problem else (text, None)
    if kind == "date":
        parsed = parse_date(value)
        if parsed is None:
            return None, _problem(
                spec,
                f"无法识别为日期：「{value}」，可用格式：{DATE_FORMATS_HINT}",
                f"unrecognised date {value!r}",
            )
        return parsed, None
    if kind == "decimal":
        return _decimal(spec, value)
    if kind == "integer":
        number, problem = _decimal(spec, value)
        if problem is not None or number is None:
            return None, problem
        if number != number.to_integral_value():
            return None, _problem(
                spec, f"应为整数，实际为 {value}", f"expected an integer, got {value}"
            )
        return int(number), None
    return _enum(spec, value)


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


def _is_resident_id(spec: FieldSpec, values: Mapping[str, Any]) -> bool:
    if spec.id_type_field is None:
        return spec.scheme in (None, "ric")
    doc_type = values.get(spec.id_type_field)
    return doc_type is None or doc_type in RESIDENT_ID_TYPES


def _checker_for(
    spec: FieldSpec, code_checker: CodeChecker | Mapping[str, CodeChecker] | None
) -> CodeChecker | None:
    if code_checker is None or spec.scheme is None:
        return None
    if isinstance(code_checker, Mapping):
        return code_checker.get(spec.scheme)
    return code_checker


def validate_values(
    item: CatalogItem,
    raw: Mapping[str, Any],
    *,
    today: dt.date,
    code_checker: CodeChecker | Mapping[str, CodeChecker] | None = None,
) -> ValidatedValues:
    """Check and normalise one record's values for ``item``.

    ``raw`` is keyed by field code, name or alias (as ``resolve_column`` understands
    them). ``code_checker`` checks identifiers of fields of type code/id_number that
    declare a ``scheme``: either one callable for all of them or a mapping from scheme
    (``uscc``, ``org_code``, ``regno``, ``ric``) to callable. A resident-ID check runs
    only when the field's 证件类型 is empty or 身份证.
    """
    problems: list[Problem] = []
    given: dict[str, Any] = {}
    for key, value in raw.items():
        spec = item.resolve_column(str(key))
        if spec is None:
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
        if spec.code in given and not is_blank(given[spec.code]):
            if not is_blank(value) and value != given[spec.code]:
                problems.append(
                    _problem(
                        spec,
                        f"重复出现且取值不同（「{given[spec.code]}」与「{value}」）",
                        f"given twice with different values ({given[spec.code]!r}, {value!r})",
                    )
                )
            continue
        given[spec.code] = value

    values: dict[str, Any] = {}
    invalid: set[str] = set()
    for spec in item.fields:
        value = given.get(spec.code)
        if is_blank(value):
            if spec.default is not None:
                values[spec.code] = normalise_value(spec, spec.default)[0]
            continue
        normalised, problem = normalise_value(spec, value)
        if problem is not None:
            problems.append(problem)
            invalid.add(spec.code)
        elif normalised is not None and normalised not in ("", []):
            values[spec.code] = normalised
        elif spec.default is not None:
            values[spec.code] = normalise_value(spec, spec.default)[0]

    for spec in item.fields:
        if spec.type not in ("code", "id_number") or spec.code not in values:
            continue
        text = str(values[spec.code])
        resident = spec.type == "id_number" and _is_resident_id(spec, values)
        if resident and not _RESIDENT_ID.fullmatch(text):
            problems.append(
                _problem(
                    spec,
                    "应为 18 位居民身份证号码（末位可为 X；旧号码 15 位）",
                    f"{text!r} is not shaped like a resident ID number",
                )
            )
            invalid.add(spec.code)
            del values[spec.code]
            continue
        if spec.type == "id_number" and spec.scheme == "ric" and not resident:
            continue  # a passport or permit number: no resident-ID check
        checker = _checker_for(spec, code_checker)
        if checker is None:
            continue
        errors, warnings = checker(text)
        for p in errors:
            problems.append(
                replace(p, field=spec.code, reason=f"{spec.label()}{p.reason}", level="error")
            )
        for p in warnings:
            problems.append(
                replace(p, field=spec.code, reason=f"{spec.label()}{p.reason}", level="warning")
            )
        if errors:
            invalid.add(spec.code)
            del values[spec.code]

    for spec in item.fields:
        if spec.code in values or spec.code in invalid:
            continue
        if spec.required:
            problems.append(_problem(spec, "为必填项", "is required"))
        elif spec.required_when is not None and condition_holds(spec.required_when, values):
            when, when_en = describe_condition(item, spec.required_when)
            problems.append(
                Problem(
                    spec.code,
                    f"{when}时，{spec.label()}为必填项",
                    f"{spec.code} is required when {when_en}",
                )
            )

    for group in item.required_any_of:
        if group.when is not None and not condition_holds(group.when, values):
            continue
        if any(code in values or code in invalid for code in group.fields):
            continue
        names = "、".join(item.field(code).label() for code in group.fields)
        when, when_en = (
            describe_condition(item, group.when) if group.when is not None else ("", "always")
        )
        prefix = f"{when}时，" if when else ""
        problems.append(
            Problem(
                group.fields[0],
                f"{prefix}{names}至少须填写一项",
                f"at least one of {', '.join(group.fields)} is required when {when_en}",
            )
        )

    for spec in item.fields:
        if spec.not_before is None or spec.code not in values:
            continue
        earlier = values.get(spec.not_before)
        if isinstance(earlier, dt.date) and values[spec.code] < earlier:
            other = item.field(spec.not_before)
            problems.append(
                _problem(
                    spec,
                    f"（{values[spec.code]}）不能早于{other.label()}（{earlier}）",
                    f"{values[spec.code]} is before {other.code} {earlier}",
                )
            )

    decided = values.get(item.decision_date_field)
    if isinstance(decided, dt.date) and decided > today:
        spec = item.field(item.decision_date_field)
        problems.append(
            _problem(
                spec,
                f"（{decided}）晚于今天（{today}），决定日期不能在将来",
                f"{decided} is in the future (today {today})",
            )
        )
    return ValidatedValues(values, problems)


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
        if is_blank(value):
            continue
        json_value = _json_value(value)
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
