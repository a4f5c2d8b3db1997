"""Which measures a subject's triggers authorise, and the screening status they give
(pure: no database).

Lawful by construction (国办发〔2020〕49号, RULES.md §5): only measures of the
MeasureBook are ever returned, each with its legal bases and the list entries or
records that trigger it. A measure applies to a subject when

- the subject's kind is among the measure's ``targets``, and
- a trigger holds:
  - ``triggers.lists``: the subject has a current entry (status listed, not expired)
    on one of those lists;
  - ``triggers.records``: the subject has a record of that catalog item that is
    **published today** (``records.service.is_published``: active, 公示中, within its
    publication period; a revoked, repaired, expired or suspended record never
    triggers) and, when the trigger sets ``within_months``, decided within that many
    months before today; filtered by ``severities`` (the record's severity) and by
    ``penalty_types`` (any of them a substring of one of the record's 处罚类别, the
    catalog item's ``penalty_types_field``).

Requiring publication is the conservative reading: the platform restricts nobody on
a record it would not show (repair and revocation end the measure at once), and
``within_months`` further limits look-back periods shorter than publication, such as
the three years of 政府采购法 第二十二条.

Dates: ``since`` is the first day a measure applies, ``until`` the first day it no
longer does (exclusive, like ``ListEntry.expires_on`` and ``auto_withdraw``); None
when it lasts until the trigger ends (e.g. an entry without an expiry date).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from dateutil.relativedelta import relativedelta

from xinyong.measures.loader import MeasureBook
from xinyong.measures.schema import BASIS_LEVEL_LABELS, LIST_KIND_LABELS, Measure, RecordTrigger

Status = Literal["clear", "reward", "restrict", "unknown", "invalid"]
STATUS_LABELS: dict[str, str] = {
    "clear": "未发现适用措施",
    "reward": "适用守信激励措施",
    "restrict": "适用失信惩戒措施",
    "unknown": "平台无此主体",
    "invalid": "代码格式或校验位错误",
}


@dataclass(frozen=True)
class EntryFact:
    """A current list entry of the subject (status listed)."""

    id: uuid.UUID
    list_code: str
    doc_number: str
    listed_on: dt.date | None
    expires_on: dt.date | None


@dataclass(frozen=True)
class RecordFact:
    """A record of the subject, with what the triggers look at."""

    id: uuid.UUID
    item_code: str
    doc_number: str
    decision_date: dt.date
    severity: str | None
    penalty_types: tuple[str, ...]
    published: bool  # records.service.is_published today
    publication_start: dt.date | None = None
    auto_withdraw: dt.date | None = None


@dataclass(frozen=True)
class Applicable:
    """One measure in force for a subject, by one trigger (a SubjectMeasure row)."""

    measure_code: str
    kind: str  # punish | reward
    trigger_type: Literal["list", "record"]
    trigger_id: uuid.UUID
    since: dt.date
    until: dt.date | None


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    result: dt.date = day + relativedelta(months=months)
    return result


def penalty_types_of(value: Any) -> tuple[str, ...]:
    """The 处罚类别 of a record's values: a list (multi-valued enumeration) or text."""
    if value is None or value == "":
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return (str(value),)


def record_matches(trigger: RecordTrigger, record: RecordFact, today: dt.date) -> bool:
    """Whether ``record`` satisfies ``trigger`` today (see the module docstring)."""
    if record.item_code != trigger.item or not record.published:
        return False
    if trigger.within_months is not None and (
        add_months(record.decision_date, trigger.within_months) <= today
    ):
        return False
    if trigger.severities and record.severity not in trigger.severities:
        return False
    return not trigger.penalty_types or any(
        wanted in kind for wanted in trigger.penalty_types for kind in record.penalty_types
    )


def _record_until(trigger: RecordTrigger, record: RecordFact) -> dt.date | None:
    ends = [d for d in (record.auto_withdraw,) if d is not None]
    if trigger.within_months is not None:
        ends.append(add_months(record.decision_date, trigger.within_months))
    return min(ends) if ends else None


def applicable_measures(
    book: MeasureBook,
    *,
    subject_kind: str,
    entries: Sequence[EntryFact],
    records: Sequence[RecordFact],
    today: dt.date,
) -> list[Applicable]:
    """Every (measure, trigger) pair the book authorises for a subject today."""
    found: list[Applicable] = []
    current = [e for e in entries if e.expires_on is None or e.expires_on > today]
    for measure in book.measures.values():
        if subject_kind not in measure.targets:
            continue
        lists = set(measure.triggers.lists)
        for entry in current:
            if entry.list_code in lists:
                found.append(
                    Applicable(
                        measure.code,
                        measure.kind,
                        "list",
                        entry.id,
                        entry.listed_on or today,
                        entry.expires_on,
                    )
                )
        for record in records:
            for trigger in measure.triggers.records:
                if record_matches(trigger, record, today):
                    since = max(record.decision_date, record.publication_start or dt.date.min)
                    found.append(
                        Applicable(
                            measure.code,
                            measure.kind,
                            "record",
                            record.id,
                            since,
                            _record_until(trigger, record),
                        )
                    )
                    break  # one row per (measure, record)
    return sorted(found, key=lambda a: (a.kind != "punish", a.measure_code, str(a.trigger_id)))


def in_force(since: dt.date, until: dt.date | None, today: dt.date) -> bool:
    """Whether a precomputed measure still applies today (its trigger may have ended
    since it was computed: ``until`` is checked at every screening)."""
    return since <= today and (until is None or until > today)


def scenario_status(book: MeasureBook, scenario: str, measure_codes: Iterable[str]) -> Status:
    """restrict if any punishment of ``scenario`` applies, else reward if any reward of
    it applies, else clear. Measures not of the scenario (or unknown to the book) are
    ignored."""
    kinds = set()
    for code in measure_codes:
        measure = book.measures.get(code)
        if measure is not None and scenario in measure.scenarios:
            kinds.add(measure.kind)
    if "punish" in kinds:
        return "restrict"
    if "reward" in kinds:
        return "reward"
    return "clear"


def basis_view(measure: Measure) -> list[dict[str, Any]]:
    return [
        {
            "document": b.document,
            "article": b.article,
            "level": b.level,
            "level_label": BASIS_LEVEL_LABELS[b.level],
            "local_policy": b.local_policy,
            "confirmed": b.confirmed,
        }
        for b in measure.legal_basis
    ]


def list_trigger_view(
    book: MeasureBook,
    *,
    entry_id: uuid.UUID,
    list_code: str,
    doc_number: str,
    listed_on: dt.date | None,
    expires_on: dt.date | None,
) -> dict[str, Any]:
    ld = book.lists.get(list_code)
    return {
        "type": "list",
        "id": str(entry_id),
        "list": list_code,
        "list_name": ld.name if ld else list_code,
        "list_kind": LIST_KIND_LABELS[ld.kind] if ld else None,
        "authority": ld.authority if ld else None,
        "doc_number": doc_number,
        "listed_on": listed_on.isoformat() if listed_on else None,
        "expires_on": expires_on.isoformat() if expires_on else None,
    }


def record_trigger_view(
    *, record_id: uuid.UUID, item_code: str, item_name: str, doc_number: str, decided: dt.date
) -> dict[str, Any]:
    return {
        "type": "record",
        "id": str(record_id),
        "item": item_code,
        "item_name": item_name,
        "doc_number": doc_number,
        "decision_date": decided.isoformat(),
    }


_STATIC: dict[tuple[str, str], dict[str, Any]] = {}


def _static_view(book: MeasureBook, measure_code: str) -> dict[str, Any]:
    """The parts of a measure's answer that depend on the book only (built once)."""
    key = (book.sha256, measure_code)
    found = _STATIC.get(key)
    if found is None:
        m = book.measures[measure_code]
        found = {
            "code": m.code,
            "kind": m.kind,
            "content": m.content,
            "implementer": m.implementer,
            "legal_basis": basis_view(m),
            "local_policy_only": m.local_policy_only,
        }
        if len(_STATIC) > 10_000:
            _STATIC.clear()
        _STATIC[key] = found
    return found


def measure_view(
    book: MeasureBook,
    measure_code: str,
    triggers: list[dict[str, Any]],
    until: dt.date | None,
) -> dict[str, Any]:
    """One applicable measure as answered: content, bases, triggers, dates."""
    return {
        **_static_view(book, measure_code),
        "triggers": triggers,
        "until": until.isoformat() if until else None,
    }
