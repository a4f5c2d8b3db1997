"""Published sample data for the public website tests: firms with penalties (enough
to page through a search), one suspended, one expired, one natural person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from tests.functional.collecting import Department, make_department, penalty
from xinyong.actors import Actor
from xinyong.db import china_today, transaction
from xinyong.records.models import CreditRecord
from xinyong.records.publication import PublicationState, move
from xinyong.records.service import report_record
from xinyong.runtime import Runtime

FIRMS = 25  # more than one page of 20 search results
PERSON_NAME = "林小红"
PERSON_ID = "35020319900101123X"
PERSON_ID_MASKED = "350203********123X"


@dataclass
class Website:
    dept: Department
    firm_name: str  # firm 1: one published penalty
    firm_code: str
    suspended_code: str  # a firm whose only penalty is suspended (objection verified)
    suspended_doc: str
    expired_code: str  # a firm whose only penalty's period has ended
    expired_doc: str
    person_subject: str  # subject id of a natural person with a published penalty


def publish_sample(rt: Runtime) -> Website:
    dept = make_department(rt)
    today = china_today()
    decided = today - dt.timedelta(days=30)

    def report(session: Session, row: dict[str, Any]) -> CreditRecord:
        return report_record(
            session,
            actor=dept.actor,
            catalog=rt.catalog,
            rulebook=rt.rulebook,
            vault=rt.vault,
            item_code="xzcf",
            raw=row,
            today=today,
        ).record

    with transaction(rt.sessions) as session:
        for n in range(1, FIRMS + 1):
            report(session, penalty(dept, n, decided=decided))
        suspended = report(session, penalty(dept, 30, decided=decided))
        move(
            session,
            actor=Actor.system("test"),
            record=suspended,
            to=PublicationState.suspended,
            reason="异议核查中",
        )
        report(session, penalty(dept, 31, decided=dt.date(2019, 3, 5)))
        person = report(
            session,
            penalty(
                dept,
                32,
                decided=decided,
                CF_XDR_MC=PERSON_NAME,
                CF_XDR_LB="自然人",
                CF_XDR_SHXYM="",
                CF_FRDB="",
                CF_XDR_ZJLX="身份证",
                CF_XDR_ZJHM=PERSON_ID,
            ),
        )
        person_subject = str(person.subject_id)
    first = penalty(dept, 1)
    return Website(
        dept=dept,
        firm_name=first["CF_XDR_MC"],
        firm_code=first["CF_XDR_SHXYM"],
        suspended_code=penalty(dept, 30)["CF_XDR_SHXYM"],
        suspended_doc=penalty(dept, 30)["CF_WSH"],
        expired_code=penalty(dept, 31)["CF_XDR_SHXYM"],
        expired_doc=penalty(dept, 31)["CF_WSH"],
        person_subject=person_subject,
    )
