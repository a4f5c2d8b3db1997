"""Issue 6 "done when", end to end over HTTP (SQLite and PostgreSQL): a procurement
system watches its supplier; the market regulator lists the supplier on the serious
list with a notice and an objection window; a screening in 政府采购 returns the
measure with its legal basis; the caller feeds back; the supplier repairs the penalty
the listing rests on; the screening turns clear and the watcher's signed webhooks
arrive (listed, then cleared) at a real HTTP receiver."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.functional.cases_public import png, record_id
from tests.functional.collecting import (
    login,
    make_department,
    make_reviewer,
    office_headers,
    penalty,
)
from xinyong.db import china_today
from xinyong.lists.models import ListEntry
from xinyong.runtime import Runtime
from xinyong.watch.rules import DELIVERY_HEADER, SIGNATURE_HEADER, verify
from xinyong.web.app import _deliver_webhooks


class Receiver:
    """A calling system's webhook endpoint: keeps every POST it is sent."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        calls = self.calls

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                calls.append((dict(self.headers.items()), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/xinyong-hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    thread = threading.Thread(target=r.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield r
    finally:
        r.server.shutdown()
        r.server.server_close()


def _objection_window_passes(rt: Runtime, entry_url: str) -> None:
    """As if the five working days of the objection window had gone by with no objection."""
    with rt.sessions() as session:
        entry = session.get(ListEntry, uuid.UUID(entry_url.rsplit("/", 1)[-1]))
        assert entry is not None and entry.status == "notified"
        today = china_today()
        entry.notified_on = today - dt.timedelta(days=10)
        entry.objection_until = today - dt.timedelta(days=1)
        session.commit()


def _deliveries(receiver: Receiver, secret: str) -> list[dict[str, Any]]:
    out = []
    for headers, body in receiver.calls:
        assert verify(secret, body, headers[SIGNATURE_HEADER]), "signature must verify"
        payload = json.loads(body)
        assert headers[DELIVERY_HEADER] == payload["delivery_id"]
        out.append(payload)
    return out


def test_listed_screened_fed_back_repaired_cleared_and_the_watcher_told(
    client: TestClient, runtime: Runtime, receiver: Receiver
) -> None:
    regulator = make_department(runtime)
    reviewer = make_reviewer(runtime, regulator)
    procurement = make_department(runtime, "CG350203", "厦门市政府采购中心", "cgzx")
    office = office_headers(client, runtime)
    today = china_today()

    # The regulator reports an ordinary penalty, decided four months ago.
    row = penalty(regulator, 31, decided=today - dt.timedelta(days=120))
    code, firm = row["CF_XDR_SHXYM"], row["CF_XDR_MC"]
    sent = client.post("/api/v1/records/xzcf", headers=regulator.headers, json=[row])
    assert sent.status_code == 200 and sent.json()["accepted"] == 1, sent.text

    # The procurement system watches its supplier.
    created = client.post(
        "/api/v1/watch-lists",
        headers=procurement.headers,
        json={"name": "在库供应商", "scenario": "procurement", "webhook_url": receiver.url},
    )
    assert created.status_code == 201, created.text
    watch_id, secret = created.json()["id"], created.json()["secret"]
    added = client.post(
        f"/api/v1/watch-lists/{watch_id}/subjects",
        headers=procurement.headers,
        json={"codes": [code]},
    ).json()
    assert [a["status"] for a in added["added"]] == ["clear"]

    # Listing: proposed with its basis record, notified, refused inside the window.
    login(client, reviewer)
    proposed = client.post(
        "/staff/lists/new",
        data={
            "list_code": "samr-serious",
            "subject_code": code,
            "doc_number": "厦市监信认〔2026〕31号",
            "reasons": "拒不履行行政处罚决定，情节严重。",
            "basis_record_id": row["CF_WSH"],
        },
        follow_redirects=False,
    )
    assert proposed.status_code == 303, proposed.text
    entry_url = proposed.headers["location"].split("?")[0]
    assert client.post(f"{entry_url}/notify", follow_redirects=False).status_code == 303
    notice = client.get(f"{entry_url}/notice").text
    assert "陈述、申辩或异议" in notice and "国家市场监督管理总局令第44号" in notice
    early = client.post(f"{entry_url}/confirm")
    assert early.status_code == 409 and "届满" in early.text
    screened_early = client.post(
        "/api/v1/screening",
        headers=procurement.headers,
        json={"scenario": "procurement", "subjects": [code]},
    ).json()
    assert screened_early["results"][0]["status"] == "clear"  # notified is not listed

    _objection_window_passes(runtime, entry_url)
    assert client.post(f"{entry_url}/confirm", follow_redirects=False).status_code == 303
    assert "市场监督管理严重违法失信名单" in client.get(f"/subjects/{code}").text
    [listing] = client.get(f"/api/v1/subjects/{code}").json()["listings"]
    assert listing["doc_number"] == "厦市监信认〔2026〕31号"
    assert listing["list_kind"] == "严重失信主体名单"
    assert "国家市场监督管理总局令第44号" in listing["legal_basis"]

    # Screening in 政府采购: restricted, with the measure's legal basis and trigger.
    answer = client.post(
        "/api/v1/screening",
        headers=procurement.headers,
        json={"scenario": "procurement", "subjects": [code]},
    )
    assert answer.status_code == 200, answer.text
    screening = answer.json()
    [result] = screening["results"]
    assert result["status"] == "restrict" and result["status_label"] == "适用失信惩戒措施"
    [measure] = result["measures"]
    assert measure["code"] == "procurement-listed"
    assert measure["legal_basis"][0]["document"] == "《企业信息公示暂行条例》"
    assert measure["legal_basis"][0]["article"] == "第十八条"
    [trigger] = measure["triggers"]
    assert trigger["type"] == "list" and trigger["list"] == "samr-serious"
    assert trigger["doc_number"] == "厦市监信认〔2026〕31号"
    assert trigger["listed_on"] == today.isoformat()

    # Feedback: the measure was applied; nobody else may feed back on this id.
    sid = screening["screening_id"]
    feedback = {
        "items": [
            {
                "position": 0,
                "outcome": "applied",
                "reason": "取消其本次政府采购投标资格",
                "measures": ["procurement-listed"],
            }
        ]
    }
    foreign = client.post(
        f"/api/v1/screening/{sid}/feedback", headers=regulator.headers, json=feedback
    )
    assert foreign.status_code == 403
    fed = client.post(
        f"/api/v1/screening/{sid}/feedback", headers=procurement.headers, json=feedback
    )
    assert fed.status_code in (200, 201), fed.text
    assert fed.json()["recorded"] == 1
    month = today.strftime("%Y-%m")
    cases = client.get(f"/api/v1/joint-cases?month={month}&format=json", headers=office)
    assert cases.status_code == 200 and firm in cases.text

    # The watcher hears of the listing.
    _deliver_webhooks(runtime)
    [listed] = _deliveries(receiver, secret)
    [change] = listed["changes"]
    assert change["code"] == code and change["previous_status"] == "clear"
    assert change["status"] == "restrict"
    assert [m["code"] for m in change["measures"]] == ["procurement-listed"]

    # The supplier repairs the penalty the listing rests on.
    record = record_id(runtime, row["CF_WSH"])
    checklist = client.get(f"/api/v1/records/{record}/repair-checklist").json()
    assert checklist["eligible"] is True and checklist["refusal"] is None, checklist
    filed = client.post(
        "/api/v1/repairs",
        data={
            "record": record,
            "subject_name": firm,
            "subject_code": code,
            "declarations": [d["code"] for d in checklist["declarations"]],
            "signatory": "王伟",
            "committed": "true",
            "contact_name": "王伟",
            "contact_phone": "0592-1234567",
        },
        files=[("performance", ("缴款凭证.png", png(), "image/png"))],
    )
    assert filed.status_code == 201, filed.text
    case_id = _case_id(runtime, filed.json()["number"])
    login(client, "xyb")
    forwarded = client.post(f"/staff/cases/{case_id}/forward", data={"note": "请审核"})
    assert forwarded.status_code == 200, forwarded.text
    login(client, reviewer)
    approved = client.post(
        f"/staff/cases/{case_id}/approve", data={"reason": "已缴清罚款并整改，同意修复。"}
    )
    assert approved.status_code == 200, approved.text
    entry = client.get(entry_url).text
    assert "已移出" in entry and "信用修复" in entry

    # The screening result turns clear; the first screening keeps its answer.
    again = client.post(
        "/api/v1/screening",
        headers=procurement.headers,
        json={"scenario": "procurement", "subjects": [code]},
    ).json()
    assert again["results"][0]["status"] == "clear" and again["results"][0]["measures"] == []
    assert client.get(f"/api/v1/subjects/{code}").json()["listings"] == []
    kept = client.get(f"/api/v1/screening/{sid}", headers=procurement.headers).json()
    assert kept["results"][0]["status"] == "restrict"

    # And the watcher's webhook fires.
    _deliver_webhooks(runtime)
    payloads = _deliveries(receiver, secret)
    assert len(payloads) == 2
    [cleared] = payloads[1]["changes"]
    assert cleared["previous_status"] == "restrict" and cleared["status"] == "clear"
    assert cleared["measures"] == []
    assert "list_entry.exited" in payloads[1]["reason"]
    history = client.get(
        f"/api/v1/watch-lists/{watch_id}/deliveries", headers=procurement.headers
    ).json()["deliveries"]
    assert sorted(d["status"] for d in history) == ["sent", "sent"]


def _case_id(rt: Runtime, number: str) -> str:
    from xinyong.cases.models import CreditCase

    with rt.sessions() as session:
        return str(
            session.execute(select(CreditCase.id).where(CreditCase.number == number)).scalar_one()
        )
