"""Scratch databases for benchmarks: a temporary SQLite file, a throw-away PostgreSQL
database (created with a UTF-8 ctype, dropped afterwards)."""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from xinyong.db import make_engine
from xinyong.schema import upgrade


def pg_url() -> str | None:
    """The PostgreSQL server to benchmark on, if one is reachable."""
    url = os.environ.get("XINYONG_TEST_POSTGRES_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    except OSError:
        return None


@contextmanager
def sqlite_engine() -> Iterator[Engine]:
    """A migrated SQLite database in a temporary folder."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()


@contextmanager
def postgres_engine(server: str) -> Iterator[Engine]:
    """A migrated, throw-away PostgreSQL database on ``server``."""
    name = f"xinyong_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(
                f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
                "LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'"
            )
        )
    engine = make_engine(server.rsplit("/", 1)[0] + f"/{name}")
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
