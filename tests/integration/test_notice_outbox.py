"""The notice outbox: queued with the change, delivered later, retried, never in clear."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from xinyong.audit.models import AuditEvent
from xinyong.db import utcnow
from xinyong.errors import ValidationFailed
from xinyong.notices.models import NoticeOutbox
from xinyong.notices.senders import Notice, NullSender, SendFailed
from xinyong.notices.service import (
    CLAIM_TIMEOUT,
    deliver_pending,
    pending_count,
    queue_notice,
)
from xinyong.privacy.crypto import DataVault

ADDRESS = "wangwu.compliance@example.com"


@pytest.fixture
def sessions(session: Session) -> sessionmaker[Session]:
    """Sessions on the test's connection: their commits are savepoints, rolled back
    with the test."""
    return sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


class RefusingSender:
    """A mail server that is down: every attempt fails with the same reason."""

    def __init__(self) -> None:
        self.calls = 0

    def send(self, notice: Notice) -> None:
        self.calls += 1
        raise SendFailed("SMTP server 127.0.0.1:25 failed: ConnectionRefusedError")


def _queue(session: Session, vault: DataVault, subject: str = "您的异议申请已受理") -> NoticeOutbox:
    return queue_notice(
        session,
        vault,
        case_id=uuid.uuid4(),
        email=ADDRESS,
        subject=subject,
        body="您好：\n您提交的异议申请（编号 YY-2026-000001）已受理，我们将在 5 个工作日内答复。",
    )


def test_a_queued_notice_is_sent_and_marked_sent(
    session: Session, sessions: sessionmaker[Session], vault: DataVault
) -> None:
    notice = _queue(session, vault)
    assert notice.status == "queued" and notice.attempts == 0
    before = pending_count(session)
    sender = NullSender()

    result = deliver_pending(sessions, vault, sender, max_attempts=5)

    assert (result.sent, result.failed, result.retried) == (1, 0, 0)
    [sent] = sender.sent
    assert sent == Notice(to=ADDRESS, subject="您的异议申请已受理", body=notice.body)
    session.refresh(notice)
    assert notice.status == "sent" and notice.attempts == 1 and notice.sent_at is not None
    assert notice.last_error is None and notice.claimed_at is None
    assert pending_count(session) == before - 1
    event = session.execute(
        select(AuditEvent).where(AuditEvent.entity_id == str(notice.id))
    ).scalar_one()
    assert event.action == "notice.send"
    assert event.after is not None and event.after["recipient"] == notice.recipient_masked
    assert ADDRESS not in str(event.after)
    # Nothing left to send: a second run is a no-op.
    assert deliver_pending(sessions, vault, sender, max_attempts=5).sent == 0
    assert len(sender.sent) == 1


def test_a_failing_sender_counts_attempts_keeps_the_error_and_gives_up(
    session: Session, sessions: sessionmaker[Session], vault: DataVault
) -> None:
    notice = _queue(session, vault)
    sender = RefusingSender()

    for attempt in (1, 2):
        result = deliver_pending(sessions, vault, sender, max_attempts=3)
        assert (result.sent, result.failed, result.retried) == (0, 0, 1)
        session.refresh(notice)
        assert notice.status == "queued" and notice.attempts == attempt
        assert notice.last_error == "SMTP server 127.0.0.1:25 failed: ConnectionRefusedError"

    result = deliver_pending(sessions, vault, sender, max_attempts=3)
    assert (result.sent, result.failed, result.retried) == (0, 1, 0)
    session.refresh(notice)
    assert notice.status == "failed" and notice.attempts == 3 and notice.sent_at is None
    assert "ConnectionRefusedError" in (notice.last_error or "")
    event = session.execute(
        select(AuditEvent).where(AuditEvent.entity_id == str(notice.id))
    ).scalar_one()
    assert event.action == "notice.give_up" and "ConnectionRefused" in (event.reason or "")

    # A failed notice is not tried again.
    assert deliver_pending(sessions, vault, sender, max_attempts=3) == type(result)()
    assert sender.calls == 3


def test_a_sender_that_crashes_does_not_leave_the_notice_claimed(
    session: Session, sessions: sessionmaker[Session], vault: DataVault
) -> None:
    class Broken:
        def send(self, notice: Notice) -> None:
            raise RuntimeError("bug in a sender")

    notice = _queue(session, vault)
    assert deliver_pending(sessions, vault, Broken(), max_attempts=5).retried == 1
    session.refresh(notice)
    assert notice.status == "queued" and notice.claimed_at is None
    assert notice.last_error == "unexpected RuntimeError: bug in a sender"


def test_the_address_is_never_stored_in_clear(
    session: Session, sessions: sessionmaker[Session], vault: DataVault
) -> None:
    notice = _queue(session, vault)
    deliver_pending(sessions, vault, NullSender(), max_attempts=5)
    table = NoticeOutbox.__table__
    row = session.execute(select(table).where(table.c.id == notice.id)).mappings().one()
    assert row["status"] == "sent"
    for column, value in row.items():
        assert ADDRESS not in str(value), column
        assert "wangwu.compliance" not in str(value), column
    assert row["recipient_masked"] == "w***************e@example.com"
    assert vault.unseal(row["recipient_sealed"]) == ADDRESS


def test_a_malformed_address_is_refused_naming_the_field(
    session: Session, vault: DataVault
) -> None:
    before = pending_count(session)
    with pytest.raises(ValidationFailed) as caught:
        queue_notice(
            session, vault, case_id=None, email="wangwu at example", subject="通知", body="正文"
        )
    assert caught.value.field == "email"
    assert "电子邮箱" in caught.value.message
    assert pending_count(session) == before


def test_an_empty_subject_is_refused(session: Session, vault: DataVault) -> None:
    with pytest.raises(ValidationFailed) as caught:
        queue_notice(session, vault, case_id=None, email=ADDRESS, subject=" \n ", body="正文")
    assert caught.value.field == "subject"


def test_notices_go_oldest_first_and_a_run_sends_at_most_its_limit(
    session: Session, sessions: sessionmaker[Session], vault: DataVault
) -> None:
    base = utcnow() - dt.timedelta(days=3650)  # older than anything else in the database
    notices = [_queue(session, vault, subject=f"通知 {n}") for n in range(3)]
    for n, notice in enumerate(reversed(notices)):
        notice.created_at = base + dt.timedelta(minutes=n)  # 通知 2 is the oldest
    session.flush()
    sender = NullSender()

    assert deliver_pending(sessions, vault, sender, limit=2, max_attempts=5).sent == 2

    assert [n.subject for n in sender.sent] == ["通知 2", "通知 1"]
    session.refresh(notices[0])
    assert notices[0].status == "queued"


def test_a_notice_claimed_by_a_worker_that_died_is_sent_again_later(
    session: Session, sessions: sessionmaker[Session], vault: DataVault
) -> None:
    stale, live = _queue(session, vault, "通知 甲"), _queue(session, vault, "通知 乙")
    stale.status = live.status = "sending"
    stale.claimed_at = utcnow() - CLAIM_TIMEOUT - dt.timedelta(minutes=1)
    live.claimed_at = utcnow()
    session.flush()
    sender = NullSender()

    deliver_pending(sessions, vault, sender, max_attempts=5)

    assert [n.subject for n in sender.sent] == ["通知 甲"]
    session.refresh(live)
    assert live.status == "sending"


def test_a_notice_rolled_back_with_its_case_change_is_never_sent(
    session: Session, sessions: sessionmaker[Session], vault: DataVault
) -> None:
    nested = session.begin_nested()
    notice_id = _queue(session, vault, "不应发送").id
    nested.rollback()
    sender = NullSender()
    deliver_pending(sessions, vault, sender, max_attempts=5)
    assert session.get(NoticeOutbox, notice_id) is None
    assert all(n.subject != "不应发送" for n in sender.sent)
