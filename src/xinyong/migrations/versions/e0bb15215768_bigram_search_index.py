"""bigram search index

Revision ID: e0bb15215768
Revises: 54627113b4ea
Create Date: 2026-11-24 16:51:35.408359

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


revision: str = 'e0bb15215768'
down_revision: str | None = '54627113b4ea'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Hand-written: the 2-character search index (xinyong.search; STACK.md section 1). The
# column holds each name's adjacent letter/digit pairs (subjects.rules.name_bigrams),
# filled here for existing rows and by the ORM listener afterwards. SQLite: an FTS5
# table over it (default unicode61 tokenizer: one term per pair), kept by triggers like
# subject_fts. PostgreSQL: a GIN index on the pairs as an array. Columns are added and
# dropped in place (no table rebuild), so subject rowids and the triggers of the search
# index migration are untouched.
SQLITE_UPGRADE = [
    "CREATE VIRTUAL TABLE subject_bigram USING fts5(name_bigrams)",
    "INSERT INTO subject_bigram(rowid, name_bigrams) "
    "SELECT rowid, name_bigrams FROM subject WHERE name_bigrams IS NOT NULL",
    """CREATE TRIGGER subject_bigram_insert AFTER INSERT ON subject BEGIN
        INSERT INTO subject_bigram(rowid, name_bigrams) VALUES (new.rowid, new.name_bigrams);
    END""",
    """CREATE TRIGGER subject_bigram_delete AFTER DELETE ON subject BEGIN
        DELETE FROM subject_bigram WHERE rowid = old.rowid;
    END""",
    """CREATE TRIGGER subject_bigram_update AFTER UPDATE OF name_bigrams ON subject BEGIN
        UPDATE subject_bigram SET name_bigrams = new.name_bigrams WHERE rowid = old.rowid;
    END""",
]
SQLITE_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS subject_bigram_update",
    "DROP TRIGGER IF EXISTS subject_bigram_delete",
    "DROP TRIGGER IF EXISTS subject_bigram_insert",
    "DROP TABLE IF EXISTS subject_bigram",
]
POSTGRES_UPGRADE = [
    "CREATE INDEX ix_subject_name_bigrams ON subject "
    "USING gin (string_to_array(name_bigrams, ' '))",
]
POSTGRES_DOWNGRADE = ["DROP INDEX IF EXISTS ix_subject_name_bigrams"]
BATCH = 5_000


def _backfill() -> None:
    """Fill name_bigrams for existing subjects, in batches."""
    from xinyong.subjects.rules import name_bigrams

    bind = op.get_bind()
    subject = sa.table(
        "subject", sa.column("id"), sa.column("name_norm"), sa.column("name_bigrams")
    )
    last = None
    while True:
        query = sa.select(subject.c.id, subject.c.name_norm).order_by(subject.c.id).limit(BATCH)
        if last is not None:
            query = query.where(subject.c.id > last)
        rows = bind.execute(query).all()
        if not rows:
            return
        bind.execute(
            subject.update()
            .where(subject.c.id == sa.bindparam("b_id"))
            .values(name_bigrams=sa.bindparam("b_bigrams")),
            [{"b_id": r.id, "b_bigrams": name_bigrams(r.name_norm)} for r in rows],
        )
        last = rows[-1].id


def upgrade() -> None:
    op.add_column("subject", sa.Column("name_bigrams", sa.Text(), nullable=True))
    _backfill()
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_UPGRADE if dialect == "sqlite" else POSTGRES_UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_DOWNGRADE if dialect == "sqlite" else POSTGRES_DOWNGRADE:
        op.execute(statement)
    # SQLite >= 3.35 drops a column in place (no rebuild: rowids and triggers kept).
    op.execute("ALTER TABLE subject DROP COLUMN name_bigrams")
