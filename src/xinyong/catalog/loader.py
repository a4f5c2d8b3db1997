"""Loading the public credit information catalog (公共信用信息目录) from YAML.

The shipped national file is read first, then any extra files in order. An extra file
may add a local item, replace a national item (same ``code``: the whole item is
replaced) or extend one (``extends: xzcf`` with ``add_fields`` / ``replace_fields`` /
``add_required_any_of``). Every problem becomes a ``ConfigurationError`` naming the
file, the item and the field path, in Chinese and English, e.g.
"目录文件 local.yaml：事项 xyz 的字段 fields[2].type 取值无效：…".
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import orjson
import yaml
from pydantic import ValidationError

from xinyong.catalog.schema import (
    CatalogFile,
    CatalogItem,
    Condition,
    FieldSpec,
    ItemExtension,
    normalise_header,
)
from xinyong.errors import ConfigurationError, NotFound, Problem

__all__ = [
    "SHIPPED_CATALOG",
    "Catalog",
    "CatalogItem",
    "FieldSpec",
    "catalog_from_content",
    "load_catalog",
]

SHIPPED_CATALOG = Path(__file__).parent / "data" / "catalog-2024.yaml"

# CreditRecord.catalog_version is 32 characters; longer composite versions are shortened.
_MAX_VERSION = 32


@dataclass(frozen=True)
class Catalog:
    """The catalog in force: the national items plus local additions and overrides."""

    version: str
    title: str
    issued: dt.date
    items: dict[str, CatalogItem]
    sources: tuple[str, ...] = ()
    sha256: str = field(default="", compare=False)

    def item(self, code: str) -> CatalogItem:
        """The item ``code``; ``NotFound`` with a Chinese message for unknown items."""
        found = self.items.get(code)
        if found is None:
            raise NotFound(
                f"公共信用信息目录中没有信息事项「{code}」",
                f"the catalog has no item {code!r}",
                field="item",
            )
        return found

    def content(self) -> dict[str, Any]:
        """The canonical definitions (JSON values), as stored and hashed."""
        return {
            "version": self.version,
            "title": self.title,
            "issued": self.issued.isoformat(),
            "items": [item_content(item) for item in self.items.values()],
        }


def item_content(item: CatalogItem) -> dict[str, Any]:
    """One item's canonical definition as JSON values."""
    return item.model_dump(mode="json", by_alias=True, exclude_none=True)


def content_sha256(content: Mapping[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _finish(
    version: str, title: str, issued: dt.date, items: dict[str, CatalogItem], sources: list[str]
) -> Catalog:
    draft = Catalog(version, title, issued, items, tuple(sources))
    return Catalog(version, title, issued, items, tuple(sources), content_sha256(draft.content()))


# --- errors ------------------------------------------------------------------------------


def _path(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


# pydantic adds the union member's name to the location of its errors; drop those.
_UNION_TAGS = frozenset({"bool", "Condition", "str", "int", "EnumOption", "list[str]"})


def _clean_loc(loc: Sequence[str | int]) -> tuple[str | int, ...]:
    return tuple(
        part
        for part in loc
        if not (isinstance(part, str) and (part in _UNION_TAGS or part.startswith("function-")))
    )


def _reason(error: Mapping[str, Any]) -> tuple[str, str]:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    given = error.get("input")
    if kind == "catalog_rule":
        return str(ctx["zh"]), str(ctx["en"])
    if kind == "missing":
        return "缺少必填项", "required key missing"
    if kind == "extra_forbidden":
        return "不是允许的键（拼写错误？）", "unknown key (typo?)"
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace(" or ", ", ")
        options = "、".join(part.strip().strip("'") for part in expected.split(", "))
        return (
            f"取值无效：应为 {options} 之一，实际为 {given!r}",
            f"invalid value {given!r}; expected {ctx.get('expected')}",
        )
    if kind == "string_pattern_mismatch":
        return (
            f"格式不符：{given!r} 不符合 {ctx.get('pattern')}",
            f"{given!r} does not match {ctx.get('pattern')}",
        )
    simple = {
        "string_type": ("应为文本", "expected text"),
        "bool_type": ("应为 true 或 false", "expected true or false"),
        "bool_parsing": ("应为 true 或 false", "expected true or false"),
        "int_type": ("应为整数", "expected an integer"),
        "int_parsing": ("应为整数", "expected an integer"),
        "int_from_float": ("应为整数", "expected an integer"),
        "decimal_parsing": ("应为数字", "expected a number"),
        "decimal_type": ("应为数字", "expected a number"),
        "list_type": ("应为列表", "expected a list"),
        "tuple_type": ("应为列表", "expected a list"),
        "dict_type": ("应为映射（键: 值）", "expected a mapping"),
        "model_type": ("应为映射（键: 值）", "expected a mapping"),
        "model_attributes_type": ("应为映射（键: 值）", "expected a mapping"),
        "date_type": ("应为日期 YYYY-MM-DD", "expected a date YYYY-MM-DD"),
        "date_parsing": ("应为日期 YYYY-MM-DD", "expected a date YYYY-MM-DD"),
        "date_from_datetime_parsing": ("应为日期 YYYY-MM-DD", "expected a date YYYY-MM-DD"),
    }
    if kind in simple:
        zh, en = simple[kind]
        return f"取值无效：{zh}，实际为 {given!r}", f"invalid value: {en}, got {given!r}"
    if kind == "too_short":
        return "不能为空", "must not be empty"
    if kind == "too_long":
        return f"过长（最多 {ctx.get('max_length')}）", f"too long (max {ctx.get('max_length')})"
    if kind in ("greater_than_equal", "greater_than"):
        return (
            f"取值无效：不能小于 {ctx.get('ge', ctx.get('gt'))}",
            f"must be >= {ctx.get('ge', ctx.get('gt'))}",
        )
    return f"取值无效：{error.get('msg')}", str(error.get("msg"))


_FIELD_LISTS = frozenset({"fields", "add_fields", "replace_fields"})


@dataclass
class _Where:
    """What an error message names: the file and, inside it, the item."""

    file: Path
    item: str | None = None

    def raise_problems(self, problems: Sequence[Problem]) -> NoReturn:
        first = problems[0]
        head = f"目录文件 {self.file.name}："
        head_en = f"catalog file {self.file}: "
        if self.item is not None:
            head += f"事项 {self.item} 的"
            head_en += f"item {self.item}, "
        if first.field:
            root = first.field.split("[")[0].split(".")[0]
            head += f"字段 {first.field} " if root in _FIELD_LISTS else f"{first.field} "
            head_en += f"{first.field}: "
        tail = f"（另有 {len(problems) - 1} 处问题）" if len(problems) > 1 else ""
        tail_en = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigurationError(
            f"{head}{first.reason}{tail}",
            f"{head_en}{first.reason_en}{tail_en}",
            field=first.field,
            problems=list(problems),
            details={"file": str(self.file), "item": self.item},
        )


_TYPE_MISMATCH = frozenset(
    {
        "bool_type",
        "bool_parsing",
        "model_type",
        "model_attributes_type",
        "dict_type",
        "string_type",
        "int_type",
        "int_parsing",
        "list_type",
        "tuple_type",
    }
)


def _within(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((prefix + ".", prefix + "["))


def _validation_problems(exc: ValidationError) -> list[Problem]:
    """One problem per field path. For a union (``personal: bool | Condition``) pydantic
    reports every member; a member's plain type mismatch is dropped when another error
    explains the same path better."""
    errors = exc.errors()
    cleaned = [_path(_clean_loc(error["loc"])) for error in errors]

    def union_mismatch(index: int) -> bool:
        error = errors[index]
        tagged = any(isinstance(p, str) and p in _UNION_TAGS for p in error["loc"])
        return tagged and error["type"] in _TYPE_MISMATCH

    problems: list[Problem] = []
    seen: set[str] = set()
    for i, error in enumerate(errors):
        path = cleaned[i]
        if union_mismatch(i) and any(
            j != i and not union_mismatch(j) and _within(cleaned[j], path)
            for j in range(len(errors))
        ):
            continue
        if path in seen:
            continue
        seen.add(path)
        zh, en = _reason(error)
        problems.append(Problem(path or None, zh, en))
    return problems


def _validate_item(where: _Where, raw: Any, index: int) -> CatalogItem | ItemExtension:
    if not isinstance(raw, dict):
        where.raise_problems(
            [Problem(f"items[{index}]", "应为映射（键: 值）", "an item must be a mapping")]
        )
    code = raw.get("extends") if "extends" in raw else raw.get("code")
    where.item = str(code) if code is not None else f"items[{index}]"
    model: type[CatalogItem] | type[ItemExtension] = (
        ItemExtension if "extends" in raw else CatalogItem
    )
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        where.raise_problems(_validation_problems(exc))


# --- reading files -----------------------------------------------------------------------


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigurationError(
            f"目录文件 {path.name} 不存在（{path}）",
            f"catalog file {path} does not exist",
            details={"file": str(path)},
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"目录文件 {path.name} 无法读取（须为 UTF-8 编码）：{exc}",
            f"catalog file {path} cannot be read as UTF-8: {exc}",
            details={"file": str(path)},
        ) from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"（第 {mark.line + 1} 行第 {mark.column + 1} 列）" if mark is not None else ""
        where_en = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigurationError(
            f"目录文件 {path.name}：YAML 格式错误{where}：{problem}",
            f"catalog file {path}: YAML syntax error{where_en}: {problem}",
            details={"file": str(path)},
        ) from exc


def _read_file(path: Path, *, shipped: bool) -> CatalogFile:
    data = _read_yaml(path)
    where = _Where(path)
    if not isinstance(data, dict):
        where.raise_problems(
            [
                Problem(
                    None, "顶层应为映射（version、title、items …）", "top level must be a mapping"
                )
            ]
        )
    try:
        parsed = CatalogFile.model_validate(data)
    except ValidationError as exc:
        where.raise_problems(_validation_problems(exc))
    if shipped:
        missing = [k for k in ("version", "title", "issued") if getattr(parsed, k) is None]
        if missing:
            where.raise_problems(
                [Problem(k, "缺少必填项", "required key missing") for k in missing]
            )
    return parsed


# --- merging -----------------------------------------------------------------------------


def _extend(base: CatalogItem, ext: ItemExtension, where: _Where) -> CatalogItem:
    fields = list(base.fields)
    index = {spec.code: i for i, spec in enumerate(fields)}
    problems: list[Problem] = []
    for i, spec in enumerate(ext.replace_fields):
        if spec.code not in index:
            problems.append(
                Problem(
                    f"replace_fields[{i}].code",
                    f"事项 {base.code} 没有字段 {spec.code}，无法替换",
                    f"item {base.code} has no field {spec.code} to replace",
                )
            )
        else:
            fields[index[spec.code]] = spec
    for i, spec in enumerate(ext.add_fields):
        if spec.code in index:
            problems.append(
                Problem(
                    f"add_fields[{i}].code",
                    f"字段 {spec.code} 已存在；修改已有字段请用 replace_fields",
                    f"field {spec.code} exists already; use replace_fields",
                )
            )
            continue
        # A field added to a national item is a local field unless it says otherwise.
        if "local" not in spec.model_fields_set:
            spec = spec.model_copy(update={"local": True})
        index[spec.code] = len(fields)
        fields.append(spec)
    if problems:
        where.raise_problems(problems)
    data = base.model_dump(by_alias=True, exclude_none=True)
    data["fields"] = [f.model_dump(by_alias=True, exclude_none=True) for f in fields]
    data["required_any_of"] = [
        g.model_dump(by_alias=True, exclude_none=True)
        for g in (*base.required_any_of, *ext.add_required_any_of)
    ]
    if ext.description:
        data["description"] = "\n".join(filter(None, [base.description, ext.description]))
    try:
        return CatalogItem.model_validate(data)
    except ValidationError as exc:
        where.raise_problems(_validation_problems(exc))


# --- cross-references --------------------------------------------------------------------


def _check_condition(
    item: CatalogItem, cond: Condition, path: str, problems: list[Problem]
) -> None:
    if cond.field is None:
        key = "any_of" if cond.any_of is not None else "all_of"
        for i, sub in enumerate(cond.any_of or cond.all_of or ()):
            _check_condition(item, sub, f"{path}.{key}[{i}]", problems)
        return
    if not item.has_field(cond.field):
        problems.append(
            Problem(
                f"{path}.field",
                f"引用了不存在的字段 {cond.field}",
                f"refers to unknown field {cond.field}",
            )
        )
        return
    target = item.field(cond.field)
    if target.type != "enum":
        return
    values = target.enum_values
    wanted = [v for v in (cond.equals, cond.not_equals) if v is not None] + list(cond.in_ or ())
    for value in wanted:
        if value not in values:
            problems.append(
                Problem(
                    path,
                    f"「{value}」不是字段 {target.code} 的枚举值（{'、'.join(values)}）",
                    f"{value!r} is not an enum value of {target.code} ({', '.join(values)})",
                )
            )
    if cond.contains is not None and not any(cond.contains in v for v in values):
        problems.append(
            Problem(
                f"{path}.contains",
                f"字段 {target.code} 没有包含「{cond.contains}」的枚举值",
                f"no enum value of {target.code} contains {cond.contains!r}",
            )
        )


def _cross_problems(item: CatalogItem) -> list[Problem]:
    from xinyong.catalog.rules import normalise_value  # rules imports schema, not loader

    problems: list[Problem] = []
    seen_codes: dict[str, int] = {}
    seen_headers: dict[str, tuple[int, str]] = {}
    for i, spec in enumerate(item.fields):
        where = f"fields[{i}]"
        if spec.code.upper() in seen_codes:
            problems.append(
                Problem(
                    f"{where}.code",
                    f"字段代码 {spec.code} 重复（另见 fields[{seen_codes[spec.code.upper()]}]）",
                    f"duplicate field code {spec.code}",
                )
            )
            continue
        seen_codes[spec.code.upper()] = i
        headers = [("code", spec.code), ("name", spec.name)]
        headers += [(f"aliases[{k}]", alias) for k, alias in enumerate(spec.aliases)]
        for label, header in headers:
            key = normalise_header(header)
            other = seen_headers.get(key)
            if other is not None and other[0] != i:
                problems.append(
                    Problem(
                        f"{where}.{label}",
                        f"列名「{header}」与 fields[{other[0]}]（{other[1]}）重复，无法区分",
                        f"column name {header!r} is also used by fields[{other[0]}] ({other[1]})",
                    )
                )
            else:
                seen_headers[key] = (i, spec.code)
        if spec.required_when is not None:
            _check_condition(item, spec.required_when, f"{where}.required_when", problems)
        if isinstance(spec.personal, Condition):
            _check_condition(item, spec.personal, f"{where}.personal", problems)
        if spec.mask is not None and spec.personal is False:
            problems.append(
                Problem(
                    f"{where}.mask",
                    "mask 只适用于个人信息字段（personal）",
                    "mask applies only to personal fields",
                )
            )
        for ref_name in ("id_type_field", "not_before"):
            ref = getattr(spec, ref_name)
            if ref is None:
                continue
            if not item.has_field(ref):
                problems.append(
                    Problem(
                        f"{where}.{ref_name}",
                        f"引用了不存在的字段 {ref}",
                        f"refers to unknown field {ref}",
                    )
                )
            elif ref_name == "not_before" and (
                spec.type != "date" or item.field(ref).type != "date"
            ):
                problems.append(
                    Problem(
                        f"{where}.not_before",
                        "not_before 只能用于两个日期字段之间",
                        "not_before links two date fields",
                    )
                )
        if spec.default is not None:
            _, problem = normalise_value(spec, spec.default)
            if problem is not None:
                problems.append(
                    Problem(
                        f"{where}.default",
                        f"默认值无效：{problem.reason}",
                        f"invalid default: {problem.reason_en}",
                    )
                )
    refs: list[tuple[str, str]] = [(f"key_fields[{i}]", c) for i, c in enumerate(item.key_fields)]
    refs += [(f"subject_fields.{role}", c) for role, c in item.subject_fields.items()]
    refs += [
        ("decision_date_field", item.decision_date_field),
        ("authority_code_field", item.authority_code_field),
    ]
    for name in ("authority_name_field", "severity_field", "penalty_types_field"):
        value = getattr(item, name)
        if value is not None:
            refs.append((name, value))
    for g, group in enumerate(item.required_any_of):
        refs += [(f"required_any_of[{g}].fields[{k}]", c) for k, c in enumerate(group.fields)]
        if group.when is not None:
            _check_condition(item, group.when, f"required_any_of[{g}].when", problems)
    for path, code in refs:
        if not item.has_field(code):
            problems.append(
                Problem(path, f"引用了不存在的字段 {code}", f"refers to unknown field {code}")
            )
    if problems:
        return problems
    typed: tuple[tuple[str, str | None, str], ...] = (
        ("decision_date_field", item.decision_date_field, "date"),
        ("severity_field", item.severity_field, "enum"),
        ("penalty_types_field", item.penalty_types_field, "enum"),
    )
    for path, maybe, want in typed:
        if maybe is not None and item.field(maybe).type != want:
            problems.append(
                Problem(
                    path, f"字段 {code} 应为 {want} 类型", f"field {code} must be of type {want}"
                )
            )
    for path, code in (
        ("decision_date_field", item.decision_date_field),
        ("authority_code_field", item.authority_code_field),
        *((f"key_fields[{i}]", c) for i, c in enumerate(item.key_fields)),
    ):
        if not item.field(code).required:
            problems.append(
                Problem(
                    path,
                    f"字段 {code} 用于识别决定，须设为 required: true",
                    f"field {code} identifies a decision and must be required",
                )
            )
    if item.severity_field is not None and item.default_severity is not None:
        values = item.field(item.severity_field).enum_values
        if item.default_severity not in values:
            problems.append(
                Problem(
                    "default_severity",
                    f"「{item.default_severity}」不是字段 {item.severity_field} 的枚举值",
                    f"{item.default_severity!r} is not a value of {item.severity_field}",
                )
            )
    if item.rule_family == "penalty" and item.severity_field is None and not item.default_severity:
        problems.append(
            Problem(
                "default_severity",
                "penalty 类事项须设 severity_field 或 default_severity",
                "a penalty-family item needs severity_field or default_severity",
            )
        )
    return problems


# --- public API --------------------------------------------------------------------------


def _compose_version(base: str, parts: list[str]) -> str:
    if not parts:
        return base
    version = "+".join([base, *parts])
    if len(version) <= _MAX_VERSION:
        return version
    digest = hashlib.sha256(version.encode()).hexdigest()[: _MAX_VERSION - len(base) - 2]
    return f"{base}+L{digest}"


def load_catalog(extra: Sequence[Path] = (), *, base: Path | None = None) -> Catalog:
    """The shipped catalog (or ``base``) with ``extra`` files applied in order.

    Raises ``ConfigurationError`` naming the file, item and field path of any problem.
    """
    base_path = base or SHIPPED_CATALOG
    head = _read_file(base_path, shipped=True)
    assert head.version is not None and head.title is not None and head.issued is not None
    items: dict[str, CatalogItem] = {}
    origin: dict[str, Path] = {}
    version_parts: list[str] = []
    for path, parsed in [(base_path, head)] + [
        (Path(p), _read_file(Path(p), shipped=False)) for p in extra
    ]:
        in_file: dict[str, int] = {}
        for index, raw in enumerate(parsed.items):
            where = _Where(path)
            entry = _validate_item(where, raw, index)
            code = entry.extends if isinstance(entry, ItemExtension) else entry.code
            if code in in_file:
                _Where(path).raise_problems(
                    [
                        Problem(
                            f"items[{index}]",
                            f"事项代码 {code} 在本文件中重复（另见 items[{in_file[code]}]）",
                            f"item code {code} appears twice in this file",
                        )
                    ]
                )
            in_file[code] = index
            if isinstance(entry, ItemExtension):
                if entry.extends not in items:
                    where.raise_problems(
                        [
                            Problem(
                                "extends",
                                f"要扩展的事项 {entry.extends} 不在已加载的目录中",
                                f"item {entry.extends} to extend is not loaded",
                            )
                        ]
                    )
                items[code] = _extend(items[code], entry, where)
            else:
                items[code] = entry
            origin[code] = path
        if path != base_path:
            version_parts.append(parsed.version or path.stem)
    for code, item in items.items():
        problems = _cross_problems(item)
        if problems:
            _Where(origin[code], code).raise_problems(problems)
    version = _compose_version(head.version, version_parts)
    title = head.title
    sources = [str(base_path), *(str(p) for p in extra)]
    return _finish(version, title, head.issued, items, sources)


def catalog_from_content(content: Mapping[str, Any]) -> Catalog:
    """Rebuild a catalog from its stored canonical content (``CatalogVersion.content``)."""
    try:
        items = {raw["code"]: CatalogItem.model_validate(raw) for raw in content.get("items", [])}
        issued = dt.date.fromisoformat(str(content["issued"]))
    except (ValidationError, KeyError, ValueError) as exc:
        raise ConfigurationError(
            "已存储的目录内容无效，无法还原",
            f"stored catalog content is invalid: {exc}",
        ) from exc
    return _finish(str(content["version"]), str(content["title"]), issued, items, [])
