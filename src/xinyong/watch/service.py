"""Continuous monitoring: watch lists, the status changes they report, and the webhook
deliveries that carry them.

- ``create_watch_list`` … ``delete_watch_list``: a calling system (an API key or an
  account of an organisation) manages its own lists; other organisations see nothing
  of them (not found, not forbidden, so that ids cannot be probed).
- ``subjects_changed`` runs in the transaction that changed the precomputed measures
  (``screening.service.recompute`` returns the subjects to pass): it compares each
  watched subject's status in the list's scenario with what the caller was last told
  and queues one delivery per watch list with the changes (an outbox row, so the
  change and its webhook are committed together or not at all).
- ``refresh_due`` catches changes that need no write: a measure whose ``until`` or
  ``since`` date passed (run daily or more often; idempotent).
- ``deliver_webhooks`` runs on its own (the server's periodic job, ``xinyong watch
  deliver``): claims due deliveries in a short transaction (``FOR UPDATE SKIP LOCKED``
  on PostgreSQL), POSTs each with no transaction open, records the outcome in another.
  Failures are retried with exponential back-off and dead-lettered after
  ``max_attempts``; the caller re-queues dead ones (``requeue_dead``). Delivery is at
  least once: receivers deduplicate by the delivery id.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import urllib.error
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from xinyong.accounts.roles import OFFICE_ADMIN, OFFICE_STAFF
from xinyong.actors import Actor
from xinyong.audit.service import record_event
from xinyong.codes.rules import check_code, normalize_code
from xinyong.db import one_of, transaction, utcnow
from xinyong.errors import Conflict, Forbidden, NotFound, ValidationFailed
from xinyong.measures.loader import MeasureBook
from xinyong.privacy.crypto import DataVault
from xinyong.privacy.masking import ID_NUMBER
from xinyong.screening.models import SubjectMeasure
from xinyong.screening.rules import STATUS_LABELS, in_force
from xinyong.subjects.models import Subject
from xinyong.subjects.service import person_key
from xinyong.watch import rules
from xinyong.watch.models import WatchEntry, WatchList, WebhookDelivery

log = logging.getLogger("xinyong.watch")

MAX_CODES = 10_000  # per add / remove / replace call
MAX_CHANGES_PER_DELIVERY = 1_000  # a larger change set is split over several deliveries
NAME_MAX = 100
CHUNK = 1_000
# A claim older than this belongs to a worker that died: longer than any run can take.
CLAIM_TIMEOUT = dt.timedelta(hours=1)
ERROR_MAX = 2_000
USER_AGENT = "Xinyong-Webhook/1"


def _org_of(actor: Actor) -> uuid.UUID:
    if actor.org_id is None:
        raise Forbidden(
            "监测名单属于调用系统所在单位，请使用单位的接口密钥或账号",
            f"{actor.label} has no organisation",
        )
    return actor.org_id


def _audit_view(wl: WatchList) -> dict[str, Any]:
    return {
        "org_id": wl.org_id,
        "name": wl.name,
        "scenario": wl.scenario,
        "webhook_url": wl.webhook_url,
        "active": wl.active,
    }


# --- watch lists ---------------------------------------------------------------------


def create_watch_list(
    session: Session,
    vault: DataVault,
    book: MeasureBook,
    *,
    actor: Actor,
    name: str,
    scenario: str,
    webhook_url: str,
    require_https: bool,
) -> tuple[WatchList, str]:
    """A new watch list of the actor's organisation, and its signing secret in clear
    (shown this once; only the sealed form is kept)."""
    org_id = _org_of(actor)
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX:
        raise ValidationFailed.one(
            "name", f"名称不能为空且不超过 {NAME_MAX} 个字符", "name empty or too long"
        )
    book.require_scenario(scenario)
    url = rules.check_webhook_url(webhook_url, require_https=require_https)
    secret = "whsec_" + secrets.token_urlsafe(32)
    wl = WatchList(
        org_id=org_id,
        name=name,
        scenario=scenario,
        webhook_url=url,
        secret_sealed=vault.seal(secret),
        active=True,
        created_by=actor.label,
    )
    session.add(wl)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="watch_list.create",
        entity_type="watch_list",
        entity_id=wl.id,
        after=_audit_view(wl),
    )
    return wl, secret


def own_watch_list(session: Session, *, actor: Actor, watch_list_id: uuid.UUID) -> WatchList:
    """The actor's organisation's active watch list, else ``NotFound`` (also for
    another organisation's list)."""
    wl = session.get(WatchList, watch_list_id)
    if wl is None or not wl.active or wl.org_id != _org_of(actor):
        raise NotFound("监测名单不存在", f"watch list {watch_list_id} not found for {actor.label}")
    return wl


@dataclass(frozen=True)
class WatchListSummary:
    watch_list: WatchList
    entries: int
    statuses: dict[str, int]  # last status -> count
    deliveries: dict[str, int]  # delivery status -> count


def _summaries(session: Session, lists: Sequence[WatchList]) -> list[WatchListSummary]:
    ids = [wl.id for wl in lists]
    statuses: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    deliveries: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    if ids:
        for wid, status, n in session.execute(
            select(WatchEntry.watch_list_id, WatchEntry.last_status, func.count())
            .where(WatchEntry.watch_list_id.in_(ids))
            .group_by(WatchEntry.watch_list_id, WatchEntry.last_status)
        ):
            statuses[wid][status] = n
        for wid, status, n in session.execute(
            select(WebhookDelivery.watch_list_id, WebhookDelivery.status, func.count())
            .where(WebhookDelivery.watch_list_id.in_(ids))
            .group_by(WebhookDelivery.watch_list_id, WebhookDelivery.status)
        ):
            deliveries[wid][status] = n
    return [
        WatchListSummary(
            wl, sum(statuses[wl.id].values()), dict(statuses[wl.id]), dict(deliveries[wl.id])
        )
        for wl in lists
    ]


def list_watch_lists(session: Session, *, actor: Actor) -> list[WatchListSummary]:
    """The active watch lists of the actor's organisation, newest first."""
    lists = (
        session.execute(
            select(WatchList)
            .where(WatchList.org_id == _org_of(actor), WatchList.active.is_(True))
            .order_by(WatchList.created_at.desc(), WatchList.id)
        )
        .scalars()
        .all()
    )
    return _summaries(session, lists)


def get_watch_list(
    session: Session, *, actor: Actor, watch_list_id: uuid.UUID, limit: int = 1000, offset: int = 0
) -> tuple[WatchListSummary, list[WatchEntry]]:
    """One of the actor's watch lists with a page of its entries (by code)."""
    wl = own_watch_list(session, actor=actor, watch_list_id=watch_list_id)
    entries = (
        session.execute(
            select(WatchEntry)
            .where(WatchEntry.watch_list_id == wl.id)
            .order_by(WatchEntry.query_masked, WatchEntry.id)
            .limit(limit)
            .offset(offset)
        )
        .scalars()
        .all()
    )
    return _summaries(session, [wl])[0], list(entries)


def delete_watch_list(session: Session, *, actor: Actor, watch_list_id: uuid.UUID) -> None:
    """Stop watching: the list is deactivated and its entries removed; deliveries not
    yet sent are dead-lettered with the reason (and cannot be re-queued); sent and
    dead ones stay as the record of what was sent."""
    wl = own_watch_list(session, actor=actor, watch_list_id=watch_list_id)
    before = _audit_view(wl)
    entries = session.execute(
        select(func.count()).select_from(WatchEntry).where(WatchEntry.watch_list_id == wl.id)
    ).scalar_one()
    session.execute(delete(WatchEntry).where(WatchEntry.watch_list_id == wl.id))
    pending = session.execute(
        select(WebhookDelivery).where(
            WebhookDelivery.watch_list_id == wl.id,
            WebhookDelivery.status.in_(("queued", "sending")),
        )
    ).scalars()
    cancelled = 0
    for row in pending:
        row.status, row.claimed_at, row.last_error = "dead", None, "watch list deleted"
        cancelled += 1
    wl.active = False
    session.flush()
    record_event(
        session,
        actor=actor,
        action="watch_list.delete",
        entity_type="watch_list",
        entity_id=wl.id,
        before=before,
        after={**_audit_view(wl), "entries_removed": entries, "deliveries_cancelled": cancelled},
    )


# --- codes ---------------------------------------------------------------------------


@dataclass
class _Code:
    raw: str
    norm: str
    kind: str  # uscc | regno | org_code | ric
    key: str  # WatchEntry.query
    lookup: str  # value of the subject column
    masked: str
    valid: bool
    reason: str | None


_COLUMNS = {
    "uscc": Subject.uscc,
    "regno": Subject.regno,
    "org_code": Subject.org_code,
    "ric": Subject.id_hash,
}


def _parse(vault: DataVault, raw: str) -> _Code | str:
    """The code's lookup key, or the reason (Chinese) it cannot be watched."""
    norm = normalize_code(raw if isinstance(raw, str) else str(raw))[:40]
    if not norm:
        return "代码为空"
    result = check_code(norm)
    kind = "ric" if result.kind == "ric15" else result.kind
    if kind not in _COLUMNS:
        return "不是统一社会信用代码、注册号、组织机构代码或身份证件号码"
    reason = "；".join(p.reason for p in result.errors) or None
    if kind == "ric":
        full = person_key(norm)
        digest = vault.lookup_hash("ric", full)
        return _Code(
            raw,
            norm,
            kind,
            "ric:" + digest,
            digest,
            ID_NUMBER.apply(full) or "",
            result.valid,
            reason,
        )
    lookup = norm.replace("-", "") if kind == "org_code" else norm
    return _Code(raw, norm, kind, lookup, lookup, lookup, result.valid, reason)


def _check_count(codes: Sequence[str]) -> None:
    if not codes:
        raise ValidationFailed.one("codes", "请至少提供一个代码", "no codes given")
    if len(codes) > MAX_CODES:
        raise ValidationFailed.one(
            "codes",
            f"每次最多 {MAX_CODES} 个代码，收到 {len(codes)} 个，请分批提交",
            f"{len(codes)} codes given; at most {MAX_CODES} per call",
        )


def _find_subjects(session: Session, parsed: Iterable[_Code]) -> dict[str, uuid.UUID]:
    """Subject ids by entry key, in one query per code kind (first match for the
    non-unique registration numbers and organisation codes)."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for c in parsed:
        wanted[c.kind].add(c.lookup)
    found: dict[str, uuid.UUID] = {}
    for kind, values in wanted.items():
        column = _COLUMNS[kind]
        ordered = sorted(values)
        for start in range(0, len(ordered), CHUNK):
            for sid, value in session.execute(  # value: never None, it matched
                select(Subject.id, column)
                .where(one_of(session, column, ordered[start : start + CHUNK]))
                .order_by(Subject.created_at, Subject.id)
            ):
                found.setdefault(f"ric:{value}" if kind == "ric" else str(value), sid)
    return found


def _measures_in_force(
    session: Session, subject_ids: Iterable[uuid.UUID], today: dt.date
) -> dict[uuid.UUID, set[str]]:
    """Codes of the precomputed measures in force today, per subject (every given
    subject present, possibly with none)."""
    ids = sorted(set(subject_ids), key=str)
    found: dict[uuid.UUID, set[str]] = {sid: set() for sid in ids}
    for start in range(0, len(ids), CHUNK):
        for sid, code, since, until in session.execute(
            select(
                SubjectMeasure.subject_id,
                SubjectMeasure.measure_code,
                SubjectMeasure.since,
                SubjectMeasure.until,
            ).where(one_of(session, SubjectMeasure.subject_id, ids[start : start + CHUNK]))
        ):
            if in_force(since, until, today):
                found[sid].add(code)
    return found


@dataclass
class CodesResult:
    """What happened to each code of one call."""

    added: list[dict[str, Any]] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # already watched (add) / kept (replace)
    removed: list[str] = field(default_factory=list)
    not_watched: list[str] = field(default_factory=list)  # remove: was not on the list
    problems: list[dict[str, str]] = field(default_factory=list)  # code + reason

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _parse_all(vault: DataVault, codes: Sequence[str], result: CodesResult) -> dict[str, _Code]:
    """Parsed codes by key (first occurrence of duplicates); malformed ones reported."""
    by_key: dict[str, _Code] = {}
    for raw in codes:
        parsed = _parse(vault, raw)
        if isinstance(parsed, str):
            result.problems.append({"code": str(raw)[:100], "reason": parsed})
        else:
            by_key.setdefault(parsed.key, parsed)
    return by_key


def _existing(session: Session, wl: WatchList, keys: Sequence[str]) -> dict[str, WatchEntry]:
    found: dict[str, WatchEntry] = {}
    for start in range(0, len(keys), CHUNK):
        for entry in session.execute(
            select(WatchEntry).where(
                WatchEntry.watch_list_id == wl.id,
                one_of(session, WatchEntry.query, list(keys[start : start + CHUNK])),
            )
        ).scalars():
            found[entry.query] = entry
    return found


def _add(
    session: Session,
    book: MeasureBook,
    wl: WatchList,
    by_key: dict[str, _Code],
    today: dt.date,
    result: CodesResult,
) -> None:
    existing = _existing(session, wl, list(by_key))
    fresh = {k: c for k, c in by_key.items() if k not in existing}
    result.already.extend(existing[k].query_masked for k in by_key if k in existing)
    subjects = _find_subjects(session, fresh.values())
    measures = _measures_in_force(session, subjects.values(), today)
    new: list[WatchEntry] = []
    for key, code in fresh.items():
        sid = subjects.get(key)
        if sid is None and not code.valid:
            # A wrong check character is accepted only for a code the platform knows
            # (early pilot codes); anything else malformed is refused.
            result.problems.append({"code": code.raw[:100], "reason": code.reason or "代码无效"})
            continue
        status, codes = rules.watch_state(book, wl.scenario, measures[sid] if sid else None)
        entry = WatchEntry(
            watch_list_id=wl.id,
            subject_id=sid,
            query=key,
            query_masked=code.masked,
            last_status=status,
            last_measures=codes,
        )
        new.append(entry)
    session.add_all(new)
    session.flush()
    for entry in new:
        result.added.append(
            {
                "code": entry.query_masked,
                "entry_id": str(entry.id),
                "status": entry.last_status,
                "known": entry.subject_id is not None,
            }
        )


def add_subjects(
    session: Session,
    vault: DataVault,
    book: MeasureBook,
    *,
    actor: Actor,
    watch_list_id: uuid.UUID,
    codes: Sequence[str],
    today: dt.date,
) -> CodesResult:
    """Watch ``codes`` (up to 10,000). Malformed codes are reported one by one and the
    rest added; codes the platform does not know yet are watched too (status
    ``unknown``) and reported with ``known: false``. Each new entry starts from the
    subject's current status, so the first webhook is only about changes."""
    _check_count(codes)
    wl = own_watch_list(session, actor=actor, watch_list_id=watch_list_id)
    result = CodesResult()
    _add(session, book, wl, _parse_all(vault, codes, result), today, result)
    _audit_codes(session, actor, wl, "watch_list.add_subjects", result)
    return result


def _remove_keys(session: Session, wl: WatchList, keys: Sequence[str]) -> list[str]:
    existing = _existing(session, wl, keys)
    for start in range(0, len(keys), CHUNK):
        session.execute(
            delete(WatchEntry).where(
                WatchEntry.watch_list_id == wl.id,
                one_of(session, WatchEntry.query, list(keys[start : start + CHUNK])),
            )
        )
    session.flush()
    return [existing[k].query_masked for k in keys if k in existing]


def remove_subjects(
    session: Session,
    vault: DataVault,
    *,
    actor: Actor,
    watch_list_id: uuid.UUID,
    codes: Sequence[str],
) -> CodesResult:
    """Stop watching ``codes``; those not on the list are reported, not errors."""
    _check_count(codes)
    wl = own_watch_list(session, actor=actor, watch_list_id=watch_list_id)
    result = CodesResult()
    by_key = _parse_all(vault, codes, result)
    existing = _existing(session, wl, list(by_key))
    result.not_watched = [c.masked for k, c in by_key.items() if k not in existing]
    result.removed = _remove_keys(session, wl, [k for k in by_key if k in existing])
    _audit_codes(session, actor, wl, "watch_list.remove_subjects", result)
    return result


def replace_subjects(
    session: Session,
    vault: DataVault,
    book: MeasureBook,
    *,
    actor: Actor,
    watch_list_id: uuid.UUID,
    codes: Sequence[str],
    today: dt.date,
) -> CodesResult:
    """Make the list watch exactly ``codes`` (a calling system's current suppliers):
    new codes are added as by ``add_subjects``, codes no longer given are removed, the
    rest keep their state. Refused as a whole if any code is malformed, so that a typo
    cannot silently drop a watched subject."""
    _check_count(codes)
    wl = own_watch_list(session, actor=actor, watch_list_id=watch_list_id)
    result = CodesResult()
    by_key = _parse_all(vault, codes, result)
    if result.problems:
        raise ValidationFailed(
            f"有 {len(result.problems)} 个代码无效，名单未作更改",
            f"{len(result.problems)} malformed codes; watch list unchanged",
            field="codes",
            details={"problems": result.problems},
        )
    current = set(
        session.execute(select(WatchEntry.query).where(WatchEntry.watch_list_id == wl.id)).scalars()
    )
    result.removed = _remove_keys(session, wl, sorted(current - set(by_key)))
    _add(session, book, wl, by_key, today, result)
    if result.problems:  # a wrong check character on a code the platform does not know
        raise ValidationFailed(
            f"有 {len(result.problems)} 个代码无效，名单未作更改",
            f"{len(result.problems)} invalid codes; watch list unchanged",
            field="codes",
            details={"problems": result.problems},
        )
    _audit_codes(session, actor, wl, "watch_list.replace_subjects", result)
    return result


def _audit_codes(
    session: Session, actor: Actor, wl: WatchList, action: str, result: CodesResult
) -> None:
    # Counts only: the codes of natural persons are personal data.
    record_event(
        session,
        actor=actor,
        action=action,
        entity_type="watch_list",
        entity_id=wl.id,
        after={
            "added": len(result.added),
            "already": len(result.already),
            "removed": len(result.removed),
            "not_watched": len(result.not_watched),
            "refused": len(result.problems),
        },
    )


# --- changes -------------------------------------------------------------------------


def _resolve_new_subjects(session: Session, subject_ids: Sequence[uuid.UUID]) -> None:
    """Attach watch entries of codes that were unknown to subjects that now exist."""
    keys: dict[str, uuid.UUID] = {}
    for start in range(0, len(subject_ids), CHUNK):
        for sid, uscc, regno, org_code, id_hash in session.execute(
            select(
                Subject.id, Subject.uscc, Subject.regno, Subject.org_code, Subject.id_hash
            ).where(one_of(session, Subject.id, subject_ids[start : start + CHUNK]))
        ):
            for key in (uscc, regno, org_code, f"ric:{id_hash}" if id_hash else None):
                if key:
                    keys.setdefault(key, sid)
    ordered = sorted(keys)
    for start in range(0, len(ordered), CHUNK):
        for entry in session.execute(
            select(WatchEntry).where(
                WatchEntry.subject_id.is_(None),
                one_of(session, WatchEntry.query, ordered[start : start + CHUNK]),
            )
        ).scalars():
            entry.subject_id = keys[entry.query]
    session.flush()


def _measure_view(book: MeasureBook, code: str) -> dict[str, Any]:
    m = book.measures.get(code)
    return {"code": code, "kind": m.kind if m else None, "content": m.content if m else None}


def subjects_changed(
    session: Session,
    book: MeasureBook,
    *,
    subject_ids: Iterable[uuid.UUID],
    today: dt.date,
    reason: str,
) -> int:
    """Queue webhooks for watched subjects among ``subject_ids`` whose status in a
    watch list's scenario (or the set of that scenario's measures in force) differs
    from what the caller was last told; returns the number of deliveries queued (one
    per watch list with changes, split every 1,000 changes). Flushes, never commits.
    ``reason`` says what happened, e.g. ``list_entry.listed``, ``record.repaired``."""
    ids = sorted(set(subject_ids), key=str)
    if not ids:
        return 0
    _resolve_new_subjects(session, ids)
    entries: list[tuple[WatchEntry, WatchList]] = []
    for start in range(0, len(ids), CHUNK):
        entries.extend(
            (entry, wl)
            for entry, wl in session.execute(
                select(WatchEntry, WatchList)
                .join(WatchList, WatchList.id == WatchEntry.watch_list_id)
                .where(
                    WatchList.active.is_(True),
                    one_of(session, WatchEntry.subject_id, ids[start : start + CHUNK]),
                )
            )
        )
    if not entries:
        return 0
    measures = _measures_in_force(
        session, {e.subject_id for e, _ in entries if e.subject_id}, today
    )
    now = utcnow()
    changes: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    lists: dict[uuid.UUID, WatchList] = {}
    for entry, wl in sorted(entries, key=lambda p: (str(p[1].id), p[0].query_masked)):
        assert entry.subject_id is not None
        status, codes = rules.watch_state(book, wl.scenario, measures[entry.subject_id])
        if status == entry.last_status and codes == list(entry.last_measures):
            continue
        changes[wl.id].append(
            {
                "entry_id": str(entry.id),
                "code": entry.query_masked,
                "subject_id": str(entry.subject_id),
                "previous_status": entry.last_status,
                "status": status,
                "status_label": STATUS_LABELS[status],
                "previous_measures": list(entry.last_measures),
                "measures": [_measure_view(book, c) for c in codes],
            }
        )
        entry.last_status, entry.last_measures, entry.last_changed_at = status, codes, now
        lists[wl.id] = wl
    queued = 0
    for wid, items in changes.items():
        wl = lists[wid]
        for start in range(0, len(items), MAX_CHANGES_PER_DELIVERY):
            delivery_id = uuid.uuid4()
            session.add(
                WebhookDelivery(
                    id=delivery_id,
                    watch_list_id=wid,
                    status="queued",
                    attempts=0,
                    next_attempt_at=now,
                    payload={
                        "event": "watch.status_changed",
                        "delivery_id": str(delivery_id),
                        "watch_list": {
                            "id": str(wl.id),
                            "name": wl.name,
                            "scenario": wl.scenario,
                            "scenario_label": book.scenarios.get(wl.scenario, wl.scenario),
                        },
                        "reason": reason,
                        "as_of": today.isoformat(),
                        "created_at": now.isoformat(),
                        "changes": items[start : start + MAX_CHANGES_PER_DELIVERY],
                    },
                )
            )
            queued += 1
    session.flush()
    return queued


def refresh_due(
    session: Session, book: MeasureBook, *, today: dt.date, lookback_days: int = 7
) -> int:
    """Report changes that come with the calendar, not with a write: a watched
    subject's measure that started (``since``) or ended (``until``) in the last
    ``lookback_days`` days. Idempotent (already reported states are not sent twice);
    returns the deliveries queued."""
    start = today - dt.timedelta(days=lookback_days)
    watched = select(WatchEntry.subject_id).where(WatchEntry.subject_id.is_not(None))
    ids = set(
        session.execute(
            select(SubjectMeasure.subject_id)
            .where(
                SubjectMeasure.subject_id.in_(watched),
                or_(
                    SubjectMeasure.until.between(start, today),
                    SubjectMeasure.since.between(start, today),
                ),
            )
            .distinct()
        ).scalars()
    )
    return subjects_changed(session, book, subject_ids=ids, today=today, reason="calendar")


# --- delivery ------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryCounts:
    sent: int = 0
    retried: int = 0  # failed this time, queued again with back-off
    dead: int = 0  # attempts exhausted: dead-lettered

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class _Claimed:
    id: uuid.UUID
    url: str
    secret: str
    body: bytes


def pending_count(session: Session) -> int:
    return session.execute(
        select(func.count())
        .select_from(WebhookDelivery)
        .where(WebhookDelivery.status.in_(("queued", "sending")))
    ).scalar_one()


def _claim(
    sessions: sessionmaker[Session], vault: DataVault, limit: int, now: dt.datetime
) -> list[_Claimed]:
    """Mark up to ``limit`` due deliveries as being sent by this run, oldest due first,
    and count the attempt; rows another run holds are skipped on PostgreSQL."""
    with transaction(sessions) as session:
        rows = (
            session.execute(
                select(WebhookDelivery)
                .where(
                    or_(
                        (WebhookDelivery.status == "queued")
                        & (WebhookDelivery.next_attempt_at <= now),
                        (WebhookDelivery.status == "sending")
                        & (WebhookDelivery.claimed_at < now - CLAIM_TIMEOUT),
                    )
                )
                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            .scalars()
            .all()
        )
        lists = {
            wl.id: wl
            for wl in session.execute(
                select(WatchList).where(WatchList.id.in_({r.watch_list_id for r in rows}))
            ).scalars()
        }
        claimed = []
        for row in rows:
            wl = lists[row.watch_list_id]
            row.status = "sending"
            row.claimed_at = now
            row.attempts += 1
            body = orjson.dumps(row.payload, option=orjson.OPT_SORT_KEYS)
            claimed.append(_Claimed(row.id, wl.webhook_url, vault.unseal(wl.secret_sealed), body))
    return claimed


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is a failed delivery: following it would re-send the signed body
    (as a GET, or to a host the caller did not register)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# Direct connections: no proxy from the environment (a webhook target is registered
# by address; a proxy would see every payload).
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)


def post_webhook(url: str, body: bytes, headers: dict[str, str], timeout: float) -> str | None:
    """POST ``body``; None on a 2xx answer, else the reason in English. ``timeout``
    bounds the connection and each read (urllib's socket timeout)."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            response.read(65_536)
            status = response.status
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode("utf-8", "replace") if exc.fp else ""
        exc.close()
        return f"HTTP {exc.code}: {detail}".strip().rstrip(":")
    except TimeoutError:
        return f"timed out after {timeout:g} s"
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            return f"timed out after {timeout:g} s"
        return f"connection failed: {exc.reason}"
    except (OSError, ValueError) as exc:
        return f"connection failed: {type(exc).__name__}: {exc}"
    if 200 <= status < 300:
        return None
    return f"HTTP {status}"


def _record_outcome(
    sessions: sessionmaker[Session],
    delivery_id: uuid.UUID,
    error: str | None,
    *,
    now: dt.datetime,
    max_attempts: int,
    actor: Actor,
) -> str:
    with transaction(sessions) as session:
        row = session.get(WebhookDelivery, delivery_id, with_for_update=True)
        if row is None or row.status != "sending":  # cancelled or handled meanwhile
            return row.status if row else "missing"
        row.claimed_at = None
        if error is None:
            row.status = "sent"
            row.sent_at = utcnow()
            row.last_error = None
            return row.status
        row.last_error = error[:ERROR_MAX]
        if row.attempts >= max_attempts:
            row.status = "dead"
            record_event(
                session,
                actor=actor,
                action="webhook.dead_letter",
                entity_type="webhook_delivery",
                entity_id=row.id,
                after={
                    "watch_list_id": row.watch_list_id,
                    "attempts": row.attempts,
                    "status": row.status,
                },
                reason=row.last_error,
            )
        else:
            row.status = "queued"
            row.next_attempt_at = now + rules.backoff(row.attempts)
        return row.status


def deliver_webhooks(
    sessions: sessionmaker[Session],
    vault: DataVault,
    *,
    now: dt.datetime | None = None,
    limit: int = 100,
    max_attempts: int,
    timeout: float,
    actor: Actor | None = None,
) -> DeliveryCounts:
    """POST up to ``limit`` due deliveries, oldest due first, each signed with its
    watch list's secret. 2xx: sent. Anything else (an error status, a redirect, a
    refused connection, no answer within ``timeout``): the attempt is counted and
    retried after 1, 2, 4 … minutes (at most 6 h), until ``max_attempts`` attempts
    failed, when it is dead-lettered (audited). Safe to run from several workers."""
    actor = actor or Actor.system("watch")
    now = now or utcnow()
    sent = retried = dead = 0
    for item in _claim(sessions, vault, limit, now):
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            rules.SIGNATURE_HEADER: rules.sign(item.secret, item.body),
            rules.DELIVERY_HEADER: str(item.id),
            rules.TIMESTAMP_HEADER: str(int(utcnow().timestamp())),
        }
        try:
            error = post_webhook(item.url, item.body, headers, timeout)
        except Exception as exc:  # a bug must not leave the delivery claimed
            error = f"unexpected {type(exc).__name__}: {exc}"
            log.exception("webhook %s: delivery raised unexpectedly", item.id)
        status = _record_outcome(
            sessions, item.id, error, now=now, max_attempts=max_attempts, actor=actor
        )
        if status == "sent":
            sent += 1
        elif status == "dead":
            dead += 1
            log.warning("webhook %s dead-lettered: %s", item.id, error)
        elif status == "queued":
            retried += 1
            log.info("webhook %s not delivered, will retry: %s", item.id, error)
    return DeliveryCounts(sent=sent, retried=retried, dead=dead)


def list_deliveries(
    session: Session,
    *,
    actor: Actor,
    watch_list_id: uuid.UUID | None = None,
    status: str | None = None,
    limit: int = 100,
) -> list[WebhookDelivery]:
    """Deliveries, newest first: of one of the actor's watch lists, or (no list given)
    of all its organisation's lists, or for the credit office of every organisation
    (the office watches dead letters across callers)."""
    stmt = select(WebhookDelivery)
    if watch_list_id is not None:
        wl = own_watch_list(session, actor=actor, watch_list_id=watch_list_id)
        stmt = stmt.where(WebhookDelivery.watch_list_id == wl.id)
    elif not actor.has_role(OFFICE_ADMIN, OFFICE_STAFF):
        stmt = stmt.join(WatchList, WatchList.id == WebhookDelivery.watch_list_id).where(
            WatchList.org_id == _org_of(actor)
        )
    if status is not None:
        if status not in ("queued", "sending", "sent", "dead"):
            raise ValidationFailed.one(
                "status",
                "状态应为 queued、sending、sent 或 dead",
                f"unknown delivery status {status!r}",
            )
        stmt = stmt.where(WebhookDelivery.status == status)
    return list(
        session.execute(
            stmt.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id).limit(limit)
        ).scalars()
    )


def requeue_dead(
    session: Session,
    *,
    actor: Actor,
    watch_list_id: uuid.UUID,
    delivery_id: uuid.UUID,
    now: dt.datetime | None = None,
) -> WebhookDelivery:
    """Send a dead-lettered delivery again (after the receiver was fixed): queued now
    with a fresh count of attempts; the last error is kept until the next attempt."""
    wl = own_watch_list(session, actor=actor, watch_list_id=watch_list_id)
    row = session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if row is None or row.watch_list_id != wl.id:
        raise NotFound("推送记录不存在", f"delivery {delivery_id} not in watch list {wl.id}")
    if row.status != "dead":
        raise Conflict(
            f"只有投递失败（dead）的推送可以重新投递，该推送状态为 {row.status}",
            f"delivery {delivery_id} is {row.status}, not dead",
            field="status",
        )
    before = {"status": row.status, "attempts": row.attempts, "last_error": row.last_error}
    row.status = "queued"
    row.attempts = 0
    row.next_attempt_at = now or utcnow()
    row.claimed_at = None
    session.flush()
    record_event(
        session,
        actor=actor,
        action="webhook.requeue",
        entity_type="webhook_delivery",
        entity_id=row.id,
        before=before,
        after={"watch_list_id": wl.id, "status": row.status},
    )
    return row
