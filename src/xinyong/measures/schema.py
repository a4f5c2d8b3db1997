"""The shape of a lists-and-measures file (``data/measures.yaml``), validated with
pydantic (国办发〔2020〕49号: measures rest on specific conduct, cite law, regulation or
central policy directly, are managed as a list, and may not be added to or made heavier).

A measure without a legal basis cannot be loaded; a basis that is only a local policy
is allowed but marked (``LegalBasis.local_policy``), so it can be shown and reviewed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from xinyong.datafiles import data_rule_error
from xinyong.rulesets.schema import Severity

_CODE = r"^[a-z][a-z0-9-]{1,39}$"

ListKind = Literal["black", "key_attention", "abnormal", "red"]
LIST_KIND_LABELS: dict[str, str] = {
    "black": "严重失信主体名单",
    "key_attention": "重点关注名单",
    "abnormal": "经营异常名录",
    "red": "守信激励名单（红名单）",
}
# How a list entry can end (RULES.md §7).
ExitWay = Literal["expiry", "repair", "correction", "court"]
EXIT_LABELS: dict[str, str] = {
    "expiry": "期满移出",
    "repair": "信用修复移出",
    "correction": "更正或撤销移出",
    "court": "司法裁判移出",
}
# The level of a legal basis; ``local_policy`` is marked wherever a measure is shown.
BasisLevel = Literal[
    "law", "regulation", "rule", "central_policy", "local_regulation", "local_policy"
]
BASIS_LEVEL_LABELS: dict[str, str] = {
    "law": "法律",
    "regulation": "行政法规",
    "rule": "部门规章",
    "central_policy": "党中央、国务院政策文件",
    "local_regulation": "地方性法规",
    "local_policy": "地方政策文件",
}
SubjectKind = Literal["legal_person", "individual_business", "natural_person", "public_body"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class LegalBasis(_Strict):
    """One legal basis at article level: the document and the article."""

    document: str = Field(min_length=2)  # e.g. 《中华人民共和国政府采购法》
    article: str = Field(min_length=2)  # e.g. 第二十二条第一款第（五）项
    level: BasisLevel
    confirmed: bool = True  # false: the article number is not verified (RULES.md style)

    @property
    def local_policy(self) -> bool:
        return self.level == "local_policy"

    @property
    def text(self) -> str:
        return f"{self.document}{self.article}"


class ListDefinition(_Strict):
    """A list: who identifies entries, on what basis and criteria, for how long, and how
    an entry leaves it."""

    code: str = Field(pattern=_CODE)
    name: str = Field(min_length=2)
    kind: ListKind
    domain: str = Field(min_length=1)  # e.g. 市场监管, 税务
    authority: str = Field(min_length=2)  # the identifying authority (认定单位)
    legal_basis: tuple[LegalBasis, ...] = Field(min_length=1)
    criteria: str = Field(min_length=2)  # 认定标准
    duration_months: int | None = Field(default=None, ge=1, le=600)  # None: until exit
    exit_ways: tuple[ExitWay, ...] = Field(min_length=1)
    exit_conditions: str = Field(min_length=2)  # 移出条件, shown with every entry
    notice_working_days: int = Field(default=5, ge=0, le=60)  # 告知后异议期
    item_code: str | None = None  # the catalog item its entries are published under
    # A local rule: an entry that corrects moves to this list instead of leaving.
    on_correction: str | None = Field(default=None, pattern=_CODE)

    @model_validator(mode="after")
    def _red_lists_need_no_notice(self) -> ListDefinition:
        if self.kind == "red" and self.on_correction:
            raise data_rule_error(
                "守信激励名单不应设置 on_correction",
                "a red list has no on_correction",
                "on_correction",
            )
        return self


class RecordTrigger(_Strict):
    """Records that trigger a measure: of a catalog item, optionally only of a severity
    or penalty types, decided within the last ``within_months``."""

    item: str = Field(min_length=2)
    severities: tuple[Severity, ...] = ()
    penalty_types: tuple[str, ...] = ()  # any of these substrings of 处罚类别
    within_months: int | None = Field(default=None, ge=1, le=600)


class Trigger(_Strict):
    lists: tuple[str, ...] = ()
    records: tuple[RecordTrigger, ...] = ()

    @model_validator(mode="after")
    def _something(self) -> Trigger:
        if not self.lists and not self.records:
            raise data_rule_error(
                "措施须由名单或信用记录触发（lists 或 records 至少一项）",
                "a measure needs a trigger: lists or records",
            )
        return self


class Measure(_Strict):
    """One measure of the list: what it does, to whom, on what trigger and basis, who
    implements it, and in which scenarios it applies."""

    code: str = Field(pattern=_CODE)
    kind: Literal["punish", "reward"]
    content: str = Field(min_length=2)  # 措施内容
    targets: tuple[SubjectKind, ...] = Field(min_length=1)
    triggers: Trigger
    legal_basis: tuple[LegalBasis, ...] = Field(default=(), validate_default=True)
    implementer: str = Field(min_length=2)  # 实施主体
    scenarios: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _needs_a_basis(self) -> Measure:
        if not self.legal_basis:
            raise data_rule_error(
                "措施必须有法律法规或政策依据（条款级），否则不能列入清单",
                "a measure must have a legal basis at article level",
                "legal_basis",
            )
        return self

    @property
    def local_policy_only(self) -> bool:
        """Every basis is a local policy: allowed, but marked for review."""
        return all(b.local_policy for b in self.legal_basis)


class MeasureFile(_Strict):
    scenarios: dict[str, str] = Field(default_factory=dict)  # code -> Chinese label
    lists: tuple[ListDefinition, ...] = ()
    measures: tuple[Measure, ...] = ()
