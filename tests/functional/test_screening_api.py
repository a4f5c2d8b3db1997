"""POST /api/v1/screening over HTTP: API key required, the answer's JSON shape, clear
422s, and a past screening fetched by its own organisation only."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.functional.collecting import make_department, penalty, recent_working_day
from xinyong.runtime import Runtime


def _restricted_subject(client: TestClient, runtime: Runtime) -> tuple[Any, str]:
    """A department reports a penalty revoking a licence over the collection API; the
    commit hook precomputes the subject's measures."""
    dept = make_department(runtime)
    row = penalty(
        dept,
        7,
        CF_CFLB="罚款、吊销营业执照",
        CF_NR_ZKDX="营业执照",
        decided=recent_working_day(30),
    )
    sent = client.post("/api/v1/records/xzcf", headers=dept.headers, json=[row])
    assert sent.status_code == 200, sent.text
    return dept, row["CF_XDR_SHXYM"]


def test_screening_needs_an_api_key(client: TestClient) -> None:
    answer = client.post("/api/v1/screening", json={"scenario": "procurement", "subjects": ["x"]})
    assert answer.status_code == 401


def test_a_restricted_subject_over_http_and_fetching_it_again(
    client: TestClient, runtime: Runtime
) -> None:
    dept, code = _restricted_subject(client, runtime)
    answer = client.post(
        "/api/v1/screening",
        headers=dept.headers,
        json={"scenario": "procurement", "subjects": [code, "91350200MA2PBMEM00"]},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {
        "screening_id",
        "scenario",
        "scenario_label",
        "created_at",
        "caller",
        "counts",
        "results",
        "names",
    }
    assert body["scenario_label"] == "政府采购"
    first, second = body["results"]
    assert first["status"] == "restrict" and first["query"] == code
    measure = first["measures"][0]
    assert measure["code"] == "procurement-major-violation"
    assert measure["legal_basis"][0]["document"] == "《中华人民共和国政府采购法》"
    assert measure["triggers"][0]["type"] == "record"
    assert measure["triggers"][0]["item"] == "xzcf"
    assert second["status"] == "invalid" and second["reason"]
    assert body["counts"] == {"restrict": 1, "invalid": 1}

    again = client.get(f"/api/v1/screening/{body['screening_id']}", headers=dept.headers)
    assert again.status_code == 200
    assert again.json()["results"] == body["results"]

    other = make_department(runtime, "HB350202", "厦门市生态环境局", "sthj")
    refused = client.get(f"/api/v1/screening/{body['screening_id']}", headers=other.headers)
    assert refused.status_code == 403
    assert "本单位" in refused.text


def test_names_only_give_candidates_with_a_reason(client: TestClient, runtime: Runtime) -> None:
    dept, _code = _restricted_subject(client, runtime)
    answer = client.post(
        "/api/v1/screening",
        headers=dept.headers,
        json={"scenario": "procurement", "names": ["鹭岛信泽0007"]},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["results"] == []
    (name,) = body["names"]
    candidate = name["candidates"][0]
    assert "status" not in candidate
    assert 0 < candidate["score"] <= 1 and "鹭岛信泽0007" in candidate["reason"]


def test_bad_input_gets_clear_422s(client: TestClient, runtime: Runtime) -> None:
    dept = make_department(runtime)
    too_many = client.post(
        "/api/v1/screening",
        headers=dept.headers,
        json={"scenario": "procurement", "subjects": ["91350200MA2PBMEM0X"] * 1001},
    )
    assert too_many.status_code == 422
    assert "1000" in too_many.text
    unknown = client.post(
        "/api/v1/screening",
        headers=dept.headers,
        json={"scenario": "lottery", "subjects": ["91350200MA2PBMEM0X"]},
    )
    assert unknown.status_code == 422
    assert "procurement" in unknown.text and "政府采购" in unknown.text
    empty = client.post("/api/v1/screening", headers=dept.headers, json={"scenario": "bidding"})
    assert empty.status_code == 422
    missing = client.get(
        "/api/v1/screening/00000000-0000-4000-8000-000000000000", headers=dept.headers
    )
    assert missing.status_code == 404


def test_the_api_is_documented_in_openapi(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/api/v1/screening"]["post"]
    assert post["tags"] == ["联合奖惩 screening"]
    assert "ScreeningOut" in str(post["responses"]["200"])
