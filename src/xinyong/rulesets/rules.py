"""Publication periods and repairability from the rule set in force (pure, no database).

A record follows the rule set in force on its **decision date**, not today's
(RULES.md "Rule sets by date"). Months are added with ``relativedelta``, so a period
ending in a shorter month clamps to its last day (2024-01-31 + 1 month = 2024-02-29).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from dateutil.relativedelta import relativedelta

from xinyong.errors import NotFound, Problem, ValidationFailed
from xinyong.rulesets.loader import RuleBook
from xinyong.rulesets.schema import SEVERITIES, ClassRule, RuleSet, Severity


@dataclass(frozen=True)
class Requirement:
    code: str
    label: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "label": self.label}


# The period columns of a record whose item has no publication-period rules.
NO_PERIODS: dict[str, Any] = {
    "severity": None,
    "rule_set_id": None,
    "publication_start": None,
    "earliest_repair": None,
    "auto_withdraw": None,
    "repairable": None,
}


@dataclass(frozen=True)
class PeriodAnswer:
    """What the rule set in force says about one record."""

    rule_set_id: str
    rule_set: str  # the document number, e.g. 发改办财金〔2019〕527号
    rule_set_title: str
    severity: Severity
    publication_start: dt.date  # the decision date, or the publication date when so counted
    counted_from: Literal["decision", "publication"]
    earliest_repair: dt.date | None
    auto_withdraw: dt.date | None
    published: bool
    repairable: bool
    reason: str | None  # Chinese, when unpublished or not repairable
    requirements: tuple[Requirement, ...]
    deadlines: dict[str, int]
    confirmed: bool  # False when a figure used here is flagged unconfirmed in the data
    notes: tuple[str, ...]

    def record_columns(self, severity: str) -> dict[str, Any]:
        """The periods as a credit record stores them (``CreditRecord`` columns)."""
        return {
            "severity": severity,
            "rule_set_id": self.rule_set_id,
            "publication_start": self.publication_start,
            "earliest_repair": self.earliest_repair,
            "auto_withdraw": self.auto_withdraw,
            "repairable": self.repairable,
        }

    def as_dict(self) -> dict[str, Any]:
        def iso(d: dt.date | None) -> str | None:
            return d.isoformat() if d is not None else None

        return {
            "rule_set": self.rule_set,
            "rule_set_id": self.rule_set_id,
            "rule_set_title": self.rule_set_title,
            "severity": self.severity,
            "publication_start": self.publication_start.isoformat(),
            "counted_from": self.counted_from,
            "earliest_repair": iso(self.earliest_repair),
            "auto_withdraw": iso(self.auto_withdraw),
            "published": self.published,
            "repairable": self.repairable,
            "reason": self.reason,
            "requirements": [r.as_dict() for r in self.requirements],
            "deadlines": dict(self.deadlines),
            "confirmed": self.confirmed,
            "notes": list(self.notes),
        }


def require_severity(severity: str) -> Severity:
    """``severity`` as a class of the rule sets, or an error naming the field."""
    if severity not in SEVERITIES:
        raise ValidationFailed.one(
            "severity",
            f"失信严重程度应为 轻微、一般 或 严重 之一，收到“{severity}”",
            f"severity must be one of 轻微/一般/严重, got {severity!r}",
        )
    return severity  # type: ignore[return-value]


def rule_set_in_force(
    book: RuleBook, *, family: str, decided: dt.date, sector: str | None = None
) -> RuleSet:
    """The rule set that governs a record of ``family`` decided on ``decided``.

    A sector-specific rule set beats a general one; otherwise the higher precedence
    wins (the loader guarantees no tie among overlapping rule sets).
    """
    if family not in book.families():
        known = "、".join(sorted(book.families()))
        raise ValidationFailed.one(
            "family",
            f"未知的规则类别“{family}”，可用：{known}",
            f"unknown rule family {family!r}; known: {known}",
        )
    candidates = [
        rs
        for rs in book.rule_sets
        if rs.family == family and rs.in_force(decided) and rs.applies_to(sector)
    ]
    if not candidates:
        earliest = min(
            (rs for rs in book.rule_sets if rs.family == family), key=lambda r: r.valid_from
        )
        if decided < earliest.valid_from:
            zh = (
                f"决定日期 {decided.isoformat()} 早于最早的规则集 {earliest.name}"
                f"（自 {earliest.valid_from.isoformat()} 起施行），没有适用的规则集"
            )
        else:
            zh = f"决定日期 {decided.isoformat()} 没有适用的规则集"
        en = f"no {family} rule set in force on decided={decided.isoformat()}"
        raise NotFound(zh, en, field="decided", problems=[Problem("decided", zh, en)])
    return max(candidates, key=lambda rs: (rs.sectors is not None, rs.precedence))


# Notes on these parts of a rule set decide whether an answer's figures are confirmed.
_CONFIRMING_TOPICS = frozenset(
    {"classes", "valid_from", "valid_to", "counted_from", "sectors", "unpublished_if_only"}
)


def _relevant_notes(rs: RuleSet, severity: Severity, matched: bool) -> list[tuple[bool, str]]:
    """(counts as unconfirmed, text) of the notes that bear on one answer."""
    out: list[tuple[bool, str]] = []
    for note in rs.notes:
        head, _, rest = note.about.partition(".")
        if head == "classes" and rest and not rest.startswith(severity):
            continue  # about another class
        if head in ("name", "title"):
            continue
        confirming = head in _CONFIRMING_TOPICS or (head == "never_repairable" and matched)
        out.append((confirming and not note.confirmed, note.text))
    return out


def _add_months(start: dt.date, months: int) -> dt.date:
    result: dt.date = start + relativedelta(months=months)
    return result


def compute_periods(
    book: RuleBook,
    *,
    family: str = "penalty",
    severity: Severity,
    decided: dt.date,
    sector: str | None = None,
    penalty_types: Sequence[str] = (),
    published_on: dt.date | None = None,
) -> PeriodAnswer:
    """Publication start, earliest repair and automatic withdrawal of one record.

    ``penalty_types`` are the record's 处罚类别 (e.g. 罚款, 吊销营业执照); they decide
    never-repairable penalties and unpublished warning-only penalties. ``published_on``
    matters only for rule sets counting from publication (SAMR Order 45); without it
    the decision date stands in and a note says so.
    """
    require_severity(severity)
    if isinstance(decided, dt.datetime):
        decided = decided.date()
    if not isinstance(decided, dt.date):
        raise ValidationFailed.one(
            "decided", "决定日期应为日期（YYYY-MM-DD）", "decided must be a date (YYYY-MM-DD)"
        )
    if published_on is not None and published_on < decided:
        raise ValidationFailed.one(
            "published_on",
            f"公示日期 {published_on.isoformat()} 早于决定日期 {decided.isoformat()}",
            f"published_on {published_on.isoformat()} is before decided {decided.isoformat()}",
        )
    types = [t.strip() for t in penalty_types if t and t.strip()]
    rs = rule_set_in_force(book, family=family, decided=decided, sector=sector)
    cls: ClassRule = rs.classes[severity]

    extra_notes: list[str] = []
    start = decided
    if rs.counted_from == "publication":
        if published_on is not None:
            start = published_on
        else:
            extra_notes.append(
                f"依据{rs.name}，公示期自公示之日起计算；未提供公示日期，暂以决定日期计算"
            )

    matched = next((s for s in rs.never_repairable for t in types if s in t), None)
    warning_only = (
        bool(types)
        and bool(rs.unpublished_if_only)
        and all(any(s in t for s in rs.unpublished_if_only) for t in types)
    )

    published = cls.published and not warning_only
    reason: str | None = None
    earliest: dt.date | None = None
    auto: dt.date | None = None
    repairable = False
    if not published:
        if warning_only:
            only = "、".join(rs.unpublished_if_only)
            reason = f"依据{rs.name}，仅受到{only}处罚的信息不予公示"
        else:
            reason = f"依据{rs.name}，{severity}失信信息不予公示"
    else:
        assert cls.max_months is not None  # schema: published classes have max_months
        auto = _add_months(start, cls.max_months)
        if matched is not None:
            reason = f"依据{rs.name}，{matched}类处罚不得提前修复，公示期满后停止公示"
        elif not cls.repairable or cls.min_months is None:
            reason = f"依据{rs.name}，{severity}失信信息不得提前修复，公示期满后停止公示"
        else:
            repairable = True
            earliest = _add_months(start, cls.min_months)

    requirements = (
        tuple(Requirement(c, book.requirement_label(c)) for c in cls.requirements)
        if repairable
        else ()
    )
    noted = _relevant_notes(rs, severity, matched is not None)
    if cls.note:
        noted.insert(0, (False, cls.note))
    return PeriodAnswer(
        rule_set_id=rs.id,
        rule_set=rs.name,
        rule_set_title=rs.title,
        severity=severity,
        publication_start=start,
        counted_from=rs.counted_from,
        earliest_repair=earliest,
        auto_withdraw=auto,
        published=published,
        repairable=repairable,
        reason=reason,
        requirements=requirements,
        deadlines=rs.deadlines.as_dict(),
        confirmed=not any(unconfirmed for unconfirmed, _ in noted),
        notes=tuple([text for _, text in noted] + extra_notes),
    )
