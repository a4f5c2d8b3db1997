"""Publication periods of a catalog item's records, from the rule set in force."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from xinyong.catalog.loader import Catalog
from xinyong.rulesets.loader import RuleBook
from xinyong.rulesets.rules import PeriodAnswer, compute_periods, require_severity


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
    checked = require_severity(severity)  # also for items without a rule family
    if item.rule_family == "none":
        return NoPeriod(item.code)
    return compute_periods(
        rulebook,
        family=item.rule_family,
        severity=checked,
        decided=decided,
        sector=sector,
        penalty_types=penalty_types,
    )


def record_answer(catalog: Catalog, rulebook: RuleBook, record: Any) -> PeriodAnswer | None:
    """What the rule set in force says about a stored ``CreditRecord`` (its item, severity,
    decision date, sector and penalty types), or None for records outside any rule
    family. Repair checklists and reminder letters read requirements from it."""
    item = catalog.item(record.item_code)
    if item.rule_family == "none" or record.severity is None:
        return None
    types = record.values.get(item.penalty_types_field or "", []) or []
    if isinstance(types, str):
        types = [types]
    return compute_periods(
        rulebook,
        family=item.rule_family,
        severity=require_severity(record.severity),
        decided=record.decision_date,
        sector=record.sector,
        penalty_types=[str(t) for t in types],
    )
