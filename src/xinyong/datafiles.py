"""Reading the platform's YAML data files (rule sets, lists and measures): parse, and
turn pydantic's validation errors into ``ConfigurationError``s that name the file, the
entry and the field, in Chinese and English. A malformed file stops start-up.

Schemas raise ``data_rule_error`` (a ``PydanticCustomError`` carrying ``zh``/``en``
and optionally ``field``) for their own checks, so every problem has both languages.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from xinyong.errors import ConfigurationError, Problem

# Chinese reasons for pydantic's error types.
REASONS_ZH = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不认识的字段（拼写错误？）",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "date_type": "应为日期，格式 YYYY-MM-DD",
    "date_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_from_datetime_inexact": "应为日期，不能带时间",
    "string_type": "应为文本",
    "string_too_short": "不能为空",
    "string_too_long": "过长",
    "too_short": "至少需要一项",
    "list_type": "应为列表",
    "tuple_type": "应为列表",
    "dict_type": "应为映射（键: 值）",
    "model_type": "应为映射（键: 值）",
    "model_attributes_type": "应为映射（键: 值）",
}

# (entry id or None, field path, Chinese reason, English reason)
FileProblem = tuple[str | None, str, str, str]


def data_rule_error(zh: str, en: str, field: str | None = None) -> PydanticCustomError:
    """A validation error with both languages; ``field`` refines the reported path."""
    ctx: dict[str, str] = {"zh": zh, "en": en}
    if field:
        ctx["field"] = field
    return PydanticCustomError("xinyong_rule", "{en}", ctx)


def reason_zh(err: Mapping[str, Any]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "xinyong_rule":
        return str(ctx["zh"])
    if kind == "greater_than_equal":
        return f"不能小于 {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"不能大于 {ctx.get('le')}"
    if kind == "literal_error":
        return f"取值应为 {ctx.get('expected')}"
    if kind == "string_pattern_mismatch":
        return f"格式不符，应匹配 {ctx.get('pattern')}"
    return REASONS_ZH.get(kind, f"取值无效（{err['msg']}）")


def reason_en(err: Mapping[str, Any]) -> str:
    ctx = err.get("ctx") or {}
    if err["type"] == "xinyong_rule":
        return str(ctx["en"])
    return str(err["msg"])


def read_yaml(path: Path, what_zh: str, what_en: str) -> tuple[Any, bytes]:
    """The parsed content and bytes of a YAML file, or a ``ConfigurationError`` naming
    the file (and the line and column of a syntax error)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            f"无法读取{what_zh}配置文件 {path}：{exc.strerror or exc}",
            f"cannot read {what_en} file {path}: {exc}",
            details={"file": str(path)},
        ) from exc
    try:
        return yaml.safe_load(data), data
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark is not None else ""
        at_en = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        where = f"（{at}）" if at else ""
        raise ConfigurationError(
            f"{what_zh}配置文件 {path} 不是有效的 YAML{where}：{problem}",
            f"{what_en} file {path} is not valid YAML{at_en}: {problem}",
            details={"file": str(path)},
        ) from exc


def entry_id(raw: Any, collection: str, index: Any) -> str | None:
    """The ``id`` (or ``code``) of entry ``index`` of ``raw[collection]``, else ``#n``."""
    if not isinstance(raw, dict) or not isinstance(index, int):
        return None
    items = raw.get(collection)
    if isinstance(items, list) and 0 <= index < len(items) and isinstance(items[index], dict):
        found = items[index].get("id", items[index].get("code"))
        return str(found) if found is not None else f"#{index + 1}"
    return None


def validation_problems(
    raw: Any, exc: ValidationError, collections: tuple[str, ...]
) -> list[FileProblem]:
    """Each pydantic error as (entry id, field path within the entry, zh, en); errors
    inside one of ``collections`` (e.g. ``rulesets``) are attributed to that entry."""
    problems: list[FileProblem] = []
    for err in exc.errors():
        loc = list(err["loc"])
        entry = None
        if len(loc) >= 2 and loc[0] in collections and isinstance(loc[1], int):
            entry = entry_id(raw, str(loc[0]), loc[1])
            loc = loc[2:]
        sub = (err.get("ctx") or {}).get("field") if err["type"] == "xinyong_rule" else None
        if sub:
            loc = [*loc, sub]
        field = ".".join(str(p) for p in loc) or collections[0]
        problems.append((entry, field, reason_zh(err), reason_en(err)))
    return problems


def data_error(
    file: Path | str,
    problems: list[FileProblem],
    *,
    what_zh: str,
    what_en: str,
    entry_zh: str,
    prefix: str,
    entry_key: str = "entry",
) -> ConfigurationError:
    """One error for a data file's problems, the first in the message, all in
    ``problems`` (field paths ``<prefix>.<entry>.<field>``)."""
    entry, field, zh, en = problems[0]
    where_zh = f"{entry_zh} {entry} 的" if entry else ""
    where_en = f"{prefix} entry {entry}, " if entry else ""
    return ConfigurationError(
        f"{what_zh}配置文件 {file} 有误：{where_zh}字段 {field}：{zh}",
        f"{what_en} file {file}: {where_en}field {field}: {en}",
        field=field,
        problems=[
            Problem(f"{prefix}.{eid}.{fld}" if eid else fld, reason, reason_en)
            for eid, fld, reason, reason_en in problems
        ],
        details={"file": str(file), entry_key: entry, "field": field},
    )
