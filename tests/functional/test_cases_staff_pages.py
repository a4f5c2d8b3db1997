"""Staff case handling over HTTP: the office's and departments' queues with deadlines,
accepting, forwarding and deciding an objection, who may do what, the audited reads
of the applicant's contact and attachments (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from tests.functional.collecting import (
    PASSWORD,
    Department,
    login,
    make_department,
    penalty,
    uscc,
)
from xinyong.accounts.service import create_account, create_organisation
from xinyong.actors import Actor
from xinyong.audit.models import AuditEvent
from xinyong.cases import filing
from xinyong.cases.context import Application, Contact, Upload
from xinyong.cases.models import CreditCase
from xinyong.db import china_today, transaction
from xinyong.records.models import CreditRecord
from xinyong.records.service import report_record
from xinyong.runtime import Runtime

PUBLIC = Actor(kind="public", name="applicant")


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buf, "PNG")
    return buf.getvalue()


@dataclass
class Desk:
    dept: Department  # reported the records ("scjg")
    other: Department  # another department ("swj")
    rt: Runtime

    def objection(self, n: int) -> CreditCase:
        """A published penalty of firm ``n`` and an objection to its fine (CF_NR_FK)."""
        today = china_today()
        row = penalty(self.dept, n, decided=today - dt.timedelta(days=30))
        with transaction(self.rt.sessions) as session:
            record = report_record(
                session,
                actor=self.dept.actor,
                catalog=self.rt.catalog,
                rulebook=self.rt.rulebook,
                vault=self.rt.vault,
                item_code="xzcf",
                raw=row,
                today=today,
            ).record
            ctx = self.rt.case_context(session, today)
            application = Application(
                record_id=record.id,
                subject_code=row["CF_XDR_SHXYM"],
                subject_name=row["CF_XDR_MC"],
                contact=Contact("王伟", "13800138000", "wangwei@example.com"),
                reason="罚款金额登记有误，应为人民币3万元。",
                ground="content",
                fields=["CF_NR_FK"],
                uploads=[Upload("evidence", "决定书.png", _png())],
            )
            return filing.file_objection(session, ctx, actor=PUBLIC, application=application).case

    def case(self, case_id: uuid.UUID) -> CreditCase:
        with self.rt.sessions() as session:
            found = session.get(CreditCase, case_id)
            assert found is not None
            return found

    def record(self, record_id: uuid.UUID) -> CreditRecord:
        with self.rt.sessions() as session:
            found = session.get(CreditRecord, record_id)
            assert found is not None
            return found

    def events(self, case_id: uuid.UUID) -> list[str]:
        with self.rt.sessions() as session:
            return list(
                session.scalars(
                    select(AuditEvent.action)
                    .where(AuditEvent.entity_id == str(case_id))
                    .order_by(AuditEvent.seq)
                )
            )


@pytest.fixture
def desk(runtime: Runtime) -> Desk:
    dept = make_department(runtime)
    other = make_department(runtime, body="JG350299", name="厦门市税务局", user="swj")
    office = uscc("XY350200", "11", "350200")
    with runtime.sessions() as session:
        create_organisation(
            session, actor=Actor.system(), name="信用办", uscc=office, kind="office"
        )
        create_account(
            session,
            actor=Actor.system(),
            username="office",
            password=PASSWORD,
            org_uscc=office,
            roles=["office_staff"],
            display_name="信用办经办人",
        )
        session.commit()
    return Desk(dept, other, runtime)


def test_anonymous_visitors_of_the_case_pages_go_to_the_login_page(
    client: TestClient, desk: Desk
) -> None:
    case = desk.objection(1)
    for path in ("/staff/cases", f"/staff/cases/{case.id}"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/staff/login"
    assert client.post(f"/staff/cases/{case.id}/accept", follow_redirects=False).status_code == 303
    assert desk.case(case.id).status == "submitted"


def test_queue_shows_due_dates_and_highlights_overdue_cases(client: TestClient, desk: Desk) -> None:
    fresh = desk.objection(1)
    late = desk.objection(2)
    distant = desk.objection(3)
    with transaction(desk.rt.sessions) as session:
        row = session.get(CreditCase, late.id)
        assert row is not None
        row.due_on = china_today() - dt.timedelta(days=14)
        far = session.get(CreditCase, distant.id)
        assert far is not None  # a deadline in a year without a holiday notice
        far.due_on, far.step_started, far.due_provisional = dt.date(2040, 1, 9), None, True
    login(client, "office")
    page = client.get("/staff/cases")
    assert page.status_code == 200
    assert fresh.number in page.text and late.number in page.text
    assert fresh.due_on is not None and fresh.due_on.isoformat() in page.text
    assert "厦市监罚〔2026〕1号" in page.text and "行政处罚" in page.text
    overdue_row = re.search(r'<tr class="case-overdue">(.*?)</tr>', page.text, re.S)
    assert overdue_row is not None and late.number in overdue_row.group(1)
    assert "逾期" in overdue_row.group(1) and fresh.number not in overdue_row.group(1)
    assert "待受理" in page.text and "信用办标注" in page.text
    assert "剩 " in page.text and "暂定（2040年节假日安排未录入）" in page.text

    overdue = client.get("/staff/cases?tab=overdue")
    assert late.number in overdue.text and fresh.number not in overdue.text
    repairs = client.get("/staff/cases?kind=repair")
    assert late.number not in repairs.text and "暂无案件" in repairs.text
    closed = client.get("/staff/cases?tab=closed")
    assert "暂无案件" in closed.text

    dashboard = client.get("/staff")
    assert 'href="/staff/cases?tab=overdue"' in dashboard.text and "已逾期案件" in dashboard.text

    # The department sees the cases about its records; another department sees none.
    login(client, "swj")
    assert "暂无案件" in client.get("/staff/cases").text
    login(client, desk.dept.username)
    assert fresh.number in client.get("/staff/cases").text


def test_objection_accepted_forwarded_and_upheld_with_a_correction(
    client: TestClient, desk: Desk
) -> None:
    case = desk.objection(1)
    login(client, "office")
    page = client.get(f"/staff/cases/{case.id}")
    assert page.status_code == 200
    assert "受理" in page.text and "不予受理" in page.text
    assert "罚款金额" in page.text or "CF_NR_FK" in page.text

    # Bad input keeps the typed text and changes nothing.
    refused = client.post(f"/staff/cases/{case.id}/not-accept", data={"reason": " "})
    assert refused.status_code == 422 and "请填写不予受理理由" in refused.text
    assert desk.case(case.id).status == "submitted"

    accepted = client.post(
        f"/staff/cases/{case.id}/accept", data={"remark": "材料齐全"}, follow_redirects=False
    )
    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"/staff/cases/{case.id}?done=accepted"
    assert "已受理" in client.get(accepted.headers["location"]).text
    assert desk.case(case.id).status == "accepted"
    assert desk.record(case.record_id).publication_state == "suspended"

    forwarded = client.post(f"/staff/cases/{case.id}/forward", data={"note": "请核查罚款金额"})
    assert forwarded.status_code == 200 and "已转报送部门核查" in forwarded.text
    assert desk.case(case.id).status == "forwarded"
    assert "作出核查结论" not in forwarded.text  # the office does not decide

    # A department that did not report the record may neither see nor decide it.
    login(client, "swj")
    foreign = client.get(f"/staff/cases/{case.id}")
    assert foreign.status_code == 403 and "无权查看该案件" in foreign.text
    foreign_post = client.post(
        f"/staff/cases/{case.id}/decide",
        data={"outcome": "rejected", "action": "none", "reason": "不成立"},
    )
    assert foreign_post.status_code == 403 and "无权" in foreign_post.text
    assert desk.case(case.id).status == "forwarded"

    login(client, desk.dept.username)
    page = client.get(f"/staff/cases/{case.id}")
    assert "作出核查结论" in page.text and "申请延期" in page.text
    assert 'name="corr_CF_NR_FK" value="5"' in page.text

    # An upheld objection without a correction: the reason is shown, the input kept.
    missing = client.post(
        f"/staff/cases/{case.id}/decide",
        data={"outcome": "upheld", "action": "correct", "reason": "核实金额有误"},
    )
    assert missing.status_code == 422 and "请填写更正后的字段值" in missing.text
    assert "核实金额有误" in missing.text
    assert desk.case(case.id).status == "forwarded"

    decided = client.post(
        f"/staff/cases/{case.id}/decide",
        data={
            "outcome": "upheld",
            "action": "correct",
            "reason": "经核实罚款金额应为3万元",
            "corr_CF_NR_FK": "3",
        },
        follow_redirects=False,
    )
    assert decided.status_code == 303, decided.text
    closed = desk.case(case.id)
    assert closed.status == "upheld" and closed.dept_on_time is True
    record = desk.record(case.record_id)
    assert str(record.values["CF_NR_FK"]) in ("3", "3.0")
    assert record.publication_state == "published"
    history = client.get(f"/staff/cases/{case.id}").text
    assert "异议成立" in history and "经核实罚款金额应为3万元" in history
    assert "case.accept" in desk.events(case.id) and "case.decide" in desk.events(case.id)


def test_assignment_and_internal_note_are_marked_internal(client: TestClient, desk: Desk) -> None:
    case = desk.objection(1)
    login(client, "office")
    client.post(f"/staff/cases/{case.id}/assign", data={"assignee": ""})
    assert desk.case(case.id).assignee == "account:office"
    page = client.post(f"/staff/cases/{case.id}/note", data={"text": "已电话联系申请人"})
    assert page.status_code == 200 and "已电话联系申请人" in page.text
    assert '<span class="tag">内部</span>' in page.text
    empty = client.post(f"/staff/cases/{case.id}/note", data={"text": ""})
    assert empty.status_code == 422 and "请填写备注" in empty.text


def test_contact_reveal_and_attachment_download_are_audited(client: TestClient, desk: Desk) -> None:
    case = desk.objection(1)
    login(client, "office")
    page = client.get(f"/staff/cases/{case.id}")
    assert "138****8000" in page.text and "13800138000" not in page.text

    shown = client.post(f"/staff/cases/{case.id}/contact")
    assert shown.status_code == 200
    assert "13800138000" in shown.text and "wangwei@example.com" in shown.text
    assert "case.contact_read" in desk.events(case.id)

    link = re.search(rf'href="(/staff/cases/{case.id}/attachments/[0-9a-f-]+)"', page.text)
    assert link is not None
    download = client.get(link.group(1))
    assert download.status_code == 200
    assert download.headers["content-type"] == "image/png"
    assert download.content.startswith(b"\x89PNG")
    assert "case.attachment_read" in desk.events(case.id)

    missing = client.get(f"/staff/cases/{case.id}/attachments/{uuid.uuid4()}")
    assert missing.status_code == 404 and "未找到该附件" in missing.text
    assert client.get("/staff/cases/not-a-case").status_code == 404


def test_only_the_office_auditor_sees_every_case_a_bank_auditor_sees_none(
    client: TestClient, desk: Desk, runtime: Runtime
) -> None:
    case = desk.objection(11)
    with runtime.sessions() as session:
        bank = uscc("YH350200", "91", "350200")
        create_organisation(session, actor=Actor.system(), name="厦门银行", uscc=bank, kind="bank")
        office = uscc("XY350200", "11", "350200")
        for username, org in (("bank-audit", bank), ("office-audit", office)):
            create_account(
                session,
                actor=Actor.system(),
                username=username,
                password=PASSWORD,
                org_uscc=org,
                roles=["auditor"],
                display_name="审计员",
            )
        session.commit()
    login(client, "bank-audit")
    assert client.get(f"/staff/cases/{case.id}").status_code == 403
    assert client.post(f"/staff/cases/{case.id}/contact").status_code == 403
    assert case.number not in client.get("/staff/cases").text
    login(client, "office-audit")
    assert client.get(f"/staff/cases/{case.id}").status_code == 200
    assert case.number in client.get("/staff/cases").text
