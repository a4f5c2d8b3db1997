"""Fixtures for flows as users take them: the CLI and HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from typer.testing import CliRunner

import xinyong.cli
from xinyong.actors import Actor
from xinyong.config import Settings
from xinyong.runtime import Runtime
from xinyong.screening.hooks import BOOK as measure_book
from xinyong.screening.hooks import CATALOG as catalog_key
from xinyong.setup import initialise
from xinyong.web.app import create_app

KEYS = {
    "XINYONG_ENVIRONMENT": "test",
    "XINYONG_SECRET_KEY": "test-secret-key-0123456789abcdef",
    "XINYONG_DATA_KEY": "test-data-key-0123456789abcdef",
    "XINYONG_NOTICE_BACKEND": "null",  # notices kept in memory (xinyong.notices.senders)
}


@dataclass
class CliRun:
    exit_code: int
    stdout: str
    stderr: str

    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    def json(self) -> dict[str, Any]:
        lines = self.json_lines()
        assert len(lines) == 1, self.stdout
        return lines[0]


class Cli:
    """Runs ``xinyong`` commands in-process against one database, as a user would."""

    def __init__(self, database_url: str) -> None:
        self.env = {**KEYS, "XINYONG_DATABASE_URL": database_url}
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> CliRun:
        xinyong.cli._runtime = None
        try:
            result: Result = self.runner.invoke(
                xinyong.cli.app, list(args), env=self.env, input=input, catch_exceptions=False
            )
        finally:
            if xinyong.cli._runtime is not None:
                xinyong.cli._runtime.engine.dispose()
            xinyong.cli._runtime = None
        return CliRun(result.exit_code, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def cli(fresh_database_url: str) -> Cli:
    """The CLI on an empty database of this module (SQLite and PostgreSQL)."""
    return Cli(fresh_database_url)


@pytest.fixture
def runtime(engine: Engine, database_url: str) -> Iterator[Runtime]:
    """A runtime on the shared test database whose every request-transaction is nested
    in one outer transaction, rolled back after the test; catalog and calendar loaded."""
    settings = Settings(database_url=database_url, **{k[8:].lower(): v for k, v in KEYS.items()})
    with engine.connect() as conn:
        outer = conn.begin()
        rt = Runtime(settings=settings, engine=engine)
        rt.__dict__["sessions"] = sessionmaker(
            bind=conn,
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
            # As Runtime.sessions: commits recompute the screening answers they change.
            info={measure_book: lambda: rt.measures, catalog_key: lambda: rt.catalog},
        )
        with rt.sessions() as session:
            from xinyong.catalog.service import sync_catalog
            from xinyong.workdays.service import seed_from_chinesecalendar

            sync_catalog(session, actor=Actor.system(), catalog=rt.catalog)
            seed_from_chinesecalendar(session, actor=Actor.system())
            session.commit()
        try:
            yield rt
        finally:
            outer.rollback()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    app = create_app(runtime=runtime)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


__all__ = ["Cli", "CliRun", "initialise"]
