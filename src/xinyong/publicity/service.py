"""Reads for the public website and the public API: credit files (信用档案), search
results with their counts, the latest decisions and the published lists.

Every query filters with ``records.service.published_clause``: a record the
publication state machine has not put in 公示中, or whose period has ended, never
reaches a public surface, even before the sweep has run. Every value shown goes
through ``publicity.rules`` (catalog ``public`` flags and masks).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.accounts.models import Organisation
from xinyong.cases.views import case_marks
from xinyong.catalog.loader import Catalog
from xinyong.catalog.schema import CatalogItem
from xinyong.codes.rules import district_name, normalize_code
from xinyong.errors import NotFound, ValidationFailed
from xinyong.lists.rules import basis_text
from xinyong.lists.service import current_entries
from xinyong.measures.loader import MeasureBook
from xinyong.measures.schema import LIST_KIND_LABELS
from xinyong.publicity.rules import (
    EMPTY_TEXT,
    LIST_ITEM,
    PENDING_SECTIONS,
    REGISTRATION_ITEM,
    PublicField,
    SubjectFacts,
    record_fields,
    section_order,
    section_title,
    subject_facts,
)
from xinyong.records.models import CreditRecord
from xinyong.records.service import published_clause
from xinyong.search.rules import USCC_PATTERN
from xinyong.search.service import SearchHit, SearchPage, search_subjects
from xinyong.subjects.models import Subject
from xinyong.subjects.rules import SubjectKind

# Name searches on the public site find organisations and individual businesses; a
# natural person's file is reached only from one of their published decisions.
PUBLIC_SEARCH_EXCLUDES = (SubjectKind.natural_person.value,)
MAX_RECORDS_PER_FILE = 500  # a file longer than this says so and links the list pages
LIST_PER_PAGE = 20
LIST_MAX_PAGE = 50  # list pages stop here: filters narrow the list instead


@dataclass(frozen=True)
class PublicRecord:
    """A published record as the public sees it."""

    id: uuid.UUID
    item_code: str
    item_name: str
    doc_number: str
    decision_date: dt.date
    authority: str | None
    subject_name: str | None
    publication_end: dt.date | None
    earliest_repair: dt.date | None
    repairable: bool | None
    severity: str | None
    fields: list[PublicField]
    subject_id: uuid.UUID
    mark: str | None = None  # 异议处理中 / 复议/诉讼中 while an accepted objection is open

    def value(self, code: str) -> str | None:
        for f in self.fields:
            if f.code == code:
                return f.value
        return None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "item": self.item_code,
            "item_name": self.item_name,
            "subject": str(self.subject_id),
            "decision_date": self.decision_date.isoformat(),
            "publication_end": self.publication_end.isoformat() if self.publication_end else None,
            "fields": {f.code: f.raw for f in self.fields},
        }
        if self.repairable is not None:
            data["repair"] = {
                "repairable": self.repairable,
                "earliest": self.earliest_repair.isoformat() if self.earliest_repair else None,
            }
        if self.mark:
            data["mark"] = self.mark
        return data


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    records: list[PublicRecord]
    available: bool = True  # False: the capability does not exist yet
    empty_text: str = EMPTY_TEXT


@dataclass(frozen=True)
class PublicListing:
    """A list entry in force as the public sees it (名单信息; organisations only)."""

    list_name: str
    list_kind: str
    authority: str  # 认定单位
    doc_number: str
    listed_on: dt.date
    expires_on: dt.date | None
    legal_basis: str
    exit_conditions: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "list_name": self.list_name,
            "list_kind": self.list_kind,
            "authority": self.authority,
            "doc_number": self.doc_number,
            "listed_on": self.listed_on.isoformat(),
            "expires_on": self.expires_on.isoformat() if self.expires_on else None,
            "legal_basis": self.legal_basis,
            "exit_conditions": self.exit_conditions,
        }


@dataclass(frozen=True)
class CreditFile:
    """One subject's credit file (信用档案)."""

    id: uuid.UUID
    subject: SubjectFacts
    sections: list[Section]
    truncated: bool
    today: dt.date
    listings: list[PublicListing] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "subject": self.subject.as_dict(),
            "as_of": self.today.isoformat(),
            "truncated": self.truncated,
            "sections": {
                s.key: {
                    "title": s.title,
                    "records": [r.as_dict() for r in s.records],
                    **({} if s.records else {"note": s.empty_text}),
                }
                for s in self.sections
            },
            "listings": [x.as_dict() for x in self.listings],
        }


@dataclass(frozen=True)
class PublicHit:
    """A search hit with what the result list shows beside the name."""

    hit: SearchHit
    status: str | None
    district_name: str | None
    published: int

    def as_dict(self) -> dict[str, Any]:
        h = self.hit
        return {
            "id": str(h.id),
            "name": h.name,
            "uscc": h.uscc,
            "kind": h.kind,
            "district": h.district,
            "district_name": self.district_name,
            "status": self.status,
            "published_records": self.published,
            "match": h.match,
        }


@dataclass(frozen=True)
class PublicSearch:
    query: str
    page: SearchPage
    hits: list[PublicHit]

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "page": self.page.page,
            "has_more": self.page.has_more,
            "total": self.page.total,
            "total_over": self.page.total_over,
            "items": [h.as_dict() for h in self.hits],
        }


def search(session: Session, query: str, *, today: dt.date, page: int = 1) -> PublicSearch:
    """One page of the public search: subjects (no natural persons by name) with
    their registration status and number of published records."""
    found = search_subjects(session, query, page=page, exclude_kinds=PUBLIC_SEARCH_EXCLUDES)
    ids = [h.id for h in found.items]
    counts: dict[uuid.UUID, int] = {}
    if ids:
        rows = session.execute(
            select(CreditRecord.subject_id, func.count())
            .where(
                CreditRecord.subject_id.in_(ids),
                CreditRecord.item_code != REGISTRATION_ITEM,
                published_clause(today),
            )
            .group_by(CreditRecord.subject_id)
        ).all()
        counts = {r[0]: r[1] for r in rows}
    hits = [
        PublicHit(h, h.status, district_name(h.district), counts.get(h.id, 0)) for h in found.items
    ]
    return PublicSearch(query, found, hits)


def find_subject(session: Session, code: str) -> Subject:
    """The subject a public URL names: a USCC, a 15-digit registration number or the
    subject's id. NotFound (Chinese) otherwise."""
    text = code.strip()
    subject: Subject | None = None
    try:
        subject = session.get(Subject, uuid.UUID(text))
    except ValueError:
        norm = normalize_code(text)
        if USCC_PATTERN.fullmatch(norm):
            subject = session.execute(select(Subject).where(Subject.uscc == norm)).scalar()
        elif len(norm) == 15 and norm.isdigit():
            subject = session.execute(
                select(Subject).where(Subject.regno == norm).order_by(Subject.created_at).limit(1)
            ).scalar()
    if subject is None:
        raise NotFound("未找到该信用主体，请核对统一社会信用代码", f"no subject {code!r}")
    return subject


def _public_record(item: CatalogItem, record: CreditRecord) -> PublicRecord:
    fields = record_fields(item, record.values, record.masked)
    by_code = {f.code: f.value for f in fields}
    name_code = item.subject_fields.get("name")
    return PublicRecord(
        id=record.id,
        item_code=item.code,
        item_name=item.name,
        doc_number=record.doc_number,
        decision_date=record.decision_date,
        authority=by_code.get(item.authority_name_field or ""),
        subject_name=by_code.get(name_code or ""),
        publication_end=record.auto_withdraw,
        earliest_repair=record.earliest_repair,
        repairable=record.repairable if item.rule_family == "penalty" else None,
        severity=record.severity,
        fields=fields,
        subject_id=record.subject_id,
    )


def public_listings(
    session: Session, measures: MeasureBook, subject: Subject, today: dt.date
) -> list[PublicListing]:
    """The list entries in force of an organisation, with the list's basis and exit
    conditions; never a natural person's (the catalog publishes only their records)."""
    if subject.kind == SubjectKind.natural_person:
        return []
    entries = current_entries(session, [subject.id], today).get(subject.id, [])
    orgs = {
        o.id: o.name
        for o in session.execute(
            select(Organisation).where(Organisation.id.in_({e.org_id for e in entries}))
        ).scalars()
    }
    shown: list[PublicListing] = []
    for e in entries:
        ld = measures.lists.get(e.list_code)
        if ld is None or e.listed_on is None:
            continue  # a list no longer defined: nothing to cite, never shown
        shown.append(
            PublicListing(
                list_name=ld.name,
                list_kind=LIST_KIND_LABELS[ld.kind],
                authority=orgs.get(e.org_id, ld.authority),
                doc_number=e.doc_number,
                listed_on=e.listed_on,
                expires_on=e.expires_on,
                legal_basis=basis_text(ld.legal_basis),
                exit_conditions=ld.exit_conditions,
            )
        )
    return shown


def credit_file(
    session: Session,
    catalog: Catalog,
    code: str,
    *,
    today: dt.date,
    measures: MeasureBook | None = None,
) -> CreditFile:
    """The credit file of the subject ``code`` names, as of ``today``; with
    ``measures``, also the list entries in force (名单信息, organisations only)."""
    subject = find_subject(session, code)
    rows = (
        session.execute(
            select(CreditRecord)
            .where(CreditRecord.subject_id == subject.id, published_clause(today))
            .order_by(CreditRecord.decision_date.desc(), CreditRecord.id)
            .limit(MAX_RECORDS_PER_FILE + 1)
        )
        .scalars()
        .all()
    )
    truncated = len(rows) > MAX_RECORDS_PER_FILE
    by_item: dict[str, list[PublicRecord]] = {}
    for record in rows[:MAX_RECORDS_PER_FILE]:
        item = catalog.items.get(record.item_code)
        if item is None or item.disclosure != "public":
            continue  # an item no longer public in the catalog in force: never shown
        by_item.setdefault(item.code, []).append(_public_record(item, record))
    marks = case_marks(session, [r.id for recs in by_item.values() for r in recs])
    if marks:
        by_item = {k: [replace(r, mark=marks.get(r.id)) for r in v] for k, v in by_item.items()}
    if subject.kind == SubjectKind.natural_person and not any(
        code != REGISTRATION_ITEM for code in by_item
    ):
        # A person with nothing published has no public file: answering "no
        # information" would confirm the person is in the register.
        raise NotFound("未找到该信用主体", "natural person without published records")
    facts = subject_facts(
        subject,
        catalog.items.get(REGISTRATION_ITEM),
        kind=subject.kind,
        masked_id=subject.id_masked,
    )
    if subject.kind == SubjectKind.natural_person:
        # The name as the catalog publishes it: from the person's latest record.
        shown = next((r.subject_name for recs in by_item.values() for r in recs), None)
        facts = replace(facts, name=shown or facts.name)
    items = section_order(list(catalog.items.values()))
    sections = [Section(i.code, section_title(i), by_item.get(i.code, [])) for i in items]
    sections += [Section(key, title, [], available=False) for key, title in PENDING_SECTIONS]
    listings = public_listings(session, measures, subject, today) if measures else []
    return CreditFile(subject.id, facts, sections, truncated, today, listings)


def latest_published(
    session: Session, catalog: Catalog, item_code: str, *, today: dt.date, limit: int = 6
) -> list[PublicRecord]:
    """The most recent published decisions of one item (home page)."""
    item = catalog.item(item_code)
    if item.disclosure != "public":
        return []
    rows = (
        session.execute(
            select(CreditRecord)
            .where(CreditRecord.item_code == item.code, published_clause(today))
            .order_by(CreditRecord.decision_date.desc(), CreditRecord.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    return [_public_record(item, r) for r in rows]


@dataclass(frozen=True)
class ListPage:
    item: CatalogItem
    records: list[PublicRecord]
    page: int
    has_more: bool
    district: str | None
    industry: str | None
    filters: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "item": self.item.code,
            "item_name": self.item.name,
            "page": self.page,
            "has_more": self.has_more,
            "items": [r.as_dict() for r in self.records],
        }


def public_items(catalog: Catalog) -> list[CatalogItem]:
    """The items with a public list page, in credit-file order."""
    return section_order(list(catalog.items.values()))


def public_item(catalog: Catalog, item_code: str) -> CatalogItem:
    """A public item other than registration, or NotFound."""
    item = catalog.items.get(item_code)
    if item is None or item.disclosure != "public" or item.code == REGISTRATION_ITEM:
        raise NotFound("没有这个公示栏目", f"no public list {item_code!r}")
    return item


def list_published(
    session: Session,
    catalog: Catalog,
    item_code: str,
    *,
    today: dt.date,
    page: int = 1,
    district: str | None = None,
    industry: str | None = None,
) -> ListPage:
    """One page of an item's published records, newest first, filtered by the
    subject's district and industry; pages stop at ``LIST_MAX_PAGE``."""
    item = public_item(catalog, item_code)
    if page < 1:
        raise ValidationFailed.one("page", "页码应从 1 开始", "page must be at least 1")
    if page > LIST_MAX_PAGE:
        raise ValidationFailed.one(
            "page",
            f"最多翻到第 {LIST_MAX_PAGE} 页，请按区域或行业筛选",
            f"list pages stop at page {LIST_MAX_PAGE}",
        )
    stmt = select(CreditRecord).where(CreditRecord.item_code == item.code, published_clause(today))
    if district or industry:
        stmt = stmt.join(Subject, Subject.id == CreditRecord.subject_id)
        if district:
            stmt = stmt.where(Subject.district == district)
        if industry:
            stmt = stmt.where(Subject.industry == industry)
    rows = (
        session.execute(
            stmt.order_by(CreditRecord.decision_date.desc(), CreditRecord.id)
            .offset((page - 1) * LIST_PER_PAGE)
            .limit(LIST_PER_PAGE + 1)
        )
        .scalars()
        .all()
    )
    records = [_public_record(item, r) for r in rows[:LIST_PER_PAGE]]
    return ListPage(item, records, page, len(rows) > LIST_PER_PAGE, district, industry)


__all__ = [
    "LIST_ITEM",
    "CreditFile",
    "PublicRecord",
    "credit_file",
    "latest_published",
    "list_published",
    "search",
]
