"""`xinyong screening rebuild` and `xinyong watch deliver` as an operator runs them from
cron (SQLite and PostgreSQL)."""

from __future__ import annotations

from tests.functional.conftest import Cli


def test_rebuild_and_deliver_on_a_fresh_platform(cli: Cli) -> None:
    assert cli("init").exit_code == 0
    rebuilt = cli("screening", "rebuild", "--today", "2026-11-24")
    assert rebuilt.exit_code == 0, rebuilt.stderr
    body = rebuilt.json()
    assert body["subjects_changed"] == 0 and len(body["measure_book"]) == 64
    delivered = cli("watch", "deliver", "--limit", "10")
    assert delivered.exit_code == 0, delivered.stderr
    assert delivered.json() == {"queued": 0, "sent": 0, "retried": 0, "dead": 0, "pending": 0}
    bad = cli("screening", "rebuild", "--today", "2026-02-30")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.stderr
