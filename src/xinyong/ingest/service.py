"""Collection (归集): one submission of rows by a department, in batches.

Every way in (HTTP API, uploaded file, ``xinyong ingest``, resubmission of a corrected
quarantined row) runs ``collect``: the submission is recorded first, the header is
matched to the catalog item, then rows are validated and stored batch by batch, each
batch in its own transaction, so a fault loses at most the batch in flight and a rerun
of the same file loads exactly what is missing (stored decisions come back
"unchanged"). Rejected rows go to the quarantine with their original content.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from xinyong.accounts.models import Organisation
from xinyong.accounts.roles import DEPT_REPORTER, OFFICE_ADMIN, SYSTEM
from xinyong.accounts.rules import require_role
from xinyong.actors import Actor
from xinyong.audit.service import record_event
from xinyong.catalog.loader import Catalog, CatalogItem
from xinyong.db import china_today, one_of, transaction, utcnow
from xinyong.errors import Forbidden, NotFound, Problem, ValidationFailed, XinyongError
from xinyong.ingest.models import QuarantineRow, Submission
from xinyong.ingest.readers import ReadInterrupted, SourceRow, Table
from xinyong.privacy.crypto import DataVault
from xinyong.records.loader import (
    CodeAnswers,
    PreparedRow,
    RecordLoader,
    RowResult,
    cached_code_checkers,
)
from xinyong.rulesets.loader import RuleBook
from xinyong.workdays.service import load_calendar

log = logging.getLogger("xinyong.ingest")

# Report entries kept in memory for the caller, and stored on the submission.
REPORT_ROWS_KEPT = 10_000
REPORT_ROWS_STORED = 1_000
DEFAULT_BATCH = 2_000
# Accepted rows after which PostgreSQL statistics are refreshed mid-load (then x4 each time).
ANALYSE_FIRST = 2_000


@dataclass
class CollectionReport:
    """What a submission did, row by row where something was wrong."""

    submission_id: uuid.UUID
    item_code: str
    received_on: dt.date
    status: str = "running"
    accepted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    warnings: int = 0
    rows_seen: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)
    rows_truncated: bool = False
    file_warnings: list[str] = field(default_factory=list)
    error: str | None = None
    error_en: str | None = None

    def add_row_problems(self, row: int, problems: Iterable[Problem]) -> None:
        for p in problems:
            if len(self.rows) >= REPORT_ROWS_KEPT:
                self.rows_truncated = True
                return
            self.rows.append({"row": row, "field": p.field, "level": p.level, "reason": p.reason})

    def counters(self) -> tuple[int, ...]:
        """The counts (and report length) now, to undo a batch that was rolled back."""
        return (
            self.accepted,
            self.updated,
            self.unchanged,
            self.rejected,
            self.warnings,
            self.rows_seen,
            len(self.rows),
        )

    def restore(self, saved: tuple[int, ...]) -> None:
        (
            self.accepted,
            self.updated,
            self.unchanged,
            self.rejected,
            self.warnings,
            self.rows_seen,
            kept,
        ) = saved
        del self.rows[kept:]

    def as_dict(self) -> dict[str, Any]:
        return {
            "submission_id": str(self.submission_id),
            "item": self.item_code,
            "status": self.status,
            "accepted": self.accepted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "warnings": self.warnings,
            "rows_seen": self.rows_seen,
            "rows": self.rows,
            "rows_truncated": self.rows_truncated,
            "file_warnings": self.file_warnings,
            "error": self.error,
        }


@dataclass(frozen=True)
class Started:
    """A recorded submission about to load."""

    submission_id: uuid.UUID
    item_code: str
    org: Organisation
    received_on: dt.date
    reason: str | None


@dataclass(frozen=True)
class FileInfo:
    filename: str | None = None
    sha256: str | None = None
    size: int | None = None


# --- header ------------------------------------------------------------------------------


def match_headers(item: CatalogItem, headers: list[str]) -> tuple[dict[str, str], list[str]]:
    """Map each header to a field code of ``item``; unknown headers are returned apart.

    A header that names none of the item's decision-key fields (e.g. a penalty file
    sent as a licence file) is refused with the fields that are missing."""
    mapping: dict[str, str] = {}
    unknown: list[str] = []
    for header in headers:
        spec = item.resolve_column(header)
        if spec is None:
            unknown.append(header)
        else:
            mapping[header] = spec.code
    present = set(mapping.values())
    missing = [code for code in item.key_fields if code not in present]
    if not mapping or missing:
        names = "、".join(item.field(code).label() for code in missing) or "任何字段"
        raise ValidationFailed.one(
            "file",
            f"表头与事项「{item.name}」（{item.code}）不匹配：缺少{names}列。"
            "请使用目录中的字段代码或中文字段名作为表头",
            f"header does not match item {item.code}: missing {', '.join(missing) or 'all'}",
        )
    return mapping, unknown


def guess_item(catalog: Catalog, headers: list[str]) -> CatalogItem | None:
    """The catalog item whose fields the headers name most (to suggest in errors)."""
    best: tuple[int, CatalogItem | None] = (0, None)
    for item in catalog.items.values():
        score = sum(1 for h in headers if item.resolve_column(h) is not None)
        if score > best[0]:
            best = (score, item)
    return best[1]


# --- helpers -----------------------------------------------------------------------------


def _json_safe(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def raw_content(cells: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """A row's original cells as JSON, and a hash that finds the same row sent again."""
    raw = {str(k): _json_safe(v) for k, v in cells.items()}
    digest = hashlib.sha256(orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return raw, digest


def _batches(
    rows: Iterator[SourceRow], size: int, stopped: list[ReadInterrupted]
) -> Iterator[list[SourceRow]]:
    """Rows in batches; when reading stops part-way, the rows read so far still form a
    last batch (they are loaded) and the interruption is left in ``stopped``."""
    batch: list[SourceRow] = []
    try:
        for row in rows:
            batch.append(row)
            if len(batch) >= size:
                yield batch
                batch = []
    except ReadInterrupted as exc:
        stopped.append(exc)
    if batch:
        yield batch


def department_for(session: Session, actor: Actor, uscc: str | None) -> Organisation:
    """The department a submission is for: the actor's own, or (office admin, system)
    the one named."""
    target = uscc or actor.org_uscc
    if not target:
        raise ValidationFailed.one("department", "须指定报送单位", "department is required")
    org = session.execute(
        select(Organisation).where(Organisation.uscc == target.strip().upper())
    ).scalar_one_or_none()
    if org is None:
        raise NotFound(
            f"报送单位 {target} 尚未在平台登记，请联系信用办",
            f"organisation {target} is not registered",
            field="department",
        )
    if org.uscc != actor.org_uscc and not actor.has_role(OFFICE_ADMIN, SYSTEM):
        raise Forbidden(
            f"只能报送本单位的数据，不能代 {org.name} 报送",
            f"{actor.label} may not submit for {org.uscc}",
            field="department",
        )
    if org.uscc == actor.org_uscc:
        require_role(actor, DEPT_REPORTER, OFFICE_ADMIN, SYSTEM)
    return org


# --- the run -----------------------------------------------------------------------------


@dataclass
class Collector:
    """Everything a submission needs that lives longer than one transaction."""

    sessions: sessionmaker[Session]
    actor: Actor
    catalog: Catalog
    rulebook: RuleBook
    vault: DataVault
    batch_size: int = DEFAULT_BATCH

    def collect(
        self,
        table: Table,
        *,
        item_code: str,
        department: str | None,
        channel: str,
        file: FileInfo | None = None,
        reason: str | None = None,
        today: dt.date | None = None,
        resubmitting: uuid.UUID | None = None,
    ) -> CollectionReport:
        """Run one submission to the end (or to the fault that stops it)."""
        started = self.start(
            table,
            item_code=item_code,
            department=department,
            channel=channel,
            file=file,
            reason=reason,
            today=today,
        )
        return self.load(started, table, resubmitting=resubmitting)

    def start(
        self,
        table: Table,
        *,
        item_code: str,
        department: str | None,
        channel: str,
        file: FileInfo | None = None,
        reason: str | None = None,
        today: dt.date | None = None,
    ) -> Started:
        """Record the submission (committed at once, so even a failed load is on file)."""
        received_on = today or china_today()
        item = self.catalog.item(item_code)
        file = file or FileInfo()
        with transaction(self.sessions) as session:
            org = department_for(session, self.actor, department)
            submission = Submission(
                org_id=org.id,
                item_code=item.code,
                channel=channel,
                actor=self.actor.label,
                filename=file.filename,
                file_format=table.format,
                file_encoding=table.encoding,
                file_sha256=file.sha256,
                file_size=file.size,
                reason=reason,
                received_on=received_on,
                rows_report={"rows": []},
            )
            session.add(submission)
            session.flush()
            org_snapshot = Organisation(
                id=org.id, uscc=org.uscc, name=org.name, sector=org.sector, kind=org.kind
            )
            return Started(submission.id, item.code, org_snapshot, received_on, reason)

    def load(
        self, started: Started, table: Table, *, resubmitting: uuid.UUID | None = None
    ) -> CollectionReport:
        """Load the rows of a started submission, batch by batch."""
        item = self.catalog.item(started.item_code)
        submission_id, org_snapshot = started.submission_id, started.org
        received_on, reason = started.received_on, started.reason
        report = CollectionReport(submission_id, item.code, received_on)
        try:
            return self._load(report, item, org_snapshot, table, resubmitting, reason)
        except XinyongError as exc:
            self._finish(report, "failed", exc.message, exc.message_en)
            raise
        except Exception:
            log.exception("submission %s failed", submission_id)
            self._finish(
                report, "failed", "内部错误，本批次未完成；已保存的行不受影响", "internal error"
            )
            raise
        finally:
            table.close()

    def _load(
        self,
        report: CollectionReport,
        item: CatalogItem,
        org: Organisation,
        table: Table,
        resubmitting: uuid.UUID | None,
        reason: str | None,
    ) -> CollectionReport:
        try:
            mapping, unknown = match_headers(item, table.headers)
        except ValidationFailed as exc:
            guess = guess_item(self.catalog, table.headers)
            if guess is not None and guess.code != item.code:
                first = exc.problems[0]
                raise ValidationFailed.one(
                    "file",
                    f"{first.reason}。表头看起来像事项「{guess.name}」（{guess.code}）",
                    f"{first.reason_en}; the header looks like item {guess.code}",
                ) from None
            raise
        for header in unknown:
            report.file_warnings.append(
                f"表头「{header}」不是事项「{item.name}」的字段，该列已忽略"
            )

        with transaction(self.sessions) as session:
            calendar = load_calendar(session)
        loader = RecordLoader(
            session,  # rebound to each batch's session below
            actor=self.actor,
            catalog=self.catalog,
            rulebook=self.rulebook,
            vault=self.vault,
            calendar=calendar,
            item_code=item.code,
            org=org,
            received_on=report.received_on,
            submission_id=report.submission_id,
            reason=reason,
        )
        code_cache: CodeAnswers = {}
        stopped: list[ReadInterrupted] = []
        analyse_at = ANALYSE_FIRST
        try:
            for batch in _batches(table.rows(), self.batch_size, stopped):
                saved = report.counters()
                with transaction(self.sessions) as session:
                    loader.bind(session, cached_code_checkers(session, code_cache))
                    self._load_batch(session, loader, report, batch, mapping, org, resubmitting)
                if report.accepted >= analyse_at:
                    # Keep PostgreSQL's statistics in step with a growing table, or the
                    # planner, believing it small, scans it for every batch's lookups.
                    self._refresh_statistics(during_load=True)
                    analyse_at *= 4
        except DBAPIError as exc:
            report.restore(saved)  # the batch in flight was rolled back: it does not count
            log.error("database error while loading submission %s: %s", report.submission_id, exc)
            self._finish(
                report,
                "interrupted",
                f"数据库连接中断：前 {report.rows_seen} 行已处理并保存，其余未保存。"
                "请在恢复后重新提交同一文件，已保存的行将记为未变化，不会重复",
                f"database error after {report.rows_seen} rows: {exc.__class__.__name__}",
            )
            return report
        report.file_warnings.extend(p.reason for p in table.warnings)
        if stopped:
            self._finish(report, "interrupted", stopped[0].message, stopped[0].message_en)
            return report
        self._finish(report, "done", None, None)
        if report.accepted >= 10_000:
            self._refresh_statistics()
        return report

    # --- one batch ---------------------------------------------------------------------

    def _load_batch(
        self,
        session: Session,
        loader: RecordLoader,
        report: CollectionReport,
        batch: list[SourceRow],
        mapping: dict[str, str],
        org: Organisation,
        resubmitting: uuid.UUID | None,
    ) -> None:
        item = loader.item
        prepared: list[PreparedRow] = []
        rejected: list[tuple[SourceRow, list[Problem], str | None]] = []
        for source in batch:
            values = {mapping[h]: v for h, v in source.cells.items() if h in mapping}
            row = loader.prepare(source.number, values)
            if any(p.level == "error" for p in source.problems):
                # A row of the wrong shape is rejected whatever its values; they are still
                # checked for the decision key, so a rerun of the repaired file finds it.
                rejected.append((source, list(source.problems), row.doc_number))
                continue
            row.checked.problems[:0] = list(source.problems)
            if resubmitting is not None:
                row.first_pass = False
            if row.ok:
                prepared.append(row)
            else:
                rejected.append((source, row.checked.problems, row.doc_number))

        earlier = self._previously_rejected(
            session, org, item.code, [p.doc_number for p in prepared if p.doc_number]
        )
        for row in prepared:
            if row.doc_number in earlier:
                row.first_pass = False
        results = loader.store(prepared) if prepared else []
        by_row = {s.number: s for s in batch}
        accepted_docs: list[str] = []
        for result in results:
            self._count(report, result)
            if result.outcome == "rejected":
                rejected.append((by_row[result.row], result.problems, result.doc_number))
            elif result.doc_number:
                accepted_docs.append(result.doc_number)
        for source, problems, _doc in rejected:
            report.rejected += 1
            report.add_row_problems(source.number, problems)
        report.rows_seen += len(batch)
        self._quarantine(session, report, org, item.code, rejected, resubmitting)
        self._resolve_quarantined(session, report, org, item.code, accepted_docs, resubmitting)
        self._save_counts(session, report)

    @staticmethod
    def _count(report: CollectionReport, result: RowResult) -> None:
        if result.outcome == "created":
            report.accepted += 1
        elif result.outcome == "updated":
            report.updated += 1
        elif result.outcome == "unchanged":
            report.unchanged += 1
        if result.outcome != "rejected" and result.problems:
            report.warnings += 1
            report.add_row_problems(result.row, result.problems)

    @staticmethod
    def _previously_rejected(
        session: Session, org: Organisation, item_code: str, docs: list[str]
    ) -> set[str]:
        if not docs:
            return set()
        keys = [f"{org.uscc}|{d}" for d in docs]
        found: set[str] = set()
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            for (key,) in session.execute(
                select(QuarantineRow.doc_key).where(
                    QuarantineRow.item_code == item_code,
                    one_of(session, QuarantineRow.doc_key, chunk),
                )
            ):
                found.add(str(key).split("|", 1)[1])
        return found

    def _quarantine(
        self,
        session: Session,
        report: CollectionReport,
        org: Organisation,
        item_code: str,
        rejected: list[tuple[SourceRow, list[Problem], str | None]],
        resubmitting: uuid.UUID | None,
    ) -> None:
        if not rejected:
            return
        entries = []
        for source, problems, doc in rejected:
            raw, digest = raw_content(source.cells)
            entries.append((source, problems, doc, raw, digest))
        problems_json = [
            {
                "items": [
                    {"field": p.field, "level": p.level, "reason": p.reason, "en": p.reason_en}
                    for p in problems
                ]
            }
            for _, problems, _, _, _ in entries
        ]
        if resubmitting is not None:
            # A corrected row that fails again stays one quarantined row, with new problems.
            row = session.get(QuarantineRow, resubmitting)
            if row is not None:
                source, _, doc, raw, digest = entries[0]
                row.raw, row.raw_hash, row.problems = raw, digest, problems_json[0]
                row.doc_key = f"{org.uscc}|{doc}" if doc else row.doc_key
            return
        already = set(
            session.execute(
                select(QuarantineRow.raw_hash).where(
                    QuarantineRow.org_id == org.id,
                    QuarantineRow.item_code == item_code,
                    QuarantineRow.status == "open",
                    one_of(session, QuarantineRow.raw_hash, sorted({e[4] for e in entries})),
                )
            ).scalars()
        )
        for (source, _, doc, raw, digest), problems_doc in zip(entries, problems_json, strict=True):
            if digest in already:
                continue  # the same row sent again: it is already waiting to be fixed
            already.add(digest)
            session.add(
                QuarantineRow(
                    submission_id=report.submission_id,
                    org_id=org.id,
                    item_code=item_code,
                    row_number=source.number,
                    raw=raw,
                    raw_hash=digest,
                    problems=problems_doc,
                    doc_key=f"{org.uscc}|{doc}" if doc else None,
                    received_on=report.received_on,
                )
            )
        session.flush()

    @staticmethod
    def _resolve_quarantined(
        session: Session,
        report: CollectionReport,
        org: Organisation,
        item_code: str,
        docs: list[str],
        resubmitting: uuid.UUID | None,
    ) -> None:
        now = utcnow()
        if resubmitting is not None and docs:
            session.execute(
                update(QuarantineRow)
                .where(QuarantineRow.id == resubmitting, QuarantineRow.status == "open")
                .values(status="resolved", resolved_by=report.submission_id, resolved_at=now)
            )
        keys = [f"{org.uscc}|{d}" for d in docs]
        for start in range(0, len(keys), 1000):
            session.execute(
                update(QuarantineRow)
                .where(
                    QuarantineRow.item_code == item_code,
                    QuarantineRow.status == "open",
                    one_of(session, QuarantineRow.doc_key, keys[start : start + 1000]),
                )
                .values(status="resolved", resolved_by=report.submission_id, resolved_at=now)
            )

    @staticmethod
    def _save_counts(session: Session, report: CollectionReport) -> None:
        session.execute(
            update(Submission)
            .where(Submission.id == report.submission_id)
            .values(
                rows_seen=report.rows_seen,
                accepted=report.accepted,
                updated=report.updated,
                unchanged=report.unchanged,
                rejected=report.rejected,
                warnings=report.warnings,
            )
        )

    # --- the end -----------------------------------------------------------------------

    def _finish(
        self, report: CollectionReport, status: str, error: str | None, error_en: str | None
    ) -> None:
        report.status, report.error, report.error_en = status, error, error_en
        try:
            with transaction(self.sessions) as session:
                submission = session.get(Submission, report.submission_id)
                if submission is None:
                    return
                submission.status = status
                submission.error, submission.error_en = error, error_en
                submission.finished_at = utcnow()
                submission.rows_report = {
                    "rows": report.rows[:REPORT_ROWS_STORED],
                    "truncated": report.rows_truncated or len(report.rows) > REPORT_ROWS_STORED,
                    "file_warnings": report.file_warnings,
                }
                self._save_counts(session, report)
                record_event(
                    session,
                    actor=self.actor,
                    action="submission.finish",
                    entity_type="submission",
                    entity_id=submission.id,
                    after={
                        k: v
                        for k, v in report.as_dict().items()
                        if k not in ("rows", "file_warnings")
                    },
                    reason=submission.reason,
                )
        except DBAPIError as exc:  # the database is gone: the report still tells the caller
            log.error("could not record the end of submission %s: %s", report.submission_id, exc)

    def _refresh_statistics(self, *, during_load: bool = False) -> None:
        """Fresh planner statistics during and after a large load (and, after it, SQLite's
        optimiser)."""
        try:
            with transaction(self.sessions) as session:
                if session.get_bind().dialect.name == "postgresql":
                    for table in ("credit_record", "subject", "audit_event"):
                        session.execute(text(f"ANALYZE {table}"))
                elif not during_load:
                    session.execute(text("PRAGMA optimize"))
        except DBAPIError as exc:
            log.warning("statistics not refreshed: %s", exc)


def open_quarantine_count(session: Session, org_id: uuid.UUID) -> int:
    return session.execute(
        select(func.count())
        .select_from(QuarantineRow)
        .where(QuarantineRow.org_id == org_id, QuarantineRow.status == "open")
    ).scalar_one()


# A load runs for minutes (a million rows in about five); one still "running" after
# this long died with its process (a restart during a background load).
STALE_AFTER = dt.timedelta(hours=6)


def close_stale_submissions(session: Session, *, actor: Actor, now: dt.datetime) -> int:
    """Mark submissions whose load died with its process as interrupted, so the
    department sees to resend the file (what was stored comes back "unchanged")."""
    stale = list(
        session.execute(
            select(Submission).where(
                Submission.status == "running", Submission.started_at < now - STALE_AFTER
            )
        ).scalars()
    )
    for sub in stale:
        sub.status, sub.finished_at = "interrupted", now
        sub.error = (
            f"处理中断（服务重启）：前 {sub.rows_seen} 行已处理并保存。"
            "请重新提交同一文件，已保存的行将记为未变化，不会重复"
        )
        sub.error_en = "load died with its process"
        record_event(
            session,
            actor=actor,
            action="submission.interrupted",
            entity_type="submission",
            entity_id=sub.id,
            after={"status": "interrupted", "rows_seen": sub.rows_seen},
            reason="stale running submission",
        )
    session.flush()
    return len(stale)
