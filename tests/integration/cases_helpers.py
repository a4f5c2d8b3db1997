"""Builders for case tests: a published penalty, a case context, uploads."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from PIL import Image
from sqlalchemy.orm import Session

from tests.integration.test_record_reporting import CATALOG, RULES, penalty
from xinyong.actors import Actor
from xinyong.cases.context import Application, CaseContext, Contact, Upload
from xinyong.config import Settings
from xinyong.errors import XinyongError
from xinyong.privacy.crypto import DataVault
from xinyong.records.models import CreditRecord
from xinyong.records.service import report_record
from xinyong.workdays.models import CalendarYear
from xinyong.workdays.service import load_calendar, seed_from_chinesecalendar

TODAY = dt.date(2026, 11, 24)  # a Tuesday
PUBLIC = Actor(kind="public", name="applicant")


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buf, "PNG")
    return buf.getvalue()


def context(
    session: Session, settings: Settings, vault: DataVault, today: dt.date = TODAY
) -> CaseContext:
    if session.query(CalendarYear).count() == 0:
        seed_from_chinesecalendar(session, actor=Actor.system("test"))
    return CaseContext(settings, CATALOG, RULES, vault, load_calendar(session), today)


def published_penalty(
    session: Session, dept: Actor, vault: DataVault, **extra: Any
) -> CreditRecord:
    extra.setdefault("CF_JDRQ", "2026-06-01")
    extra.setdefault("CF_YXQ", "2027-06-01")
    return report_record(
        session,
        actor=dept,
        catalog=CATALOG,
        rulebook=RULES,
        vault=vault,
        item_code="xzcf",
        raw=penalty(dept, **extra),
        today=TODAY,
    ).record


def application(record: CreditRecord, **extra: Any) -> Application:
    fields: dict[str, Any] = {
        "record_id": record.id,
        "subject_code": record.values["CF_XDR_SHXYM"],
        "subject_name": record.values["CF_XDR_MC"],
        "contact": Contact("王伟", "13800138000", "wangwei@example.com"),
        "reason": "罚款金额登记有误，应为人民币3万元。",
        "ground": "content",
        "fields": ["CF_NR_FK"],
        "uploads": [Upload("evidence", "决定书.png", png())],
    }
    fields.update(extra)
    return Application(**fields)


def repair_application(record: CreditRecord, **extra: Any) -> Application:
    fields: dict[str, Any] = {
        "record_id": record.id,
        "subject_code": record.values["CF_XDR_SHXYM"],
        "subject_name": record.values["CF_XDR_MC"],
        "contact": Contact("王伟", "13800138000", "wangwei@example.com"),
        "reason": "已缴清罚款并完成整改。",
        "signatory": "王伟",
        "declarations": ["harm_removed"],
        "uploads": [
            Upload("identity", "营业执照.png", png()),
            Upload("performance", "缴款凭证.png", png()),
        ],
    }
    fields.update(extra)
    return Application(**fields)


@contextmanager
def refused(kind: type[XinyongError], zh: str) -> Iterator[None]:
    """The block raises ``kind`` whose Chinese message (for the user) contains ``zh``."""
    with pytest.raises(kind) as caught:
        yield
    shown = caught.value.message + "".join(p.reason for p in caught.value.problems)
    assert zh in shown, shown
