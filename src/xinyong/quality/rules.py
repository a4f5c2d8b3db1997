"""Pure rules of the data quality reports: months, ratios, ranking, the notice text.

Nothing here touches the database or the clock; ``service.py`` counts, these functions
turn counts into the figures and words of the monthly notice (通报).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from xinyong.errors import ValidationFailed

# A department whose compliance (合规率) is below this must rectify (需整改).
COMPLIANCE_TARGET = Fraction(95, 100)
# Code governance (重错码): at most 1 duplicate or wrong code per 1,000 subjects.
CODE_RATE_TARGET_PER_MILLE = 1.0

_MONTH_RE = re.compile(r"(\d{4})-(\d{1,2})")


def parse_month(text: str, *, field: str = "month") -> dt.date:
    """``YYYY-MM`` as the first day of that month; ``ValidationFailed`` otherwise."""
    match = _MONTH_RE.fullmatch(text.strip())
    year, month = (int(match[1]), int(match[2])) if match else (0, 0)
    if not match or not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise ValidationFailed.one(
            field,
            f"月份格式应为 YYYY-MM（如 2026-11），收到“{text}”",
            f"month must be YYYY-MM between 2000 and 2100, got {text!r}",
        )
    return dt.date(year, month, 1)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    """The first day of the month ``n`` months after (or before, ``n`` < 0) ``month``."""
    index = month.year * 12 + (month.month - 1) + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_key(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def month_label(month: dt.date) -> str:
    return f"{month.year}年{month.month}月"


def ratio(numerator: int, denominator: int) -> Fraction | None:
    """``numerator / denominator`` exactly, or ``None`` when there is nothing to divide by."""
    return Fraction(numerator, denominator) if denominator else None


def as_float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def percent(value: Fraction | float | None, places: int = 1) -> str:
    """``0.975`` → ``97.5%``; ``None`` → ``—``."""
    if value is None:
        return "—"
    return f"{float(value) * 100:.{places}f}%"


# --- ranking -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """What ranks a department: its compliance, then its timeliness."""

    compliance: Fraction | None
    timeliness: Fraction | None
    name: str


def competition_ranks(standings: Sequence[Standing]) -> list[int | None]:
    """Rank by compliance then timeliness, both descending ("1224" ranking: equal figures
    share a rank). A department without a compliance figure is not ranked (``None``);
    a missing timeliness ranks below any figure."""

    def key(s: Standing) -> tuple[Fraction, bool, Fraction]:
        assert s.compliance is not None
        has_t = s.timeliness is not None
        return (-s.compliance, not has_t, -(s.timeliness or Fraction(0)))

    ranked = sorted(
        (i for i, s in enumerate(standings) if s.compliance is not None),
        key=lambda i: (key(standings[i]), standings[i].name),
    )
    ranks: list[int | None] = [None] * len(standings)
    previous: tuple[Fraction, bool, Fraction] | None = None
    for position, index in enumerate(ranked, start=1):
        current = key(standings[index])
        ranks[index] = ranks[ranked[position - 2]] if current == previous else position
        previous = current
    return ranks


# --- the notice (通报) ----------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeLine:
    """One department's figures as the notice text needs them."""

    name: str
    received: int
    rejected: int
    first_pass: int
    rejected_original: int
    timely: int
    timeliness_known: int
    rank: int | None

    @property
    def compliance(self) -> Fraction | None:
        return ratio(self.first_pass, self.first_pass + self.rejected_original)

    @property
    def timeliness(self) -> Fraction | None:
        return ratio(self.timely, self.timeliness_known)

    @property
    def reported(self) -> bool:
        return bool(self.received or self.rejected)


def _names(lines: Sequence[NoticeLine], figure: str) -> str:
    return "、".join(f"{line.name}（{percent(getattr(line, figure))}）" for line in lines)


def notice_text(month: dt.date, lines: Sequence[NoticeLine]) -> str:
    """The monthly notice to all departments, in Chinese, from every department's figures."""
    label = month_label(month)
    reporting = [line for line in lines if line.reported]
    if not reporting:
        return f"{label}，全市各部门均未报送数据。"
    received = sum(line.received for line in reporting)
    first_pass = sum(line.first_pass for line in reporting)
    failed = sum(line.rejected_original for line in reporting)
    timely = sum(line.timely for line in reporting)
    known = sum(line.timeliness_known for line in reporting)
    parts = [
        f"{label}，全市共 {len(reporting)} 个部门报送数据，入库 {received} 条，"
        f"首次报送即通过全部校验 {first_pass} 条、退回 {failed} 条，"
        f"整体合规率 {percent(ratio(first_pass, first_pass + failed))}，"
        f"及时率 {percent(ratio(timely, known))}。"
    ]
    best = [line for line in reporting if line.rank == 1]
    if best:
        parts.append(f"合规率最高的是{_names(best, 'compliance')}。")
    below = sorted(
        (
            line
            for line in reporting
            if line.compliance is not None and line.compliance < COMPLIANCE_TARGET
        ),
        key=lambda line: (line.compliance or 0, line.name),
    )
    target = percent(COMPLIANCE_TARGET, 0)
    if below:
        parts.append(f"合规率低于 {target} 的有{_names(below, 'compliance')}（需整改）。")
    else:
        parts.append(f"各报送部门合规率均达到 {target}。")
    silent = [line.name for line in lines if not line.reported]
    if silent:
        parts.append(f"本月未报送数据的部门：{'、'.join(silent)}。")
    return "".join(parts)


def own_notice_text(month: dt.date, line: NoticeLine, ranked: int, *, own: bool = True) -> str:
    """The notice about one department: its own figures and place only. ``own``: the
    department itself reads it ("本单位"), else the credit office looking at one."""
    label = month_label(month)
    who = f"本单位（{line.name}）" if own else line.name
    if not line.reported:
        return f"{label}，{who}未报送数据。"
    text = (
        f"{label}，{who}入库 {line.received} 条，退回 {line.rejected} 条，"
        f"合规率 {percent(line.compliance)}，及时率 {percent(line.timeliness)}"
    )
    if line.rank is not None:
        text += f"，在 {ranked} 个参与排名的部门中列第 {line.rank} 名"
    text += "。"
    if line.compliance is not None and line.compliance < COMPLIANCE_TARGET:
        text += f"合规率低于 {percent(COMPLIANCE_TARGET, 0)}，需整改。"
    return text


def code_rate_per_mille(issues: int, subjects: int) -> float | None:
    """Duplicate and wrong codes per 1,000 subjects reported."""
    return issues * 1000 / subjects if subjects else None


def meets_code_target(issues: int, subjects: int) -> bool | None:
    """Whether the rate is within 1‰; ``None`` when the department reported nothing at all."""
    rate = code_rate_per_mille(issues, subjects)
    if rate is None:
        return None if issues == 0 else False
    return rate <= CODE_RATE_TARGET_PER_MILLE
