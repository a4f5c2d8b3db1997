"""自动反馈 over HTTP: a calling system feeds back on its own screening with its API key;
the month's joint cases come out as JSON, CSV and XLSX; screenings still waiting for
feedback are listed."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from tests.functional.collecting import make_department, office_headers
from xinyong.db import CHINA_TZ
from xinyong.runtime import Runtime
from xinyong.screening.models import Screening, ScreeningResult


def _screening(rt: Runtime, org_id: object, caller: str) -> str:
    with rt.sessions() as session:
        screening = Screening(
            org_id=org_id,
            caller=caller,
            scenario="procurement",
            subjects=1,
            created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=10),
        )
        session.add(screening)
        session.flush()
        session.add(
            ScreeningResult(
                screening_id=screening.id,
                position=0,
                query="91350200MA2PBMEM0X",
                status="restrict",
                answer={"measures": [{"code": "procurement-listed"}]},
            )
        )
        session.commit()
        return str(screening.id)


def test_feedback_with_the_api_key_then_the_months_cases(
    client: TestClient, runtime: Runtime
) -> None:
    dept = make_department(runtime)
    sid = _screening(runtime, dept.actor.org_id, "apikey:scjg")
    waiting = client.get("/api/v1/screening-feedback/missing", headers=dept.headers).json()
    assert [s["screening_id"] for s in waiting["screenings"]] == [sid]

    bad = client.post(
        f"/api/v1/screening/{sid}/feedback",
        headers=dept.headers,
        json={"items": [{"position": 0, "outcome": "not_applied"}]},
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["problems"][0]["field"] == "items[0].reason"

    ok = client.post(
        f"/api/v1/screening/{sid}/feedback",
        headers=dept.headers,
        json={"items": [{"position": 0, "outcome": "applied"}]},
    )
    assert ok.status_code == 200 and ok.json() == {"screening_id": sid, "recorded": 1}

    month = dt.datetime.now(CHINA_TZ).strftime("%Y-%m")
    body = client.get("/api/v1/joint-cases", params={"month": month}, headers=dept.headers).json()
    (case,) = body["cases"]
    assert case["应用场景"] == "政府采购" and case["反馈结果"] == "已实施"
    assert case["实施单位"] == dept.name
    csv = client.get(
        "/api/v1/joint-cases", params={"month": month, "format": "csv"}, headers=dept.headers
    )
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.content.startswith("\ufeff案例编号".encode())
    xlsx = client.get(
        "/api/v1/joint-cases", params={"month": month, "format": "xlsx"}, headers=dept.headers
    )
    assert xlsx.content[:2] == b"PK"


def test_another_system_cannot_feed_back_and_anonymous_callers_are_refused(
    client: TestClient, runtime: Runtime
) -> None:
    dept = make_department(runtime)
    other = make_department(runtime, "HB350202", "厦门市生态环境局", "sthj")
    sid = _screening(runtime, dept.actor.org_id, "apikey:scjg")
    body = {"items": [{"position": 0, "outcome": "applied"}]}
    r = client.post(f"/api/v1/screening/{sid}/feedback", headers=other.headers, json=body)
    assert r.status_code == 403 and "只能反馈本单位" in r.json()["error"]["message"]
    assert client.post(f"/api/v1/screening/{sid}/feedback", json=body).status_code == 401
    assert client.get("/api/v1/joint-cases", params={"month": "2026-13"}).status_code in (401, 422)


def test_the_overreach_report_is_for_the_office(client: TestClient, runtime: Runtime) -> None:
    dept = make_department(runtime)
    assert client.get("/api/v1/overreach", headers=dept.headers).status_code == 403
    report = client.get("/api/v1/overreach", headers=office_headers(client, runtime))
    assert report.status_code == 200
    body = report.json()
    assert body["days"] == 90 and body["uncovered"] == [] and body["stale"] == []
    assert any("依据条款尚未核实" in f["what"] for f in body["unfounded"])
