"""Database plumbing: declarative base, engines, sessions, and start-up checks.

Services receive a ``Session`` and may ``flush()`` but never ``commit()``; the caller
(a web request, a CLI command, a test) owns the transaction via ``transaction()``.
"""

from __future__ import annotations

import datetime as dt
import importlib
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, cast

import orjson
from sqlalchemy import (
    JSON,
    ColumnElement,
    DateTime,
    MetaData,
    Uuid,
    any_,
    bindparam,
    create_engine,
    event,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from xinyong.config import Settings
from xinyong.errors import ConfigurationError

# Constraint names must match on SQLite and PostgreSQL so that migrations can
# address them (Alembic batch mode on SQLite needs named constraints).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Every module that defines tables; imported so that ``Base.metadata`` is complete
# for Alembic and for tests.
MODEL_MODULES = (
    "xinyong.accounts.models",
    "xinyong.audit.models",
    "xinyong.codes.models",
    "xinyong.workdays.models",
    "xinyong.catalog.models",
    "xinyong.subjects.models",
    "xinyong.records.models",
    "xinyong.ingest.models",
    "xinyong.articles.models",
    "xinyong.cases.models",
    "xinyong.lists.models",
    "xinyong.screening.models",
    "xinyong.notices.models",
    "xinyong.watch.models",
    "xinyong.search.schema",  # no tables: hides hand-written search indexes from autogenerate
)

JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use xinyong.db.utcnow()")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSONType,
        list[str]: JSONType,
        dt.datetime: UTCDateTime(),
    }


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# China Standard Time has had no daylight saving since 1991: a fixed offset is exact.
CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")


def china_today() -> dt.date:
    """Today's date in China, the date that working-day deadlines count from."""
    return dt.datetime.now(CHINA_TZ).date()


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def import_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)


def _sqlite_module() -> Any:
    # Debian 12's libsqlite3 3.40.1 mishandles FTS5 LIKE on CJK text (STACK.md §1);
    # sqlean.py bundles a current SQLite with the same DB-API.
    import sqlean

    return sqlean


def one_of(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values``, written for PostgreSQL as ``= ANY(array)`` with one array
    parameter: with a thousand separate parameters its planner tends to scan instead of
    using the index (bulk collection looks up a thousand keys at a time)."""
    if session.get_bind().dialect.name == "postgresql":
        item_type = column.type if not isinstance(column.type, Uuid) else Uuid()
        return cast(
            ColumnElement[bool],
            column == any_(bindparam(None, list(values), type_=ARRAY(item_type))),
        )
    return cast(ColumnElement[bool], column.in_(values))


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``, configured for the platform (WAL and foreign keys on SQLite)."""
    parsed = make_url(url)
    # orjson writes JSON columns several times faster than the standard library
    # (bulk collection stores four JSON values per record).
    kwargs.setdefault("json_serializer", _json_dumps)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, module=_sqlite_module(), **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.close()
            # pysqlite's own transaction handling does not emit BEGIN before DDL and
            # breaks SAVEPOINT; hand control to SQLAlchemy (SQLAlchemy "pysqlite
            # serializable isolation / savepoints" recipe).
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # A deferred transaction that reads and then writes fails at once with
            # "database is locked" (a stale WAL snapshot: busy_timeout does not apply)
            # when another connection committed in between; a writer that says so up
            # front (SQLITE_IMMEDIATE, set by web.deps for requests that change state)
            # takes the write lock at BEGIN and queues on busy_timeout instead.
            immediate = conn.get_execution_options().get(SQLITE_IMMEDIATE)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True, **kwargs)


# Execution option: on SQLite, begin the transaction with BEGIN IMMEDIATE (see make_engine).
SQLITE_IMMEDIATE = "xinyong_sqlite_immediate"


def engine_from_settings(settings: Settings) -> Engine:
    return make_engine(settings.database_url)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def check_postgres_trigram(engine: Engine) -> None:
    """Refuse to start on a PostgreSQL database whose ctype drops Chinese from trigrams.

    pg_trgm keeps only characters the libc ctype calls alphanumeric, so in a database
    created with LC_CTYPE=C every Chinese name is invisible to the trigram index
    (STACK.md §1).
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        has_ext = conn.execute(
            text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        ).scalar()
        if not has_ext:
            raise ConfigurationError(
                "数据库未安装 pg_trgm 扩展，请先运行 xinyong init",
                "extension pg_trgm is missing; run `xinyong init` (needs CREATE privilege)",
            )
        trgm = conn.execute(text("SELECT show_trgm('中文测试')")).scalar()
        ctype = conn.execute(
            text("SELECT datctype FROM pg_database WHERE datname = current_database()")
        ).scalar()
    if not trgm:
        raise ConfigurationError(
            f"数据库字符分类（LC_CTYPE={ctype}）无法索引中文，名称检索将失效。"
            "请以 LC_CTYPE='C.UTF-8' 重新创建数据库",
            f"database LC_CTYPE={ctype} makes show_trgm('中文测试') empty: pg_trgm cannot index "
            "Chinese. Recreate the database with "
            "CREATE DATABASE ... TEMPLATE template0 LC_CTYPE 'C.UTF-8'",
            field="XINYONG_DATABASE_URL",
        )
