"""The platform's long-lived parts, built once per process from the settings.

The CLI and the web app both hold one ``Runtime``: engine and session factory, the
personal-data vault, the loaded catalog and rule sets.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from xinyong.catalog.loader import Catalog, load_catalog
from xinyong.config import Settings
from xinyong.db import check_postgres_trigram, engine_from_settings, import_models, session_factory
from xinyong.measures.loader import MeasureBook, load_measures
from xinyong.privacy.crypto import DataVault
from xinyong.rulesets.loader import RuleBook, load_rulesets
from xinyong.screening.hooks import BOOK as measure_book_key
from xinyong.screening.hooks import CATALOG as catalog_key

if TYPE_CHECKING:
    from xinyong.cases.context import CaseContext

log = logging.getLogger("xinyong")


@dataclass
class Runtime:
    settings: Settings
    engine: Engine

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        import_models()
        return cls(settings=settings, engine=engine_from_settings(settings))

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        factory = session_factory(self.engine)
        # Screening: subjects whose records or list entries change are recomputed
        # before each commit (xinyong.screening.hooks), with this measure book.
        factory.kw["info"] = {
            **factory.kw.get("info", {}),
            measure_book_key: lambda: self.measures,
            catalog_key: lambda: self.catalog,
        }
        return factory

    @cached_property
    def vault(self) -> DataVault:
        return DataVault.from_settings(self.settings)

    @cached_property
    def catalog(self) -> Catalog:
        return load_catalog(self.settings.catalog_extra)

    @cached_property
    def rulebook(self) -> RuleBook:
        return load_rulesets(self.settings.rulesets_extra)

    @cached_property
    def measures(self) -> MeasureBook:
        return load_measures(self.catalog.items, self.settings.measures_extra)

    def case_context(self, session: Session, today: dt.date) -> CaseContext:
        """What case handling needs (objections, repair), for one request or job."""
        from xinyong.cases.context import CaseContext
        from xinyong.workdays.service import load_calendar

        return CaseContext(
            self.settings,
            self.catalog,
            self.rulebook,
            self.vault,
            load_calendar(session),
            today,
            self.measures,
        )

    def check_database(self) -> None:
        """Start-up checks that must fail loudly (e.g. a PostgreSQL locale that drops Chinese)."""
        check_postgres_trigram(self.engine)
