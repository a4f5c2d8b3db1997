"""The bigram search index migration fills the index for subjects that existed before
it, and its downgrade leaves the trigram index working (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from xinyong.db import make_engine
from xinyong.schema import alembic_config
from xinyong.search.service import search_subjects

BEFORE = "54627113b4ea"  # the revision before the bigram index


@pytest.fixture
def old_database(fresh_database_url: str) -> Iterator[Engine]:
    """A database of this module at the revision before the bigram index. The module's
    database is empty and not migrated; downgrading to BEFORE at the end leaves it so."""
    engine = make_engine(fresh_database_url)
    command.upgrade(alembic_config(engine), BEFORE)
    try:
        yield engine
    finally:
        engine.dispose()


def test_existing_subjects_are_found_by_two_characters_after_the_upgrade(
    old_database: Engine,
) -> None:
    subject_id = uuid.uuid4()
    with old_database.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO subject (id, kind, name, name_norm, created_at, updated_at) "
                "VALUES (:id, 'legal_person', :name, :name, CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP)"
            ),
            {
                "id": subject_id if old_database.dialect.name == "postgresql" else subject_id.hex,
                "name": "厦门迁移前企业有限公司",
            },
        )
    command.upgrade(alembic_config(old_database), "head")
    with Session(old_database) as session:
        assert [h.id for h in search_subjects(session, "迁移").items] == [subject_id]
        assert [h.id for h in search_subjects(session, "迁移前企业").items] == [subject_id]
    command.downgrade(alembic_config(old_database), BEFORE)
    with Session(old_database) as session:
        assert [h.id for h in search_subjects(session, "迁移前企业").items] == [subject_id]
