"""List entries (名单): propose, notify (告知 with an objection window), list (列入),
withdraw a proposal, exit (移出), the expiry sweep, ending entries whose basis record
was repaired or revoked, and the current entries of subjects (for screening).

Every function takes a ``Session``, flushes, never commits, and writes an audit event
(entity type ``list_entry``) for each change. Who may do what: ``lists.rules``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from xinyong.accounts.models import Organisation
from xinyong.accounts.rules import require_role
from xinyong.actors import Actor
from xinyong.audit.service import record_event
from xinyong.errors import Conflict, Forbidden, NotFound, Problem, ValidationFailed
from xinyong.lists import rules
from xinyong.lists.models import ListEntry
from xinyong.lists.rules import Status
from xinyong.measures.loader import MeasureBook
from xinyong.measures.schema import EXIT_LABELS, ListDefinition
from xinyong.privacy.crypto import DataVault
from xinyong.records.models import CreditRecord
from xinyong.subjects.models import Subject
from xinyong.subjects.service import find_by_code
from xinyong.workdays.rules import WorkCalendar

ENTITY = "list_entry"
PER_PAGE = 50
_CHUNK = 900  # ids per IN (…) query


def entry_state(entry: ListEntry) -> dict[str, Any]:
    """The audited state of an entry (the notice text is audited once, on notify)."""
    return {
        "list_code": entry.list_code,
        "subject_id": entry.subject_id,
        "org_id": entry.org_id,
        "status": entry.status,
        "doc_number": entry.doc_number,
        "reasons": entry.reasons,
        "basis_record_id": entry.basis_record_id,
        "proposed_on": entry.proposed_on,
        "notified_on": entry.notified_on,
        "objection_until": entry.objection_until,
        "listed_on": entry.listed_on,
        "expires_on": entry.expires_on,
        "exited_on": entry.exited_on,
        "exit_way": entry.exit_way,
        "exit_reason": entry.exit_reason,
        "moved_from_id": entry.moved_from_id,
        "version": entry.version,
    }


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    entry: ListEntry,
    before: dict[str, Any] | None,
    list_def: ListDefinition | None,
    *,
    reason: str | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    session.flush()
    record_event(
        session,
        actor=actor,
        action=f"list_entry.{action}",
        entity_type=ENTITY,
        entity_id=entry.id,
        before=before,
        after={**entry_state(entry), **(extra or {})},
        reason=reason,
        legal_basis=rules.basis_text(list_def.legal_basis) if list_def else None,
    )


def _text(value: str | None, field: str, label: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed.one(field, f"{label}不能为空", f"{field} is required")
    if len(text) > limit:
        raise ValidationFailed.one(
            field, f"{label}不能超过 {limit} 个字符", f"{field} longer than {limit}"
        )
    return text


def _organisation(session: Session, actor: Actor) -> Organisation | None:
    return session.get(Organisation, actor.org_id) if actor.org_id else None


def require_identifier(session: Session, actor: Actor, list_def: ListDefinition) -> Organisation:
    """The actor's organisation, if it may identify entries of ``list_def``."""
    require_role(actor, *rules.ACT_ROLES)
    org = _organisation(session, actor)
    if org is None:
        raise Forbidden(
            "名单认定须由认定单位的工作人员办理（当前账户不属于任何单位）",
            f"{actor.label} has no organisation to identify list entries",
        )
    office = org.kind == "office" and actor.has_role(*rules.OFFICE_ROLES)
    department = org.kind == "department" and actor.has_role(*rules.DEPT_ROLES)
    if not rules.may_identify(
        office=office, department=department, sector=org.sector, list_def=list_def
    ):
        raise Forbidden(
            f"{org.name}不能认定{list_def.name}：该名单属于“{list_def.domain}”领域，"
            f"由{list_def.authority}或信用办认定",
            f"{org.name} may not identify entries of {list_def.code}",
            field="list_code",
        )
    return org


def _require_actor_on(session: Session, actor: Actor, entry: ListEntry) -> None:
    """The office may act on any entry; a department reviewer only on its own."""
    if actor.has_role("system", *rules.OFFICE_ROLES):
        return
    require_role(actor, *rules.ACT_ROLES)
    if actor.org_id != entry.org_id:
        raise Forbidden(
            "只能办理本单位认定的名单条目",
            f"{actor.label} may not act on list entry {entry.id} of another organisation",
        )


def _list_def(book: MeasureBook, code: str) -> ListDefinition:
    found = book.lists.get((code or "").strip())
    if found is None:
        known = "、".join(f"{c}（{d.name}）" for c, d in book.lists.items())
        raise ValidationFailed.one(
            "list_code", f"名单“{code}”不存在，可选：{known}", f"unknown list {code!r}"
        )
    return found


def _subject(
    session: Session,
    vault: DataVault | None,
    subject_code: str | None,
    subject_id: uuid.UUID | None,
) -> Subject:
    if subject_id is not None:
        found = session.get(Subject, subject_id)
        if found is None:
            raise ValidationFailed.one(
                "subject_id", "未找到该信用主体", f"subject {subject_id} not found"
            )
        return found
    code = (subject_code or "").strip()
    if not code:
        raise ValidationFailed.one(
            "subject_code",
            "请填写主体的统一社会信用代码或身份证号码",
            "subject_code is required",
        )
    if vault is None:
        raise ValueError("a vault is needed to find a subject by code")
    found = find_by_code(session, vault=vault, code=code)
    if found is None:
        raise ValidationFailed.one(
            "subject_code",
            f"平台中没有代码为 {code} 的信用主体（须先有其登记或信用信息）",
            f"no subject with code {code!r}",
        )
    return found


def get_entry(session: Session, entry_id: uuid.UUID | str) -> ListEntry:
    try:
        key = entry_id if isinstance(entry_id, uuid.UUID) else uuid.UUID(str(entry_id))
    except ValueError:
        key = None
    entry = session.get(ListEntry, key) if key is not None else None
    if entry is None:
        raise NotFound("未找到该名单条目", f"list entry {entry_id} not found")
    return entry


def _require_status(entry: ListEntry, *allowed: Status, doing: str) -> None:
    if entry.status not in allowed:
        now = rules.STATUS_LABELS.get(entry.status, entry.status)
        raise Conflict(
            f"该名单条目当前状态为“{now}”，不能{doing}",
            f"list entry {entry.id} is {entry.status}; cannot {doing}",
            field="status",
        )


def _touch(entry: ListEntry) -> None:
    entry.version = (entry.version or 0) + 1


def propose(
    session: Session,
    *,
    actor: Actor,
    book: MeasureBook,
    today: dt.date,
    list_code: str,
    doc_number: str,
    reasons: str,
    subject_code: str | None = None,
    subject_id: uuid.UUID | None = None,
    vault: DataVault | None = None,
    basis_record_id: uuid.UUID | None = None,
    basis_doc_number: str | None = None,
) -> ListEntry:
    """Propose (拟列入) the subject ``subject_code`` (USCC, ID number …) or ``subject_id``
    for the list ``list_code``; the actor's organisation becomes the identifying
    authority. Refused: an unknown list or subject, empty reasons or document number,
    an organisation that may not identify this list, an open entry on the same list,
    a basis record of another subject."""
    list_def = _list_def(book, list_code)
    org = require_identifier(session, actor, list_def)
    problems: list[Problem] = []
    subject: Subject | None = None
    try:
        subject = _subject(session, vault, subject_code, subject_id)
    except ValidationFailed as exc:
        problems += exc.problems
    texts: dict[str, str] = {}
    for field, label, limit, value in (
        ("doc_number", "认定文书号", rules.DOC_NUMBER_MAX, doc_number),
        ("reasons", "列入事由", rules.REASONS_MAX, reasons),
    ):
        try:
            texts[field] = _text(value, field, label, limit)
        except ValidationFailed as exc:
            problems += exc.problems
    if basis_doc_number and subject is not None:
        # Staff know the basis record by its 决定文书号, not by the platform's id.
        found = session.execute(
            select(CreditRecord.id).where(
                CreditRecord.subject_id == subject.id,
                CreditRecord.doc_number == basis_doc_number.strip(),
            )
        ).scalars()
        ids = list(found)
        if len(ids) == 1:
            basis_record_id = ids[0]
        else:
            problems.append(
                Problem(
                    "basis_record_id",
                    "该主体没有此决定文书号的信用记录"
                    if not ids
                    else "该决定文书号对应多条信用记录，请填写记录编号",
                    f"{len(ids)} records of the subject have this document number",
                )
            )
    if basis_record_id is not None:
        record = session.get(CreditRecord, basis_record_id)
        if record is None:
            problems.append(
                Problem("basis_record_id", "未找到所依据的信用记录", "basis record not found")
            )
        elif subject is not None and record.subject_id != subject.id:
            problems.append(
                Problem(
                    "basis_record_id",
                    "所依据的信用记录不属于该主体",
                    "basis record belongs to another subject",
                )
            )
    if problems:
        raise ValidationFailed.from_problems(problems)
    assert subject is not None
    open_entry = session.execute(
        select(ListEntry).where(
            ListEntry.subject_id == subject.id,
            ListEntry.list_code == list_def.code,
            ListEntry.status.in_([s.value for s in rules.OPEN_STATUSES]),
        )
    ).scalar_one_or_none()
    if open_entry is not None:
        raise Conflict(
            f"{subject.name}已在{list_def.name}中（状态："
            f"{rules.STATUS_LABELS[open_entry.status]}），不能重复列入",
            f"subject {subject.id} already has an open entry on {list_def.code}",
            field="subject_code",
            details={"entry_id": str(open_entry.id)},
        )
    entry = ListEntry(
        id=uuid.uuid4(),
        list_code=list_def.code,
        subject_id=subject.id,
        org_id=org.id,
        status=Status.proposed.value,
        doc_number=texts["doc_number"],
        reasons=texts["reasons"],
        basis_record_id=basis_record_id,
        proposed_on=today,
        version=1,
    )
    session.add(entry)
    _audit(session, actor, "propose", entry, None, list_def, reason=entry.reasons)
    return entry


def _subject_code(subject: Subject) -> str | None:
    """The code printed on the notice: the USCC, else the masked ID number."""
    return subject.uscc or subject.regno or subject.id_masked


def notify(
    session: Session,
    *,
    actor: Actor,
    book: MeasureBook,
    calendar: WorkCalendar,
    today: dt.date,
    entry_id: uuid.UUID | str,
) -> ListEntry:
    """Serve the written notice (告知书): basis, reasons, the measures listing triggers,
    the objection window (``notice_working_days`` of the list, in working days) and the
    exit conditions. The text is kept as served. No notice is queued: subjects have no
    contact on the platform; the authority serves the printed notice."""
    entry = get_entry(session, entry_id)
    _require_actor_on(session, actor, entry)
    _require_status(entry, Status.proposed, doing="告知")
    list_def = book.list_def(entry.list_code)
    before = entry_state(entry)
    deadline = calendar.add_working_days(today, list_def.notice_working_days)
    subject = session.get(Subject, entry.subject_id)
    org = session.get(Organisation, entry.org_id)
    assert subject is not None and org is not None
    entry.notice_text = rules.notice_text(
        list_def=list_def,
        measures=rules.triggered_measures(book.measures.values(), list_def.code),
        scenario_labels=dict(book.scenarios),
        subject_name=subject.name,
        subject_code=_subject_code(subject),
        authority=org.name,
        doc_number=entry.doc_number,
        reasons=entry.reasons,
        notified_on=today,
        objection_until=deadline.date,
    )
    entry.notified_on = today
    entry.objection_until = deadline.date
    entry.status = Status.notified.value
    _touch(entry)
    _audit(
        session,
        actor,
        "notify",
        entry,
        before,
        list_def,
        extra={
            "notice_text": entry.notice_text,
            "deadline_provisional": deadline.provisional,
            "calendar_version": deadline.calendar_version,
        },
    )
    return entry


def confirm(
    session: Session,
    *,
    actor: Actor,
    book: MeasureBook,
    today: dt.date,
    entry_id: uuid.UUID | str,
) -> ListEntry:
    """List (列入) a notified entry once its objection window has passed; the entry
    expires ``duration_months`` after today (or never, until an exit).

    Not checked yet: an open objection about the entry (no case type for list
    entries exists); the authority withdraws the proposal if an objection is upheld."""
    entry = get_entry(session, entry_id)
    _require_actor_on(session, actor, entry)
    _require_status(entry, Status.notified, doing="列入")
    assert entry.notified_on is not None and entry.objection_until is not None
    if not rules.objection_over(entry.notified_on, entry.objection_until, today):
        first = rules.first_listing_day(entry.notified_on, entry.objection_until)
        raise Conflict(
            f"异议期至 {entry.objection_until.isoformat()} 届满，{first.isoformat()} 起方可列入",
            f"objection window open until {entry.objection_until}",
            field="objection_until",
            details={"objection_until": entry.objection_until.isoformat()},
        )
    list_def = book.list_def(entry.list_code)
    before = entry_state(entry)
    entry.status = Status.listed.value
    entry.listed_on = today
    entry.expires_on = rules.expiry(today, list_def.duration_months)
    _touch(entry)
    _audit(session, actor, "list", entry, before, list_def)
    return entry


def withdraw_proposal(
    session: Session,
    *,
    actor: Actor,
    book: MeasureBook,
    entry_id: uuid.UUID | str,
    reason: str,
    today: dt.date,
) -> ListEntry:
    """Withdraw (撤回) a proposed or notified entry, e.g. after an upheld objection."""
    entry = get_entry(session, entry_id)
    _require_actor_on(session, actor, entry)
    _require_status(entry, Status.proposed, Status.notified, doing="撤回")
    text = _text(reason, "reason", "撤回理由", rules.REASON_MAX)
    before = entry_state(entry)
    entry.status = Status.withdrawn.value
    entry.exited_on = today
    entry.exit_reason = text
    _touch(entry)
    _audit(session, actor, "withdraw", entry, before, book.lists.get(entry.list_code), reason=text)
    return entry


def _end(
    session: Session,
    actor: Actor,
    entry: ListEntry,
    list_def: ListDefinition | None,
    way: str,
    reason: str,
    today: dt.date,
) -> None:
    before = entry_state(entry)
    entry.status = Status.exited.value
    entry.exited_on = today
    entry.exit_way = way
    entry.exit_reason = reason
    _touch(entry)
    _audit(session, actor, "exit", entry, before, list_def, reason=reason)


def _move(
    session: Session,
    actor: Actor,
    book: MeasureBook,
    entry: ListEntry,
    target: ListDefinition,
    reason: str,
    today: dt.date,
) -> ListEntry:
    """A local rule (``on_correction``): the corrected entry continues on ``target``,
    listed from today with that list's own duration, in the same transaction."""
    moved = ListEntry(
        id=uuid.uuid4(),
        list_code=target.code,
        subject_id=entry.subject_id,
        org_id=entry.org_id,
        status=Status.listed.value,
        doc_number=entry.doc_number,
        reasons=f"由{book.list_def(entry.list_code).name}转入（纠正失信行为）：{reason}",
        basis_record_id=entry.basis_record_id,
        proposed_on=today,
        listed_on=today,
        expires_on=rules.expiry(today, target.duration_months),
        moved_from_id=entry.id,
        version=1,
    )
    session.add(moved)
    _audit(session, actor, "move", moved, None, target, reason=reason)
    return moved


@dataclass(frozen=True)
class ExitResult:
    entry: ListEntry
    moved_to: ListEntry | None


def exit_entry(
    session: Session,
    *,
    actor: Actor,
    book: MeasureBook,
    entry_id: uuid.UUID | str,
    way: str,
    reason: str,
    today: dt.date,
) -> ExitResult:
    """End a listed entry (移出) by one of the list's exit ways. If the list has a local
    ``on_correction`` rule and the way is correction, the subject continues on that
    list (a new listed entry with ``moved_from_id``) in this transaction."""
    entry = get_entry(session, entry_id)
    _require_actor_on(session, actor, entry)
    _require_status(entry, Status.listed, doing="移出")
    list_def = book.list_def(entry.list_code)
    if way not in list_def.exit_ways:
        allowed = "、".join(f"{w}（{EXIT_LABELS[w]}）" for w in list_def.exit_ways)
        raise ValidationFailed.one(
            "way",
            f"{list_def.name}的移出方式只能是：{allowed}",
            f"exit way {way!r} not allowed for {list_def.code}",
        )
    text = _text(reason, "reason", "移出理由", rules.REASON_MAX)
    _end(session, actor, entry, list_def, way, text, today)
    moved = None
    if way == "correction" and list_def.on_correction:
        target = book.list_def(list_def.on_correction)
        moved = _move(session, actor, book, entry, target, text, today)
    return ExitResult(entry, moved)


def expire_entries(session: Session, *, actor: Actor, today: dt.date) -> list[ListEntry]:
    """Exit (way expiry) every listed entry whose ``expires_on`` has come: the
    periodic sweep (web server and ``xinyong publish sweep``). Idempotent."""
    due = list(
        session.execute(
            select(ListEntry)
            .where(ListEntry.status == Status.listed.value, ListEntry.expires_on <= today)
            .order_by(ListEntry.expires_on, ListEntry.id)
        ).scalars()
    )
    for entry in due:
        assert entry.expires_on is not None
        _end(
            session,
            actor,
            entry,
            None,
            "expiry",
            f"列入期限于 {entry.expires_on.isoformat()} 届满",
            today,
        )
    return due


def end_entries_based_on(
    session: Session,
    *,
    actor: Actor,
    record_id: uuid.UUID,
    way: str,
    reason: str,
    today: dt.date,
) -> list[ListEntry]:
    """End every open entry resting on the record ``record_id`` (repaired or revoked):
    listed entries exit by ``way``, proposals are withdrawn. No ``on_correction`` move:
    an entry whose basis is gone must not continue on another list."""
    if way not in EXIT_LABELS:
        raise ValidationFailed.one("way", f"未知的移出方式：{way}", f"unknown exit way {way!r}")
    text = _text(reason, "reason", "移出理由", rules.REASON_MAX)
    entries = list(
        session.execute(
            select(ListEntry)
            .where(
                ListEntry.basis_record_id == record_id,
                ListEntry.status.in_([s.value for s in rules.OPEN_STATUSES]),
            )
            .order_by(ListEntry.created_at, ListEntry.id)
        ).scalars()
    )
    for entry in entries:
        if entry.status == Status.listed:
            _end(session, actor, entry, None, way, text, today)
        else:
            before = entry_state(entry)
            entry.status = Status.withdrawn.value
            entry.exited_on = today
            entry.exit_reason = text
            _touch(entry)
            _audit(session, actor, "withdraw", entry, before, None, reason=text)
    return entries


def current_entries(
    session: Session, subject_ids: Iterable[uuid.UUID], today: dt.date
) -> dict[uuid.UUID, list[ListEntry]]:
    """The entries in force on ``today`` (listed, started, not expired) of each subject
    that has any, oldest listing first: what screening and the credit file show."""
    ids = list(dict.fromkeys(subject_ids))
    found: dict[uuid.UUID, list[ListEntry]] = defaultdict(list)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = session.execute(
            select(ListEntry)
            .where(
                ListEntry.subject_id.in_(chunk),
                ListEntry.status == Status.listed.value,
                ListEntry.listed_on <= today,
                or_(ListEntry.expires_on.is_(None), ListEntry.expires_on > today),
            )
            .order_by(ListEntry.listed_on, ListEntry.id)
        ).scalars()
        for entry in rows:
            found[entry.subject_id].append(entry)
    return dict(found)


# --- reads for the staff pages ---------------------------------------------------------


def _scope(actor: Actor) -> uuid.UUID | None:
    """None: the actor sees every entry; else only its organisation's."""
    require_role(actor, *rules.READ_ROLES)
    if actor.has_role("system", *rules.ALL_ENTRIES_ROLES):
        return None
    return actor.org_id or uuid.UUID(int=0)


def require_view(actor: Actor, entry: ListEntry) -> None:
    scope = _scope(actor)
    if scope is not None and scope != entry.org_id:
        raise Forbidden("只能查看本单位认定的名单条目", f"{actor.label} may not view {entry.id}")


def counts_by_status(session: Session, *, actor: Actor) -> dict[str, dict[str, int]]:
    """list code -> status -> number of entries the actor may see."""
    scope = _scope(actor)
    query = select(ListEntry.list_code, ListEntry.status, func.count()).group_by(
        ListEntry.list_code, ListEntry.status
    )
    if scope is not None:
        query = query.where(ListEntry.org_id == scope)
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for code, status, n in session.execute(query):
        counts[code][status] = n
    return dict(counts)


@dataclass(frozen=True)
class EntryRow:
    entry: ListEntry
    subject: Subject
    org_name: str


@dataclass(frozen=True)
class EntryPage:
    rows: list[EntryRow]
    page: int
    has_more: bool


def list_entries(
    session: Session,
    *,
    actor: Actor,
    list_code: str | None = None,
    status: str | None = None,
    page: int = 1,
) -> EntryPage:
    """Entries the actor may see, newest first, optionally of one list and status."""
    scope = _scope(actor)
    if status is not None and status not in rules.STATUS_LABELS:
        raise ValidationFailed.one("status", f"未知的状态：{status}", f"unknown status {status}")
    query = (
        select(ListEntry, Subject, Organisation.name)
        .join(Subject, Subject.id == ListEntry.subject_id)
        .join(Organisation, Organisation.id == ListEntry.org_id)
        .order_by(ListEntry.created_at.desc(), ListEntry.id)
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE + 1)
    )
    if scope is not None:
        query = query.where(ListEntry.org_id == scope)
    if list_code:
        query = query.where(ListEntry.list_code == list_code)
    if status:
        query = query.where(ListEntry.status == status)
    rows = [EntryRow(e, s, name) for e, s, name in session.execute(query)]
    return EntryPage(rows[:PER_PAGE], page, len(rows) > PER_PAGE)


def related(session: Session, entry: ListEntry) -> Sequence[ListEntry]:
    """Entries moved here from this one, and the one this moved from."""
    clauses = [ListEntry.moved_from_id == entry.id]
    if entry.moved_from_id is not None:
        clauses.append(ListEntry.id == entry.moved_from_id)
    return list(session.execute(select(ListEntry).where(or_(*clauses))).scalars())
