"""The shape of a rule-set file (``data/rulesets.yaml``), validated with pydantic.

Validators raise ``PydanticCustomError`` with a Chinese message and an English one in
its context (``zh``/``en``, optionally ``field`` for a sub-field), so that the loader
can report every problem in both languages with a precise field path.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from xinyong.datafiles import data_rule_error as rule_error

Severity = Literal["轻微", "一般", "严重"]
SEVERITIES: tuple[Severity, ...] = ("轻微", "一般", "严重")

# Top-level keys of a rule set that a note's ``about`` may start with; "scope" is for
# remarks on which records the rule set covers.
NOTE_TOPICS = (
    "scope",
    "name",
    "title",
    "valid_from",
    "valid_to",
    "precedence",
    "sectors",
    "counted_from",
    "classes",
    "never_repairable",
    "unpublished_if_only",
    "deadlines",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Source(_Strict):
    """Where a figure comes from: a RULES.md section and/or a URL."""

    ref: str = Field(min_length=1)
    url: str | None = None


class Note(_Strict):
    """A remark on one part of a rule set; ``confirmed: false`` flags an unverified figure."""

    about: str = Field(min_length=1)  # dotted path, e.g. "classes.严重.min_months"
    confirmed: bool
    text: str = Field(min_length=1)


class ClassRule(_Strict):
    """Publication and repair of one class (轻微/一般/严重) of dishonesty information."""

    published: bool
    repairable: bool
    min_months: int | None = Field(default=None, ge=0, le=600)  # earliest repair
    max_months: int | None = Field(default=None, ge=0, le=600)  # automatic withdrawal
    requirements: tuple[str, ...] = ()  # codes of the file's ``requirements``
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ClassRule:
        if not self.published:
            if self.min_months is not None or self.max_months is not None:
                raise rule_error(
                    "不予公示的类别不应设置 min_months 或 max_months",
                    "an unpublished class must not set min_months or max_months",
                    "published",
                )
            if self.repairable:
                raise rule_error(
                    "不予公示的类别不能标记为可修复",
                    "an unpublished class cannot be repairable",
                    "repairable",
                )
            return self
        if self.max_months is None:
            raise rule_error(
                "公示的类别必须设置最长公示期 max_months",
                "a published class needs max_months (automatic withdrawal)",
                "max_months",
            )
        if self.repairable and self.min_months is None:
            raise rule_error(
                "可修复的类别必须设置最短公示期 min_months",
                "a repairable class needs min_months (earliest repair)",
                "min_months",
            )
        if not self.repairable and self.min_months is not None:
            raise rule_error(
                "不可提前修复的类别不应设置 min_months",
                "a class without early repair must not set min_months",
                "min_months",
            )
        if self.min_months is not None and self.min_months > self.max_months:
            raise rule_error(
                f"最短公示期 {self.min_months} 个月大于最长公示期 {self.max_months} 个月",
                f"min_months {self.min_months} exceeds max_months {self.max_months}",
                "min_months",
            )
        return self


class Deadlines(_Strict):
    """Working-day deadlines of the rule set (null = not set by it)."""

    publish_working_days: int | None = Field(default=None, ge=0)  # publish after decision
    acceptance_working_days: int | None = Field(default=None, ge=0)  # accept a repair request
    office_answer_working_days: int | None = Field(default=None, ge=0)  # 信用中国 answers
    department_decision_working_days: int | None = Field(default=None, ge=0)  # department decides
    withdraw_working_days: int | None = Field(default=None, ge=0)  # stop publication

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class RuleSet(_Strict):
    """One rule set: a document and what it says about publication and repair."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)
    name: str = Field(min_length=1)  # the document number, e.g. 发改办财金〔2019〕527号
    title: str = Field(min_length=1)
    family: str = Field(default="penalty", pattern=r"^[a-z][a-z0-9_]*$")
    valid_from: dt.date
    valid_to: dt.date | None = None  # last day in force (inclusive); null = current
    precedence: int  # higher wins among overlapping rule sets of the same scope
    sectors: tuple[str, ...] | None = None  # null = all sectors
    counted_from: Literal["decision", "publication"] = "decision"
    classes: dict[Severity, ClassRule]
    never_repairable: tuple[str, ...] = ()  # substrings of 处罚类别
    unpublished_if_only: tuple[str, ...] = ()  # e.g. 警告: a warning alone is not published
    deadlines: Deadlines = Deadlines()
    sources: tuple[Source, ...] = Field(min_length=1)
    notes: tuple[Note, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> RuleSet:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise rule_error(
                f"失效日期 {self.valid_to} 早于生效日期 {self.valid_from}",
                f"valid_to {self.valid_to} is before valid_from {self.valid_from}",
                "valid_to",
            )
        missing = [s for s in SEVERITIES if s not in self.classes]
        if missing:
            raise rule_error(
                f"缺少类别 {'、'.join(missing)}（轻微、一般、严重 三类均须定义）",
                f"classes {', '.join(missing)} missing (all of 轻微/一般/严重 are required)",
                "classes",
            )
        if self.sectors is not None and (not self.sectors or any(not s for s in self.sectors)):
            raise rule_error(
                "sectors 应为非空的行业列表，或写 null 表示适用全部行业",
                "sectors must be a non-empty list of sector names, or null for all sectors",
                "sectors",
            )
        for i, note in enumerate(self.notes):
            if note.about.split(".", 1)[0] not in NOTE_TOPICS:
                raise rule_error(
                    f"说明所指字段“{note.about}”不存在",
                    f"note refers to unknown field {note.about!r}",
                    f"notes.{i}.about",
                )
        return self

    def in_force(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def applies_to(self, sector: str | None) -> bool:
        return self.sectors is None or (sector is not None and sector in self.sectors)

    def overlaps(self, other: RuleSet) -> bool:
        """Same family and scope, with validity periods that share a day."""
        if self.family != other.family:
            return False
        if (self.sectors is None) != (other.sectors is None):
            return False
        if (
            self.sectors is not None
            and other.sectors is not None
            and not (set(self.sectors) & set(other.sectors))
        ):
            return False
        end_a = self.valid_to or dt.date.max
        end_b = other.valid_to or dt.date.max
        return self.valid_from <= end_b and other.valid_from <= end_a


class RuleSetFile(_Strict):
    """A whole file: the vocabulary of repair requirements and the rule sets."""

    requirements: dict[str, str] = {}  # code -> Chinese label
    rulesets: tuple[RuleSet, ...] = ()
