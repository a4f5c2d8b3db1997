"""Loading rule sets: the shipped ``data/rulesets.yaml`` plus local or sector files.

A malformed file stops the platform at start-up with a ``ConfigurationError`` that
names the file, the rule set and the field, in Chinese and English. Later files add
rule sets or replace a shipped one with the same ``id`` (the whole rule set).

Precedence (RULES.md "Rule sets by date"): among the rule sets in force on a decision
date, a sector-specific one (``sectors`` lists the record's sector) beats a general
one; within the same kind, the higher ``precedence`` wins. The shipped data gives
later rule sets higher precedence, so where NDRC Order 58 and 国办发〔2025〕22号
overlap (2025-06-22 .. 2026-03-31) 22号 applies. Two rule sets of the same family and
scope whose periods overlap must therefore differ in precedence.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from pydantic import ValidationError

from xinyong.errors import ConfigurationError, NotFound, Problem
from xinyong.rulesets.schema import RuleSet, RuleSetFile

BUILTIN = Path(__file__).parent / "data" / "rulesets.yaml"


@dataclass(frozen=True, eq=False)
class RuleBook:
    """Every rule set known to the platform, with the files they came from."""

    rule_sets: tuple[RuleSet, ...]
    requirements: Mapping[str, str]  # requirement code -> Chinese label
    origins: Mapping[str, str]  # rule set id -> file it was loaded from
    files: tuple[str, ...]
    sha256: str  # over the loaded files' bytes, in order

    def get(self, rule_set_id: str) -> RuleSet:
        for rs in self.rule_sets:
            if rs.id == rule_set_id:
                return rs
        raise NotFound(
            f"规则集 {rule_set_id} 不存在",
            f"rule set {rule_set_id!r} not found",
            field="rule_set_id",
        )

    def families(self) -> frozenset[str]:
        return frozenset(rs.family for rs in self.rule_sets)

    def requirement_label(self, code: str) -> str:
        return self.requirements.get(code, code)


# Chinese reasons for pydantic's error types.
_REASONS_ZH = {
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


def _reason_zh(err: Mapping[str, Any]) -> str:
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
    return _REASONS_ZH.get(kind, f"取值无效（{err['msg']}）")


def _reason_en(err: Mapping[str, Any]) -> str:
    ctx = err.get("ctx") or {}
    if err["type"] == "xinyong_rule":
        return str(ctx["en"])
    return str(err["msg"])


def _config_error(
    file: Path | str,
    problems: list[tuple[str | None, str, str, str]],
) -> ConfigurationError:
    """``problems``: (rule set id, field path, Chinese reason, English reason)."""
    rs_id, field, zh, en = problems[0]
    where_zh = f"规则集 {rs_id} 的" if rs_id else ""
    where_en = f"rule set {rs_id}, " if rs_id else ""
    return ConfigurationError(
        f"规则集配置文件 {file} 有误：{where_zh}字段 {field}：{zh}",
        f"rule-set file {file}: {where_en}field {field}: {en}",
        field=field,
        problems=[
            Problem(
                f"rulesets.{rid}.{fld}" if rid else fld,
                reason,
                reason_en,
            )
            for rid, fld, reason, reason_en in problems
        ],
        details={"file": str(file), "rule_set": rs_id, "field": field},
    )


def _rule_set_id(raw: Any, index: Any) -> str | None:
    if not isinstance(raw, dict) or not isinstance(index, int):
        return None
    items = raw.get("rulesets")
    if isinstance(items, list) and 0 <= index < len(items) and isinstance(items[index], dict):
        found = items[index].get("id")
        return str(found) if found is not None else f"#{index + 1}"
    return None


def _validation_problems(raw: Any, exc: ValidationError) -> list[tuple[str | None, str, str, str]]:
    problems: list[tuple[str | None, str, str, str]] = []
    for err in exc.errors():
        loc = list(err["loc"])
        rs_id = None
        if len(loc) >= 2 and loc[0] == "rulesets" and isinstance(loc[1], int):
            rs_id = _rule_set_id(raw, loc[1])
            loc = loc[2:]
        sub = (err.get("ctx") or {}).get("field") if err["type"] == "xinyong_rule" else None
        if sub:
            loc = [*loc, sub]
        field = ".".join(str(p) for p in loc) or "rulesets"
        problems.append((rs_id, field, _reason_zh(err), _reason_en(err)))
    return problems


def parse_file(path: Path) -> tuple[RuleSetFile, bytes]:
    """Read and validate one rule-set file (no cross-file checks)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            f"无法读取规则集配置文件 {path}：{exc.strerror or exc}",
            f"cannot read rule-set file {path}: {exc}",
            details={"file": str(path)},
        ) from exc
    try:
        raw = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark is not None else ""
        at_en = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigurationError(
            f"规则集配置文件 {path} 不是有效的 YAML{('（' + at + '）') if at else ''}：{problem}",
            f"rule-set file {path} is not valid YAML{at_en}: {problem}",
            details={"file": str(path)},
        ) from exc
    if not isinstance(raw, dict):
        raise _config_error(
            path,
            [
                (
                    None,
                    "rulesets",
                    "文件顶层应为映射，包含 requirements 和 rulesets",
                    "the file must be a mapping with keys requirements and rulesets",
                )
            ],
        )
    try:
        parsed = RuleSetFile.model_validate(raw)
    except ValidationError as exc:
        raise _config_error(path, _validation_problems(raw, exc)) from exc
    seen: set[str] = set()
    for rs in parsed.rulesets:
        if rs.id in seen:
            raise _config_error(
                path,
                [(rs.id, "id", "同一文件中规则集 id 重复", "duplicate rule set id in one file")],
            )
        seen.add(rs.id)
    return parsed, data


def build_rulebook(files: Sequence[Path]) -> RuleBook:
    """Load ``files`` in order; later files add rule sets or replace one by id."""
    by_id: dict[str, RuleSet] = {}
    origins: dict[str, str] = {}
    requirements: dict[str, str] = {}
    digest = hashlib.sha256()
    for path in files:
        parsed, data = parse_file(path)
        digest.update(data)
        requirements.update(parsed.requirements)
        for rs in parsed.rulesets:
            by_id[rs.id] = rs
            origins[rs.id] = str(path)

    for rs in by_id.values():
        for severity, cls in rs.classes.items():
            unknown = [c for c in cls.requirements if c not in requirements]
            if unknown:
                codes_zh, codes_en = "、".join(unknown), ", ".join(unknown)
                zh = f"未定义的修复条件代码 {codes_zh}（请在 requirements 中定义）"
                en = f"undefined requirement codes {codes_en} (define them under requirements)"
                field = f"classes.{severity}.requirements"
                raise _config_error(origins[rs.id], [(rs.id, field, zh, en)])

    ordered = sorted(by_id.values(), key=lambda r: (r.family, r.valid_from, r.id))
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if a.precedence == b.precedence and a.overlaps(b):
                other = f"{a.id}（{origins[a.id]}）"
                zh = (
                    f"与规则集 {other}适用范围和有效期重叠且 precedence 相同"
                    f"（{b.precedence}），无法确定适用哪一个"
                )
                en = (
                    f"overlaps rule set {a.id} ({origins[a.id]}) in scope and validity "
                    f"with the same precedence {b.precedence}; which applies is ambiguous"
                )
                raise _config_error(origins[b.id], [(b.id, "precedence", zh, en)])

    return RuleBook(
        rule_sets=tuple(ordered),
        requirements=MappingProxyType(dict(requirements)),
        origins=MappingProxyType(dict(origins)),
        files=tuple(str(p) for p in files),
        sha256=digest.hexdigest(),
    )


def load_rulesets(extra: Sequence[Path] = ()) -> RuleBook:
    """The shipped rule sets, then each file of ``extra`` in order."""
    return build_rulebook([BUILTIN, *(Path(p) for p in extra)])
