"""Figures of objections (异议) and credit repair (信用修复) for a period (issue 5 item 6).

``case_figures`` counts the cases *filed* in [start, end] (both days included) with a
few ``GROUP BY`` queries on ``credit_case`` (SQLite and PostgreSQL alike): objections
received and how they ended, the upheld share, valid objections per 100,000 published
records against Yichang's target (under 1), median and worst handling time in working
days, on-time shares overall and per department, repair applications, approvals and
refusals by reason. Open and overdue cases are counted *now* (as of ``today``), not
per period. Medians are taken in Python over the handling times of the period's
closed cases (a short list of small integers).

``department_answers`` feeds the data-quality league table (``quality.service``):
per department, the objections it upheld and its on-time answers in a month.

Exact definitions: docs/cases.md, section "Figures".
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from xinyong.accounts.models import Organisation
from xinyong.cases.models import CreditCase
from xinyong.cases.rules import OPEN_STATUSES, CaseKind, RefusalCode, Status
from xinyong.errors import ValidationFailed
from xinyong.records.models import CreditRecord
from xinyong.records.service import published_clause

# Yichang: fewer than 1 valid objection per 100,000 published records.
VALID_OBJECTION_TARGET_PER_100K = 1.0
PER = 100_000
VALID = (Status.upheld.value, Status.partly.value)  # 有效异议: upheld or partly upheld
DECIDED = (*VALID, Status.rejected.value)
OPEN = tuple(s.value for s in OPEN_STATUSES)


def share(numerator: int, denominator: int) -> Fraction | None:
    """``numerator / denominator`` exactly, or ``None`` when there is nothing to divide."""
    return Fraction(numerator, denominator) if denominator else None


def _float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def median(values: Sequence[int]) -> Fraction | None:
    """The median (mean of the two middle values for an even count); ``None`` if empty."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return None
    if n % 2:
        return Fraction(ordered[n // 2])
    return Fraction(ordered[n // 2 - 1] + ordered[n // 2], 2)


def per_100k(count: int, published: int) -> float | None:
    return count * PER / published if published else None


def check_period(start: dt.date, end: dt.date) -> None:
    if start > end:
        raise ValidationFailed.one(
            "start",
            f"起始日期（{start.isoformat()}）不能晚于截止日期（{end.isoformat()}）",
            f"start {start} after end {end}",
        )


# --- the figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Handling:
    """Handling time of closed cases (not withdrawn) in working days, and on-time shares."""

    closed: int = 0
    on_time: int = 0  # closed by the office's overall deadline (``final_due_on``)
    median_workdays: Fraction | None = None
    worst_workdays: int | None = None

    @property
    def on_time_share(self) -> Fraction | None:
        return share(self.on_time, self.closed)

    def as_dict(self) -> dict[str, Any]:
        return {
            "closed": self.closed,
            "on_time": self.on_time,
            "on_time_share": _float(self.on_time_share),
            "median_workdays": _float(self.median_workdays),
            "worst_workdays": self.worst_workdays,
        }


@dataclass(frozen=True)
class RefusalCount:
    code: str
    label: str
    count: int

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "label": self.label, "count": self.count}


@dataclass(frozen=True)
class DepartmentFigures:
    """One reporting department's row: cases about the records it reported."""

    org_id: uuid.UUID
    uscc: str
    name: str
    objections: int = 0  # objections against its records filed in the period
    upheld: int = 0  # of those, upheld or partly upheld (a data-quality signal)
    repairs: int = 0  # repair applications about its records filed in the period
    repair_approvals: int = 0
    repair_refusals: int = 0
    answered: int = 0  # cases it answered (decided after forwarding), both kinds
    answered_on_time: int = 0  # ... by its own deadline (``dept_on_time``)
    closed: int = 0  # closed cases of its records, not withdrawn
    closed_on_time: int = 0  # ... by the office's overall deadline (``on_time``)
    open_now: int = 0
    overdue_now: int = 0
    published: int = 0  # its records published on ``today``

    @property
    def dept_on_time_share(self) -> Fraction | None:
        return share(self.answered_on_time, self.answered)

    @property
    def on_time_share(self) -> Fraction | None:
        return share(self.closed_on_time, self.closed)

    @property
    def upheld_per_100k(self) -> float | None:
        return per_100k(self.upheld, self.published)

    def as_dict(self) -> dict[str, Any]:
        return {
            "department": self.uscc,
            "department_name": self.name,
            "objections": self.objections,
            "upheld": self.upheld,
            "repairs": self.repairs,
            "repair_approvals": self.repair_approvals,
            "repair_refusals": self.repair_refusals,
            "answered": self.answered,
            "answered_on_time": self.answered_on_time,
            "dept_on_time_share": _float(self.dept_on_time_share),
            "closed": self.closed,
            "closed_on_time": self.closed_on_time,
            "on_time_share": _float(self.on_time_share),
            "open_now": self.open_now,
            "overdue_now": self.overdue_now,
            "published": self.published,
            "upheld_per_100k": self.upheld_per_100k,
        }


@dataclass(frozen=True)
class CaseFigures:
    """The figures of one period, for every department or one (``org_id``)."""

    start: dt.date
    end: dt.date
    today: dt.date
    org_id: uuid.UUID | None
    # Objections filed in the period, by how they stand now.
    objections: int = 0
    upheld: int = 0
    partly: int = 0
    rejected: int = 0
    not_accepted: int = 0
    objections_withdrawn: int = 0
    objections_open: int = 0
    published: int = 0  # records published on ``today`` (``records.service.published_clause``)
    objection_handling: Handling = field(default_factory=Handling)
    # Repair applications filed in the period.
    repairs: int = 0
    approved: int = 0
    refused: int = 0
    repairs_withdrawn: int = 0
    repairs_open: int = 0
    refusals: tuple[RefusalCount, ...] = ()
    repair_handling: Handling = field(default_factory=Handling)
    # Both kinds.
    answered: int = 0
    answered_on_time: int = 0
    handling: Handling = field(default_factory=Handling)
    open_now: int = 0
    overdue_now: int = 0
    departments: tuple[DepartmentFigures, ...] = ()

    @property
    def decided(self) -> int:
        return self.upheld + self.partly + self.rejected

    @property
    def valid(self) -> int:
        """Valid objections (有效异议): upheld or partly upheld."""
        return self.upheld + self.partly

    @property
    def upheld_share(self) -> Fraction | None:
        return share(self.valid, self.decided)

    @property
    def valid_per_100k(self) -> float | None:
        return per_100k(self.valid, self.published)

    @property
    def meets_target(self) -> bool | None:
        rate = self.valid_per_100k
        return None if rate is None else rate < VALID_OBJECTION_TARGET_PER_100K

    @property
    def dept_on_time_share(self) -> Fraction | None:
        return share(self.answered_on_time, self.answered)

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "today": self.today.isoformat(),
            "scope": "all" if self.org_id is None else "own",
            "objections": {
                "received": self.objections,
                "decided": self.decided,
                "upheld": self.upheld,
                "partly": self.partly,
                "rejected": self.rejected,
                "not_accepted": self.not_accepted,
                "withdrawn": self.objections_withdrawn,
                "open": self.objections_open,
                "valid": self.valid,
                "upheld_share": _float(self.upheld_share),
                "published_records": self.published,
                "valid_per_100k": self.valid_per_100k,
                "target_per_100k": VALID_OBJECTION_TARGET_PER_100K,
                "meets_target": self.meets_target,
                "handling": self.objection_handling.as_dict(),
            },
            "repairs": {
                "received": self.repairs,
                "approved": self.approved,
                "refused": self.refused,
                "withdrawn": self.repairs_withdrawn,
                "open": self.repairs_open,
                "refusals": [r.as_dict() for r in self.refusals],
                "handling": self.repair_handling.as_dict(),
            },
            "handling": self.handling.as_dict(),
            "answered": self.answered,
            "answered_on_time": self.answered_on_time,
            "dept_on_time_share": _float(self.dept_on_time_share),
            "open_now": self.open_now,
            "overdue_now": self.overdue_now,
            "departments": [d.as_dict() for d in self.departments],
        }


# --- counting ------------------------------------------------------------------------------


def _int(value: Any) -> int:
    return int(value or 0)


def _true(column: Any) -> Any:
    return func.sum(case((column.is_(True), 1), else_=0))


def _handling(rows: Sequence[tuple[int | None, bool | None]]) -> Handling:
    days = [d for d, _ in rows if d is not None]
    on_time = sum(1 for _, ok in rows if ok)
    return Handling(len(rows), on_time, median(days), max(days) if days else None)


def case_figures(
    session: Session,
    *,
    start: dt.date,
    end: dt.date,
    today: dt.date,
    org_id: uuid.UUID | None = None,
) -> CaseFigures:
    """The figures of cases filed in [start, end] (``org_id``: about that department's
    records only); open and overdue counts as of ``today``."""
    check_period(start, end)
    c = CreditCase
    in_period = and_(c.filed_on >= start, c.filed_on <= end)

    def scoped(query: Any, column: Any = c.org_id) -> Any:
        return query if org_id is None else query.where(column == org_id)

    # One row per (department, kind, status, refusal code) of the period's cases.
    grouped = session.execute(
        scoped(
            select(
                c.org_id,
                c.kind,
                c.status,
                c.refusal_code,
                func.count(),
                func.count(c.dept_on_time),
                _true(c.dept_on_time),
                _true(c.on_time),
            )
            .where(in_period)
            .group_by(c.org_id, c.kind, c.status, c.refusal_code)
        )
    ).all()
    # Handling times of the period's closed cases (withdrawn ones are the applicant's act).
    closed_rows = session.execute(
        scoped(
            select(c.kind, c.handling_workdays, c.on_time).where(
                in_period,
                c.status.not_in([*OPEN, Status.withdrawn.value]),
            )
        )
    ).all()
    # Open and overdue now, whenever filed.
    now_rows = session.execute(
        scoped(
            select(
                c.org_id,
                func.count(),
                func.sum(case((c.due_on < today, 1), else_=0)),
            )
            .where(c.status.in_(OPEN))
            .group_by(c.org_id)
        )
    ).all()
    r = CreditRecord
    published_rows = session.execute(
        scoped(
            select(r.org_id, func.count()).where(published_clause(today)).group_by(r.org_id),
            r.org_id,
        )
    ).all()

    totals: dict[str, int] = {}
    refusals = dict.fromkeys(RefusalCode, 0)
    per_org: dict[uuid.UUID, dict[str, int]] = {}

    def add(org: uuid.UUID, key: str, n: int) -> None:
        totals[key] = totals.get(key, 0) + n
        row = per_org.setdefault(org, {})
        row[key] = row.get(key, 0) + n

    for org, kind, status, code, n, answered, answered_ok, ok in grouped:
        n, answered, answered_ok, ok = _int(n), _int(answered), _int(answered_ok), _int(ok)
        add(org, f"{kind}:{status}", n)
        add(org, "answered", answered)
        add(org, "answered_on_time", answered_ok)
        if status not in OPEN and status != Status.withdrawn.value:
            add(org, "closed", n)
            add(org, "closed_on_time", ok)
        if kind == CaseKind.repair.value and status == Status.refused.value:
            refusals[RefusalCode(code or RefusalCode.other)] += n
    for org, n, overdue in now_rows:
        add(org, "open_now", _int(n))
        add(org, "overdue_now", _int(overdue))
    for org, n in published_rows:
        add(org, "published", _int(n))

    def count(row: dict[str, int], kind: CaseKind, *statuses: str) -> int:
        return sum(row.get(f"{kind.value}:{s}", 0) for s in statuses)

    def kind_total(row: dict[str, int], kind: CaseKind) -> int:
        return sum(v for k, v in row.items() if k.startswith(f"{kind.value}:"))

    objection, repair = CaseKind.objection, CaseKind.repair
    departments = []
    for org in _organisations(session, org_id, per_org):
        row = per_org.get(org.id, {})
        departments.append(
            DepartmentFigures(
                org.id,
                org.uscc,
                org.name,
                objections=kind_total(row, objection),
                upheld=count(row, objection, *VALID),
                repairs=kind_total(row, repair),
                repair_approvals=count(row, repair, Status.approved.value),
                repair_refusals=count(row, repair, Status.refused.value),
                answered=row.get("answered", 0),
                answered_on_time=row.get("answered_on_time", 0),
                closed=row.get("closed", 0),
                closed_on_time=row.get("closed_on_time", 0),
                open_now=row.get("open_now", 0),
                overdue_now=row.get("overdue_now", 0),
                published=row.get("published", 0),
            )
        )
    handling_rows = [(d, ok) for _, d, ok in closed_rows]
    return CaseFigures(
        start=start,
        end=end,
        today=today,
        org_id=org_id,
        objections=kind_total(totals, objection),
        upheld=count(totals, objection, Status.upheld.value),
        partly=count(totals, objection, Status.partly.value),
        rejected=count(totals, objection, Status.rejected.value),
        not_accepted=count(totals, objection, Status.not_accepted.value),
        objections_withdrawn=count(totals, objection, Status.withdrawn.value),
        objections_open=count(totals, objection, *OPEN),
        published=totals.get("published", 0),
        objection_handling=_handling([(d, ok) for k, d, ok in closed_rows if k == objection.value]),
        repairs=kind_total(totals, repair),
        approved=count(totals, repair, Status.approved.value),
        refused=count(totals, repair, Status.refused.value),
        repairs_withdrawn=count(totals, repair, Status.withdrawn.value),
        repairs_open=count(totals, repair, *OPEN),
        refusals=tuple(RefusalCount(code.value, code.label, n) for code, n in refusals.items()),
        repair_handling=_handling([(d, ok) for k, d, ok in closed_rows if k == repair.value]),
        answered=totals.get("answered", 0),
        answered_on_time=totals.get("answered_on_time", 0),
        handling=_handling(handling_rows),
        open_now=totals.get("open_now", 0),
        overdue_now=totals.get("overdue_now", 0),
        departments=tuple(departments),
    )


def _organisations(
    session: Session, org_id: uuid.UUID | None, with_data: Iterable[uuid.UUID]
) -> list[Organisation]:
    """Active departments plus any organisation with data, by name; or the one asked for."""
    if org_id is not None:
        query = select(Organisation).where(Organisation.id == org_id)
    else:
        query = select(Organisation).where(
            or_(
                and_(Organisation.kind == "department", Organisation.active.is_(True)),
                Organisation.id.in_(set(with_data)),
            )
        )
    return list(session.scalars(query.order_by(Organisation.name, Organisation.uscc)))


# --- for the data-quality league table -----------------------------------------------------


@dataclass(frozen=True)
class DepartmentAnswers:
    """A department's answers in a period, by the date it answered (``dept_answered_on``)."""

    upheld: int = 0  # objections it upheld or partly upheld
    objections_answered: int = 0
    objections_on_time: int = 0
    repairs_answered: int = 0
    repairs_on_time: int = 0

    @property
    def objection_on_time_share(self) -> Fraction | None:
        return share(self.objections_on_time, self.objections_answered)

    @property
    def repair_on_time_share(self) -> Fraction | None:
        return share(self.repairs_on_time, self.repairs_answered)


def department_answers(
    session: Session, start: dt.date, end: dt.date, org_id: uuid.UUID | None = None
) -> dict[uuid.UUID, DepartmentAnswers]:
    """Per department, the cases it answered in [start, end) — half-open like the league
    table's months — with how many it answered on time and the objections it upheld
    (one ``GROUP BY``)."""
    c = CreditCase
    query = (
        select(
            c.org_id,
            c.kind,
            func.count(),
            _true(c.dept_on_time),
            func.sum(case((c.status.in_(VALID), 1), else_=0)),
        )
        .where(
            c.dept_answered_on >= start,
            c.dept_answered_on < end,
            c.dept_on_time.is_not(None),
        )
        .group_by(c.org_id, c.kind)
    )
    if org_id is not None:
        query = query.where(c.org_id == org_id)
    found: dict[uuid.UUID, dict[str, int]] = {}
    for org, kind, n, ok, upheld in session.execute(query):
        row = found.setdefault(org, {})
        if kind == CaseKind.objection.value:
            row.update(upheld=_int(upheld), objections_answered=_int(n))
            row["objections_on_time"] = _int(ok)
        else:
            row.update(repairs_answered=_int(n), repairs_on_time=_int(ok))
    return {org: DepartmentAnswers(**row) for org, row in found.items()}


__all__ = [
    "VALID_OBJECTION_TARGET_PER_100K",
    "CaseFigures",
    "DepartmentAnswers",
    "DepartmentFigures",
    "Handling",
    "RefusalCount",
    "case_figures",
    "check_period",
    "department_answers",
    "median",
    "share",
]
