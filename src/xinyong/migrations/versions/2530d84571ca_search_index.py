"""search index

Revision ID: 2530d84571ca
Revises: b21be30abd59
Create Date: 2026-11-24 15:19:18.903249

WARNING: this migration must run against the previous release's data on both
SQLite (batch mode) and PostgreSQL; keep locks short.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401
from sqlalchemy.dialects import postgresql  # noqa: F401

import xinyong.db  # noqa: F401


revision: str = '2530d84571ca'
down_revision: str | None = 'b21be30abd59'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Hand-written: autogenerate sees neither FTS5 virtual tables nor operator-class indexes
# (xinyong.search.schema hides them from it). SQLite: FTS5 trigram table over
# subject.name_norm with rowid = subject.rowid, kept in sync by triggers. A later batch
# migration that recreates `subject` drops these triggers and renumbers rowids: it must
# recreate them and run the backfill below again.
SQLITE_UPGRADE = [
    "CREATE VIRTUAL TABLE subject_fts USING fts5(name_norm, tokenize='trigram')",
    "INSERT INTO subject_fts(rowid, name_norm) SELECT rowid, name_norm FROM subject",
    """CREATE TRIGGER subject_fts_insert AFTER INSERT ON subject BEGIN
        INSERT INTO subject_fts(rowid, name_norm) VALUES (new.rowid, new.name_norm);
    END""",
    """CREATE TRIGGER subject_fts_delete AFTER DELETE ON subject BEGIN
        DELETE FROM subject_fts WHERE rowid = old.rowid;
    END""",
    """CREATE TRIGGER subject_fts_update AFTER UPDATE OF name_norm ON subject BEGIN
        UPDATE subject_fts SET name_norm = new.name_norm WHERE rowid = old.rowid;
    END""",
]
SQLITE_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS subject_fts_update",
    "DROP TRIGGER IF EXISTS subject_fts_delete",
    "DROP TRIGGER IF EXISTS subject_fts_insert",
    "DROP TABLE IF EXISTS subject_fts",
]
POSTGRES_UPGRADE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_subject_name_norm_trgm ON subject USING gin (name_norm gin_trgm_ops)",
]
POSTGRES_DOWNGRADE = ["DROP INDEX IF EXISTS ix_subject_name_norm_trgm"]


def _run(sqlite: list[str], postgres: list[str]) -> None:
    dialect = op.get_bind().dialect.name
    for statement in sqlite if dialect == "sqlite" else postgres:
        op.execute(statement)


def upgrade() -> None:
    _run(SQLITE_UPGRADE, POSTGRES_UPGRADE)


def downgrade() -> None:
    _run(SQLITE_DOWNGRADE, POSTGRES_DOWNGRADE)
