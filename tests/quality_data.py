"""A small data set for the data quality reports whose every figure the tests know.

Rows are inserted directly with the ORM (no pipeline), so each count is chosen here:

November 2026 (the month under test), by department:

| dept | records | first pass | late F/T/None | quarantine orig/resubmit | updated |
|------|---------|------------|---------------|--------------------------|---------|
| A 市场监管 | 10 | 8 | 6/2/2 | 2/1 | 1+2 = 3 |
| B 生态环境 | 4  | 4 | 4/0/0 | 0/0 | 0 |
| C 税务     | 0  | 0 | -     | 0/0 | 0 |
| D 交通运输 | 2  | 2 | 1/1/0 | 0/1 | 0 |

so compliance A 8/10, B 1, D 1; timeliness A 6/8, B 1, D 1/2; ranks B 1, D 2, A 3,
C unranked. October: A 4 records (3 first pass, 4 on time, one on 31 Oct) and one
original quarantined row (compliance 3/4). Rows on 1 December count for no month
under test. September holds the code governance rows (see ``build``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from xinyong.accounts.models import Organisation
from xinyong.demo.generator import make_org_code, make_uscc
from xinyong.ingest.models import QuarantineRow, Submission
from xinyong.records.models import CreditRecord
from xinyong.subjects.models import Subject, SubjectAlias
from xinyong.subjects.rules import normalize_name

NOVEMBER = dt.date(2026, 11, 1)
OCTOBER = dt.date(2026, 10, 1)
PERSON_ID = "360426199101010071"  # a valid resident ID number (RULES.md §10)

_serial = itertools.count(1)


def uscc(body: str, prefix: str = "91", division: str = "350203") -> str:
    return make_uscc(prefix, division, make_org_code(body))


def _new_uscc() -> str:
    return uscc(f"Q{next(_serial):07d}")


@dataclass
class QualityData:
    office: Organisation
    a: Organisation
    b: Organisation
    c: Organisation
    d: Organisation
    subjects: dict[str, Subject] = field(default_factory=dict)

    @property
    def departments(self) -> list[Organisation]:
        return [self.a, self.b, self.c, self.d]


class Builder:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.docs = itertools.count(1)

    def org(self, name: str, body: str, kind: str = "department") -> Organisation:
        org = Organisation(name=name, uscc=uscc(body, "11", "350200"), kind=kind)
        self.session.add(org)
        self.session.flush()
        return org

    def subject(self, name: str, kind: str = "legal_person", code: str | None = "new") -> Subject:
        subject = Subject(
            kind=kind,
            name=name,
            name_norm=normalize_name(name),
            uscc=_new_uscc() if code == "new" else code,
        )
        self.session.add(subject)
        self.session.flush()
        return subject

    def alias(
        self, subject: Subject, name: str, source: str, org: Organisation | None = None
    ) -> None:
        self.session.add(
            SubjectAlias(
                subject_id=subject.id,
                name=name,
                name_norm=normalize_name(name),
                source=source,
                org_id=org.id if org else None,
            )
        )

    def submission(self, org: Organisation, received_on: dt.date, updated: int = 0) -> Submission:
        sub = Submission(
            org_id=org.id,
            item_code="xzcf",
            channel="api",
            actor="test",
            received_on=received_on,
            updated=updated,
            status="done",
        )
        self.session.add(sub)
        self.session.flush()
        return sub

    def record(
        self,
        org: Organisation,
        received_on: dt.date,
        *,
        first_pass: bool = True,
        late: bool | None = False,
        subject: Subject | None = None,
    ) -> CreditRecord:
        if subject is None:
            subject = self.subject(f"测试主体{next(_serial)}有限公司")
        n = next(self.docs)
        record = CreditRecord(
            item_code="xzcf" if late is not None else "djzc",
            catalog_version="2024.1",
            subject_id=subject.id,
            org_id=org.id,
            authority_code=org.uscc,
            doc_number=f"测试罚字〔2026〕{n}号",
            decision_date=received_on - dt.timedelta(days=3),
            values={},
            masked={},
            sealed={},
            fingerprint=f"{n:064d}",
            received_on=received_on,
            lag_workdays=None if late is None else (10 if late else 2),
            late=late,
            first_pass=first_pass,
        )
        self.session.add(record)
        return record

    def quarantine(
        self,
        sub: Submission,
        received_on: dt.date,
        *,
        origin: str = "original",
        status: str = "open",
        problems: list[dict[str, Any]] | None = None,
        raw: dict[str, Any] | None = None,
        item_code: str = "xzcf",
    ) -> QuarantineRow:
        row = QuarantineRow(
            submission_id=sub.id,
            org_id=sub.org_id,
            item_code=item_code,
            row_number=next(self.docs),
            raw=raw or {"CF_XDR_MC": "某公司"},
            raw_hash=f"{next(self.docs):064d}",
            problems={
                "items": problems
                if problems is not None
                else [{"field": "CF_JDRQ", "level": "error", "reason": "日期有误", "en": "date"}]
            },
            origin=origin,
            status=status,
            received_on=received_on,
        )
        self.session.add(row)
        return row


def day(month: dt.date, d: int) -> dt.date:
    return month.replace(day=d)


def build(session: Session) -> QualityData:
    """Insert the data set described in the module docstring; flushed, not committed."""
    b_ = Builder(session)
    data = QualityData(
        office=b_.org("某市信用办", "QXYB0001", "office"),
        a=b_.org("某市市场监督管理局", "QA000001"),
        b=b_.org("某市生态环境局", "QB000001"),
        c=b_.org("某市税务局", "QC000001"),
        d=b_.org("某市交通运输局", "QD000001"),
    )
    a, b, d = data.a, data.b, data.d
    nov, oct_ = NOVEMBER, OCTOBER
    dec = dt.date(2026, 12, 1)
    sep = dt.date(2026, 9, 10)

    # --- department A -----------------------------------------------------------------
    for d_, late in ((1, False), (2, False), (5, False), (10, False), (15, False), (20, False)):
        b_.record(a, day(nov, d_), late=late)
    b_.record(a, day(nov, 25), late=True)
    b_.record(a, day(nov, 30), late=True)
    b_.record(a, day(nov, 12), first_pass=False, late=None)  # registration data: no deadline
    b_.record(a, day(nov, 13), first_pass=False, late=None)
    for d_ in (1, 15, 20):
        b_.record(a, day(oct_, d_))
    b_.record(a, day(oct_, 31), first_pass=False)
    b_.record(a, dec)  # next month: counted nowhere here
    a_nov1 = b_.submission(a, day(nov, 3), updated=1)
    b_.submission(a, day(nov, 28), updated=2)
    a_oct = b_.submission(a, day(oct_, 31), updated=5)
    a_dec = b_.submission(a, dec, updated=7)
    b_.quarantine(a_nov1, day(nov, 3))
    b_.quarantine(a_nov1, day(nov, 30))
    b_.quarantine(a_nov1, day(nov, 4), origin="resubmit")
    b_.quarantine(a_oct, day(oct_, 31))
    b_.quarantine(a_dec, dec)

    # --- departments B and D (C reports nothing) ------------------------------------------
    for d_ in (2, 9, 16, 23):
        b_.record(b, day(nov, d_))
    b_.record(d, day(nov, 6), late=True)
    b_.record(d, day(nov, 7), late=False)
    d_nov = b_.submission(d, day(nov, 7))
    b_.quarantine(d_nov, day(nov, 8), origin="resubmit")

    # --- code governance (September) ---------------------------------------------------------
    # S1: A reported its code under another name (duplicate A); B under its former
    # registered name (not a duplicate).
    s1 = b_.subject("厦门甲贸易有限公司")
    b_.alias(s1, "厦门甲商贸有限公司", "report", a)
    b_.alias(s1, "厦门旧甲贸易有限公司", "registration")
    b_.alias(s1, "厦门旧甲贸易有限公司", "report", b)
    b_.record(a, sep, subject=s1)
    # S2/S3: one organisation, two codes (duplicate B) - A used one, B the other.
    s2 = b_.subject("厦门乙建材有限公司")
    s3 = b_.subject("厦门乙建材有限公司")
    b_.record(a, sep, subject=s2)
    b_.record(b, sep, subject=s3)
    # S5/S6: same name, but individual businesses are not legal persons: not counted.
    s5 = b_.subject("丙记小吃店", kind="individual_business")
    b_.subject("丙记小吃店", kind="individual_business")
    b_.record(d, sep, subject=s5)
    # A person (no USCC) reported under another name: not a code duplicate.
    person = b_.subject("张三", kind="natural_person", code=None)
    b_.alias(person, "张叁", "report", a)
    # Wrong codes of A: an ID number in the USCC field (counted), a wrong authority
    # code (counted, though resolved; field in lower case), a wrong organisation code
    # (counted, withdrawn); a date error, a warning on a code field and an item no
    # longer in the catalog are not counted.
    a_sep = b_.submission(a, sep)
    b_.quarantine(
        a_sep,
        sep,
        raw={"CF_XDR_MC": "厦门丁公司", "统一社会信用代码": PERSON_ID},
        problems=[
            {
                "field": "CF_XDR_SHXYM",
                "level": "error",
                "reason": f"「统一社会信用代码」校验码错误：{PERSON_ID}",
                "en": "bad check character",
            }
        ],
    )
    b_.quarantine(
        a_sep,
        sep,
        status="resolved",
        raw={"CF_CFJGDM": "11350200MB0000000X"},
        problems=[{"field": "cf_cfjgdm", "level": "error", "reason": "不是本单位代码", "en": "x"}],
    )
    b_.quarantine(
        a_sep,
        sep,
        status="withdrawn",
        raw={"CF_XDR_ZZJG": "12345678-0"},
        problems=[
            {"field": "CF_XDR_MC", "level": "warning", "reason": "名称含空格", "en": "x"},
            {
                "field": "CF_XDR_ZZJG",
                "level": "error",
                "reason": "组织机构代码校验码错误",
                "en": "x",
            },
        ],
    )
    b_.quarantine(a_sep, sep)  # date error only
    b_.quarantine(
        a_sep,
        sep,
        problems=[{"field": "CF_XDR_SHXYM", "level": "warning", "reason": "提示", "en": "x"}],
    )
    b_.quarantine(
        a_sep,
        sep,
        item_code="gone",
        problems=[{"field": "CF_XDR_SHXYM", "level": "error", "reason": "x", "en": "x"}],
    )
    session.flush()
    data.subjects = {"s1": s1, "s2": s2, "s3": s3, "s5": s5}
    return data
