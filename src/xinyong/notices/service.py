"""The notice outbox: queue a notice with the change it reports, deliver it later.

``queue_notice`` runs inside the caller's transaction (it flushes, never commits), so a
case change and its notice are committed together or not at all. ``deliver_pending``
runs on its own (the server's periodic job, ``xinyong notices send``): it claims queued
notices in a short transaction, sends each one with no transaction open, and records
the outcome in another short transaction. Delivery is at least once: a worker that dies
between sending and recording leaves the notice claimed, and after ``CLAIM_TIMEOUT`` it
is sent again.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from xinyong.actors import Actor
from xinyong.audit.service import record_event
from xinyong.db import transaction, utcnow
from xinyong.errors import ValidationFailed
from xinyong.notices.models import NoticeOutbox
from xinyong.notices.rules import mask_email, normalise_email
from xinyong.notices.senders import EmailSender, Notice, SendFailed
from xinyong.privacy.crypto import DataVault

log = logging.getLogger("xinyong.notices")

# A claim older than this is taken to belong to a worker that died: longer than any
# batch can take (100 notices × the SMTP timeout).
CLAIM_TIMEOUT = dt.timedelta(hours=1)
SUBJECT_MAX = 200


@dataclass(frozen=True)
class DeliveryResult:
    sent: int = 0
    failed: int = 0  # attempts exhausted: marked failed
    retried: int = 0  # failed this time, queued for another attempt

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def queue_notice(
    session: Session,
    vault: DataVault,
    *,
    case_id: uuid.UUID | None,
    email: str,
    subject: str,
    body: str,
) -> NoticeOutbox:
    """Put an e-mail notice in the outbox, in the caller's transaction.

    The address is checked for shape (``ValidationFailed`` on field ``email``), sealed
    with the vault and kept masked for staff screens.
    """
    address = normalise_email(email)
    if address is None:
        raise ValidationFailed.one(
            "email",
            f"电子邮箱格式不正确：“{email.strip()[:100]}”，应形如 name@example.com",
            "e-mail address is not shaped like name@example.com",
        )
    subject = " ".join(subject.split())  # one line: a header must not break
    if not subject:
        raise ValidationFailed.one("subject", "通知标题不能为空", "notice subject is empty")
    if len(subject) > SUBJECT_MAX:
        raise ValidationFailed.one(
            "subject",
            f"通知标题不能超过 {SUBJECT_MAX} 个字符",
            f"notice subject longer than {SUBJECT_MAX} characters",
        )
    if not body.strip():
        raise ValidationFailed.one("body", "通知正文不能为空", "notice body is empty")
    notice = NoticeOutbox(
        case_id=case_id,
        channel="email",
        recipient_sealed=vault.seal(address),
        recipient_masked=mask_email(address),
        subject=subject,
        body=body,
        status="queued",
        attempts=0,
    )
    session.add(notice)
    session.flush()
    return notice


def pending_count(session: Session) -> int:
    """Notices not yet sent nor given up (queued, or claimed by a delivery run)."""
    return session.execute(
        select(func.count())
        .select_from(NoticeOutbox)
        .where(NoticeOutbox.status.in_(("queued", "sending")))
    ).scalar_one()


def _claim(
    sessions: sessionmaker[Session], vault: DataVault, limit: int, now: dt.datetime
) -> list[tuple[uuid.UUID, Notice]]:
    """Mark up to ``limit`` notices as being sent by this run, oldest first, and count
    the attempt. On PostgreSQL rows another run is claiming are skipped (``FOR UPDATE
    SKIP LOCKED``); SQLite has one writer at a time."""
    with transaction(sessions) as session:
        rows = (
            session.execute(
                select(NoticeOutbox)
                .where(
                    or_(
                        NoticeOutbox.status == "queued",
                        (NoticeOutbox.status == "sending")
                        & (NoticeOutbox.claimed_at < now - CLAIM_TIMEOUT),
                    )
                )
                .order_by(NoticeOutbox.created_at, NoticeOutbox.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            .scalars()
            .all()
        )
        claimed = []
        for row in rows:
            row.status = "sending"
            row.claimed_at = now
            row.attempts += 1
            claimed.append(
                (
                    row.id,
                    Notice(
                        to=vault.unseal(row.recipient_sealed), subject=row.subject, body=row.body
                    ),
                )
            )
    return claimed


def _audit_after(row: NoticeOutbox) -> dict[str, Any]:
    return {
        "case_id": str(row.case_id) if row.case_id else None,
        "channel": row.channel,
        "recipient": row.recipient_masked,
        "subject": row.subject,
        "attempts": row.attempts,
        "status": row.status,
    }


def _record_outcome(
    sessions: sessionmaker[Session],
    notice_id: uuid.UUID,
    error: str | None,
    *,
    max_attempts: int,
    actor: Actor,
) -> str:
    """Store the outcome of one attempt; returns the notice's new status."""
    with transaction(sessions) as session:
        row = session.get(NoticeOutbox, notice_id, with_for_update=True)
        if row is None or row.status != "sending":  # given up or handled meanwhile
            return row.status if row else "missing"
        row.claimed_at = None
        if error is None:
            row.status = "sent"
            row.sent_at = utcnow()
            row.last_error = None
        else:
            row.last_error = error[:2000]
            row.status = "failed" if row.attempts >= max_attempts else "queued"
        if row.status in ("sent", "failed"):
            record_event(
                session,
                actor=actor,
                action="notice.send" if row.status == "sent" else "notice.give_up",
                entity_type="notice",
                entity_id=row.id,
                after=_audit_after(row),
                reason=row.last_error,
            )
        return row.status


def deliver_pending(
    sessions: sessionmaker[Session],
    vault: DataVault,
    sender: EmailSender,
    *,
    limit: int = 100,
    max_attempts: int,
    actor: Actor | None = None,
) -> DeliveryResult:
    """Send up to ``limit`` queued notices, oldest first.

    Each notice is sent with no transaction open; then it is marked ``sent``, or the
    attempt is counted with the sender's English error and the notice stays queued
    until ``max_attempts`` attempts have failed, when it is marked ``failed``. Sent and
    failed notices are audited. Safe to run from several workers at once.
    """
    actor = actor or Actor.system("notices")
    sent = failed = retried = 0
    for notice_id, notice in _claim(sessions, vault, limit, utcnow()):
        error: str | None = None
        try:
            sender.send(notice)
        except SendFailed as exc:
            error = exc.reason
        except Exception as exc:  # a broken sender must not leave the notice claimed
            error = f"unexpected {type(exc).__name__}: {exc}"
            log.exception("notice %s: sender raised unexpectedly", notice_id)
        status = _record_outcome(sessions, notice_id, error, max_attempts=max_attempts, actor=actor)
        if status == "sent":
            sent += 1
        elif status == "failed":
            failed += 1
            log.warning("notice %s given up: %s", notice_id, error)
        elif status == "queued":
            retried += 1
            log.info("notice %s not sent, will retry: %s", notice_id, error)
    return DeliveryResult(sent=sent, failed=failed, retried=retried)
