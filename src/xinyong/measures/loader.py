"""Loading lists and measures: the shipped ``data/measures.yaml`` plus local files
(``XINYONG_MEASURES_EXTRA``), which add entries or replace one by code. A malformed
file, a measure without a legal basis, or a reference to an unknown list, scenario or
catalog item stops the platform at start-up with a ``ConfigurationError`` naming the
file, the entry and the field, in Chinese and English.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from pydantic import ValidationError

from xinyong.datafiles import FileProblem, data_error, read_yaml, validation_problems
from xinyong.errors import ConfigurationError, NotFound
from xinyong.measures.schema import ListDefinition, Measure, MeasureFile

BUILTIN = Path(__file__).parent / "data" / "measures.yaml"


def _error(file: Path | str, problems: list[FileProblem]) -> ConfigurationError:
    return data_error(
        file,
        problems,
        what_zh="名单与措施",
        what_en="lists-and-measures",
        entry_zh="条目",
        prefix="entries",
    )


@dataclass(frozen=True, eq=False)
class MeasureBook:
    """Every list definition and measure known to the platform."""

    lists: Mapping[str, ListDefinition]
    measures: Mapping[str, Measure]
    scenarios: Mapping[str, str]  # code -> Chinese label
    origins: Mapping[str, str]  # list or measure code -> file it came from
    sha256: str

    def list_def(self, code: str) -> ListDefinition:
        found = self.lists.get(code)
        if found is None:
            raise NotFound(f"名单 {code} 不存在", f"list {code!r} not found", field="list")
        return found

    def scenario_label(self, code: str) -> str:
        return self.scenarios[code]

    def require_scenario(self, code: str) -> str:
        """``code`` if it is a known scenario, else an error listing the known ones."""
        if code not in self.scenarios:
            known = "、".join(f"{c}（{label}）" for c, label in self.scenarios.items())
            raise NotFound(
                f"未知的应用场景“{code}”，可用：{known}",
                f"unknown scenario {code!r}; known: {', '.join(self.scenarios)}",
                field="scenario",
            )
        return code

    def measures_for(self, scenario: str) -> list[Measure]:
        """The measures that apply in ``scenario``, punishments first."""
        found = [m for m in self.measures.values() if scenario in m.scenarios]
        return sorted(found, key=lambda m: (m.kind != "punish", m.code))


def parse_file(path: Path) -> tuple[MeasureFile, bytes]:
    raw, data = read_yaml(path, "名单与措施", "lists-and-measures")
    if not isinstance(raw, dict):
        raise _error(
            path,
            [
                (
                    None,
                    "lists",
                    "文件顶层应为映射（scenarios、lists、measures）",
                    "top level must be a mapping",
                )
            ],
        )
    try:
        return MeasureFile.model_validate(raw), data
    except ValidationError as exc:
        raise _error(path, validation_problems(raw, exc, ("lists", "measures"))) from exc


def build_measure_book(files: Sequence[Path], *, item_codes: Iterable[str]) -> MeasureBook:
    """Load ``files`` in order (later entries replace earlier ones with the same code)
    and check every reference: lists and catalog items named by triggers, scenarios,
    the list an entry moves to on correction."""
    lists: dict[str, ListDefinition] = {}
    measures: dict[str, Measure] = {}
    scenarios: dict[str, str] = {}
    origins: dict[str, str] = {}
    digest = hashlib.sha256()
    for path in files:
        parsed, data = parse_file(path)
        digest.update(data)
        scenarios.update(parsed.scenarios)
        for ld in parsed.lists:
            lists[ld.code] = ld
            origins[ld.code] = str(path)
        for m in parsed.measures:
            measures[m.code] = m
            origins[m.code] = str(path)
    items = set(item_codes)
    for ld in lists.values():
        if ld.item_code is not None and ld.item_code not in items:
            raise _error(
                origins[ld.code],
                [
                    (
                        ld.code,
                        "item_code",
                        f"目录中没有信息事项 {ld.item_code}",
                        f"unknown item {ld.item_code}",
                    )
                ],
            )
        if ld.on_correction is not None and ld.on_correction not in lists:
            raise _error(
                origins[ld.code],
                [
                    (
                        ld.code,
                        "on_correction",
                        f"名单 {ld.on_correction} 未定义",
                        f"unknown list {ld.on_correction}",
                    )
                ],
            )
    for m in measures.values():
        for field, unknown, zh in (
            ("scenarios", [s for s in m.scenarios if s not in scenarios], "应用场景"),
            ("triggers.lists", [c for c in m.triggers.lists if c not in lists], "名单"),
            (
                "triggers.records",
                [r.item for r in m.triggers.records if r.item not in items],
                "信息事项",
            ),
        ):
            if unknown:
                raise _error(
                    origins[m.code],
                    [
                        (
                            m.code,
                            field,
                            f"未定义的{zh}：{'、'.join(unknown)}",
                            f"undefined {field}: {unknown}",
                        )
                    ],
                )
    return MeasureBook(
        lists=MappingProxyType(lists),
        measures=MappingProxyType(measures),
        scenarios=MappingProxyType(scenarios),
        origins=MappingProxyType(origins),
        sha256=digest.hexdigest(),
    )


def load_measures(item_codes: Iterable[str], extra: Sequence[Path] = ()) -> MeasureBook:
    """The shipped lists and measures, then each file of ``extra`` in order."""
    return build_measure_book([BUILTIN, *(Path(p) for p in extra)], item_codes=item_codes)
