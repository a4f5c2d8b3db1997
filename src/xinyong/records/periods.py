"""Publication periods of a catalog item's records, from the rule set in force."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from xinyong.catalog.loader import Catalog
from xinyong.errors import Problem, ValidationFailed
from xinyong.rulesets.loader import RuleBook
from xinyong.rulesets.rules import PeriodAnswer, compute_periods

SEVERITIES = ("轻微", "一般", "严重")


@dataclass(frozen=True)
class NoPeriod:
    """Items outside any rule family (licences, registration data): no negative period."""

    item_code: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_set": None,
            "earliest_repair": None,
            "auto_withdraw": None,
            "repairable": False,
            "reason": "该信息不属于失信信息，无需信用修复",
        }


def periods_for_item(
    catalog: Catalog,
    rulebook: RuleBook,
    *,
    item_code: str,
    severity: str,
    decided: dt.date,
    sector: str | None = None,
    penalty_types: Sequence[str] = (),
) -> PeriodAnswer | NoPeriod:
    """Periods for a record of ``item_code`` decided on ``decided``."""
    item = catalog.item(item_code)
    if severity not in SEVERITIES:
        raise ValidationFailed.from_problems(
            [
                Problem(
                    "severity",
                    f"失信严重程度应为 轻微、一般 或 严重，收到“{severity}”",
                    f"severity must be one of 轻微/一般/严重, got {severity!r}",
                )
            ]
        )
    if item.rule_family == "none":
        return NoPeriod(item.code)
    return compute_periods(
        rulebook,
        family=item.rule_family,
        severity=severity,  # type: ignore[arg-type]
        decided=decided,
        sector=sector,
        penalty_types=penalty_types,
    )
