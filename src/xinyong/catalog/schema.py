"""The shape of a catalog file (公共信用信息目录): items, their fields and conditions.

These pydantic models check one item on its own (types, allowed values, the shape of
conditions). Checks that need the whole item or several files (a condition naming an
unknown field, duplicate codes, aliases shared by two fields) live in ``loader.py``,
which also turns validation errors into ``ConfigurationError`` messages.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator
from pydantic_core import PydanticCustomError

from xinyong.errors import NotFound
from xinyong.privacy.masking import MaskRule

FieldType = Literal["string", "text", "date", "decimal", "integer", "enum", "code", "id_number"]
Disclosure = Literal["public", "shared", "authorised"]
RuleFamily = Literal["penalty", "none"]
Severity = Literal["轻微", "一般", "严重"]

FIELD_TYPES: tuple[str, ...] = FieldType.__args__  # type: ignore[attr-defined]

# Roles that ``subject_fields`` may name: which field carries which fact about the
# subject (used by the subject register). A closed list, so a typo fails at load.
SUBJECT_ROLES = frozenset(
    {
        "name",  # 名称 / 姓名
        "category",  # 行政相对人类别
        "uscc",  # 统一社会信用代码
        "regno",  # 工商注册号
        "org_code",  # 组织机构代码
        "tax_no",  # 税务登记号
        "institution_cert",  # 事业单位证书号
        "social_org_cert",  # 社会组织登记证号
        "legal_rep",  # 法定代表人
        "legal_rep_id_type",
        "legal_rep_id_number",
        "id_type",  # 自然人证件类型
        "id_number",  # 自然人证件号码
        "enterprise_type",  # 企业类型
        "district",  # 行政区划
        "industry",  # 行业
        "status",  # 登记状态
        "registered_capital",
        "capital_currency",
        "registered_on",
        "address",
        "business_scope",
        "registration_authority",
    }
)

_CODE_RE = r"^[A-Za-z][A-Za-z0-9_]*$"
_ITEM_CODE_RE = r"^[A-Za-z][A-Za-z0-9_\-]*$"


def _rule_error(zh: str, en: str) -> PydanticCustomError:
    """A validation error whose Chinese and English reasons the loader reports as they are."""
    return PydanticCustomError("catalog_rule", "{en}", {"zh": zh, "en": en})


_REQUIRED_MARKS = re.compile(r"\((必填|选填|非必填|可选|必填项|选填项)\)$")


def normalise_header(text: str) -> str:
    """A column header as compared: NFKC (full-width to half-width), no whitespace,
    no required-marks (``*``, ``(必填)``), case-folded."""
    folded = unicodedata.normalize("NFKC", text)
    folded = "".join(ch for ch in folded if not ch.isspace() and unicodedata.category(ch) != "Cf")
    folded = folded.strip("*")
    folded = _REQUIRED_MARKS.sub("", folded)
    return folded.strip("*").casefold()


def normalise_token(text: str) -> str:
    """An enumeration value as compared: NFKC, no whitespace, case-folded."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if not ch.isspace()).casefold()


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, coerce_numbers_to_str=True, populate_by_name=True
    )


class Condition(_Model):
    """A test on the values of one record.

    Either a test on one field (``field`` plus exactly one of ``equals``, ``not_equals``,
    ``contains``, ``in``, ``present``) or a combination (``any_of`` / ``all_of``).
    ``contains`` on a multi-valued enumeration is true when any chosen value contains
    the text (``contains: 没收`` matches 没收违法所得 and 没收非法财物).
    """

    field: str | None = None
    equals: str | None = None
    not_equals: str | None = None
    contains: str | None = None
    in_: tuple[str, ...] | None = Field(default=None, alias="in")
    present: bool | None = None
    any_of: tuple[Condition, ...] | None = None
    all_of: tuple[Condition, ...] | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> Condition:
        tests = [
            name
            for name in ("equals", "not_equals", "contains", "in_", "present")
            if getattr(self, name) is not None
        ]
        combos = [name for name in ("any_of", "all_of") if getattr(self, name) is not None]
        if combos:
            if self.field is not None or tests or len(combos) > 1:
                raise _rule_error(
                    "条件只能是 any_of、all_of 之一，或一个字段测试",
                    "a condition is either any_of, all_of, or one field test",
                )
            if not (self.any_of or self.all_of):
                raise _rule_error("any_of / all_of 不能为空", "any_of / all_of must not be empty")
            return self
        if self.field is None:
            raise _rule_error(
                "条件缺少 field（或 any_of / all_of）",
                "a condition needs field (or any_of / all_of)",
            )
        if len(tests) != 1:
            raise _rule_error(
                "字段条件须且只能有 equals、not_equals、contains、in、present 之一",
                "a field condition needs exactly one of equals, not_equals, contains, in, present",
            )
        return self

    def fields_used(self) -> list[str]:
        if self.field is not None:
            return [self.field]
        return [name for sub in (self.any_of or self.all_of or ()) for name in sub.fields_used()]


class MaskSpec(_Model):
    """How a personal value appears on public surfaces (RULES.md §11)."""

    mode: Literal["keep", "hide", "none"]
    head: int = Field(default=0, ge=0)
    tail: int = Field(default=0, ge=0)

    def rule(self) -> MaskRule:
        return MaskRule(self.mode, self.head, self.tail)


class EnumOption(_Model):
    """One allowed value; ``label`` and ``aliases`` are accepted on input and stored as
    ``value``."""

    value: str = Field(min_length=1)
    label: str | None = None
    aliases: tuple[str, ...] = ()


class FieldSpec(_Model):
    """One field (数据项) of a catalog item."""

    code: str = Field(pattern=_CODE_RE)
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    type: FieldType
    max_length: int | None = Field(default=None, ge=1)
    enum: tuple[EnumOption, ...] | None = None
    multi: bool = False
    unit: str | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    decimal_places: int | None = Field(default=None, ge=0)
    currency_field: str | None = None
    yuan_suspect_at: Decimal | None = None
    pattern: str | None = None
    scheme: str | None = None
    id_type_field: str | None = None
    not_before: str | None = None
    required: bool = False
    required_when: Condition | None = None
    default: str | None = None
    personal: bool | Condition = False
    mask: MaskSpec | None = None
    public: bool = True
    local: bool = False
    description: str | None = None

    _enum_table: dict[str, str] = PrivateAttr(default_factory=dict)

    @field_validator("enum", mode="before")
    @classmethod
    def _enum_entries(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [
                {"value": entry} if isinstance(entry, str | int | float) else entry
                for entry in value
            ]
        return value

    @field_validator("personal", mode="before")
    @classmethod
    def _personal_shape(cls, value: Any) -> Any:
        if not isinstance(value, bool | dict | Condition):
            raise _rule_error(
                "取值无效：应为 true、false 或条件（如 {field: …, equals: …}），"
                f"实际为 {value!r}",
                f"expected true, false or a condition, got {value!r}",
            )
        return value

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise _rule_error(
                    f"正则表达式无效：{exc}", f"invalid regular expression: {exc}"
                ) from exc
        return value

    @model_validator(mode="after")
    def _consistent(self) -> FieldSpec:
        if self.type == "enum" and not self.enum:
            raise _rule_error(
                "枚举型字段须列出 enum 取值", "an enum field needs a non-empty enum list"
            )
        if self.type != "enum" and self.enum is not None:
            raise _rule_error(
                f"只有枚举型字段可设 enum（本字段类型为 {self.type}）",
                f"only enum fields may list enum values (this field is {self.type})",
            )
        if self.multi and self.type != "enum":
            raise _rule_error("只有枚举型字段可设 multi", "only enum fields may be multi")
        if self.required and self.required_when is not None:
            raise _rule_error(
                "required 与 required_when 不能同时设置",
                "required and required_when are mutually exclusive",
            )
        numeric = self.type in ("decimal", "integer")
        if not numeric and (self.minimum is not None or self.maximum is not None):
            raise _rule_error(
                "只有数值型字段可设 minimum / maximum",
                "only decimal or integer fields may set minimum / maximum",
            )
        if self.decimal_places is not None and self.type != "decimal":
            raise _rule_error(
                "只有 decimal 字段可设 decimal_places", "only decimal fields may set decimal_places"
            )
        if not self.in_wan_yuan:
            for key in ("currency_field", "yuan_suspect_at"):
                if getattr(self, key) is not None:
                    raise _rule_error(
                        f"只有单位为万元的金额字段（decimal 或 integer，unit: 万元）可设 {key}",
                        f"only amounts in 万元 (decimal or integer, unit: 万元) may set {key}",
                    )
        if self.yuan_suspect_at is not None and self.yuan_suspect_at <= 0:
            raise _rule_error(
                f"yuan_suspect_at 须大于 0，实际为 {self.yuan_suspect_at}",
                f"yuan_suspect_at must be greater than 0, got {self.yuan_suspect_at}",
            )
        if self.id_type_field is not None and self.type != "id_number":
            raise _rule_error(
                "只有 id_number 字段可设 id_type_field",
                "only id_number fields may set id_type_field",
            )
        if self.personal is not False and self.public and self.mask is None:
            raise _rule_error(
                "公开的个人信息字段须设置 mask（去标识化规则）",
                "a public personal field needs a mask rule",
            )
        if self.enum is not None:
            seen: dict[str, str] = {}
            for option in self.enum:
                for token in (option.value, option.label, *option.aliases):
                    if token is None:
                        continue
                    key = normalise_token(token)
                    if key in seen and seen[key] != option.value:
                        raise _rule_error(
                            f"枚举取值「{token}」同时指向「{seen[key]}」和「{option.value}」",
                            f"enum token {token!r} maps to both {seen[key]!r} and {option.value!r}",
                        )
                    seen[key] = option.value
        return self

    @property
    def in_wan_yuan(self) -> bool:
        """Whether this is an amount in 万元 (ten thousand yuan), read by ``parse_amount``."""
        return self.unit == "万元" and self.type in ("decimal", "integer")

    @property
    def enum_values(self) -> tuple[str, ...]:
        return tuple(option.value for option in self.enum or ())

    def model_post_init(self, context: Any, /) -> None:
        table: dict[str, str] = {}
        for option in self.enum or ():
            for token in (option.value, option.label, *option.aliases):
                if token is not None:
                    table[normalise_token(token)] = option.value
        self._enum_table = table

    def enum_lookup(self) -> dict[str, str]:
        """Normalised value, label or alias → stored value."""
        return self._enum_table

    def mask_rule(self) -> MaskRule:
        """The public form of this field's personal values (hidden when no rule is set)."""
        return self.mask.rule() if self.mask is not None else MaskRule("hide")

    def label(self) -> str:
        """How messages name the field: 「罚款金额」."""
        return f"「{self.name}」"


class RequiredGroup(_Model):
    """At least one of ``fields`` must be filled when ``when`` holds (e.g. an
    organisation needs at least one subject code)."""

    fields: tuple[str, ...] = Field(min_length=1)
    when: Condition | None = None
    description: str | None = None


class CatalogItem(_Model):
    """One item (信息事项) of the catalog, e.g. 行政处罚 ``xzcf``."""

    code: str = Field(pattern=_ITEM_CODE_RE)
    name: str = Field(min_length=1)
    category: str = Field(min_length=1)
    disclosure: Disclosure
    rule_family: RuleFamily
    negative: bool
    national_codes: bool = False
    local: bool = False
    default_severity: Severity | None = None
    severity_field: str | None = None
    penalty_types_field: str | None = None
    subject_fields: dict[str, str] = Field(default_factory=dict)
    key_fields: tuple[str, ...] = Field(min_length=1)
    decision_date_field: str
    authority_code_field: str
    authority_name_field: str | None = None
    required_any_of: tuple[RequiredGroup, ...] = ()
    description: str | None = None
    # Whether an accepted objection about the content suspends publication (暂停公示)
    # until it is decided (issue 5); a city may keep some items online while verified.
    objection_suspends: bool = True
    fields: tuple[FieldSpec, ...] = Field(min_length=1)

    _by_code: dict[str, FieldSpec] = PrivateAttr(default_factory=dict)
    _by_header: dict[str, FieldSpec] = PrivateAttr(default_factory=dict)

    @field_validator("subject_fields")
    @classmethod
    def _known_roles(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - SUBJECT_ROLES)
        if unknown:
            known = "、".join(sorted(SUBJECT_ROLES))
            raise _rule_error(
                f"未知的主体字段角色 {'、'.join(unknown)}（可用：{known}）",
                f"unknown subject role(s) {unknown}; known: {sorted(SUBJECT_ROLES)}",
            )
        return value

    @model_validator(mode="after")
    def _currency_fields(self) -> CatalogItem:
        by_code = {spec.code.upper(): spec for spec in self.fields}
        for i, spec in enumerate(self.fields):
            if spec.currency_field is None:
                continue
            target = by_code.get(spec.currency_field.upper())
            where = f"字段 fields[{i}].currency_field "
            where_en = f"fields[{i}].currency_field: "
            if target is None:
                raise _rule_error(
                    f"{where}引用了不存在的字段 {spec.currency_field}",
                    f"{where_en}refers to unknown field {spec.currency_field}",
                )
            if target.type != "enum" or target.multi:
                kind = "multi enum" if target.multi else target.type
                raise _rule_error(
                    f"{where}应指向单选的枚举型字段（币种），{target.code} 的类型为 {kind}",
                    f"{where_en}must name a single-valued enum field (the currency); "
                    f"{target.code} is {kind}",
                )
        return self

    @model_validator(mode="after")
    def _severity_family(self) -> CatalogItem:
        if self.default_severity is not None and self.rule_family != "penalty":
            raise _rule_error(
                "只有 rule_family 为 penalty 的事项可设 default_severity",
                "default_severity is only meaningful for rule_family penalty",
            )
        return self

    def model_post_init(self, context: Any, /) -> None:
        by_code: dict[str, FieldSpec] = {}
        by_header: dict[str, FieldSpec] = {}
        for spec in self.fields:
            by_code.setdefault(spec.code.upper(), spec)
            for header in (spec.code, spec.name, *spec.aliases):
                by_header.setdefault(normalise_header(header), spec)
        self._by_code = by_code
        self._by_header = by_header

    @property
    def field_codes(self) -> tuple[str, ...]:
        return tuple(spec.code for spec in self.fields)

    def has_field(self, code: str) -> bool:
        return code.upper() in self._by_code

    def field(self, code: str) -> FieldSpec:
        """The field ``code`` (case-insensitive); ``NotFound`` with a Chinese message if absent."""
        spec = self._by_code.get(code.upper())
        if spec is None:
            raise NotFound(
                f"目录事项「{self.name}」（{self.code}）没有字段 {code}",
                f"catalog item {self.code} has no field {code!r}",
                field=code,
            )
        return spec

    def resolve_column(self, header: str) -> FieldSpec | None:
        """The field a column header names: its code (any case), name or an alias, after
        normalising whitespace and full-width characters; ``None`` if none matches."""
        exact = self._by_code.get(header.upper())
        if exact is not None:
            return exact
        return self._by_header.get(normalise_header(header))


class CatalogFile(_Model):
    """The top level of a catalog file. The shipped file needs version, title and issued;
    extra (local) files may omit them."""

    version: str | None = Field(default=None, min_length=1, max_length=20)
    title: str | None = None
    issued: dt.date | None = None
    description: str | None = None
    items: list[dict[str, Any]] = Field(min_length=1)


class ItemExtension(_Model):
    """An entry of an extra file that changes a national item instead of replacing it."""

    extends: str
    add_fields: tuple[FieldSpec, ...] = ()
    replace_fields: tuple[FieldSpec, ...] = ()
    add_required_any_of: tuple[RequiredGroup, ...] = ()
    description: str | None = None
