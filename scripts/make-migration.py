"""Autogenerate an Alembic revision against a scratch SQLite database at head.

Usage: .venv/bin/python scripts/make-migration.py "message"
"""

from __future__ import annotations

import sys
import tempfile

from alembic import command

from xinyong.db import make_engine
from xinyong.schema import alembic_config

with tempfile.TemporaryDirectory() as tmp:
    engine = make_engine(f"sqlite:///{tmp}/scratch.db")
    cfg = alembic_config(engine)
    command.upgrade(cfg, "head")
    command.revision(cfg, message=sys.argv[1], autogenerate=True)
