"""The one load pipeline for reported decisions: validate, resolve subjects, compute
periods and timeliness, and store many records at once.

``RecordLoader.prepare`` checks one row (catalog rules, identifier check digits, the
department's own authority code, dates) without touching the database but for the
legacy-code register; ``RecordLoader.store`` writes a batch of prepared rows: subjects
found or created in a few queries, existing decisions fetched in one query, new records
inserted with PostgreSQL COPY (executemany on SQLite), audit events appended in one go.
The HTTP API, file uploads, ``xinyong ingest`` and ``report_record`` all come here.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import orjson
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from xinyong.accounts.models import Organisation
from xinyong.actors import Actor
from xinyong.audit.service import EventDraft, jsonable, record_events
from xinyong.catalog.loader import Catalog, CatalogItem
from xinyong.catalog.rules import CodeChecker, ValidatedValues, seal_personal, validate_values
from xinyong.codes.rules import normalize_code
from xinyong.codes.service import check_code_with_exceptions
from xinyong.db import new_id, one_of, utcnow
from xinyong.errors import Problem, ValidationFailed
from xinyong.privacy.crypto import DataVault
from xinyong.records.models import CreditRecord
from xinyong.records.publication import LIVE_STATES, PublicationState, check_move, initial_state
from xinyong.rulesets.loader import RuleBook
from xinyong.rulesets.rules import NO_PERIODS, compute_periods, require_severity
from xinyong.screening.hooks import mark_subjects
from xinyong.subjects.service import KnownSubject, SubjectFacts, SubjectRegister
from xinyong.workdays.rules import WorkCalendar

Outcome = Literal["created", "updated", "unchanged", "rejected"]

# Working days within which a decision must reach the platform (RULES.md §3).
TIMELY_WORKDAYS = 7


CodeAnswers = dict[tuple[str, str], tuple[list[Problem], list[Problem]]]


def cached_code_checkers(
    session: Session, cache: CodeAnswers | None = None
) -> dict[str, CodeChecker]:
    """One checker per identifier scheme, honouring the legacy-code exception register,
    remembering each code's answer in ``cache`` (authority codes repeat on every row)."""
    if cache is None:
        cache = {}

    def for_scheme(scheme: str) -> CodeChecker:
        def check(code: str) -> tuple[list[Problem], list[Problem]]:
            key = (scheme, code)
            found = cache.get(key)
            if found is None:
                kind = scheme
                if scheme == "ric" and len(normalize_code(code)) == 15:
                    kind = "ric15"  # legacy 15-digit ID numbers are still valid identifiers
                result = check_code_with_exceptions(session, code, kind)
                found = (result.errors, result.warnings)
                if len(cache) > 200_000:
                    cache.clear()
                cache[key] = found
            return found

        return check

    return {scheme: for_scheme(scheme) for scheme in ("uscc", "org_code", "regno", "ric")}


def subject_facts(item: CatalogItem, values: Mapping[str, Any]) -> SubjectFacts:
    """What a record's values say about its subject, by the item's subject roles."""

    def pick(role: str) -> Any:
        code = item.subject_fields.get(role)
        return values.get(code) if code else None

    return SubjectFacts(
        name=str(pick("name") or ""),
        category=pick("category"),
        uscc=pick("uscc"),
        regno=pick("regno"),
        org_code=pick("org_code"),
        id_number=pick("id_number"),
        district=pick("district"),
        industry=pick("industry"),
        status=pick("status"),
        legal_rep=pick("legal_rep"),
        registered_capital=pick("registered_capital"),
        capital_currency=pick("capital_currency"),
        registered_on=pick("registered_on"),
        address=pick("address"),
        business_scope=pick("business_scope"),
    )


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        # 5, 5.0 and 5.00 万元 are one amount: a resend that writes it differently is
        # identical, not a correction.
        text = format(value.normalize(), "f")
        return text
    return value


def fingerprint(vault: DataVault, values: Mapping[str, Any]) -> str:
    """A keyed hash of a decision's values: equal for an identical resend."""
    canonical = {code: _canonical(value) for code, value in values.items()}
    blob = orjson.dumps(jsonable(canonical), option=orjson.OPT_SORT_KEYS).decode()
    return vault.lookup_hash("record", blob)


def public_state(record: CreditRecord) -> dict[str, Any]:
    """A record's audited state: clear values and masked personal values, never sealed ones."""
    return {
        "item_code": record.item_code,
        "authority_code": record.authority_code,
        "doc_number": record.doc_number,
        "decision_date": record.decision_date,
        "status": record.status,
        "version": record.version,
        "severity": record.severity,
        "values": record.values,
        "masked": record.masked,
        "rule_set_id": record.rule_set_id,
        "earliest_repair": record.earliest_repair,
        "auto_withdraw": record.auto_withdraw,
    }


@dataclass
class PreparedRow:
    """One row after validation: normalised values, or the problems that reject it."""

    row: int
    checked: ValidatedValues
    doc_number: str | None = None
    first_pass: bool = True

    @property
    def ok(self) -> bool:
        return self.checked.ok


@dataclass
class RowResult:
    row: int
    outcome: Outcome
    record_id: uuid.UUID | None = None
    doc_number: str | None = None
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Derived:
    """What a record stores beyond its values: subject, periods, sealed form."""

    row: PreparedRow
    state: dict[str, Any]
    sealed_fields: dict[str, Any]
    warnings: list[Problem]
    publishable: bool = True  # False: the rule set says the record is not published


class RecordLoader:
    """Loads decisions of one catalog item reported by one department."""

    def __init__(
        self,
        session: Session,
        *,
        actor: Actor,
        catalog: Catalog,
        rulebook: RuleBook,
        vault: DataVault,
        calendar: WorkCalendar,
        item_code: str,
        org: Organisation,
        received_on: dt.date,
        submission_id: uuid.UUID | None = None,
        reason: str | None = None,
        checkers: dict[str, CodeChecker] | None = None,
    ) -> None:
        self.session = session
        self.actor = actor
        self.catalog = catalog
        self.rulebook = rulebook
        self.vault = vault
        self.calendar = calendar
        self.item = catalog.item(item_code)
        self.org = org
        self.received_on = received_on
        self.submission_id = submission_id
        self.reason = reason
        self.checkers = checkers if checkers is not None else cached_code_checkers(session)
        self.known_subjects: dict[str, KnownSubject] = {}
        self.subjects = SubjectRegister(
            session, actor=actor, vault=vault, known=self.known_subjects
        )
        self._periods: dict[tuple[Any, ...], tuple[dict[str, Any], bool]] = {}
        self._lags: dict[dt.date, int] = {received_on: 0}
        self._walk_day, self._walk_count = received_on, 0
        self.timeliness = self.item.code != "djzc"  # registration data is not a decision

    def bind(self, session: Session, checkers: dict[str, CodeChecker]) -> None:
        """Work in ``session`` from now on (one transaction per batch); caches are kept."""
        self.session = session
        self.checkers = checkers
        self.subjects = SubjectRegister(
            session, actor=self.actor, vault=self.vault, known=self.known_subjects
        )

    # --- one row -------------------------------------------------------------------------

    def prepare(self, row: int, raw: Mapping[str, Any]) -> PreparedRow:
        """Validate one row; no database writes."""
        checked = validate_values(
            self.item, raw, today=self.received_on, code_checker=self.checkers
        )
        return self.prepared(row, checked)

    def prepared(self, row: int, checked: ValidatedValues) -> PreparedRow:
        """A validated row with the department's checks and its decision key added."""
        item = self.item
        authority_field = item.authority_code_field
        authority = checked.values.get(authority_field)
        if authority is not None and authority != self.org.uscc:
            label = item.field(authority_field).label()
            checked.problems.append(
                Problem(
                    authority_field,
                    f"{label}「{authority}」不是报送单位（{self.org.name}，{self.org.uscc}）的代码，"
                    "部门只能报送本单位作出的决定",
                    f"{authority_field}: {authority} is not the reporting department's own "
                    f"code {self.org.uscc}",
                    "error",
                )
            )
        # The decision's key within the department: its document number (the authority
        # is the department itself), known even for a row rejected for other reasons.
        keys = [k for k in item.key_fields if k != authority_field]
        doc_number = None
        if all(k in checked.values for k in keys):
            doc_number = "|".join(str(checked.values[k]) for k in keys)
        return PreparedRow(row, checked, doc_number)

    def _period_state(
        self, values: Mapping[str, Any], decided: dt.date
    ) -> tuple[dict[str, Any], bool]:
        """The period columns, and whether the rule set lets the record be published
        at all (e.g. SAMR: a warning alone is not published)."""
        item = self.item
        if item.rule_family == "none":
            return dict(NO_PERIODS), True
        severity_text = str(
            values.get(item.severity_field or "", "") or item.default_severity or "一般"
        )
        penalty_types = values.get(item.penalty_types_field or "", []) or []
        if isinstance(penalty_types, str):
            penalty_types = [penalty_types]
        key = (severity_text, decided, tuple(penalty_types))
        cached = self._periods.get(key)
        if cached is None:
            severity = require_severity(severity_text)
            answer = compute_periods(
                self.rulebook,
                family=item.rule_family,
                severity=severity,
                decided=decided,
                sector=self.org.sector,
                penalty_types=penalty_types,
            )
            cached = (answer.record_columns(severity), answer.published)
            self._periods[key] = cached
        return cached

    def _lag(self, decided: dt.date) -> int | None:
        """Working days in (decided, received_on]: the calendar is walked back from the
        arrival date once, so a file of decisions spread over years costs one walk."""
        if not self.timeliness or decided > self.received_on:
            return None
        one = dt.timedelta(days=1)
        while self._walk_day > decided:
            if self.calendar.is_workday(self._walk_day):
                self._walk_count += 1
            self._walk_day -= one
            self._lags[self._walk_day] = self._walk_count
        return self._lags[decided]

    # --- a batch -------------------------------------------------------------------------

    def store(self, rows: Sequence[PreparedRow]) -> list[RowResult]:
        """Store valid prepared rows; every row gets a result (subject problems reject)."""
        item = self.item
        results: dict[int, RowResult] = {}
        derived: list[_Derived] = []
        facts = [subject_facts(item, p.checked.values) for p in rows]
        registration = item.code == "djzc"
        self.subjects.preload(facts, skip_known=not registration)
        for prepared, fact in zip(rows, facts, strict=True):
            values = prepared.checked.values
            try:
                subject_id, subject_warnings = self.subjects.resolve_id(
                    fact, registration=registration, reporter_org=self.org.id
                )
            except ValidationFailed as exc:
                results[prepared.row] = RowResult(
                    prepared.row, "rejected", doc_number=prepared.doc_number, problems=exc.problems
                )
                continue
            decided = values[item.decision_date_field]
            sealed = seal_personal(item, values, self.vault)
            periods, publishable = self._period_state(values, decided)
            state = {
                "subject_id": subject_id,
                "org_id": self.org.id,
                "catalog_version": self.catalog.version,
                "decision_date": decided,
                "sector": self.org.sector,
                "values": jsonable(sealed.clear) or {},
                "masked": sealed.masked,
                "sealed": sealed.sealed,
                "fingerprint": fingerprint(self.vault, values),
                **periods,
            }
            derived.append(
                _Derived(
                    prepared,
                    state,
                    sealed.clear,
                    prepared.checked.warnings + subject_warnings,
                    publishable,
                )
            )
        self.subjects.flush()

        existing = self._existing([d.row.doc_number for d in derived if d.row.doc_number])
        new_rows: dict[str, dict[str, Any]] = {}
        drafts: list[EventDraft] = []
        now = utcnow()
        for d in derived:
            doc = d.row.doc_number
            assert doc is not None
            row = d.row.row
            record = existing.get(doc)
            pending = new_rows.get(doc)
            if pending is not None:
                # The same decision twice in one delivery: the later row wins.
                outcome: Outcome = (
                    "unchanged" if pending["fingerprint"] == d.state["fingerprint"] else "updated"
                )
                pending.update(d.state)
                results[row] = RowResult(row, outcome, pending["id"], doc, d.warnings)
            elif record is None:
                lag = self._lag(d.state["decision_date"])
                pub_state = initial_state(
                    item,
                    publication_start=d.state["publication_start"],
                    auto_withdraw=d.state["auto_withdraw"],
                    today=self.received_on,
                    publishable=d.publishable,
                )
                new = {
                    "id": new_id(),
                    "item_code": item.code,
                    "authority_code": self.org.uscc,
                    "doc_number": doc,
                    "status": "active",
                    "publication_state": pub_state.value,
                    "state_changed_at": now,
                    "version": 1,
                    "first_submission_id": self.submission_id,
                    "submission_id": self.submission_id,
                    "provenance": {},
                    "received_on": self.received_on,
                    "lag_workdays": lag,
                    "late": None if lag is None else lag > TIMELY_WORKDAYS,
                    "first_pass": d.row.first_pass,
                    "revoked_at": None,
                    "unpublish_by": None,
                    "received_at": now,
                    "updated_at": now,
                    **d.state,
                }
                new_rows[doc] = new
                results[row] = RowResult(row, "created", new["id"], doc, d.warnings)
            elif record.status == "revoked":
                note = Problem(
                    item.authority_code_field,
                    "该决定已被撤销，重新报送不会恢复公示；如确需恢复请联系信用办",
                    "record was revoked; a resend does not restore it",
                    "warning",
                )
                results[row] = RowResult(row, "unchanged", record.id, doc, [*d.warnings, note])
            elif record.fingerprint == d.state["fingerprint"]:
                results[row] = RowResult(row, "unchanged", record.id, doc, d.warnings)
            else:
                drafts.append(self._correct(record, d))
                results[row] = RowResult(row, "updated", record.id, doc, d.warnings)

        self._insert(list(new_rows.values()))
        # Core inserts are not seen by the ORM: the screening hook is told directly.
        mark_subjects(self.session, (new["subject_id"] for new in new_rows.values()))
        for new in new_rows.values():
            drafts.append(
                EventDraft(
                    "record.create",
                    "record",
                    new["id"],
                    after={
                        "item_code": item.code,
                        "authority_code": new["authority_code"],
                        "doc_number": new["doc_number"],
                        "fingerprint": new["fingerprint"],
                        "submission_id": self.submission_id,
                        "version": 1,
                        "publication_state": new["publication_state"],
                    },
                    reason=self.reason,
                )
            )
        record_events(self.session, actor=self.actor, drafts=drafts)
        return [results[p.row] for p in rows]

    def _existing(self, docs: list[str]) -> dict[str, CreditRecord]:
        found: dict[str, CreditRecord] = {}
        unique = sorted(set(docs))
        for start in range(0, len(unique), 1000):
            chunk = unique[start : start + 1000]
            for record in self.session.execute(
                select(CreditRecord).where(
                    CreditRecord.item_code == self.item.code,
                    CreditRecord.authority_code == self.org.uscc,
                    one_of(self.session, CreditRecord.doc_number, chunk),
                )
            ).scalars():
                found[record.doc_number] = record
        return found

    def _correct(self, record: CreditRecord, d: _Derived) -> EventDraft:
        before = public_state(record)
        old_values = {**record.values, **{k: ("sealed", v) for k, v in record.sealed.items()}}
        provenance = dict(record.provenance or {})
        if self.submission_id is not None:
            new_clear = d.state["values"]
            for code in set(old_values) | set(new_clear) | set(d.state["sealed"]):
                old = old_values.get(code)
                new = new_clear.get(code)
                if code in d.state["sealed"]:
                    # Sealed values are encrypted with a fresh nonce: compare the plaintext.
                    new = ("sealed", d.state["sealed"][code])
                    if old is not None and self._same_sealed(old, new):
                        continue
                if old != new:
                    provenance[code] = str(self.submission_id)
        for key, value in d.state.items():
            setattr(record, key, value)
        record.version += 1
        record.provenance = provenance
        record.submission_id = self.submission_id
        after: dict[str, Any] = {}
        if not d.publishable and record.publication_state in LIVE_STATES:
            # Corrected into a decision the rule set does not publish (e.g. a warning
            # alone): it leaves publication with this correction.
            check_move(record.publication_state, PublicationState.internal)
            after = {"publication_state": PublicationState.internal.value}
            record.publication_state = PublicationState.internal.value
            record.state_changed_at = utcnow()
        return EventDraft(
            "record.correct",
            "record",
            record.id,
            before=before,
            after={**public_state(record), **after, "submission_id": self.submission_id},
            reason=self.reason or "部门重新报送（更正）",
        )

    def _same_sealed(self, old: Any, new: Any) -> bool:
        try:
            return bool(self.vault.unseal(old[1]) == self.vault.unseal(new[1]))
        except (TypeError, IndexError, ValueError):
            return False

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        bind = self.session.connection()
        if bind.dialect.name == "postgresql" and len(rows) >= 20:
            _copy_records(bind, rows)
        else:
            self.session.execute(insert(CreditRecord), rows)


def _copy_records(bind: Any, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL COPY of new records in the session's own transaction."""
    table = CreditRecord.__table__
    columns = [c.name for c in table.columns]
    json_columns = {"values", "masked", "sealed", "provenance"}
    driver = bind.connection.driver_connection
    names = ", ".join(f'"{c}"' for c in columns)
    with driver.cursor() as cursor, cursor.copy(f"COPY credit_record ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                [
                    orjson.dumps(row.get(c), default=str).decode()
                    if c in json_columns
                    else row.get(c)
                    for c in columns
                ]
            )
