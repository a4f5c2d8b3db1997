"""The migrations build exactly the schema the models declare (Warehouse's `db check`)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Engine

from xinyong.db import Base, check_postgres_trigram, import_models


def test_migrated_schema_has_no_drift(engine: Engine) -> None:
    import_models()
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_postgres_trigram_self_test_passes_on_c_utf8(engine: Engine) -> None:
    check_postgres_trigram(engine)  # a no-op on SQLite; must not raise on C.UTF-8
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            assert conn.execute(text("SELECT show_trgm('中文测试')")).scalar()
