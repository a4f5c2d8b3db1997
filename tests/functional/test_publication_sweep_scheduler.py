"""The web server runs the publication sweep itself: at start-up and then on a timer."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.functional.collecting import make_department, penalty
from tests.functional.conftest import Cli
from xinyong.records.models import CreditRecord
from xinyong.runtime import Runtime
from xinyong.web.app import create_app


def test_server_start_takes_down_a_penalty_whose_period_ended(runtime: Runtime) -> None:
    dept = make_department(runtime)
    with TestClient(create_app(runtime=runtime)) as client:
        row = penalty(dept, 1, decided=dt.date(2026, 3, 5))
        client.post("/api/v1/records/xzcf", json=[row], headers=dept.headers)
    with runtime.sessions() as session:
        record = session.execute(
            select(CreditRecord).where(CreditRecord.doc_number == row["CF_WSH"])
        ).scalar_one()
        assert record.publication_state == "published"
        record.auto_withdraw = dt.date(2026, 3, 6)  # as if its period had ended
        session.commit()
    # Outside the test environment the server sweeps at start-up.
    runtime.settings = runtime.settings.model_copy(
        update={"environment": "development", "sweep_minutes": 60}
    )
    with TestClient(create_app(runtime=runtime)):
        pass
    with runtime.sessions() as session:
        assert session.get(CreditRecord, record.id).publication_state == "expired"  # type: ignore[union-attr]


def test_server_start_marks_a_load_that_died_as_interrupted(runtime: Runtime) -> None:
    from xinyong.db import utcnow
    from xinyong.ingest.models import Submission

    dept = make_department(runtime)
    with runtime.sessions() as session:
        from xinyong.accounts.models import Organisation

        org = session.execute(
            select(Organisation).where(Organisation.uscc == dept.uscc)
        ).scalar_one()
        old = Submission(
            org_id=org.id,
            item_code="xzcf",
            channel="upload",
            actor="account:scjg",
            received_on=dt.date(2026, 11, 20),
            rows_report={"rows": []},
            rows_seen=4000,
            started_at=utcnow() - dt.timedelta(days=1),
        )
        fresh = Submission(
            org_id=org.id,
            item_code="xzcf",
            channel="upload",
            actor="account:scjg",
            received_on=dt.date(2026, 11, 24),
            rows_report={"rows": []},
        )
        session.add_all([old, fresh])
        session.commit()
        old_id, fresh_id = old.id, fresh.id
    runtime.settings = runtime.settings.model_copy(
        update={"environment": "development", "sweep_minutes": 60}
    )
    with TestClient(create_app(runtime=runtime)):
        pass
    with runtime.sessions() as session:
        stale = session.get(Submission, old_id)
        assert stale is not None and stale.status == "interrupted"
        assert stale.error is not None and "前 4000 行" in stale.error
        running = session.get(Submission, fresh_id)
        assert running is not None and running.status == "running"  # still loading


def test_the_server_delivers_queued_notices_between_sweeps(runtime: Runtime) -> None:
    """Notices and webhooks go out on the delivery loop (at start, then every
    ``delivery_seconds``), not only with the (hourly) sweep, which is off here."""
    import time

    from xinyong.notices.models import NoticeOutbox
    from xinyong.notices.senders import null_sender
    from xinyong.notices.service import queue_notice

    null_sender.sent.clear()
    runtime.settings = runtime.settings.model_copy(
        update={"environment": "development", "sweep_minutes": 0, "delivery_seconds": 1}
    )
    with runtime.sessions() as session:
        notice = queue_notice(
            session,
            runtime.vault,
            case_id=None,
            email="between.sweeps@example.com",
            subject="您的异议已受理",
            body="已受理。",
        )
        session.commit()
        notice_id = notice.id
    # The test runtime's sessions share one connection: the test waits without using it
    # while the server's delivery loop runs.
    with TestClient(create_app(runtime=runtime)):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not null_sender.sent:
            time.sleep(0.2)
    with runtime.sessions() as session:
        sent = session.get(NoticeOutbox, notice_id)
        assert sent is not None and sent.status == "sent"
    assert [n.to for n in null_sender.sent] == ["between.sweeps@example.com"]


def test_the_cli_sweep_runs_the_same_jobs_as_the_server(cli: Cli) -> None:
    """`xinyong publish sweep` composes the server's daily jobs (xinyong.jobs)."""
    assert cli("init").exit_code == 0
    run = cli("publish", "sweep", "--today", "2026-11-24")
    assert run.exit_code == 0, run.stderr
    assert run.json() == {
        "published": 0,
        "expired": 0,
        "stale_submissions": 0,
        "objections_marked": 0,
        "list_entries_expired": 0,
        "watch_deliveries_queued": 0,
    }
