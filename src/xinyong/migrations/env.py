"""Alembic environment: the engine comes from the caller (``xinyong.schema``)."""

from __future__ import annotations

from alembic import context

from xinyong.db import Base, import_models

import_models()
config = context.config
engine = config.attributes.get("engine")
if engine is None:  # `alembic` run by hand: build from settings
    from xinyong.config import Settings
    from xinyong.db import engine_from_settings

    engine = engine_from_settings(Settings())

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
