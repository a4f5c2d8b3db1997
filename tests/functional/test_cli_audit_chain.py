"""`xinyong audit chain`: queued audit events (screening calls) join the hash chain on
demand, and `audit verify` stays intact (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.functional.conftest import Cli
from xinyong.actors import Actor
from xinyong.audit.service import queue_event
from xinyong.db import make_engine


def test_queued_events_are_chained_by_the_cli(cli: Cli) -> None:
    assert cli("init").exit_code == 0
    engine = make_engine(cli.env["XINYONG_DATABASE_URL"])
    try:
        with Session(engine) as session:
            for n in range(2):
                queue_event(
                    session,
                    actor=Actor(kind="apikey", name="采购系统"),
                    action="screening.run",
                    entity_type="screening",
                    entity_id=f"cli-{n}",
                    after={"subjects": 1},
                )
            session.commit()
    finally:
        engine.dispose()
    run = cli("audit", "chain")
    assert run.exit_code == 0, run.stderr
    assert run.json() == {"chained": 2}
    assert cli("audit", "chain").json() == {"chained": 0}
    verified = cli("audit", "verify")
    assert verified.exit_code == 0 and verified.json()["intact"] is True
