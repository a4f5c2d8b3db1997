"""SQLite: a request that changes state begins as a writer (BEGIN IMMEDIATE), so two
concurrent writers queue on busy_timeout; a deferred transaction that read first
fails at once with "database is locked" when another writer committed meanwhile."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from xinyong.db import SQLITE_IMMEDIATE, make_engine


def _engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    return engine


def test_a_deferred_reader_that_writes_after_another_commit_fails(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    with engine.connect() as first, engine.connect() as second:
        first.begin()
        first.execute(text("SELECT count(*) FROM t")).scalar()
        with second.begin():
            second.execute(text("INSERT INTO t VALUES (1)"))
        with pytest.raises(OperationalError, match="locked"):
            first.execute(text("INSERT INTO t VALUES (2)"))
        first.rollback()
    engine.dispose()


def test_immediate_writers_queue_and_both_commit(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    done = threading.Event()
    with engine.connect() as first:
        first = first.execution_options(**{SQLITE_IMMEDIATE: True})
        first.begin()
        first.execute(text("SELECT count(*) FROM t")).scalar()

        def second_writer() -> None:
            with engine.connect() as second:
                second = second.execution_options(**{SQLITE_IMMEDIATE: True})
                with second.begin():  # waits for the first writer's commit
                    second.execute(text("SELECT count(*) FROM t")).scalar()
                    second.execute(text("INSERT INTO t VALUES (2)"))
            done.set()

        thread = threading.Thread(target=second_writer)
        thread.start()
        assert not done.wait(0.3)  # queued behind the first writer, not failed
        first.execute(text("INSERT INTO t VALUES (1)"))
        first.commit()
        thread.join(timeout=15)
    assert done.is_set()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 2
    engine.dispose()
