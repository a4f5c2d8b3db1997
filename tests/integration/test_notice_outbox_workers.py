"""Two delivery workers at once on PostgreSQL: each notice is sent by exactly one.

Runs on a database of its own (the workers commit), after ``xinyong init``-like set-up:
the audit chain exists, as it does in any deployment.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.conftest import create_schema
from xinyong.actors import Actor
from xinyong.audit.service import record_event
from xinyong.config import Settings
from xinyong.db import make_engine, session_factory, transaction
from xinyong.notices.models import NoticeOutbox
from xinyong.notices.senders import Notice, NullSender
from xinyong.notices.service import DeliveryResult, deliver_pending, queue_notice
from xinyong.privacy.crypto import DataVault

VAULT = DataVault.from_settings(
    Settings(environment="test", data_key="workers-key-0123456789abcdef")
)


@pytest.fixture(scope="module")
def pg_engine(fresh_database_url: str) -> Iterator[Engine]:
    if not fresh_database_url.startswith("postgresql"):
        pytest.skip("SQLite has a single writer; concurrent workers are a PostgreSQL matter")
    engine = make_engine(fresh_database_url)
    create_schema(engine)
    with transaction(session_factory(engine)) as session:
        record_event(
            session, actor=Actor.system(), action="test.setup", entity_type="test", entity_id="1"
        )
    yield engine
    engine.dispose()


class SlowSender(NullSender):
    def send(self, notice: Notice) -> None:
        super().send(notice)
        threading.Event().wait(0.005)  # let the other worker claim meanwhile


def test_two_workers_never_send_the_same_notice(pg_engine: Engine) -> None:
    sessions = session_factory(pg_engine)
    with transaction(sessions) as session:
        ids = [
            queue_notice(
                session,
                VAULT,
                case_id=None,
                email=f"worker{n}@example.com",
                subject=f"并发 {n}",
                body="正文",
            ).id
            for n in range(20)
        ]
    barrier = threading.Barrier(2)
    senders = [SlowSender(), SlowSender()]
    results: list[DeliveryResult] = []
    errors: list[BaseException] = []

    def worker(sender: NullSender) -> None:
        barrier.wait()
        try:
            results.append(deliver_pending(sessions, VAULT, sender, limit=12, max_attempts=5))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(s,)) for s in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    subjects = [n.subject for s in senders for n in s.sent]
    assert len(subjects) == len(set(subjects))  # nobody got a notice twice
    assert sum(r.sent for r in results) == len(subjects) == 20
    assert all(s.sent for s in senders)  # both workers took a share
    with transaction(sessions) as session:
        statuses = session.execute(
            select(NoticeOutbox.status).where(NoticeOutbox.id.in_(ids))
        ).scalars()
        assert set(statuses) == {"sent"}
