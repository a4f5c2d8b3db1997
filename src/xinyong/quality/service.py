"""Data quality reports (数据质量): the monthly league table of departments with its
notice (通报) and 12-month trend, and the code governance report (重错码).

Every figure is counted in the database with a few GROUP BY queries (there may be
millions of records); Python only combines one row per department and month. A month
is the month of arrival: ``received_on`` of records, quarantined rows and submissions,
as dates in [first day, first day of the next month).

Visibility: the credit office (office_admin, office_staff, and auditors of the office)
sees every department; a department's accounts and systems see only their own row and
trend (their rank is still their rank among all departments); anyone else is refused.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    case,
    distinct,
    exists,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session, aliased

from xinyong.accounts.models import Organisation
from xinyong.accounts.roles import (
    AUDITOR,
    DEPARTMENT,
    DEPT_REPORTER,
    DEPT_REVIEWER,
    OFFICE,
    OFFICE_ADMIN,
    OFFICE_STAFF,
)
from xinyong.accounts.rules import normalise_uscc, require_role
from xinyong.actors import Actor
from xinyong.cases.figures import DepartmentAnswers, department_answers
from xinyong.catalog.loader import Catalog
from xinyong.codes.rules import detect_kind, normalize_code
from xinyong.errors import Forbidden, NotFound
from xinyong.ingest.models import QuarantineRow, Submission
from xinyong.privacy.masking import ID_NUMBER
from xinyong.quality.rules import (
    COMPLIANCE_TARGET,
    NoticeLine,
    Standing,
    add_months,
    as_float,
    code_rate_per_mille,
    competition_ranks,
    meets_code_target,
    month_key,
    notice_text,
    own_notice_text,
    ratio,
)
from xinyong.records.models import CreditRecord
from xinyong.subjects.models import Subject, SubjectAlias
from xinyong.subjects.rules import SubjectKind

TREND_MONTHS = 12
LIST_LIMIT = 100
# Identifier schemes whose failures are "wrong codes" (错码) of organisations.
CODE_SCHEMES = ("uscc", "org_code", "regno")


# --- who sees what -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The departments an actor may see: all (``org_id`` None) or one."""

    org_id: uuid.UUID | None = None

    @property
    def everyone(self) -> bool:
        return self.org_id is None


def quality_scope(session: Session, actor: Actor) -> Scope:
    """Office roles see every department, a department only itself; others are refused."""
    require_role(actor, OFFICE_ADMIN, OFFICE_STAFF, AUDITOR, DEPT_REPORTER, DEPT_REVIEWER)
    if actor.has_role(OFFICE_ADMIN, OFFICE_STAFF):  # office-only roles (and the system)
        return Scope()
    org = session.get(Organisation, actor.org_id) if actor.org_id else None
    # Auditors exist in the office, departments and banks: only the office's see everyone.
    if org is not None and org.kind == OFFICE and actor.has_role(AUDITOR):
        return Scope()
    if org is not None and org.kind == DEPARTMENT:
        return Scope(org.id)
    raise Forbidden(
        "数据质量报告仅供信用办和各部门查看",
        f"{actor.label} may not see data quality reports",
    )


def _narrow(session: Session, scope: Scope, department: str | None) -> Scope:
    """The scope, narrowed to the department named by USCC (if any)."""
    if not department:
        return scope
    uscc = normalise_uscc(department)
    org = session.execute(
        select(Organisation).where(Organisation.uscc == uscc)
    ).scalar_one_or_none()
    if org is None:
        raise NotFound(
            f"单位 {uscc} 尚未在平台登记", f"organisation {uscc} not found", field="department"
        )
    if not scope.everyone and org.id != scope.org_id:
        raise Forbidden(
            "部门只能查看本单位的数据质量", f"may not see quality of {uscc}", field="department"
        )
    return Scope(org.id)


def _organisations(
    session: Session, scope: Scope, with_data: Iterable[uuid.UUID]
) -> list[Organisation]:
    """Active departments plus any organisation that has data in the period, by name."""
    query = select(Organisation).where(
        or_(
            and_(Organisation.kind == DEPARTMENT, Organisation.active.is_(True)),
            Organisation.id.in_(set(with_data)),
        )
    )
    if scope.org_id is not None:
        query = query.where(Organisation.id == scope.org_id)
    return list(session.execute(query.order_by(Organisation.name, Organisation.uscc)).scalars())


# --- monthly counts ------------------------------------------------------------------------


@dataclass
class Counts:
    """One department's counts in one month."""

    received: int = 0
    first_pass: int = 0
    timely: int = 0
    timeliness_known: int = 0
    rejected: int = 0
    rejected_original: int = 0
    corrected: int = 0

    @property
    def compliance(self) -> Fraction | None:
        """Share of decisions passing every check the first time they were sent."""
        return ratio(self.first_pass, self.first_pass + self.rejected_original)

    @property
    def timeliness(self) -> Fraction | None:
        """Share of decisions with a deadline that arrived within it."""
        return ratio(self.timely, self.timeliness_known)


def _month_bucket(session: Session, column: Any) -> ColumnElement[str]:
    """``YYYY-MM`` of a date column, in the database's own dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _as_int(value: Any) -> int:
    return int(value or 0)


def monthly_counts(
    session: Session, start: dt.date, end: dt.date, org_id: uuid.UUID | None = None
) -> dict[tuple[uuid.UUID, str], Counts]:
    """Counts per (department, ``YYYY-MM``) for arrivals in [start, end): three GROUP BYs."""
    found: dict[tuple[uuid.UUID, str], Counts] = {}

    def at(org: uuid.UUID, month: str) -> Counts:
        return found.setdefault((org, month), Counts())

    r = CreditRecord
    bucket = _month_bucket(session, r.received_on)
    query: Any = (
        select(
            r.org_id,
            bucket,
            func.count(),
            func.sum(case((r.first_pass.is_(True), 1), else_=0)),
            func.sum(case((r.late.is_(False), 1), else_=0)),
            func.count(r.late),
        )
        .where(r.received_on >= start, r.received_on < end)
        .group_by(r.org_id, bucket)
    )
    if org_id is not None:
        query = query.where(r.org_id == org_id)
    for org, month, received, first_pass, timely, known in session.execute(query):
        c = at(org, month)
        c.received, c.first_pass = _as_int(received), _as_int(first_pass)
        c.timely, c.timeliness_known = _as_int(timely), _as_int(known)

    q = QuarantineRow
    bucket = _month_bucket(session, q.received_on)
    query = (
        select(
            q.org_id,
            bucket,
            func.count(),
            func.sum(case((q.origin == "original", 1), else_=0)),
        )
        .where(q.received_on >= start, q.received_on < end)
        .group_by(q.org_id, bucket)
    )
    if org_id is not None:
        query = query.where(q.org_id == org_id)
    for org, month, rejected, original in session.execute(query):
        c = at(org, month)
        c.rejected, c.rejected_original = _as_int(rejected), _as_int(original)

    s = Submission
    bucket = _month_bucket(session, s.received_on)
    query = (
        select(s.org_id, bucket, func.sum(s.updated))
        .where(s.received_on >= start, s.received_on < end)
        .group_by(s.org_id, bucket)
    )
    if org_id is not None:
        query = query.where(s.org_id == org_id)
    for org, month, updated in session.execute(query):
        at(org, month).corrected = _as_int(updated)
    return found


def upheld_objections(session: Session, org_id: uuid.UUID, month: dt.date) -> int:
    """Objections (异议) against the department's records that it upheld or partly upheld
    in ``month`` (by the date of its decision; ``cases.figures.department_answers``)."""
    month = month.replace(day=1)
    answers = department_answers(session, month, add_months(month, 1), org_id)
    return answers[org_id].upheld if org_id in answers else 0


# --- the league table ----------------------------------------------------------------------


@dataclass
class DepartmentQuality:
    """One department's row of the league table (数据质量排行)."""

    org_id: uuid.UUID
    uscc: str
    name: str
    counts: Counts
    upheld_objections: int = 0
    rank: int | None = None
    # The department's answers to objections and repair applications in the month.
    answers: DepartmentAnswers = field(default_factory=DepartmentAnswers)

    @property
    def objection_on_time(self) -> Fraction | None:
        """异议答复按时率: objections it answered within its deadline, of those answered."""
        return self.answers.objection_on_time_share

    @property
    def repair_on_time(self) -> Fraction | None:
        """修复办理按时率: repair applications it decided within its deadline."""
        return self.answers.repair_on_time_share

    @property
    def compliance(self) -> Fraction | None:
        return self.counts.compliance

    @property
    def timeliness(self) -> Fraction | None:
        return self.counts.timeliness

    @property
    def upheld_per_100k(self) -> float | None:
        """Upheld objections per 100,000 records received in the month."""
        received = self.counts.received
        return self.upheld_objections * 100_000 / received if received else None

    @property
    def below_target(self) -> bool:
        return self.compliance is not None and self.compliance < COMPLIANCE_TARGET

    def notice_line(self) -> NoticeLine:
        c = self.counts
        return NoticeLine(
            self.name,
            c.received,
            c.rejected,
            c.first_pass,
            c.rejected_original,
            c.timely,
            c.timeliness_known,
            self.rank,
        )

    def as_dict(self) -> dict[str, Any]:
        c = self.counts
        return {
            "rank": self.rank,
            "department": self.uscc,
            "department_name": self.name,
            "received": c.received,
            "first_pass": c.first_pass,
            "rejected": c.rejected,
            "rejected_original": c.rejected_original,
            "compliance": as_float(self.compliance),
            "timely": c.timely,
            "timeliness_known": c.timeliness_known,
            "timeliness": as_float(self.timeliness),
            "corrected": c.corrected,
            "upheld_objections": self.upheld_objections,
            "upheld_per_100k": self.upheld_per_100k,
            "objections_answered": self.answers.objections_answered,
            "objection_on_time": as_float(self.objection_on_time),
            "repairs_answered": self.answers.repairs_answered,
            "repair_on_time": as_float(self.repair_on_time),
            "below_target": self.below_target,
        }


@dataclass
class LeagueTable:
    """The league table of one month as the actor may see it."""

    month: dt.date
    rows: list[DepartmentQuality]
    ranked: int  # departments ranked in all (not only those shown)
    notice: str
    everyone: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": month_key(self.month),
            "compliance_target": float(COMPLIANCE_TARGET),
            "ranked": self.ranked,
            "scope": "all" if self.everyone else "own",
            "notice": self.notice,
            "departments": [row.as_dict() for row in self.rows],
        }


def _ranked_rows(
    session: Session, month: dt.date, counts: Mapping[uuid.UUID, Counts]
) -> list[DepartmentQuality]:
    answers = department_answers(session, month, add_months(month, 1))
    orgs = _organisations(session, Scope(), set(counts) | set(answers))
    rows = [
        DepartmentQuality(
            org.id,
            org.uscc,
            org.name,
            counts.get(org.id, Counts()),
            answers.get(org.id, DepartmentAnswers()).upheld,
            answers=answers.get(org.id, DepartmentAnswers()),
        )
        for org in orgs
    ]
    ranks = competition_ranks([Standing(r.compliance, r.timeliness, r.name) for r in rows])
    for row, rank in zip(rows, ranks, strict=True):
        row.rank = rank
    # Ranked first, by rank; then those without a figure, by name.
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.name))
    return rows


def league_table(
    session: Session, *, actor: Actor, month: dt.date, department: str | None = None
) -> LeagueTable:
    """The month's league table: all departments for the office, one for a department."""
    allowed = quality_scope(session, actor)
    scope = _narrow(session, allowed, department)
    month = month.replace(day=1)
    counts = {
        org: c for (org, _), c in monthly_counts(session, month, add_months(month, 1)).items()
    }
    rows = _ranked_rows(session, month, counts)  # ranks need every department
    ranked = sum(1 for r in rows if r.rank is not None)
    if scope.everyone:
        text_ = notice_text(month, [r.notice_line() for r in rows])
        return LeagueTable(month, rows, ranked, text_, True)
    own = [r for r in rows if r.org_id == scope.org_id]
    if not own:  # e.g. an inactive organisation without data this month
        org = session.get(Organisation, scope.org_id)
        assert org is not None
        own = [DepartmentQuality(org.id, org.uscc, org.name, Counts())]
    text_ = own_notice_text(month, own[0].notice_line(), ranked, own=not allowed.everyone)
    return LeagueTable(month, own, ranked, text_, False)


# --- the trend -----------------------------------------------------------------------------


@dataclass
class TrendSeries:
    org_id: uuid.UUID
    uscc: str
    name: str
    compliance: list[Fraction | None]
    timeliness: list[Fraction | None]

    def as_dict(self, months: list[dt.date]) -> dict[str, Any]:
        return {
            "department": self.uscc,
            "department_name": self.name,
            "months": [
                {
                    "month": month_key(m),
                    "compliance": as_float(c),
                    "timeliness": as_float(t),
                }
                for m, c, t in zip(months, self.compliance, self.timeliness, strict=True)
            ],
        }


@dataclass
class Trend:
    months: list[dt.date]
    series: list[TrendSeries]

    def as_dict(self) -> dict[str, Any]:
        return {
            "months": [month_key(m) for m in self.months],
            "departments": [s.as_dict(self.months) for s in self.series],
        }


def quality_trend(
    session: Session,
    *,
    actor: Actor,
    month: dt.date,
    department: str | None = None,
    months: int = TREND_MONTHS,
) -> Trend:
    """Monthly compliance and timeliness of each visible department over ``months``
    months ending with ``month`` (one GROUP BY per table for the whole span)."""
    scope = _narrow(session, quality_scope(session, actor), department)
    last = month.replace(day=1)
    first = add_months(last, -(months - 1))
    span = [add_months(first, i) for i in range(months)]
    counts = monthly_counts(session, first, add_months(last, 1), scope.org_id)
    orgs = _organisations(session, scope, {org for org, _ in counts})
    series = []
    for org in orgs:
        per_month = [counts.get((org.id, month_key(m)), Counts()) for m in span]
        series.append(
            TrendSeries(
                org.id,
                org.uscc,
                org.name,
                [c.compliance for c in per_month],
                [c.timeliness for c in per_month],
            )
        )
    return Trend(span, series)


# --- code governance (重错码) ----------------------------------------------------------------


@dataclass
class DuplicateName:
    """One code reported under a name that is not the subject's (duplicate code A)."""

    uscc: str
    name: str
    reported_names: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"uscc": self.uscc, "name": self.name, "reported_names": self.reported_names}


@dataclass
class DuplicateCode:
    """One organisation (name) holding several codes (duplicate code B)."""

    name: str
    codes: list[dict[str, Any]]  # {uscc, name, used}: used = the department has records on it

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "codes": self.codes}


@dataclass
class WrongCode:
    """A quarantined row rejected for a wrong organisation code (错码)."""

    row_id: uuid.UUID
    item_code: str
    item_name: str
    row_number: int
    received_on: dt.date
    status: str
    problems: list[dict[str, Any]]  # {field, field_name, value, reason}

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.row_id),
            "item": self.item_code,
            "item_name": self.item_name,
            "row": self.row_number,
            "received_on": self.received_on.isoformat(),
            "status": self.status,
            "problems": self.problems,
        }


@dataclass
class DepartmentCodes:
    """One department's duplicate and wrong codes, per 1,000 subjects it reported."""

    org_id: uuid.UUID
    uscc: str
    name: str
    subjects: int = 0
    duplicate_names: int = 0
    duplicate_codes: int = 0
    wrong_codes: int = 0
    duplicate_name_items: list[DuplicateName] = field(default_factory=list)
    duplicate_code_items: list[DuplicateCode] = field(default_factory=list)
    wrong_code_items: list[WrongCode] = field(default_factory=list)

    @property
    def issues(self) -> int:
        return self.duplicate_names + self.duplicate_codes + self.wrong_codes

    @property
    def rate_per_mille(self) -> float | None:
        return code_rate_per_mille(self.issues, self.subjects)

    @property
    def meets_target(self) -> bool | None:
        return meets_code_target(self.issues, self.subjects)

    def as_dict(self, *, items: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "department": self.uscc,
            "department_name": self.name,
            "subjects": self.subjects,
            "duplicate_names": self.duplicate_names,
            "duplicate_codes": self.duplicate_codes,
            "wrong_codes": self.wrong_codes,
            "rate_per_mille": self.rate_per_mille,
            "meets_target": self.meets_target,
        }
        if items:
            body["duplicate_name_items"] = [d.as_dict() for d in self.duplicate_name_items]
            body["duplicate_code_items"] = [d.as_dict() for d in self.duplicate_code_items]
            body["wrong_code_items"] = [w.as_dict() for w in self.wrong_code_items]
        return body


@dataclass
class CodeReport:
    rows: list[DepartmentCodes]
    detailed: bool  # one department: the offending codes are listed

    def as_dict(self) -> dict[str, Any]:
        return {
            "target_per_mille": 1.0,
            "departments": [r.as_dict(items=self.detailed) for r in self.rows],
        }


def code_fields(catalog: Catalog) -> set[str]:
    """``item:FIELD`` of every organisation-code field (type code, scheme uscc/org_code/regno)."""
    return {
        f"{item.code}:{spec.code.upper()}"
        for item in catalog.items.values()
        for spec in item.fields
        if spec.type == "code" and spec.scheme in CODE_SCHEMES
    }


def _duplicate_name_filter() -> tuple[Any, ColumnElement[bool]]:
    """Aliases a department reported that are neither the subject's name nor a former
    registered name (a former name is not a duplicate)."""
    alias = aliased(SubjectAlias)
    registered = aliased(SubjectAlias)
    condition = and_(
        alias.source == "report",
        alias.org_id.is_not(None),
        Subject.uscc.is_not(None),
        alias.name_norm != Subject.name_norm,
        ~exists().where(
            registered.subject_id == alias.subject_id,
            registered.source == "registration",
            registered.name_norm == alias.name_norm,
        ),
    )
    return alias, condition


def _duplicate_code_names() -> Any:
    """Names (normalised) of legal persons holding two or more codes (subquery)."""
    return (
        select(Subject.name_norm)
        .where(Subject.kind == SubjectKind.legal_person.value, Subject.uscc.is_not(None))
        .group_by(Subject.name_norm)
        .having(func.count(distinct(Subject.uscc)) >= 2)
    )


def _wrong_code_clause(session: Session, keys: set[str]) -> ColumnElement[bool]:
    """Quarantined rows with an error on an organisation-code field (JSON in SQL)."""
    if session.get_bind().dialect.name == "postgresql":
        sql = (
            "EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN "
            "jsonb_typeof(quarantine_row.problems -> 'items') = 'array' "
            "THEN quarantine_row.problems -> 'items' ELSE '[]'::jsonb END) AS p "
            "WHERE p ->> 'level' = 'error' "
            "AND quarantine_row.item_code || ':' || upper(p ->> 'field') IN :code_fields)"
        )
    else:
        sql = (
            "EXISTS (SELECT 1 FROM json_each(quarantine_row.problems, '$.items') AS p "
            "WHERE json_extract(p.value, '$.level') = 'error' "
            "AND quarantine_row.item_code || ':' || upper(json_extract(p.value, '$.field')) "
            "IN :code_fields)"
        )
    clause: ColumnElement[bool] = text(sql).bindparams(  # type: ignore[assignment]
        bindparam("code_fields", value=sorted(keys), expanding=True)
    )
    return clause


def _count_by_org(session: Session, query: Any) -> dict[uuid.UUID, int]:
    return {org: _as_int(n) for org, n in session.execute(query)}


def code_governance(
    session: Session,
    *,
    actor: Actor,
    catalog: Catalog,
    department: str | None = None,
    limit: int = LIST_LIMIT,
) -> CodeReport:
    """Duplicate and wrong codes per department (all time, as things stand now).

    Counts for every visible department; when one department is in view (a department
    user, or ``department`` given) its offending codes are listed, up to ``limit`` each.
    """
    scope = _narrow(session, quality_scope(session, actor), department)
    only = scope.org_id

    def scoped(query: Any, column: Any) -> Any:
        return query if only is None else query.where(column == only)

    r = CreditRecord
    subjects = _count_by_org(
        session,
        scoped(select(r.org_id, func.count(distinct(r.subject_id))).group_by(r.org_id), r.org_id),
    )
    alias, dup_a = _duplicate_name_filter()
    duplicate_names = _count_by_org(
        session,
        scoped(
            select(alias.org_id, func.count(distinct(alias.subject_id)))
            .join(Subject, Subject.id == alias.subject_id)
            .where(dup_a)
            .group_by(alias.org_id),
            alias.org_id,
        ),
    )
    dup_names = _duplicate_code_names()
    duplicate_codes = _count_by_org(
        session,
        scoped(
            select(r.org_id, func.count(distinct(Subject.name_norm)))
            .join(Subject, Subject.id == r.subject_id)
            .where(
                Subject.kind == SubjectKind.legal_person.value,
                Subject.uscc.is_not(None),
                Subject.name_norm.in_(dup_names),
            )
            .group_by(r.org_id),
            r.org_id,
        ),
    )
    keys = code_fields(catalog)
    wrong_codes: dict[uuid.UUID, int] = {}
    if keys:
        q = QuarantineRow
        wrong_codes = _count_by_org(
            session,
            scoped(
                select(q.org_id, func.count())
                .where(_wrong_code_clause(session, keys))
                .group_by(q.org_id),
                q.org_id,
            ),
        )
    with_data = set(subjects) | set(duplicate_names) | set(duplicate_codes) | set(wrong_codes)
    rows = [
        DepartmentCodes(
            org.id,
            org.uscc,
            org.name,
            subjects.get(org.id, 0),
            duplicate_names.get(org.id, 0),
            duplicate_codes.get(org.id, 0),
            wrong_codes.get(org.id, 0),
        )
        for org in _organisations(session, scope, with_data)
    ]
    detailed = only is not None
    if detailed:
        for row in rows:
            row.duplicate_name_items = _duplicate_name_items(session, row.org_id, limit)
            row.duplicate_code_items = _duplicate_code_items(session, row.org_id, limit)
            if keys:
                row.wrong_code_items = _wrong_code_items(session, catalog, keys, row.org_id, limit)
    # Worst first: those missing the target, by rate; then the rest by name.
    rows.sort(key=lambda d: (d.meets_target is not False, -(d.rate_per_mille or 0), d.name))
    return CodeReport(rows, detailed)


def _duplicate_name_items(session: Session, org_id: uuid.UUID, limit: int) -> list[DuplicateName]:
    alias, dup_a = _duplicate_name_filter()
    found: dict[uuid.UUID, DuplicateName] = {}
    subject_ids = list(
        session.execute(
            select(Subject.id)
            .join(alias, alias.subject_id == Subject.id)
            .where(dup_a, alias.org_id == org_id)
            .group_by(Subject.id, Subject.uscc)
            .order_by(Subject.uscc)
            .limit(limit)
        ).scalars()
    )
    if not subject_ids:
        return []
    rows = session.execute(
        select(Subject.id, Subject.uscc, Subject.name, alias.name)
        .join(alias, alias.subject_id == Subject.id)
        .where(dup_a, alias.org_id == org_id, Subject.id.in_(subject_ids))
        .order_by(Subject.uscc, alias.name)
    )
    for subject_id, uscc, name, reported in rows:
        entry = found.setdefault(subject_id, DuplicateName(uscc or "", name, []))
        entry.reported_names.append(reported)
    return list(found.values())


def _duplicate_code_items(session: Session, org_id: uuid.UUID, limit: int) -> list[DuplicateCode]:
    r = CreditRecord
    legal = and_(Subject.kind == SubjectKind.legal_person.value, Subject.uscc.is_not(None))
    names = list(
        session.execute(
            select(Subject.name_norm)
            .join(r, r.subject_id == Subject.id)
            .where(legal, r.org_id == org_id, Subject.name_norm.in_(_duplicate_code_names()))
            .group_by(Subject.name_norm)
            .order_by(Subject.name_norm)
            .limit(limit)
        ).scalars()
    )
    if not names:
        return []
    used = set(
        session.execute(
            select(r.subject_id)
            .distinct()
            .join(Subject, Subject.id == r.subject_id)
            .where(r.org_id == org_id, legal, Subject.name_norm.in_(names))
        ).scalars()
    )
    groups: dict[str, DuplicateCode] = {}
    for subject in session.execute(
        select(Subject).where(legal, Subject.name_norm.in_(names)).order_by(Subject.uscc)
    ).scalars():
        group = groups.setdefault(subject.name_norm, DuplicateCode(subject.name, []))
        group.codes.append({"uscc": subject.uscc, "name": subject.name, "used": subject.id in used})
    return [groups[n] for n in names if n in groups]


def shown_code(value: Any) -> str:
    """A wrong code as shown: never a person's ID number (masked if it looks like one)."""
    text_ = "" if value is None else str(value)
    if detect_kind(text_) in ("ric", "ric15"):
        return ID_NUMBER.apply(normalize_code(text_)) or ""
    return text_


def _wrong_code_items(
    session: Session, catalog: Catalog, keys: set[str], org_id: uuid.UUID, limit: int
) -> list[WrongCode]:
    q = QuarantineRow
    rows = session.execute(
        select(q)
        .where(q.org_id == org_id, _wrong_code_clause(session, keys))
        .order_by(q.received_on.desc(), q.row_number)
        .limit(limit)
    ).scalars()
    items: list[WrongCode] = []
    for row in rows:  # at most ``limit`` rows
        item = catalog.items.get(row.item_code)
        if item is None:
            continue
        problems = []
        for p in (row.problems or {}).get("items", []):
            code = str(p.get("field") or "").upper()
            if p.get("level") != "error" or f"{row.item_code}:{code}" not in keys:
                continue
            spec = item.field(code)
            sent = next(
                (
                    v
                    for header, v in (row.raw or {}).items()
                    if getattr(item.resolve_column(header), "code", None) == spec.code
                ),
                None,
            )
            value = shown_code(sent)
            reason = str(p.get("reason") or "")
            if sent is not None and value != str(sent):
                reason = reason.replace(str(sent), value).replace(normalize_code(str(sent)), value)
            problems.append(
                {"field": spec.code, "field_name": spec.name, "value": value, "reason": reason}
            )
        items.append(
            WrongCode(
                row.id,
                row.item_code,
                item.name,
                row.row_number,
                row.received_on,
                row.status,
                problems,
            )
        )
    return items


__all__ = [
    "CodeReport",
    "Counts",
    "DepartmentCodes",
    "DepartmentQuality",
    "LeagueTable",
    "Scope",
    "Trend",
    "TrendSeries",
    "code_fields",
    "code_governance",
    "league_table",
    "monthly_counts",
    "quality_scope",
    "quality_trend",
    "shown_code",
    "upheld_objections",
]
