"""持续监测 over HTTP: a calling system registers a watch list with its API key, adds its
suppliers, sees a change queued, follows a dead letter and re-queues it; another
department sees none of it."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi.testclient import TestClient

from tests.functional.collecting import make_department, uscc
from xinyong.db import china_today, utcnow
from xinyong.runtime import Runtime
from xinyong.screening.models import SubjectMeasure
from xinyong.subjects.models import Subject
from xinyong.watch.service import deliver_webhooks, subjects_changed


def _listed_subject(rt: Runtime, code: str) -> uuid.UUID:
    """A subject on the platform; returns its id."""
    with rt.sessions() as session:
        s = Subject(
            kind="legal_person", name="厦门鹭岛监测供应商有限公司", name_norm="x", uscc=code
        )
        session.add(s)
        session.commit()
        return s.id


def _punish(rt: Runtime, subject_id: uuid.UUID) -> None:
    """The precomputed measures change by hand, then the watch lists are told (what
    screening.service.recompute's caller does)."""
    with rt.sessions() as session:
        session.add(
            SubjectMeasure(
                subject_id=subject_id,
                measure_code="procurement-listed",
                kind="punish",
                trigger_type="list",
                trigger_id=uuid.uuid4(),
                since=dt.date(2026, 1, 1),
                until=None,
            )
        )
        session.flush()
        subjects_changed(
            session,
            rt.measures,
            subject_ids=[subject_id],
            today=china_today(),
            reason="list_entry.listed",
        )
        session.commit()


def test_a_calling_system_watches_its_suppliers_and_follows_its_webhooks(
    client: TestClient, runtime: Runtime
) -> None:
    dept = make_department(runtime)
    supplier = uscc("MA2PWA01")
    sid = _listed_subject(runtime, supplier)

    unknown = client.post(
        "/api/v1/watch-lists",
        headers=dept.headers,
        json={"name": "在库供应商", "scenario": "purchase", "webhook_url": "https://a.gov.cn/h"},
    )
    assert unknown.status_code == 404
    assert "procurement（政府采购）" in unknown.json()["error"]["message"]
    created = client.post(
        "/api/v1/watch-lists",
        headers=dept.headers,
        json={
            "name": "在库供应商",
            "scenario": "procurement",
            "webhook_url": "http://127.0.0.1:9/hook",  # nothing listens: every attempt fails
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    wid, secret = body["id"], body["secret"]
    assert secret.startswith("whsec_") and body["scenario_label"] == "政府采购"

    newcomer = uscc("MA2PWA02")
    added = client.post(
        f"/api/v1/watch-lists/{wid}/subjects",
        headers=dept.headers,
        json={"codes": [supplier, newcomer, "91350200XXXXXXXXXX"]},
    ).json()
    assert {a["code"]: a["status"] for a in added["added"]} == {
        supplier: "clear",
        newcomer: "unknown",
    }
    assert [p["code"] for p in added["problems"]] == ["91350200XXXXXXXXXX"]

    listing = client.get("/api/v1/watch-lists", headers=dept.headers).json()["watch_lists"]
    assert [w["id"] for w in listing] == [wid] and "secret" not in listing[0]
    detail = client.get(f"/api/v1/watch-lists/{wid}", headers=dept.headers).json()
    assert detail["entries"] == 2 and detail["statuses"] == {"clear": 1, "unknown": 1}

    _punish(runtime, sid)
    queued = client.get(f"/api/v1/watch-lists/{wid}/deliveries", headers=dept.headers).json()
    [delivery] = queued["deliveries"]
    assert delivery["status"] == "queued" and delivery["changes"] == 1
    assert delivery["payload"]["changes"][0]["status"] == "restrict"
    detail = client.get(f"/api/v1/watch-lists/{wid}", headers=dept.headers).json()
    assert {s["code"]: s["status"] for s in detail["subjects"]}[supplier] == "restrict"

    counts = deliver_webhooks(
        runtime.sessions, runtime.vault, now=utcnow(), max_attempts=1, timeout=2
    )
    assert counts.dead == 1
    dead = client.get(
        f"/api/v1/watch-lists/{wid}/deliveries", params={"status": "dead"}, headers=dept.headers
    ).json()["deliveries"]
    assert [d["id"] for d in dead] == [delivery["id"]]
    assert dead[0]["last_error"].startswith("connection failed")
    retried = client.post(
        f"/api/v1/watch-lists/{wid}/deliveries/{delivery['id']}/retry", headers=dept.headers
    )
    assert retried.status_code == 200 and retried.json()["status"] == "queued"
    again = client.post(
        f"/api/v1/watch-lists/{wid}/deliveries/{delivery['id']}/retry", headers=dept.headers
    )
    assert again.status_code == 409

    replaced = client.put(
        f"/api/v1/watch-lists/{wid}/subjects", headers=dept.headers, json={"codes": [supplier]}
    ).json()
    assert replaced["removed"] == [newcomer]
    removed = client.request(
        "DELETE",
        f"/api/v1/watch-lists/{wid}/subjects",
        headers=dept.headers,
        json={"codes": [supplier]},
    ).json()
    assert removed["removed"] == [supplier]

    assert client.delete(f"/api/v1/watch-lists/{wid}", headers=dept.headers).status_code == 204
    assert client.get(f"/api/v1/watch-lists/{wid}", headers=dept.headers).status_code == 404


def test_another_department_and_anonymous_callers_see_nothing(
    client: TestClient, runtime: Runtime
) -> None:
    dept = make_department(runtime)
    other = make_department(runtime, body="HB350202", name="厦门市生态环境局", user="sthj")
    wid = client.post(
        "/api/v1/watch-lists",
        headers=dept.headers,
        json={"name": "供应商", "scenario": "bidding", "webhook_url": "https://a.gov.cn/h"},
    ).json()["id"]

    assert client.get("/api/v1/watch-lists", headers=other.headers).json()["watch_lists"] == []
    assert client.get(f"/api/v1/watch-lists/{wid}", headers=other.headers).status_code == 404
    assert (
        client.post(
            f"/api/v1/watch-lists/{wid}/subjects",
            headers=other.headers,
            json={"codes": [uscc("MA2PWA03")]},
        ).status_code
        == 404
    )
    assert client.delete(f"/api/v1/watch-lists/{wid}", headers=other.headers).status_code == 404
    assert (
        client.get(f"/api/v1/watch-lists/{wid}/deliveries", headers=other.headers).status_code
        == 404
    )
    assert client.get("/api/v1/watch-lists").status_code == 401
    assert client.get(f"/api/v1/watch-lists/{wid}", headers=dept.headers).status_code == 200
