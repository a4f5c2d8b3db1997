"""Delivering queued notices as the platform does it: ``xinyong notices send`` and the
server's periodic job, both with the test settings' ``null`` backend."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from tests.functional.conftest import Cli
from xinyong.config import Settings
from xinyong.db import make_engine
from xinyong.notices.models import NoticeOutbox
from xinyong.notices.senders import null_sender
from xinyong.notices.service import queue_notice
from xinyong.privacy.crypto import DataVault
from xinyong.runtime import Runtime
from xinyong.web.app import _deliver_notices


def test_cli_sends_queued_notices_and_prints_the_counts(cli: Cli) -> None:
    assert cli("init").exit_code == 0
    settings = Settings(environment="test", data_key=cli.env["XINYONG_DATA_KEY"])
    vault = DataVault.from_settings(settings)
    engine = make_engine(cli.env["XINYONG_DATABASE_URL"])
    try:
        with Session(engine) as session:
            for n in range(2):
                queue_notice(
                    session,
                    vault,
                    case_id=uuid.uuid4(),
                    email=f"cli{n}@example.com",
                    subject=f"命令行通知 {n}",
                    body="您的案件状态已更新。",
                )
            session.commit()
    finally:
        engine.dispose()
    null_sender.sent.clear()

    run = cli("notices", "send", "--limit", "1")
    assert run.exit_code == 0, run.stderr
    assert run.json() == {"sent": 1, "failed": 0, "retried": 0, "pending": 1}
    run = cli("notices", "send")
    assert run.json() == {"sent": 1, "failed": 0, "retried": 0, "pending": 0}
    assert [n.to for n in null_sender.sent] == ["cli0@example.com", "cli1@example.com"]


def test_the_server_job_delivers_pending_notices(runtime: Runtime) -> None:
    assert runtime.settings.notice_backend == "null"
    with runtime.sessions() as session:
        notice = queue_notice(
            session,
            runtime.vault,
            case_id=None,
            email="server.job@example.com",
            subject="您的异议已办结",
            body="处理结果：异议成立，相关记录已更正。",
        )
        session.commit()
    null_sender.sent.clear()

    _deliver_notices(runtime)

    assert [(n.to, n.subject) for n in null_sender.sent] == [
        ("server.job@example.com", "您的异议已办结")
    ]
    with runtime.sessions() as session:
        stored = session.get(NoticeOutbox, notice.id)
        assert stored is not None and stored.status == "sent"
