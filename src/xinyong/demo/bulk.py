"""A fast generator of large synthetic data sets (benchmarks: a million subjects and
millions of published records in minutes, not hours).

``demo.generator`` sends every report through the real pipeline, which is right for
``make demo`` and far too slow for millions of rows. This module writes the same kind
of data straight into the tables, the way ``records.loader`` stores it:

- subjects with valid codes (computed check characters) and registration attributes;
  natural persons only sealed, hashed and masked, as ``SubjectRegister`` keeps them;
- credit records whose values passed the catalog validation of their item: each
  distinct set of fixed values (a *template*: item, department, subject category,
  act, severity …) is validated once, and records vary the subject, document number
  and dates; personal values are sealed and masked per record by the catalog's rules;
  periods come from the rule book (``compute_periods``), and decision dates are drawn
  so that every record is in publication (``published``) today;
- PostgreSQL: COPY; SQLite: executemany, one transaction per chunk (the FTS5 triggers
  on ``subject`` keep the search index). ANALYZE at the end.

Subjects are a pure function of (seed, index), so records can name any subject
without keeping a million of them in memory; rows are streamed in chunks.
Per-record audit events are not written (one ``demo.bulk_generate`` event records the
load): the audit chain stays valid.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

import orjson
from sqlalchemy import insert, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from xinyong.accounts.models import Organisation
from xinyong.accounts.service import create_organisation
from xinyong.actors import Actor
from xinyong.audit.service import record_event
from xinyong.catalog.loader import Catalog, CatalogItem
from xinyong.catalog.rules import seal_personal, validate_values
from xinyong.codes.rules import org_code_check_char, ric_check_char
from xinyong.db import china_today, session_factory, transaction, utcnow
from xinyong.demo.generator import (
    DEPARTMENTS,
    DISTRICTS,
    GIVEN,
    INDUSTRIES,
    LICENCES,
    OFFICE,
    PENALTIES,
    SURNAMES,
    WORDS,
    make_org_code,
    make_uscc,
)
from xinyong.ingest.models import Submission
from xinyong.privacy.crypto import DataVault
from xinyong.privacy.masking import ID_NUMBER
from xinyong.records.loader import fingerprint
from xinyong.records.models import CreditRecord
from xinyong.records.publication import PublicationState, initial_state
from xinyong.rulesets.loader import RuleBook
from xinyong.rulesets.rules import NO_PERIODS, compute_periods, require_severity
from xinyong.subjects.models import Subject
from xinyong.subjects.rules import SubjectKind, name_bigrams, normalize_name
from xinyong.subjects.service import person_key

T = TypeVar("T")
CHUNK = 50_000
ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters (GB 11714)
_ORG_SPACE = 31**8
# Coprime with 31**8, so index → organisation code is 1:1; large, so codes look random.
_ORG_MULT = 64_213_072_304
_PERSON_DAYS = 40 * 365
_PERSON_SPACE = len(DISTRICTS) * _PERSON_DAYS * 1000
_PERSON_MULT = 7_919  # prime, coprime with the space: index → ID number is 1:1
_DISTRICT_CODES = list(DISTRICTS)
_BORN_FROM = dt.date(1960, 1, 1)
# Share of records per item: licences, penalties, other public items.
ITEM_WEIGHTS = (("xzxk", 55), ("xzcf", 35), ("xzqr", 6), ("xzjl", 4))
CONFIRMATIONS = [("高新技术企业认定", "资格认定"), ("守合同重信用企业公示", "信用确认")]
REWARDS = [("诚信经营示范单位", "授予荣誉称号"), ("安全生产先进单位", "通报表扬")]
_LICENCE_CHOICES = [(sector, *entry) for sector, entries in LICENCES.items() for entry in entries]
_PENALTY_CHOICES = [(sector, act) for sector, acts in PENALTIES.items() for act in acts]
_FINES = ("0.5", "1", "2", "5", "10", "20", "50")
_OTHER_SECTORS = list(LICENCES)


@dataclass(frozen=True)
class FakeSubject:
    """One generated subject; a pure function of (seed, index)."""

    index: int
    id: uuid.UUID
    kind: SubjectKind
    prefix: str  # USCC prefix; "" for natural persons
    name: str
    uscc: str | None
    id_number: str | None
    district: str
    industry: int  # index in INDUSTRIES
    legal_rep: str | None
    registered_on: dt.date
    capital: Decimal | None

    @property
    def category(self) -> str:
        if self.kind is SubjectKind.natural_person:
            return "自然人"
        return "个体工商户" if self.prefix == "92" else "法人及非法人组织"


def _org_code(index: int) -> str:
    n = (index * _ORG_MULT + 12_345) % _ORG_SPACE
    body = ""
    for _ in range(8):
        n, digit = divmod(n, 31)
        body += ORG_ALPHABET[digit]
    return body + org_code_check_char(body)


def _id_number(index: int) -> str:
    n = (index * _PERSON_MULT + 4_321) % _PERSON_SPACE
    n, district = divmod(n, len(DISTRICTS))
    seq, day = divmod(n, _PERSON_DAYS)
    born = _BORN_FROM + dt.timedelta(days=day)
    first17 = f"{_DISTRICT_CODES[district]}{born:%Y%m%d}{seq:03d}"
    return first17 + ric_check_char(first17)


class _Draws:
    """Choices from the bits of one hash: a subject costs one BLAKE2b, not a seeded
    ``random.Random`` (records look subjects up again by index, millions of times)."""

    def __init__(self, bits: int) -> None:
        self.bits = bits

    def below(self, n: int) -> int:
        self.bits, value = divmod(self.bits, n)
        return value

    def pick(self, seq: Sequence[T]) -> T:
        return seq[self.below(len(seq))]

    def sample(self, text: str, k: int) -> str:
        out = ""
        for _ in range(k):
            i = self.below(len(text))
            out += text[i]
            text = text[:i] + text[i + 1 :]
        return out


def _person_name(draw: _Draws) -> str:
    return draw.pick(SURNAMES) + draw.sample(GIVEN, 1 + draw.below(2))


_FORMS_92 = ("商行", "餐馆", "便利店", "五金店")
_FORMS_91 = ("有限公司", "股份有限公司", "有限责任公司")
_CAPITALS = (10, 50, 100, 200, 500, 1000, 5000)
_PREFIX_KIND = {
    "91": SubjectKind.legal_person,
    "92": SubjectKind.individual_business,
    "52": SubjectKind.social_organisation,
    "12": SubjectKind.public_body,
}


def subject_at(seed: int, index: int) -> FakeSubject:
    """The ``index``-th subject of the data set ``seed``: about 5% natural persons, 5%
    individual businesses (USCC prefix 92), a few social organisations and public
    bodies, the rest companies; names from the demo vocabulary."""
    digest = hashlib.blake2b(f"{seed}:{index}".encode(), digest_size=32).digest()
    sid = uuid.UUID(bytes=digest[:16], version=4)
    draw = _Draws(int.from_bytes(digest[16:]))
    district = draw.pick(_DISTRICT_CODES)
    industry = draw.below(len(INDUSTRIES))
    registered = dt.date(2000, 1, 1) + dt.timedelta(days=draw.below(9000))
    roll = draw.below(1000)
    if roll < 50:
        return FakeSubject(
            index,
            sid,
            SubjectKind.natural_person,
            "",
            _person_name(draw),
            None,
            _id_number(index),
            district,
            industry,
            None,
            registered,
            None,
        )
    word = INDUSTRIES[industry][0]
    if roll < 100:
        prefix, form = "92", draw.pick(_FORMS_92)
    elif roll < 115:
        prefix, form = "52", "协会"
    elif roll < 120:
        prefix, form = "12", "中心"
    else:
        prefix, form = "91", draw.pick(_FORMS_91)
    brand = draw.sample(WORDS, 3)
    name = f"厦门市{DISTRICTS[district]}{brand}{word}{form}"
    if prefix == "91" and draw.below(2):
        name = f"厦门{brand}{word}{form}"
    capital = Decimal(draw.pick(_CAPITALS)) if prefix == "91" else None
    return FakeSubject(
        index,
        sid,
        _PREFIX_KIND[prefix],
        prefix,
        name,
        make_uscc(prefix, district, _org_code(index)),
        None,
        district,
        industry,
        _person_name(draw),
        registered,
        capital,
    )


def _address(subject: FakeSubject) -> str:
    street = subject.name[-6:-4]
    return f"厦门市{DISTRICTS[subject.district]}{street}路{subject.index % 300 + 1}号"


def subject_row(subject: FakeSubject, vault: DataVault, now: dt.datetime) -> dict[str, Any]:
    """The ``subject`` row as ``SubjectRegister`` plus registration data would write it."""
    person = subject.kind is SubjectKind.natural_person
    _, sector, scope = INDUSTRIES[subject.industry]
    name_norm = normalize_name(subject.name)
    return {
        "id": subject.id,
        "kind": subject.kind.value,
        "name": subject.name,
        "name_norm": name_norm,
        "name_bigrams": name_bigrams(name_norm),
        "uscc": subject.uscc,
        "regno": None,
        "org_code": subject.uscc[8:17] if subject.uscc else None,
        "id_hash": vault.lookup_hash("ric", person_key(subject.id_number))
        if subject.id_number
        else None,
        "id_sealed": vault.seal(subject.id_number) if subject.id_number else None,
        "id_masked": ID_NUMBER.apply(subject.id_number) if subject.id_number else None,
        "district": subject.district,
        "industry": None if person else sector,
        "status": None if person else "存续",
        "legal_rep": subject.legal_rep,
        "registered_capital": subject.capital,
        "capital_currency": "人民币" if subject.capital is not None else None,
        "registered_on": None if person else subject.registered_on,
        "address": None if person else _address(subject),
        "business_scope": None if person else scope,
        "code_flags": None,
        "created_at": now,
        "updated_at": now,
    }


@dataclass
class _Dept:
    org: Organisation
    sector: str
    submissions: dict[str, uuid.UUID] = field(default_factory=dict)


@dataclass(frozen=True)
class _Template:
    """Validated fixed values of one kind of record."""

    item: CatalogItem
    dept: _Dept
    clear: dict[str, Any]
    masked: dict[str, str]
    sealed: dict[str, str]
    personal: tuple[str, ...]  # variable fields sealed per record (natural persons)
    severity_text: str | None
    penalty_types: tuple[str, ...]


@dataclass
class BulkResult:
    subjects: int
    records: dict[str, int]
    seconds_subjects: float
    seconds_records: float
    seconds_analyze: float
    templates: int

    @property
    def total_records(self) -> int:
        return sum(self.records.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "subjects": self.subjects,
            "records": self.records,
            "seconds_subjects": round(self.seconds_subjects, 1),
            "seconds_records": round(self.seconds_records, 1),
            "seconds_analyze": round(self.seconds_analyze, 1),
            "templates": self.templates,
        }


def _departments(session: Session, actor: Actor, today: dt.date) -> dict[str, _Dept]:
    """The demo city's departments (created if missing) and one submission per item."""
    depts: dict[str, _Dept] = {}
    wanted = [(OFFICE[0], OFFICE[1], "信用", "office"), *[(*d, "department") for d in DEPARTMENTS]]
    for name, body, sector, kind in wanted:
        uscc = make_uscc("11", "350200", make_org_code(body))
        org = session.execute(
            select(Organisation).where(Organisation.uscc == uscc)
        ).scalar_one_or_none()
        if org is None:
            org = create_organisation(
                session,
                actor=actor,
                name=name,
                uscc=uscc,
                kind=kind,
                sector=sector,
                district="350200",
            )
        if kind == "department":
            dept = _Dept(org, sector)
            for item_code, _ in ITEM_WEIGHTS:
                sub = Submission(
                    org_id=org.id,
                    item_code=item_code,
                    channel="cli",
                    actor=f"{name}/bulk",
                    filename="批量演示数据",
                    status="done",
                    received_on=today,
                    rows_report={"rows": []},
                    accepted=0,
                    finished_at=utcnow(),
                )
                session.add(sub)
                session.flush()
                dept.submissions[item_code] = sub.id
            depts[sector] = dept
    return depts


class _Records:
    """Draws records one by one: template, subject, document number, dates."""

    def __init__(
        self,
        *,
        catalog: Catalog,
        rulebook: RuleBook,
        vault: DataVault,
        depts: dict[str, _Dept],
        seed: int,
        subjects: int,
        today: dt.date,
    ) -> None:
        self.catalog, self.rulebook, self.vault = catalog, rulebook, vault
        self.depts = depts
        self.seed, self.subjects, self.today = seed, subjects, today
        self.templates: dict[tuple[Any, ...], _Template] = {}
        self.periods: dict[tuple[Any, ...], tuple[dict[str, Any], bool]] = {}
        self.seq: dict[str, int] = {}
        self.counts: dict[str, int] = {}
        self.by_submission: dict[uuid.UUID, int] = {}
        self.items = [code for code, _ in ITEM_WEIGHTS]
        self.weights = [w for _, w in ITEM_WEIGHTS]
        self.start = today - dt.timedelta(days=3 * 365)
        self.busy = max(1, subjects // 50)  # 2% of subjects get 20% of the records

    def _subject(self, rng: random.Random, *, persons: bool) -> FakeSubject:
        while True:
            busy = rng.random() < 0.2
            index = rng.randrange(self.busy if busy else self.subjects)
            subject = subject_at(self.seed, index)
            if persons or subject.kind is not SubjectKind.natural_person:
                return subject

    def _doc(self, item_code: str, mark: str, day: dt.date) -> tuple[int, str]:
        n = self.seq.get(item_code, 0) + 1
        self.seq[item_code] = n
        return n, f"厦{mark}〔{day.year}〕{n:07d}号"

    def _period_state(self, tpl: _Template, decided: dt.date) -> tuple[dict[str, Any], bool]:
        # As RecordLoader._period_state, with the department's sector.
        item = tpl.item
        if item.rule_family == "none":
            return dict(NO_PERIODS), True
        key = (tpl.severity_text, decided, tpl.penalty_types, tpl.dept.sector)
        cached = self.periods.get(key)
        if cached is None:
            severity = require_severity(tpl.severity_text or item.default_severity or "一般")
            answer = compute_periods(
                self.rulebook,
                family=item.rule_family,
                severity=severity,
                decided=decided,
                sector=tpl.dept.sector,
                penalty_types=list(tpl.penalty_types),
            )
            cached = (answer.record_columns(severity), answer.published)
            self.periods[key] = cached
        return cached

    def _published_day(self, rng: random.Random, tpl: _Template) -> tuple[dt.date, dict[str, Any]]:
        """A decision date whose record is in publication today."""
        span = (self.today - self.start).days
        for attempt in range(8):
            if attempt < 4:
                day = self.start + dt.timedelta(days=rng.randrange(span))
            else:
                day = self.today - dt.timedelta(days=rng.randrange(1, 90))
            state, publishable = self._period_state(tpl, day)
            pub = initial_state(
                tpl.item,
                publication_start=state["publication_start"],
                auto_withdraw=state["auto_withdraw"],
                today=self.today,
                publishable=publishable,
            )
            if pub is PublicationState.published:
                return day, state
        raise RuntimeError(f"no published decision date for template of {tpl.item.code}")

    # --- templates ------------------------------------------------------------------------

    def _raw(
        self, item_code: str, dept: _Dept, subject: FakeSubject, fixed: dict[str, Any]
    ) -> dict[str, Any]:
        """A full row (field codes) for validating a template with a real subject."""
        day = self.today - dt.timedelta(days=30)
        org = dept.org
        prefix = item_code[2:4].upper()
        names = {
            "xzxk": ("XK_XKJG", "XK_XKJGDM", "XK_LYDW", "XK_LYDWDM"),
            "xzcf": ("CF_CFJG", "CF_CFJGDM", "CF_SJLY", "CF_SJLYDM"),
            "xzqr": ("QR_QRJG", "QR_QRJGDM", "QR_SJLY", "QR_SJLYDM"),
            "xzjl": ("JL_JLJG", "JL_JLJGDM", "JL_SJLY", "JL_SJLYDM"),
        }[item_code]
        raw: dict[str, Any] = {
            f"{prefix}_XDR_MC": subject.name,
            f"{prefix}_XDR_LB": subject.category,
            names[0]: org.name,
            names[1]: org.uscc,
            names[2]: org.name,
            names[3]: org.uscc,
        }
        raw.update(self._variable(item_code, subject, "TEMPLATE-1", 1, day))
        raw.update(fixed)
        return raw

    def _variable(
        self, item_code: str, subject: FakeSubject, doc: str, n: int, day: dt.date
    ) -> dict[str, Any]:
        """The values that change from record to record (JSON form)."""
        prefix = item_code[2:4].upper()
        out: dict[str, Any] = {f"{prefix}_XDR_MC": subject.name}
        if subject.kind is SubjectKind.natural_person:
            out[f"{prefix}_XDR_ZJLX"] = "身份证"
            out[f"{prefix}_XDR_ZJHM"] = subject.id_number
        else:
            out[f"{prefix}_XDR_SHXYM"] = subject.uscc
            if subject.legal_rep:
                out[f"{prefix}_FRDB"] = subject.legal_rep
        iso = day.isoformat()
        if item_code == "xzxk":
            end = "2099-12-31" if n % 5 == 0 else (day + dt.timedelta(days=5 * 365)).isoformat()
            out.update({"XK_WSH": doc, "XK_XKBH": f"XK{n:08d}", "XK_JDRQ": iso, "XK_YXQZ": iso})
            out["XK_YXQZI"] = end
        elif item_code == "xzcf":
            end = (day + dt.timedelta(days=365)).isoformat()
            out.update({"CF_WSH": doc, "CF_JDRQ": iso, "CF_YXQ": end})
        elif item_code == "xzqr":
            out.update({"QR_WSH": doc, "QR_JDRQ": iso, "QR_YXQZ": iso})
        else:
            out.update({"JL_WSH": doc, "JL_JDRQ": iso})
        return out

    def _variant(self, rng: random.Random, item_code: str) -> tuple[int, ...]:
        """The fixed values of a record as small numbers (cheap to draw and to key)."""
        if item_code == "xzxk":
            return (rng.randrange(len(_LICENCE_CHOICES)),)
        if item_code == "xzcf":
            serious = rng.random() < 0.15
            return (
                rng.randrange(len(_PENALTY_CHOICES)),
                int(serious),
                int(serious and rng.random() < 0.3),
                rng.randrange(len(_FINES)),
            )
        choices = CONFIRMATIONS if item_code == "xzqr" else REWARDS
        return (rng.randrange(len(_OTHER_SECTORS)), rng.randrange(len(choices)))

    def _fixed(self, item_code: str, variant: tuple[int, ...]) -> tuple[str, dict[str, Any]]:
        """A department (by sector) and the fixed values of one kind of record."""
        if item_code == "xzxk":
            sector, title, kind = _LICENCE_CHOICES[variant[0]]
            return sector, {
                "XK_XKWS": f"准予{title}决定书",
                "XK_XKLB": kind,
                "XK_XKZS": title,
                "XK_NR": f"准予{title}",
                "XK_ZT": "有效",
            }
        if item_code == "xzcf":
            sector, act = _PENALTY_CHOICES[variant[0]]
            severity = "严重" if variant[1] else "一般"
            kinds = ["罚款", "没收违法所得"] if variant[2] else ["罚款"]
            fine = _FINES[variant[3]]
            fixed: dict[str, Any] = {
                "CF_WFXW": act,
                "CF_SY": f"经查，当事人存在{act}的违法行为。",
                "CF_YJ": "《中华人民共和国行政处罚法》及相关法律法规",
                "CF_CFLB": "、".join(kinds),
                "CF_NR": f"罚款人民币{fine}万元",
                "CF_NR_FK": fine,
                "CF_SXYZCD": severity,
            }
            if variant[2]:
                fixed["CF_NR_WFFF"] = "1.2"
            return sector, fixed
        sector = _OTHER_SECTORS[variant[0]]
        if item_code == "xzqr":
            name, kind = CONFIRMATIONS[variant[1]]
            return sector, {"QR_QRLB": kind, "QR_NR": f"经审核，确认{name}"}
        name, kind = REWARDS[variant[1]]
        return sector, {"JL_JLMC": name, "JL_JLLB": kind, "JL_JLNR": f"授予{name}称号"}

    def template(self, rng: random.Random, item_code: str, subject: FakeSubject) -> _Template:
        key = (item_code, subject.category, self._variant(rng, item_code))
        tpl = self.templates.get(key)
        if tpl is not None:
            return tpl
        sector, fixed = self._fixed(item_code, key[2])
        item = self.catalog.item(item_code)
        dept = self.depts[sector]
        raw = self._raw(item_code, dept, subject, fixed)
        checked = validate_values(item, raw, today=self.today)
        if not checked.ok:
            raise ValueError(f"bulk template of {item_code} is invalid: {checked.errors}")
        sealed = seal_personal(item, checked.values, self.vault)
        variable = self._variable(item_code, subject, "x", 1, self.today)
        personal = tuple(code for code in sealed.sealed if code in variable)
        types = checked.values.get(item.penalty_types_field or "", []) or []
        tpl = _Template(
            item=item,
            dept=dept,
            clear={k: v for k, v in sealed.clear.items() if k not in personal},
            masked={k: v for k, v in sealed.masked.items() if k not in personal},
            sealed={k: v for k, v in sealed.sealed.items() if k not in personal},
            personal=personal,
            severity_text=str(checked.values.get(item.severity_field or "", "") or "") or None,
            penalty_types=tuple([types] if isinstance(types, str) else types),
        )
        self.templates[key] = tpl
        return tpl

    # --- records --------------------------------------------------------------------------

    def record(self, rng: random.Random, now: dt.datetime) -> dict[str, Any]:
        item_code = rng.choices(self.items, self.weights)[0]
        subject = self._subject(rng, persons=item_code == "xzcf")
        tpl = self.template(rng, item_code, subject)
        item = tpl.item
        decided, periods = self._published_day(rng, tpl)
        mark = {"xzxk": "许", "xzcf": "罚", "xzqr": "确", "xzjl": "奖"}[item_code]
        n, doc = self._doc(item_code, mark, decided)
        variable = self._variable(item_code, subject, doc, n, decided)
        clear = dict(tpl.clear)
        masked = dict(tpl.masked)
        sealed = dict(tpl.sealed)
        for code, value in variable.items():
            if code in tpl.personal:
                sealed[code] = self.vault.seal(orjson.dumps(value).decode())
                shown = item.field(code).mask_rule().apply(str(value))
                if shown is not None:
                    masked[code] = shown
            else:
                clear[code] = value
        lag = rng.choice([0, 1, 1, 2, 3, 4, 6, 9, 14])
        received = min(self.today, decided + dt.timedelta(days=lag))
        lag_workdays = (received - decided).days * 5 // 7
        self.counts[item_code] = self.counts.get(item_code, 0) + 1
        submission = tpl.dept.submissions[item_code]
        self.by_submission[submission] = self.by_submission.get(submission, 0) + 1
        return {
            "id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "item_code": item_code,
            "catalog_version": self.catalog.version,
            "subject_id": subject.id,
            "org_id": tpl.dept.org.id,
            "authority_code": tpl.dept.org.uscc,
            "doc_number": doc,
            "decision_date": decided,
            "sector": tpl.dept.sector,
            "values": clear,
            "masked": masked,
            "sealed": sealed,
            "fingerprint": fingerprint(self.vault, {**clear, **variable}),
            "status": "active",
            "publication_state": PublicationState.published.value,
            "state_changed_at": now,
            "version": 1,
            **periods,
            "first_submission_id": submission,
            "submission_id": submission,
            "provenance": {},
            "received_on": received,
            "lag_workdays": lag_workdays,
            "late": lag_workdays > 7,
            "first_pass": True,
            "revoked_at": None,
            "unpublish_by": None,
            "received_at": now,
            "updated_at": now,
        }


# --- writing -------------------------------------------------------------------------------


def _copy(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    columns = [c.name for c in table.columns]
    json_columns = {c.name for c in table.columns if c.type.__class__.__name__ in ("JSON", "JSONB")}
    json_columns |= {"values", "masked", "sealed", "provenance"} & set(columns)
    driver = conn.connection.driver_connection
    assert driver is not None
    names = ", ".join(f'"{c}"' for c in columns)
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(
                [orjson.dumps(row[c]).decode() if c in json_columns else row[c] for c in columns]
            )


def _write(engine: Engine, table: Any, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            _copy(conn, table, rows)
        else:
            # Random ids land all over the indexes: a large page cache keeps them in memory.
            conn.exec_driver_sql("PRAGMA cache_size=-1000000")
            conn.execute(insert(table), rows)


def _chunks(n: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, size):
        yield start, min(n, start + size)


def _analyze(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE) subject"))
            conn.execute(text("VACUUM (ANALYZE) credit_record"))
        return
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO subject_fts(subject_fts) VALUES ('optimize')"))
        conn.execute(text("ANALYZE"))
    with engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def bulk_generate(
    engine: Engine,
    *,
    subjects: int,
    records: int,
    seed: int,
    vault: DataVault,
    catalog: Catalog,
    rulebook: RuleBook,
    today: dt.date | None = None,
    chunk: int = CHUNK,
    progress: Callable[[str, int, int], None] | None = None,
) -> BulkResult:
    """Write ``subjects`` subjects and ``records`` published credit records into the
    (migrated) database of ``engine``; the demo departments are created if missing.

    ``progress(stage, done, total)`` is called after every chunk. The same seed gives
    the same subjects and records (but for the random nonces of sealed values).
    """
    today = today or china_today()
    actor = Actor.system("bulk-demo")
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        depts = _departments(session, actor, today)
    now = utcnow()

    started = time.perf_counter()
    subject_table = Subject.__table__
    for start, end in _chunks(subjects, chunk):
        rows = [subject_row(subject_at(seed, i), vault, now) for i in range(start, end)]
        _write(engine, subject_table, rows)
        if progress:
            progress("subjects", end, subjects)
    seconds_subjects = time.perf_counter() - started

    started = time.perf_counter()
    drawer = _Records(
        catalog=catalog,
        rulebook=rulebook,
        vault=vault,
        depts=depts,
        seed=seed,
        subjects=subjects,
        today=today,
    )
    record_table = CreditRecord.__table__
    for number, (start, end) in enumerate(_chunks(records, chunk)):
        rng = random.Random(f"{seed}/records/{number}")
        _write(engine, record_table, [drawer.record(rng, now) for _ in range(start, end)])
        if progress:
            progress("records", end, records)
    seconds_records = time.perf_counter() - started

    with transaction(sessions) as session:
        for dept in depts.values():
            for sub_id in dept.submissions.values():
                sub = session.get(Submission, sub_id)
                assert sub is not None
                sub.accepted = sub.rows_seen = drawer.by_submission.get(sub_id, 0)
        record_event(
            session,
            actor=actor,
            action="demo.bulk_generate",
            entity_type="demo",
            entity_id="bulk",
            after={"seed": seed, "subjects": subjects, "records": drawer.counts},
            reason="批量生成演示/基准测试数据",
        )

    started = time.perf_counter()
    _analyze(engine)
    seconds_analyze = time.perf_counter() - started
    return BulkResult(
        subjects=subjects,
        records=dict(sorted(drawer.counts.items())),
        seconds_subjects=seconds_subjects,
        seconds_records=seconds_records,
        seconds_analyze=seconds_analyze,
        templates=len(drawer.templates),
    )
