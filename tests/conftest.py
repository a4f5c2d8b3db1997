"""Test fixtures.

Strategy: every test that touches the database takes the ``session`` fixture, which
is parametrised over the backends: SQLite always, PostgreSQL when
``XINYONG_TEST_POSTGRES_URL`` is set or a server answers on 127.0.0.1:5432. Each
backend gets a fresh database per run, migrated once; each test runs inside a
transaction that is rolled back (services only flush, so savepoints cover the
rest). Pure tests take no fixture and run once.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from xinyong.config import Settings
from xinyong.db import Base, import_models, make_engine
from xinyong.schema import MIGRATIONS, upgrade

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _postgres_admin_url() -> str | None:
    url = os.environ.get("XINYONG_TEST_POSTGRES_URL")
    if url:
        return url
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return DEFAULT_PG
    except OSError:
        return None


BACKENDS = ["sqlite"] + (["postgresql"] if _postgres_admin_url() else [])


def create_schema(engine: Engine) -> None:
    if any((MIGRATIONS / "versions").glob("*.py")):
        upgrade(engine)
    else:  # before the first migration exists
        import_models()
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        Base.metadata.create_all(engine)


def _create_pg_database(admin_url: str) -> tuple[str, str]:
    name = f"xinyong_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(
            text(
                f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
                "LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'"
            )
        )
    admin.dispose()
    url = make_url(admin_url).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False), name


def _drop_pg_database(admin_url: str, name: str) -> None:
    admin = create_engine(
        make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@contextmanager
def new_database(backend: str, tmp_dir: Path) -> Iterator[str]:
    """A fresh, empty database of ``backend``; dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_dir / f'xinyong-{uuid.uuid4().hex[:8]}.db'}"
        return
    admin_url = _postgres_admin_url()
    assert admin_url
    url, name = _create_pg_database(admin_url)
    try:
        yield url
    finally:
        _drop_pg_database(admin_url, name)


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The shared test database of one backend (one per run, migrated once)."""
    with new_database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def fresh_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database per test module, for tests that commit (CLI, servers)."""
    with new_database(request.param, tmp_path_factory.mktemp("fresh")) as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    create_schema(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        secret_key="test-secret-key-0123456789abcdef",
        data_key="test-data-key-0123456789abcdef",
        notice_backend="null",
    )


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        sess = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield sess
        finally:
            sess.close()
            outer.rollback()


@pytest.fixture
def pure_settings() -> Settings:
    """Settings for tests that need keys but no database."""
    return Settings(
        environment="test",
        database_url="sqlite:///:memory:",
        secret_key="test-secret-key-0123456789abcdef",
        data_key="test-data-key-0123456789abcdef",
        notice_backend="null",
    )
