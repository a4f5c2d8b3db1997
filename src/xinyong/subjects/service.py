"""Finding, creating and updating credit subjects; staff reads of personal identifiers."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts.rules import require_role
from xinyong.actors import Actor
from xinyong.audit.service import EventDraft, record_event, record_events
from xinyong.codes.rules import CodeCheck, check_code, normalize_code, ric15_to_ric
from xinyong.db import new_id, one_of
from xinyong.errors import NotFound, Problem, ValidationFailed
from xinyong.privacy.crypto import DataVault
from xinyong.privacy.masking import ID_NUMBER
from xinyong.subjects.models import Subject, SubjectAlias
from xinyong.subjects.rules import (
    CATEGORY_TO_KIND,
    SubjectKind,
    clean_display_name,
    kind_from_uscc,
    normalize_name,
)

# Public attributes of a subject that registration data may set.
_REGISTRATION_ATTRS = (
    "name",
    "district",
    "industry",
    "status",
    "legal_rep",
    "registered_capital",
    "capital_currency",
    "registered_on",
    "address",
    "business_scope",
)


@dataclass
class SubjectFacts:
    """What a report says about its subject; any identifier may be missing."""

    name: str
    category: str | None = None  # 行政相对人类别
    uscc: str | None = None
    regno: str | None = None
    org_code: str | None = None
    id_number: str | None = None
    district: str | None = None
    industry: str | None = None
    status: str | None = None
    legal_rep: str | None = None
    registered_capital: Decimal | None = None
    capital_currency: str | None = None
    registered_on: dt.date | None = None
    address: str | None = None
    business_scope: str | None = None


def snapshot(subject: Subject) -> dict[str, Any]:
    """The audited state of a subject: public attributes only, never the sealed ID."""
    return {
        "kind": subject.kind,
        "uscc": subject.uscc,
        "regno": subject.regno,
        "id_masked": subject.id_masked,
        **{attr: getattr(subject, attr) for attr in _REGISTRATION_ATTRS},
    }


def person_key(id_number: str) -> str:
    """The form of an ID number that is hashed for lookup: 15-digit legacy numbers are
    converted to 18 digits, so one person is one subject whichever form was reported."""
    norm = normalize_code(id_number)
    return ric15_to_ric(norm) if len(norm) == 15 and norm.isdigit() else norm


def find_by_code(session: Session, *, vault: DataVault, code: str) -> Subject | None:
    """The subject identified by a USCC, registration number, organisation code or ID number."""
    norm = normalize_code(code)
    kind = check_code(norm).kind
    if kind == "uscc":
        return session.execute(select(Subject).where(Subject.uscc == norm)).scalar_one_or_none()
    if kind in ("ric", "ric15"):
        return session.execute(
            select(Subject).where(Subject.id_hash == vault.lookup_hash("ric", person_key(norm)))
        ).scalar_one_or_none()
    if kind == "regno":
        return session.execute(select(Subject).where(Subject.regno == norm)).scalars().first()
    if kind == "org_code":
        return (
            session.execute(select(Subject).where(Subject.org_code == norm.replace("-", "")))
            .scalars()
            .first()
        )
    return None


def get_subject(session: Session, subject_id: uuid.UUID) -> Subject:
    subject = session.get(Subject, subject_id)
    if subject is None:
        raise NotFound("未找到该信用主体", f"subject {subject_id} not found")
    return subject


def _checked(code: str | None, field: str, problems: list[Problem]) -> CodeCheck | None:
    if not code:
        return None
    result = check_code(code)
    for p in result.errors:
        problems.append(Problem(field, p.reason, p.reason_en, "error"))
    for p in result.warnings:
        problems.append(Problem(field, p.reason, p.reason_en, "warning"))
    return result


def _kind_for(facts: SubjectFacts, uscc: str | None) -> SubjectKind:
    if facts.category in CATEGORY_TO_KIND:
        by_category = CATEGORY_TO_KIND[facts.category]
        if by_category is not SubjectKind.legal_person or not uscc:
            return by_category
    if uscc:
        return kind_from_uscc(uscc)
    if facts.id_number:
        return SubjectKind.natural_person
    return SubjectKind.legal_person


def _lookup_keys(
    facts: SubjectFacts, vault: DataVault
) -> tuple[str | None, str | None, str | None]:
    uscc = normalize_code(facts.uscc) if facts.uscc else None
    id_number = normalize_code(facts.id_number) if facts.id_number else None
    regno = normalize_code(facts.regno) if facts.regno else None
    id_hash = vault.lookup_hash("ric", person_key(id_number)) if id_number else None
    return uscc, id_hash, regno


def _new_attrs(
    facts: SubjectFacts, kind: SubjectKind, name: str, uscc: str | None
) -> dict[str, Any]:
    """The registered attributes these facts give a subject."""
    new_attrs: dict[str, Any] = {
        f.name: getattr(facts, f.name)
        for f in fields(facts)
        if f.name in _REGISTRATION_ATTRS and getattr(facts, f.name) not in (None, "")
    }
    new_attrs["name"] = name
    if kind is SubjectKind.natural_person:
        # No addresses of persons are kept (RULES.md §11).
        new_attrs.pop("address", None)
    if "district" not in new_attrs and uscc and uscc[2:8].isdigit():
        new_attrs["district"] = uscc[2:8]
    return new_attrs


@dataclass(frozen=True)
class KnownSubject:
    """What bulk loading remembers of a subject between batches: enough to see that a
    report changes nothing about it (same name, no attribute it would fill)."""

    id: uuid.UUID
    name_norm: str
    filled: frozenset[str]


KNOWN_LIMIT = 300_000  # remembered subjects; the memory stays bounded on huge loads


class SubjectRegister:
    """Finds, creates and updates subjects for many reports at once (bulk collection).

    Subjects are looked up in memory after ``preload`` fetched those a batch names, new
    subjects get their id at once (no flush per subject), and audit events are kept as
    drafts until ``flush`` writes them with the new subjects in one go.
    """

    def __init__(
        self,
        session: Session,
        *,
        actor: Actor,
        vault: DataVault,
        known: dict[str, KnownSubject] | None = None,
    ) -> None:
        self.session = session
        self.known: dict[str, KnownSubject] = known if known is not None else {}
        self.actor = actor
        self.vault = vault
        self.by_uscc: dict[str, Subject] = {}
        self.by_id_hash: dict[str, Subject] = {}
        self.by_regno: dict[str, Subject] = {}
        self.loaded_uscc: set[str] = set()
        self.loaded_id_hash: set[str] = set()
        self.loaded_regno: set[str] = set()
        self.drafts: list[EventDraft] = []
        self.created = 0
        self._aliases_seen: set[tuple[uuid.UUID, str, uuid.UUID | None]] = set()

    def _remember(self, subject: Subject) -> None:
        if subject.uscc:
            self.by_uscc[subject.uscc] = subject
        if subject.id_hash:
            self.by_id_hash[subject.id_hash] = subject
        if subject.regno:
            self.by_regno.setdefault(subject.regno, subject)

    def preload(self, many: list[SubjectFacts], *, skip_known: bool = False) -> None:
        """Fetch, in a few queries, the existing subjects that ``many`` name (with
        ``skip_known``, not those ``resolve_id`` can answer from memory)."""
        usccs: set[str] = set()
        hashes: set[str] = set()
        regnos: set[str] = set()
        for facts in many:
            uscc, id_hash, regno = _lookup_keys(facts, self.vault)
            if skip_known and self._known(uscc, id_hash, regno) is not None:
                continue
            if uscc and uscc not in self.loaded_uscc:
                usccs.add(uscc)
            if id_hash and id_hash not in self.loaded_id_hash:
                hashes.add(id_hash)
            if regno and regno not in self.loaded_regno:
                regnos.add(regno)
        for column, keys in (
            (Subject.uscc, usccs),
            (Subject.id_hash, hashes),
            (Subject.regno, regnos),
        ):
            ordered = sorted(keys)
            for start in range(0, len(ordered), 1000):
                chunk = ordered[start : start + 1000]
                for subject in self.session.execute(
                    select(Subject).where(one_of(self.session, column, chunk))
                ).scalars():
                    self._remember(subject)
        self.loaded_uscc |= usccs
        self.loaded_id_hash |= hashes
        self.loaded_regno |= regnos

    def _find(self, uscc: str | None, id_hash: str | None, regno: str | None) -> Subject | None:
        subject: Subject | None = None
        if uscc:
            subject = self.by_uscc.get(uscc)
            if subject is None and uscc not in self.loaded_uscc:
                subject = self.session.execute(
                    select(Subject).where(Subject.uscc == uscc)
                ).scalar_one_or_none()
        if subject is None and id_hash:
            subject = self.by_id_hash.get(id_hash)
            if subject is None and id_hash not in self.loaded_id_hash:
                subject = self.session.execute(
                    select(Subject).where(Subject.id_hash == id_hash)
                ).scalar_one_or_none()
        if subject is None and regno:
            subject = self.by_regno.get(regno)
            if subject is None and regno not in self.loaded_regno:
                subject = (
                    self.session.execute(select(Subject).where(Subject.regno == regno))
                    .scalars()
                    .first()
                )
        if subject is not None:
            self._remember(subject)
        return subject

    def resolve(
        self,
        facts: SubjectFacts,
        *,
        registration: bool = False,
        skip_code_check: bool = False,
        reporter_org: uuid.UUID | None = None,
    ) -> tuple[Subject, list[Problem]]:
        """The subject these facts describe, created if new; warnings are returned.

        Registration data (``registration=True``) is authoritative for the name and the
        registered attributes; other reports only fill gaps and record a different name
        as an alias reported by ``reporter_org``. Codes that fail their checks raise
        ``ValidationFailed``, unless the caller has already checked them
        (``skip_code_check``, e.g. with the legacy exception register).
        """
        problems: list[Problem] = []
        uscc, id_hash, regno = _lookup_keys(facts, self.vault)
        id_number = normalize_code(facts.id_number) if facts.id_number else None
        if not skip_code_check:
            _checked(uscc, "uscc", problems)
            _checked(id_number, "id_number", problems)
            _checked(regno, "regno", problems)
        if any(p.level == "error" for p in problems):
            raise ValidationFailed.from_problems(problems)
        name = clean_display_name(facts.name or "")
        if not name:
            raise ValidationFailed.one("name", "主体名称不能为空", "subject name is empty")
        if not (uscc or id_number or regno or facts.org_code):
            raise ValidationFailed.one(
                "uscc",
                "缺少主体代码：须提供统一社会信用代码、注册号或身份证件号码",
                "no subject identifier: USCC, registration number or ID number needed",
            )

        subject = self._find(uscc, id_hash, regno)
        kind = _kind_for(facts, uscc)
        new_attrs = _new_attrs(facts, kind, name, uscc)

        if subject is None:
            subject = Subject(
                id=new_id(), kind=kind.value, uscc=uscc, regno=regno, name_norm=normalize_name(name)
            )
            if facts.org_code:
                subject.org_code = normalize_code(facts.org_code).replace("-", "")
            elif uscc:
                subject.org_code = uscc[8:17]
            if id_number:
                subject.id_hash = id_hash
                subject.id_sealed = self.vault.seal(id_number)
                subject.id_masked = ID_NUMBER.apply(id_number)
            for attr, value in new_attrs.items():
                setattr(subject, attr, value)
            self.session.add(subject)
            self._remember(subject)
            self.created += 1
            self.drafts.append(
                EventDraft("subject.create", "subject", subject.id, after=snapshot(subject))
            )
            return subject, problems

        before = snapshot(subject)
        changed = False
        if uscc and not subject.uscc:
            subject.uscc, changed = uscc, True
        if regno and not subject.regno:
            subject.regno, changed = regno, True
        for attr, value in new_attrs.items():
            current = getattr(subject, attr)
            if attr == "name":
                if normalize_name(value) != subject.name_norm:
                    if registration:
                        self._add_alias(subject.id, subject.name, "registration", None)
                        subject.name, subject.name_norm = value, normalize_name(value)
                        changed = True
                    else:
                        self._add_alias(subject.id, value, "report", reporter_org)
                continue
            if current != value and (registration or current in (None, "")):
                setattr(subject, attr, value)
                changed = True
        if changed:
            self.drafts.append(
                EventDraft(
                    "subject.update", "subject", subject.id, before=before, after=snapshot(subject)
                )
            )
        return subject, problems

    def _known(
        self, uscc: str | None, id_hash: str | None, regno: str | None
    ) -> KnownSubject | None:
        for key in (uscc and "u:" + uscc, id_hash and "h:" + id_hash, regno and "r:" + regno):
            if key and key in self.known:
                return self.known[key]
        return None

    def _know(self, subject: Subject) -> None:
        if len(self.known) > KNOWN_LIMIT:
            self.known.clear()
        filled = frozenset(
            attr
            for attr in (*_REGISTRATION_ATTRS, "uscc", "regno")
            if getattr(subject, attr) not in (None, "")
        )
        entry = KnownSubject(subject.id, subject.name_norm, filled)
        for key in (
            subject.uscc and "u:" + subject.uscc,
            subject.id_hash and "h:" + subject.id_hash,
            subject.regno and "r:" + subject.regno,
        ):
            if key:
                self.known[key] = entry

    def resolve_id(
        self,
        facts: SubjectFacts,
        *,
        registration: bool = False,
        reporter_org: uuid.UUID | None = None,
    ) -> tuple[uuid.UUID, list[Problem]]:
        """Like ``resolve`` (codes already checked) but answers from memory, without
        loading the subject, when a report changes nothing about a subject seen before:
        the common case of a file naming the same firms again and again."""
        if not registration:
            uscc, id_hash, regno = _lookup_keys(facts, self.vault)
            known = self._known(uscc, id_hash, regno)
            name = clean_display_name(facts.name or "")
            if known is not None and name:
                attrs = _new_attrs(facts, _kind_for(facts, uscc), name, uscc)
                attrs.pop("name")
                if uscc:
                    attrs["uscc"] = uscc
                if regno:
                    attrs["regno"] = regno
                if all(attr in known.filled for attr in attrs):
                    if normalize_name(name) != known.name_norm:
                        self._add_alias(known.id, name, "report", reporter_org)
                    return known.id, []
        subject, problems = self.resolve(
            facts, registration=registration, skip_code_check=True, reporter_org=reporter_org
        )
        self._know(subject)
        return subject.id, problems

    def _add_alias(
        self, subject_id: uuid.UUID, name: str, source: str, org_id: uuid.UUID | None
    ) -> None:
        norm = normalize_name(name)
        key = (subject_id, norm, org_id)
        if key in self._aliases_seen:
            return
        self._aliases_seen.add(key)
        exists = self.session.execute(
            select(SubjectAlias.id).where(
                SubjectAlias.subject_id == subject_id,
                SubjectAlias.name_norm == norm,
                SubjectAlias.org_id.is_(None) if org_id is None else SubjectAlias.org_id == org_id,
            )
        ).first()
        if not exists:
            self.session.add(
                SubjectAlias(
                    subject_id=subject_id, name=name, name_norm=norm, source=source, org_id=org_id
                )
            )

    def flush(self) -> None:
        """Write new and changed subjects and their audit events."""
        self.session.flush()
        record_events(self.session, actor=self.actor, drafts=self.drafts)
        self.drafts = []


def ensure_subject(
    session: Session,
    *,
    actor: Actor,
    vault: DataVault,
    facts: SubjectFacts,
    registration: bool = False,
    skip_code_check: bool = False,
) -> tuple[Subject, list[Problem]]:
    """One subject, found or created (see ``SubjectRegister.resolve``), written at once."""
    register = SubjectRegister(session, actor=actor, vault=vault)
    subject, problems = register.resolve(
        facts, registration=registration, skip_code_check=skip_code_check, reporter_org=actor.org_id
    )
    register.flush()
    return subject, problems


def reveal_id_number(
    session: Session, *, actor: Actor, vault: DataVault, subject_id: uuid.UUID, purpose: str
) -> str:
    """A natural person's ID number in clear, for staff with a stated purpose; audited."""
    require_role(actor, "office_admin", "office_staff", "auditor")
    if not purpose.strip():
        raise ValidationFailed.one(
            "purpose", "查看个人信息须说明用途", "a purpose is required to read personal data"
        )
    subject = get_subject(session, subject_id)
    if not subject.id_sealed:
        raise NotFound("该主体没有登记身份证件号码", "subject has no sealed ID number")
    value = vault.unseal(subject.id_sealed)
    record_event(
        session,
        actor=actor,
        action="personal_data.read",
        entity_type="subject",
        entity_id=subject.id,
        after={"field": "id_number"},
        reason=purpose,
    )
    return value
