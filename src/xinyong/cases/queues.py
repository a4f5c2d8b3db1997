"""Case queues for staff: the rows of the office's and a department's work lists, with
the working days left on each deadline, counts for the dashboard, and which actions
an actor may take on a case now.

Reads only; the changes themselves are in ``cases.handling``. The scoping is that of
``cases.views.queue`` (``context.sees_all_cases``): the office and its own auditors see
every case, a department the cases about the records it reported.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.actors import Actor
from xinyong.cases import views
from xinyong.cases.context import DEPARTMENT_ROLES, OFFICE_ROLES, may_view, sees_all_cases
from xinyong.cases.models import CreditCase
from xinyong.cases.rules import OPEN_STATUSES, CaseKind, Status
from xinyong.catalog.loader import Catalog
from xinyong.records.models import CreditRecord
from xinyong.subjects.models import Subject
from xinyong.workdays.rules import WorkCalendar

TABS = ("open", "overdue", "closed")
TAB_LABELS = {"open": "待办", "overdue": "已逾期", "closed": "已办结"}


@dataclass(frozen=True)
class Due:
    """The deadline of a case's current step as of ``today``."""

    on: dt.date
    overdue: bool
    days: int  # working days left (due in time) or past (overdue)
    provisional_year: int | None  # a year without an entered holiday notice, if any

    @property
    def text(self) -> str:
        """``剩 2 个工作日`` / ``逾期 3 个工作日``."""
        if self.overdue:
            return f"逾期 {self.days} 个工作日" if self.days else "已逾期"
        return f"剩 {self.days} 个工作日" if self.days else "今日到期"

    @property
    def provisional_text(self) -> str | None:
        if self.provisional_year is None:
            return None
        return f"暂定（{self.provisional_year}年节假日安排未录入）"


def due_of(case: CreditCase, calendar: WorkCalendar, today: dt.date) -> Due | None:
    """The current step's deadline with working days left, or ``None`` (closed case)."""
    if case.due_on is None or not Status(case.status).open:
        return None
    due = case.due_on
    if today <= due:
        count = calendar.working_days_between(today, due)
        overdue = False
    else:
        count = calendar.working_days_between(due, today)
        overdue = True
    year: int | None = None
    if case.due_provisional or count.provisional:
        # The due date's own year if it is uncovered, else the first uncovered year
        # the step's working days were counted through.
        start = min(case.step_started or today, today)
        years = [due.year, *range(start.year, max(due, today).year + 1)]
        year = next((y for y in years if not calendar.is_covered(y)), due.year)
    return Due(due, overdue, count.count, year)


@dataclass(frozen=True)
class QueueRow:
    """One line of a queue: the case, its record and subject, and its deadline."""

    case: CreditCase
    record: CreditRecord
    subject_name: str
    item_name: str
    due: Due | None

    @property
    def kind_label(self) -> str:
        return CaseKind(self.case.kind).label

    @property
    def status_label(self) -> str:
        return Status(self.case.status).label

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due.overdue


def rows_for(
    session: Session,
    catalog: Catalog,
    calendar: WorkCalendar,
    today: dt.date,
    found: Sequence[CreditCase],
) -> list[QueueRow]:
    """Queue rows for ``found`` (records and subjects loaded in two queries)."""
    record_ids = {c.record_id for c in found}
    records: dict[uuid.UUID, CreditRecord] = {}
    if record_ids:
        query = select(CreditRecord).where(CreditRecord.id.in_(record_ids))
        records = {r.id: r for r in session.scalars(query)}
    subject_ids = {c.subject_id for c in found}
    names: dict[uuid.UUID, str] = {}
    if subject_ids:
        named = select(Subject.id, Subject.name).where(Subject.id.in_(subject_ids))
        names = {row[0]: row[1] for row in session.execute(named)}
    rows = []
    for case in found:
        record = records[case.record_id]
        item = catalog.items.get(record.item_code)
        item_name = item.name if item is not None else record.item_code
        rows.append(
            QueueRow(
                case,
                record,
                names.get(case.subject_id, ""),
                item_name,
                due_of(case, calendar, today),
            )
        )
    return rows


def queue_rows(
    session: Session,
    actor: Actor,
    *,
    catalog: Catalog,
    calendar: WorkCalendar,
    today: dt.date,
    tab: str = "open",
    kind: str | None = None,
    limit: int = 200,
) -> list[QueueRow]:
    """The rows of a queue tab: ``open`` (soonest due first), ``overdue`` (open cases
    past their step's due date) or ``closed`` (latest first); optionally one kind."""
    scope = "closed" if tab == "closed" else "open"
    found = views.queue(session, actor, scope=scope, limit=limit if not kind else 10 * limit)
    if kind in (CaseKind.objection.value, CaseKind.repair.value):
        found = [c for c in found if c.kind == kind]
    if tab == "overdue":
        found = [c for c in found if c.due_on is not None and today > c.due_on]
    return rows_for(session, catalog, calendar, today, found[:limit])


@dataclass(frozen=True)
class Counts:
    """Open cases of an actor's queue, by kind, and how many are overdue."""

    open: int
    overdue: int
    objections: int
    repairs: int


def counts(session: Session, actor: Actor, today: dt.date) -> Counts:
    """Counts for the staff dashboard, with the scoping of ``views.queue``."""
    q = select(CreditCase.kind, CreditCase.due_on, func.count()).where(
        CreditCase.status.in_([s.value for s in OPEN_STATUSES])
    )
    if not sees_all_cases(session, actor):
        if actor.org_id is None:
            return Counts(0, 0, 0, 0)
        q = q.where(CreditCase.org_id == actor.org_id)
    by_kind = {CaseKind.objection.value: 0, CaseKind.repair.value: 0}
    overdue = 0
    for kind, due_on, n in session.execute(q.group_by(CreditCase.kind, CreditCase.due_on)):
        by_kind[kind] = by_kind.get(kind, 0) + n
        if due_on is not None and today > due_on:
            overdue += n
    return Counts(sum(by_kind.values()), overdue, by_kind["objection"], by_kind["repair"])


# -- what an actor may do now ---------------------------------------------------------------

ACCEPT = "accept"  # 受理 / 不予受理 (office, objection submitted)
FORWARD = "forward"  # 转报送部门 (office, objection accepted / repair submitted)
REFUSE = "refuse"  # 不予修复 (office: repair submitted; department: repair forwarded)
DECIDE = "decide"  # 作出核查结论 (department, objection forwarded)
EXTEND = "extend"  # 申请延期 (department, objection forwarded, not yet extended)
APPROVE = "approve"  # 同意修复 (department, repair forwarded)
ASSIGN = "assign"  # 指派经办人 (anyone who may view an open case)
NOTE = "note"  # 添加内部备注 (anyone who may view)


def _is_owner(actor: Actor, case: CreditCase) -> bool:
    return actor.has_role(*DEPARTMENT_ROLES) and actor.org_id == case.org_id


def actions_for(session: Session, actor: Actor, case: CreditCase) -> frozenset[str]:
    """The actions ``actor`` may take on ``case`` in its current status (the service
    checks again; this decides which forms a page shows)."""
    if not may_view(session, actor, case):
        return frozenset()
    status = Status(case.status)
    kind = CaseKind(case.kind)
    office = actor.has_role(*OFFICE_ROLES)
    owner = _is_owner(actor, case)
    allowed = {NOTE}
    if status.open:
        allowed.add(ASSIGN)
    if office and kind is CaseKind.objection and status is Status.submitted:
        allowed.add(ACCEPT)
    if office and (
        (kind is CaseKind.objection and status is Status.accepted)
        or (kind is CaseKind.repair and status is Status.submitted)
    ):
        allowed.add(FORWARD)
    if kind is CaseKind.repair and (
        (office and status is Status.submitted) or (owner and status is Status.forwarded)
    ):
        allowed.add(REFUSE)
    if owner and status is Status.forwarded:
        if kind is CaseKind.objection:
            allowed.add(DECIDE)
            if not case.extended:
                allowed.add(EXTEND)
        else:
            allowed.add(APPROVE)
    return frozenset(allowed)
