"""The bulk generator of benchmark data (xinyong.demo.bulk), on SQLite and PostgreSQL:
its records would pass the catalog, personal data is only sealed, every subject is
searchable, and the counts are what was asked for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.conftest import create_schema
from xinyong.catalog.loader import Catalog, load_catalog
from xinyong.catalog.rules import open_personal, validate_values
from xinyong.config import Settings
from xinyong.db import make_engine
from xinyong.demo.bulk import BulkResult, bulk_generate, subject_at
from xinyong.privacy.crypto import DataVault
from xinyong.records.loader import cached_code_checkers
from xinyong.records.models import CreditRecord
from xinyong.records.service import published_clause
from xinyong.rulesets.loader import load_rulesets
from xinyong.search.service import search_subjects
from xinyong.subjects.models import Subject
from xinyong.subjects.rules import SubjectKind
from xinyong.subjects.service import find_by_code

SUBJECTS = 300
RECORDS = 900
SEED = 11
TODAY = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def bulk_vault() -> DataVault:
    return DataVault.from_settings(
        Settings(environment="test", data_key="bulk-test-data-key-0123456789abcdef")
    )


@pytest.fixture(scope="module")
def generated(
    fresh_database_url: str, catalog: Catalog, bulk_vault: DataVault
) -> Iterator[tuple[Engine, BulkResult]]:
    engine = make_engine(fresh_database_url)
    create_schema(engine)
    result = bulk_generate(
        engine,
        subjects=SUBJECTS,
        records=RECORDS,
        seed=SEED,
        vault=bulk_vault,
        catalog=catalog,
        rulebook=load_rulesets(),
        today=TODAY,
        chunk=250,  # several chunks, as a large load writes them
    )
    yield engine, result
    engine.dispose()


@pytest.fixture
def bulk_session(generated: tuple[Engine, BulkResult]) -> Iterator[Session]:
    with Session(generated[0]) as session:
        yield session


def test_counts_match_what_was_asked(
    generated: tuple[Engine, BulkResult], bulk_session: Session
) -> None:
    _, result = generated
    assert result.subjects == SUBJECTS
    assert result.total_records == RECORDS
    assert bulk_session.scalar(select(func.count()).select_from(Subject)) == SUBJECTS
    stored = dict(
        bulk_session.execute(
            select(CreditRecord.item_code, func.count()).group_by(CreditRecord.item_code)
        ).all()
    )
    assert stored == result.records
    # The mix: licences first, then penalties, then the other public items.
    assert stored["xzxk"] > stored["xzcf"] > stored["xzqr"] > 0
    assert stored["xzjl"] > 0


def test_every_record_is_published_today(bulk_session: Session) -> None:
    published = bulk_session.scalar(
        select(func.count()).select_from(CreditRecord).where(published_clause(TODAY))
    )
    assert published == RECORDS
    penalties = bulk_session.scalars(
        select(CreditRecord).where(CreditRecord.item_code == "xzcf")
    ).all()
    assert all(r.rule_set_id and r.auto_withdraw and r.auto_withdraw > TODAY for r in penalties)


def test_records_pass_the_catalog_validation_of_their_item(
    bulk_session: Session, catalog: Catalog, bulk_vault: DataVault
) -> None:
    checkers = cached_code_checkers(bulk_session)
    records = bulk_session.scalars(select(CreditRecord)).all()
    for record in records:
        item = catalog.item(record.item_code)
        values = open_personal(item, record.sealed, bulk_vault, clear=record.values)
        checked = validate_values(item, values, today=TODAY, code_checker=checkers)
        assert checked.ok, (record.item_code, checked.errors)
        assert record.doc_number == values[item.key_fields[1]]
        assert record.decision_date == values[item.decision_date_field]


def test_personal_values_are_never_stored_in_clear(
    bulk_session: Session, catalog: Catalog, bulk_vault: DataVault
) -> None:
    persons = [subject_at(SEED, i) for i in range(SUBJECTS)]
    persons = [p for p in persons if p.kind is SubjectKind.natural_person]
    assert persons, "the sample should hold natural persons"
    records = bulk_session.scalars(
        select(CreditRecord).where(CreditRecord.subject_id.in_([p.id for p in persons]))
    ).all()
    assert records, "natural persons should have penalties"
    for record in records:
        item = catalog.item(record.item_code)
        name_field = item.subject_fields["name"]
        id_field = item.subject_fields["id_number"]
        assert name_field not in record.values and id_field not in record.values
        assert set(record.sealed) >= {name_field, id_field}
        opened = open_personal(item, record.sealed, bulk_vault)
        assert opened[id_field] not in orjson.dumps(record.values).decode()
        assert record.masked[id_field] != opened[id_field]
    for person in persons:
        assert person.id_number
        subject = bulk_session.get(Subject, person.id)
        assert subject is not None
        assert subject.id_masked and subject.id_masked != person.id_number
        assert person.id_number not in (subject.id_sealed or "")
        assert bulk_vault.unseal(subject.id_sealed or "") == person.id_number
        found = find_by_code(bulk_session, vault=bulk_vault, code=person.id_number)
        assert found is not None and found.id == person.id


def test_every_subject_is_found_by_its_code(bulk_session: Session) -> None:
    firms = [subject_at(SEED, i) for i in range(SUBJECTS)]
    firms = [s for s in firms if s.uscc]
    kinds = {s.kind for s in firms}
    assert SubjectKind.individual_business in kinds and SubjectKind.legal_person in kinds
    for firm in firms:
        page = search_subjects(bulk_session, str(firm.uscc))
        assert [hit.id for hit in page.items] == [firm.id]
        assert page.items[0].name == firm.name


def test_subjects_are_found_by_a_name_fragment(bulk_session: Session) -> None:
    firm = next(s for s in (subject_at(SEED, i) for i in range(SUBJECTS)) if s.uscc)
    fragment = firm.name[-8:-3]  # brand, industry word: through the trigram index
    page = search_subjects(bulk_session, fragment, per_page=50)
    assert firm.id in {hit.id for hit in page.items}
