"""Search indexes kept outside the ORM models, and the autogenerate filter that hides them.

The indexes are written by hand in their migration (``search index``) because SQLAlchemy
cannot declare them per dialect: on PostgreSQL a GIN trigram index on
``subject.name_norm`` and a GIN index on the pairs in ``subject.name_bigrams``; on
SQLite the FTS5 tables ``subject_fts`` (trigram tokenizer) and ``subject_bigram``
(one term per pair), plus the shadow tables FTS5 creates, kept in sync with
``subject`` by triggers. Alembic's
autogenerate would otherwise propose dropping them; the comparator below removes those
proposals. It is registered on import, and ``xinyong.db.import_models`` imports this
module.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import comparators
from alembic.operations import ops
from alembic.util import DispatchPriority, PriorityDispatchResult

TRGM_INDEX = "ix_subject_name_norm_trgm"
BIGRAM_INDEX = "ix_subject_name_bigrams"
FTS_TABLE = "subject_fts"
BIGRAM_TABLE = "subject_bigram"
# FTS5 creates these beside the virtual table (https://sqlite.org/fts5.html, §9.3).
FTS_SHADOW_SUFFIXES = ("", "_data", "_idx", "_content", "_docsize", "_config")
FTS_TABLES = frozenset(
    table + suffix for table in (FTS_TABLE, BIGRAM_TABLE) for suffix in FTS_SHADOW_SUFFIXES
)


def _ours(op: ops.MigrateOperation) -> bool:
    if isinstance(op, ops.DropTableOp):
        return op.table_name in FTS_TABLES
    if isinstance(op, ops.DropIndexOp):
        return op.index_name in (TRGM_INDEX, BIGRAM_INDEX)
    return False


def _prune(container: Any) -> None:
    kept = []
    for op in container.ops:
        if isinstance(op, ops.ModifyTableOps):
            _prune(op)
            if not op.ops:
                continue
        if not _ours(op):
            kept.append(op)
    container.ops = kept


@comparators.dispatch_for("schema", priority=DispatchPriority.LAST)
def _hide_search_indexes(
    autogen_context: Any, upgrade_ops: ops.UpgradeOps, schemas: Any
) -> PriorityDispatchResult:
    _prune(upgrade_ops)
    return PriorityDispatchResult.CONTINUE
