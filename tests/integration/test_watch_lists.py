"""持续监测: watch lists, the webhooks their status changes queue, and delivery to a real
HTTP server — signed, retried with back-off, dead-lettered, re-queued (SQLite and
PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.cases_helpers import refused
from tests.integration.test_record_reporting import CATALOG
from xinyong.actors import Actor
from xinyong.audit.models import AuditEvent
from xinyong.codes.rules import ric_check_char
from xinyong.db import utcnow
from xinyong.demo.generator import make_org_code, make_uscc
from xinyong.errors import Conflict, NotFound, ValidationFailed
from xinyong.measures.loader import load_measures
from xinyong.privacy.crypto import DataVault
from xinyong.screening.models import SubjectMeasure
from xinyong.subjects.models import Subject
from xinyong.watch import rules
from xinyong.watch.models import WatchEntry, WatchList, WebhookDelivery
from xinyong.watch.service import (
    add_subjects,
    create_watch_list,
    delete_watch_list,
    deliver_webhooks,
    get_watch_list,
    list_deliveries,
    list_watch_lists,
    refresh_due,
    remove_subjects,
    replace_subjects,
    requeue_dead,
    subjects_changed,
)

BOOK = load_measures(CATALOG.items)
TODAY = dt.date(2026, 11, 24)


def soon() -> dt.datetime:
    """A delivery run's "now": just after deliveries queued by the test became due."""
    return utcnow() + dt.timedelta(seconds=1)


def code(body: str) -> str:
    return make_uscc("91", "350203", make_org_code(body))


def ric(first17: str = "35020319850312002") -> str:
    return first17 + ric_check_char(first17)


@pytest.fixture
def sessions(session: Session) -> sessionmaker[Session]:
    """Sessions on the test's connection: their commits are savepoints, rolled back
    with the test."""
    return sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


def subject(session: Session, uscc: str, name: str = "厦门鹭岛供应链有限公司") -> Subject:
    s = Subject(kind="legal_person", name=name, name_norm=name, uscc=uscc)
    session.add(s)
    session.flush()
    return s


def punish(
    session: Session,
    s: Subject,
    measure: str = "procurement-listed",
    *,
    since: dt.date = dt.date(2026, 1, 1),
    until: dt.date | None = None,
) -> SubjectMeasure:
    m = BOOK.measures[measure]
    row = SubjectMeasure(
        subject_id=s.id,
        measure_code=measure,
        kind=m.kind,
        trigger_type="list",
        trigger_id=uuid.uuid4(),
        since=since,
        until=until,
    )
    session.add(row)
    session.flush()
    return row


def watch(
    session: Session,
    vault: DataVault,
    actor: Actor,
    url: str = "https://supplier-system.example.gov.cn/hooks/credit",
    scenario: str = "procurement",
) -> tuple[WatchList, str]:
    return create_watch_list(
        session,
        vault,
        BOOK,
        actor=actor,
        name="在库供应商",
        scenario=scenario,
        webhook_url=url,
        require_https=True,
    )


def deliveries(session: Session, wl: WatchList) -> list[WebhookDelivery]:
    session.expire_all()
    return list(
        session.execute(
            select(WebhookDelivery)
            .where(WebhookDelivery.watch_list_id == wl.id)
            .order_by(WebhookDelivery.created_at)
        ).scalars()
    )


# --- a receiver -------------------------------------------------------------------------


@dataclass
class Receiver:
    """A calling system's webhook endpoint on 127.0.0.1: answers ``status``, after
    ``delay`` seconds; keeps what it received and whether the signature held."""

    secret: str = ""
    status: int = 204
    delay: float = 0.0
    received: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            signature = self.headers.get(rules.SIGNATURE_HEADER, "")
            state.received.append(
                {
                    "body": json.loads(body),
                    "signed": rules.verify(state.secret, body, signature),
                    "delivery": self.headers.get(rules.DELIVERY_HEADER),
                    "timestamp": self.headers.get(rules.TIMESTAMP_HEADER),
                }
            )
            if state.delay:
                time.sleep(state.delay)
            try:
                self.send_response(state.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:  # the platform gave up waiting
                pass

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/credit"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


# --- registering -------------------------------------------------------------------------


def test_a_watch_list_gets_a_secret_once_kept_only_sealed_and_audited(
    session: Session, vault: DataVault, dept: Actor
) -> None:
    wl, secret = watch(session, vault, dept)
    assert secret.startswith("whsec_") and len(secret) > 40
    assert secret not in wl.secret_sealed and vault.unseal(wl.secret_sealed) == secret
    assert wl.org_id == dept.org_id and wl.active
    event = session.execute(
        select(AuditEvent).where(AuditEvent.entity_id == str(wl.id))
    ).scalar_one()
    assert event.action == "watch_list.create" and event.after is not None
    assert "secret" not in json.dumps(event.after)
    [summary] = [s for s in list_watch_lists(session, actor=dept) if s.watch_list.id == wl.id]
    assert summary.entries == 0


def test_unknown_scenarios_and_unusable_addresses_are_refused(
    session: Session, vault: DataVault, dept: Actor
) -> None:
    with refused(NotFound, "procurement（政府采购）"):
        watch(session, vault, dept, scenario="purchasing")
    for url, why in (
        ("ftp://example.gov.cn/hook", "http:// 或 https://"),
        ("https://user:pw@example.gov.cn/hook", "用户名或密码"),
        ("http://supplier-system.example.gov.cn/hook", "必须使用 https"),
        ("https://example.gov.cn:99999/hook", "格式不正确"),
    ):
        with refused(ValidationFailed, why):
            watch(session, vault, dept, url=url)
    local, _ = watch(session, vault, dept, url="http://127.0.0.1:9000/hook")
    assert local.webhook_url == "http://127.0.0.1:9000/hook"
    assert rules.check_webhook_url("http://intranet/hook", require_https=False)


# --- watching codes ------------------------------------------------------------------------


def test_codes_are_added_each_problem_reported_and_the_rest_watched_from_their_status(
    session: Session, vault: DataVault, dept: Actor
) -> None:
    listed = subject(session, code("WL000001"), "厦门甲建设工程有限公司")
    punish(session, listed)
    clean = subject(session, code("WL000002"), "厦门乙贸易有限公司")
    unknown = code("WL000003")
    bad_digit = code("WL000004")[:-1] + ("0" if code("WL000004")[-1] != "0" else "1")
    wl, _ = watch(session, vault, dept)

    result = add_subjects(
        session,
        vault,
        BOOK,
        actor=dept,
        watch_list_id=wl.id,
        codes=[listed.uscc or "", f" {clean.uscc} ", unknown, "12345", bad_digit, ric(), unknown],
        today=TODAY,
    )

    added = {a["code"]: a for a in result.added}
    assert added[listed.uscc or ""]["status"] == "restrict"
    assert added[clean.uscc or ""]["status"] == "clear"
    assert added[unknown]["status"] == "unknown" and added[unknown]["known"] is False
    person = ric()
    assert person not in added and any("*" in c for c in added)  # the ID number masked
    assert [p["code"] for p in result.problems] == ["12345", bad_digit]
    stored = session.execute(select(WatchEntry.query).where(WatchEntry.watch_list_id == wl.id))
    assert all(person not in q for q in stored.scalars())
    again = add_subjects(
        session, vault, BOOK, actor=dept, watch_list_id=wl.id, codes=[unknown], today=TODAY
    )
    assert again.added == [] and again.already == [unknown]
    summary, entries = get_watch_list(session, actor=dept, watch_list_id=wl.id)
    assert summary.entries == 4 and summary.statuses == {"restrict": 1, "clear": 1, "unknown": 2}
    assert {e.last_status for e in entries} == {"restrict", "clear", "unknown"}
    with refused(ValidationFailed, "最多 10000 个"):
        add_subjects(
            session, vault, BOOK, actor=dept, watch_list_id=wl.id, codes=["1"] * 10_001, today=TODAY
        )


def test_removing_and_replacing_codes(session: Session, vault: DataVault, dept: Actor) -> None:
    a, b, c = code("WL000011"), code("WL000012"), code("WL000013")
    wl, _ = watch(session, vault, dept)
    add_subjects(session, vault, BOOK, actor=dept, watch_list_id=wl.id, codes=[a, b], today=TODAY)
    removed = remove_subjects(session, vault, actor=dept, watch_list_id=wl.id, codes=[a, c])
    assert removed.removed == [a] and removed.not_watched == [c]
    with refused(ValidationFailed, "名单未作更改"):
        replace_subjects(
            session, vault, BOOK, actor=dept, watch_list_id=wl.id, codes=[c, "bad"], today=TODAY
        )
    replaced = replace_subjects(
        session, vault, BOOK, actor=dept, watch_list_id=wl.id, codes=[c, b], today=TODAY
    )
    assert replaced.removed == [] and [x["code"] for x in replaced.added] == [c]
    replaced = replace_subjects(
        session, vault, BOOK, actor=dept, watch_list_id=wl.id, codes=[c], today=TODAY
    )
    assert replaced.removed == [b]
    _, entries = get_watch_list(session, actor=dept, watch_list_id=wl.id)
    assert [e.query for e in entries] == [c]


# --- changes --------------------------------------------------------------------------------


def test_a_change_queues_one_delivery_per_watch_list_with_the_changed_subjects(
    session: Session, vault: DataVault, dept: Actor
) -> None:
    one = subject(session, code("WL000021"), "厦门丙科技有限公司")
    two = subject(session, code("WL000022"), "厦门丁科技有限公司")
    quiet = subject(session, code("WL000023"), "厦门戊科技有限公司")
    procurement, _ = watch(session, vault, dept)
    licensing, _ = watch(session, vault, dept, scenario="licensing")
    for wl in (procurement, licensing):
        add_subjects(
            session,
            vault,
            BOOK,
            actor=dept,
            watch_list_id=wl.id,
            codes=[one.uscc or "", two.uscc or "", quiet.uscc or ""],
            today=TODAY,
        )

    punish(session, one)
    punish(session, two, "procurement-major-violation")
    queued = subjects_changed(
        session,
        BOOK,
        subject_ids=[one.id, two.id, quiet.id],
        today=TODAY,
        reason="list_entry.listed",
    )

    assert queued == 1  # a procurement punishment changes nothing in licensing
    assert deliveries(session, licensing) == []
    [delivery] = deliveries(session, procurement)
    assert delivery.status == "queued" and delivery.attempts == 0
    payload = delivery.payload
    assert payload["delivery_id"] == str(delivery.id) and payload["reason"] == "list_entry.listed"
    assert payload["watch_list"]["scenario_label"] == "政府采购"
    changes = {c["code"]: c for c in payload["changes"]}
    assert set(changes) == {one.uscc, two.uscc}
    first = changes[one.uscc or ""]
    assert (first["previous_status"], first["status"]) == ("clear", "restrict")
    assert [m["code"] for m in first["measures"]] == ["procurement-listed"]
    assert first["status_label"] == "适用失信惩戒措施"

    # Nothing changed since: nothing more is queued.
    assert (
        subjects_changed(session, BOOK, subject_ids=[one.id, quiet.id], today=TODAY, reason="x")
        == 0
    )
    assert len(deliveries(session, procurement)) == 1


def test_exit_and_a_subject_that_appears_later_are_reported(
    session: Session, vault: DataVault, dept: Actor
) -> None:
    listed = subject(session, code("WL000031"))
    measure = punish(session, listed)
    newcomer = code("WL000032")
    wl, _ = watch(session, vault, dept)
    add_subjects(
        session,
        vault,
        BOOK,
        actor=dept,
        watch_list_id=wl.id,
        codes=[listed.uscc or "", newcomer],
        today=TODAY,
    )
    session.delete(measure)  # the record was repaired: the measure ends
    appeared = subject(session, newcomer, "厦门新设供应商有限公司")
    punish(session, appeared)

    subjects_changed(
        session, BOOK, subject_ids=[listed.id, appeared.id], today=TODAY, reason="record.repaired"
    )

    [delivery] = deliveries(session, wl)
    changes = {c["code"]: c for c in delivery.payload["changes"]}
    assert (
        changes[listed.uscc or ""]["previous_status"],
        changes[listed.uscc or ""]["status"],
    ) == (
        "restrict",
        "clear",
    )
    assert changes[newcomer]["previous_status"] == "unknown"
    assert changes[newcomer]["status"] == "restrict"
    entry = session.execute(select(WatchEntry).where(WatchEntry.query == newcomer)).scalar_one()
    assert entry.subject_id == appeared.id and entry.last_changed_at is not None


def test_a_measure_that_ends_by_date_is_reported_by_the_daily_refresh(
    session: Session, vault: DataVault, dept: Actor
) -> None:
    s = subject(session, code("WL000041"))
    punish(session, s, until=TODAY + dt.timedelta(days=1))
    wl, _ = watch(session, vault, dept)
    add_subjects(
        session, vault, BOOK, actor=dept, watch_list_id=wl.id, codes=[s.uscc or ""], today=TODAY
    )
    assert refresh_due(session, BOOK, today=TODAY) == 0
    assert refresh_due(session, BOOK, today=TODAY + dt.timedelta(days=1)) == 1
    assert refresh_due(session, BOOK, today=TODAY + dt.timedelta(days=2)) == 0
    [delivery] = deliveries(session, wl)
    assert delivery.payload["changes"][0]["status"] == "clear"


# --- delivery --------------------------------------------------------------------------------


def _queued(
    session: Session, vault: DataVault, dept: Actor, url: str, body: str
) -> tuple[WatchList, str, WebhookDelivery]:
    s = subject(session, code(body))
    wl, secret = watch(session, vault, dept, url=url)
    add_subjects(
        session, vault, BOOK, actor=dept, watch_list_id=wl.id, codes=[s.uscc or ""], today=TODAY
    )
    punish(session, s)
    subjects_changed(session, BOOK, subject_ids=[s.id], today=TODAY, reason="list_entry.listed")
    [delivery] = deliveries(session, wl)
    return wl, secret, delivery


def test_a_delivery_reaches_the_receiver_signed_and_is_marked_sent(
    session: Session,
    sessions: sessionmaker[Session],
    vault: DataVault,
    dept: Actor,
    receiver: Receiver,
) -> None:
    _, secret, delivery = _queued(session, vault, dept, receiver.url, "WL000051")
    receiver.secret = secret

    counts = deliver_webhooks(sessions, vault, now=soon(), max_attempts=8, timeout=5)

    assert counts.as_dict() == {"sent": 1, "retried": 0, "dead": 0}
    [got] = receiver.received
    assert got["signed"] and got["delivery"] == str(delivery.id)
    assert got["body"] == delivery.payload and int(got["timestamp"]) > 0
    session.refresh(delivery)
    assert delivery.status == "sent" and delivery.attempts == 1 and delivery.sent_at is not None
    assert deliver_webhooks(sessions, vault, now=soon(), max_attempts=8, timeout=5).sent == 0
    receiver.secret = "whsec_wrong"
    assert not rules.verify(receiver.secret, json.dumps(got["body"]).encode(), "sha256=00")


def test_an_error_answer_is_retried_with_growing_waits_then_dead_lettered_and_requeued(
    session: Session,
    sessions: sessionmaker[Session],
    vault: DataVault,
    dept: Actor,
    receiver: Receiver,
) -> None:
    wl, secret, delivery = _queued(session, vault, dept, receiver.url, "WL000061")
    receiver.secret, receiver.status = secret, 500

    now = soon()
    waits = []
    for attempt in range(1, 4):
        counts = deliver_webhooks(sessions, vault, now=now, max_attempts=4, timeout=5)
        assert counts.retried == 1
        session.refresh(delivery)
        assert delivery.status == "queued" and delivery.attempts == attempt
        assert delivery.last_error is not None and delivery.last_error.startswith("HTTP 500")
        waits.append(delivery.next_attempt_at - now)
        # Not due before its time.
        early = now + waits[-1] - dt.timedelta(seconds=1)
        assert deliver_webhooks(sessions, vault, now=early, max_attempts=4, timeout=5).retried == 0
        now = delivery.next_attempt_at
    assert waits == [dt.timedelta(minutes=m) for m in (1, 2, 4)]

    counts = deliver_webhooks(sessions, vault, now=now, max_attempts=4, timeout=5)
    assert counts.dead == 1 and len(receiver.received) == 4
    session.refresh(delivery)
    assert delivery.status == "dead" and delivery.attempts == 4
    assert [
        d.id for d in list_deliveries(session, actor=dept, watch_list_id=wl.id, status="dead")
    ] == [delivery.id]
    office = Actor(kind="account", name="admin", roles=frozenset({"office_admin"}))
    assert delivery.id in [d.id for d in list_deliveries(session, actor=office, status="dead")]
    event = session.execute(
        select(AuditEvent).where(
            AuditEvent.entity_id == str(delivery.id), AuditEvent.action == "webhook.dead_letter"
        )
    ).scalar_one()
    assert event.reason is not None and "HTTP 500" in event.reason

    receiver.status = 200
    requeue_dead(session, actor=dept, watch_list_id=wl.id, delivery_id=delivery.id, now=now)
    session.flush()
    with refused(Conflict, "只有投递失败"):
        requeue_dead(session, actor=dept, watch_list_id=wl.id, delivery_id=delivery.id)
    assert deliver_webhooks(sessions, vault, now=now, max_attempts=4, timeout=5).sent == 1
    session.refresh(delivery)
    assert delivery.status == "sent" and delivery.last_error is None


def test_a_receiver_that_does_not_answer_in_time_is_retried(
    session: Session,
    sessions: sessionmaker[Session],
    vault: DataVault,
    dept: Actor,
    receiver: Receiver,
) -> None:
    _, secret, delivery = _queued(session, vault, dept, receiver.url, "WL000071")
    receiver.secret, receiver.delay = secret, 1.5

    started, now = time.monotonic(), soon()
    counts = deliver_webhooks(sessions, vault, now=now, max_attempts=8, timeout=0.3)

    assert time.monotonic() - started < 1.4
    assert counts.retried == 1
    session.refresh(delivery)
    assert delivery.status == "queued" and delivery.attempts == 1
    assert delivery.last_error == "timed out after 0.3 s"
    assert delivery.next_attempt_at == now + dt.timedelta(minutes=1)


def test_an_unreachable_receiver_counts_as_a_failed_attempt(
    session: Session, sessions: sessionmaker[Session], vault: DataVault, dept: Actor
) -> None:
    _, _, delivery = _queued(session, vault, dept, "http://127.0.0.1:9/hook", "WL000081")
    assert deliver_webhooks(sessions, vault, now=soon(), max_attempts=1, timeout=2).dead == 1
    session.refresh(delivery)
    assert delivery.status == "dead" and (delivery.last_error or "").startswith("connection failed")


# --- other organisations ---------------------------------------------------------------------


def test_another_organisation_can_neither_read_nor_change_a_watch_list(
    session: Session, vault: DataVault, dept: Actor, other_dept: Actor
) -> None:
    wl, _, delivery = _queued(session, vault, dept, "https://a.example.gov.cn/h", "WL000091")
    delivery.status = "dead"
    session.flush()
    assert all(s.watch_list.id != wl.id for s in list_watch_lists(session, actor=other_dept))
    for attempt in (
        lambda: get_watch_list(session, actor=other_dept, watch_list_id=wl.id),
        lambda: add_subjects(
            session,
            vault,
            BOOK,
            actor=other_dept,
            watch_list_id=wl.id,
            codes=[code("WL000092")],
            today=TODAY,
        ),
        lambda: remove_subjects(
            session, vault, actor=other_dept, watch_list_id=wl.id, codes=[code("WL000091")]
        ),
        lambda: list_deliveries(session, actor=other_dept, watch_list_id=wl.id),
        lambda: requeue_dead(
            session, actor=other_dept, watch_list_id=wl.id, delivery_id=delivery.id
        ),
        lambda: delete_watch_list(session, actor=other_dept, watch_list_id=wl.id),
    ):
        with refused(NotFound, "监测名单不存在"):
            attempt()
    assert delivery.id not in [d.id for d in list_deliveries(session, actor=other_dept)]


def test_deleting_a_watch_list_stops_its_webhooks(
    session: Session, sessions: sessionmaker[Session], vault: DataVault, dept: Actor
) -> None:
    wl, _, delivery = _queued(session, vault, dept, "https://a.example.gov.cn/h", "WL000101")
    delete_watch_list(session, actor=dept, watch_list_id=wl.id)
    session.refresh(delivery)
    assert delivery.status == "dead" and delivery.last_error == "watch list deleted"
    assert (
        session.execute(select(WatchEntry).where(WatchEntry.watch_list_id == wl.id)).first() is None
    )
    assert deliver_webhooks(sessions, vault, now=utcnow(), max_attempts=8, timeout=1).sent == 0
    with refused(NotFound, "监测名单不存在"):
        get_watch_list(session, actor=dept, watch_list_id=wl.id)
    actions = (
        session.execute(select(AuditEvent.action).where(AuditEvent.entity_id == str(wl.id)))
        .scalars()
        .all()
    )
    assert actions[0] == "watch_list.create" and actions[-1] == "watch_list.delete"
