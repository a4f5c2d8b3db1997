"""HTTP flows: health, OpenAPI, public pages in Chinese, reference API, clear errors."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session


def test_healthz_answers(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_openapi_describes_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/codes/check" in spec["paths"]
    assert "/api/v1/rules/periods" in spec["paths"]


def test_home_page_is_chinese_with_landmarks(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    html = r.text
    assert '<html lang="zh-CN">' in html
    assert "<main" in html and "<nav" in html and "<footer" in html
    assert "公共信用信息平台" in html


def test_catalog_pages_list_national_items(client: TestClient) -> None:
    html = client.get("/catalog").text
    for code in ("xzxk", "xzcf", "djzc", "yzsx"):
        assert f'href="/catalog/{code}"' in html
    item = client.get("/catalog/xzcf").text
    assert "CF_WSH" in item and "行政处罚决定书文号" in item


def test_unknown_catalog_item_is_a_chinese_404_page(client: TestClient) -> None:
    r = client.get("/catalog/nope")
    assert r.status_code == 404
    assert "目录中没有信息事项" in r.text


def test_code_check_page_names_expected_check_character(client: TestClient) -> None:
    r = client.get("/tools/code-check", params={"code": "91110000600037341N"})
    assert r.status_code == 200
    assert "校验未通过" in r.text and "L" in r.text


def test_codes_check_api(client: TestClient) -> None:
    r = client.post("/api/v1/codes/check", json={"codes": ["92340602MA2PBMEM24", "12345"]})
    assert r.status_code == 200
    results = r.json()["results"]
    assert [x["valid"] for x in results] == [True, False]


def test_codes_check_api_refuses_an_oversized_batch(client: TestClient) -> None:
    r = client.post("/api/v1/codes/check", json={"codes": ["1"] * 101})
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "codes"


def test_rules_periods_api(client: TestClient) -> None:
    r = client.get(
        "/api/v1/rules/periods",
        params={"item": "xzcf", "severity": "严重", "decided": "2020-03-02"},
    )
    assert r.status_code == 200
    body = r.json()
    assert body["rule_set"] == "发改办财金〔2019〕527号"
    assert body["auto_withdraw"] == "2023-03-02"


def test_bad_date_in_api_names_the_field_in_chinese(client: TestClient) -> None:
    r = client.get(
        "/api/v1/rules/periods",
        params={"item": "xzcf", "severity": "一般", "decided": "2024-02-30"},
    )
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["field"] == "decided"
    assert "日期" in err["message"]


def test_decision_before_any_rule_set_is_a_clear_error(client: TestClient) -> None:
    r = client.get(
        "/api/v1/rules/periods",
        params={"item": "xzcf", "severity": "一般", "decided": "2015-01-05"},
    )
    assert r.status_code == 404
    assert r.json()["error"]["field"] == "decided"


def test_add_workdays_api_flags_provisional_years(client: TestClient) -> None:
    r = client.get("/api/v1/calendar/add-workdays", params={"date": "2026-12-25", "n": 10})
    assert r.status_code == 200
    assert r.json()["provisional"] is True


def test_a_failed_commit_is_never_answered_as_success(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request's transaction commits before the response is sent: a commit that
    fails gives an error, not a page that claims the change was made."""

    def failing_commit(self: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("disk full"))

    monkeypatch.setattr(Session, "commit", failing_commit)
    r = client.get("/api/v1/subjects", params={"q": "信泽"})
    assert r.status_code == 500
    assert "hits" not in r.text
