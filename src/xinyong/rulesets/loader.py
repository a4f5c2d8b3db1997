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

from pydantic import ValidationError

from xinyong.datafiles import FileProblem, data_error, read_yaml, validation_problems
from xinyong.errors import ConfigurationError, NotFound
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


def _config_error(file: Path | str, problems: list[FileProblem]) -> ConfigurationError:
    """``problems``: (rule set id, field path, Chinese reason, English reason)."""
    return data_error(
        file,
        problems,
        what_zh="规则集",
        what_en="rule-set",
        entry_zh="规则集",
        prefix="rulesets",
        entry_key="rule_set",
    )


def parse_file(path: Path) -> tuple[RuleSetFile, bytes]:
    """Read and validate one rule-set file (no cross-file checks)."""
    raw, data = read_yaml(path, "规则集", "rule-set")
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
        raise _config_error(path, validation_problems(raw, exc, ("rulesets",))) from exc
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
