"""Shared set-up for the applicant's case pages and API: the published sample plus a
never-repairable penalty and one whose minimum period has passed, and small helpers."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.functional.collecting import penalty
from tests.functional.website import Website, publish_sample
from xinyong.actors import Actor
from xinyong.cases.context import CaseContext
from xinyong.db import china_today, transaction
from xinyong.records.models import CreditRecord
from xinyong.records.service import report_record
from xinyong.runtime import Runtime
from xinyong.workdays.service import load_calendar

OFFICE = Actor(kind="account", name="office", roles=frozenset({"office_staff"}))
FIRST_DOC = "厦市监罚〔2026〕1号"  # decided 30 days ago: minimum period not reached
REVOKED_DOC = "厦市监罚〔2026〕40号"  # 吊销营业执照, serious: never repairable early
DUE_DOC = "厦市监罚〔2026〕41号"  # decided 150 days ago: repair may be applied for
DUE_N = 41
NUMBER_RE = re.compile(r"(YY|XF)\d{12}")


@dataclass
class CaseSite:
    site: Website
    first: str  # record ids
    revoked: str
    due: str
    due_name: str
    due_code: str


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buf, "PNG")
    return buf.getvalue()


def record_id(rt: Runtime, doc_number: str) -> str:
    with rt.sessions() as session:
        record = session.execute(
            select(CreditRecord).where(CreditRecord.doc_number == doc_number)
        ).scalar_one()
        return str(record.id)


def seed(rt: Runtime) -> CaseSite:
    site = publish_sample(rt)
    today = china_today()
    with transaction(rt.sessions) as session:
        for row in (
            penalty(
                site.dept,
                40,
                decided=today - dt.timedelta(days=30),
                CF_CFLB="吊销营业执照",
                CF_NR="吊销营业执照",
                CF_NR_FK="",
                CF_NR_ZKDX="营业执照",
                CF_SXYZCD="严重",
            ),
            penalty(site.dept, DUE_N, decided=today - dt.timedelta(days=150)),
        ):
            report_record(
                session,
                actor=site.dept.actor,
                catalog=rt.catalog,
                rulebook=rt.rulebook,
                vault=rt.vault,
                item_code="xzcf",
                raw=row,
                today=today,
            )
    due = penalty(site.dept, DUE_N)
    return CaseSite(
        site,
        record_id(rt, FIRST_DOC),
        record_id(rt, REVOKED_DOC),
        record_id(rt, DUE_DOC),
        due["CF_XDR_MC"],
        due["CF_XDR_SHXYM"],
    )


def case_context(rt: Runtime, session: Session) -> CaseContext:
    return CaseContext(
        rt.settings, rt.catalog, rt.rulebook, rt.vault, load_calendar(session), china_today()
    )
