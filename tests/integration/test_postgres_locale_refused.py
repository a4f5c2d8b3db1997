"""A PostgreSQL database whose LC_CTYPE drops Chinese from pg_trgm is refused clearly."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import _postgres_admin_url
from xinyong.db import check_postgres_trigram, make_engine
from xinyong.errors import ConfigurationError

ADMIN = _postgres_admin_url()


@pytest.mark.skipif(ADMIN is None, reason="needs a PostgreSQL server")
def test_c_locale_database_is_refused_with_the_fix_in_the_message() -> None:
    assert ADMIN
    name = f"xinyong_c_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        make_url(ADMIN).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(
            text(
                f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
                "LC_COLLATE 'C' LC_CTYPE 'C'"
            )
        )
    try:
        url = make_url(ADMIN).set(drivername="postgresql+psycopg", database=name)
        engine = make_engine(url.render_as_string(hide_password=False))
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        with pytest.raises(ConfigurationError) as err:
            check_postgres_trigram(engine)
        engine.dispose()
        assert "C.UTF-8" in err.value.message and "LC_CTYPE" in err.value.message_en
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
