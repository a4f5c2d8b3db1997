"""The applicant's JSON API of objections and credit repair: the repair checklist,
filing (multipart, files named by purpose) with 201 and the 查询码, lookup and
withdrawal by number and code, and refusals as JSON naming the field (SQLite and
PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.functional.cases_public import NUMBER_RE, CaseSite, png, seed
from tests.functional.collecting import penalty
from xinyong.runtime import Runtime


@pytest.fixture
def cs(runtime: Runtime) -> CaseSite:
    return seed(runtime)


def objection(cs: CaseSite, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "record": cs.first,
        "subject_name": cs.site.firm_name,
        "subject_code": cs.site.firm_code,
        "ground": "content",
        "fields": ["CF_NR_FK"],
        "reason": "罚款金额登记有误。",
        "contact_name": "王伟",
        "contact_phone": "13800138000",
        "contact_email": "wangwei@example.com",
    }
    data.update(extra)
    return data


EVIDENCE = [("evidence", ("决定书.png", png(), "image/png"))]


def test_objection_filed_over_the_api_returns_201_with_number_and_code(
    client: TestClient, cs: CaseSite
) -> None:
    response = client.post("/api/v1/objections", data=objection(cs), files=EVIDENCE)
    assert response.status_code == 201, response.text
    body = response.json()
    assert NUMBER_RE.fullmatch(body["number"]) and body["number"].startswith("YY")
    assert len(body["access_code"]) == 8
    assert body["status"] == "submitted" and body["status_label"] == "待受理"
    assert body["due_on"] >= body["filed_on"]
    masked = body["email_masked"]
    assert masked.startswith("w") and masked.endswith("@example.com") and "wangwei" not in masked

    found = client.post(
        "/api/v1/cases/lookup",
        json={"number": body["number"], "access_code": body["access_code"]},
    )
    assert found.status_code == 200
    case = found.json()
    assert case["status"] == "submitted" and case["open"] is True
    assert case["record"]["doc_number"] == "厦市监罚〔2026〕1号"
    assert case["fields"] == ["罚款金额"]
    assert [h["text"] for h in case["history"]] == ["提交异议：信息内容有误"]
    assert case["decision"] is None

    gone = client.post(
        "/api/v1/cases/withdraw",
        json={"number": body["number"], "access_code": body["access_code"], "reason": "撤回"},
    )
    assert gone.status_code == 200
    assert gone.json()["decision"]["outcome"] == "withdrawn"


def test_wrong_access_code_is_a_json_404_naming_the_number(
    client: TestClient, cs: CaseSite
) -> None:
    body = client.post("/api/v1/objections", data=objection(cs), files=EVIDENCE).json()
    wrong = client.post(
        "/api/v1/cases/lookup", json={"number": body["number"], "access_code": "ZZZZZZZZ"}
    )
    assert wrong.status_code == 404
    assert wrong.json()["error"]["message"] == "案件编号或查询码不正确"
    assert wrong.json()["error"]["field"] == "number"


def test_second_objection_is_a_409_naming_the_record(client: TestClient, cs: CaseSite) -> None:
    first = client.post("/api/v1/objections", data=objection(cs), files=EVIDENCE).json()
    again = client.post("/api/v1/objections", data=objection(cs), files=EVIDENCE)
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["field"] == "record"
    assert first["number"] in error["message"]


def test_wrong_type_attachment_is_a_422_naming_the_file_field(
    client: TestClient, cs: CaseSite
) -> None:
    response = client.post(
        "/api/v1/objections",
        data=objection(cs),
        files=[
            ("evidence", ("决定书.png", png(), "image/png")),
            ("other", ("说明.pdf", b"plain text, not a PDF", "application/pdf")),
        ],
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "other"
    assert error["problems"][0]["field"] == "other"
    assert error["problems"][0]["reason"]


def test_missing_form_field_and_wrong_subject_are_json_with_the_field(
    client: TestClient, cs: CaseSite
) -> None:
    data = objection(cs)
    del data["contact_phone"]
    missing = client.post("/api/v1/objections", data=data, files=EVIDENCE)
    assert missing.status_code == 422
    assert missing.json()["error"]["field"] == "contact_phone"

    stranger = client.post(
        "/api/v1/objections", data=objection(cs, subject_code=cs.due_code), files=EVIDENCE
    )
    assert stranger.status_code == 403
    assert stranger.json()["error"]["field"] == "subject_code"


def test_repair_checklist_names_what_is_missing_and_why_repair_is_refused(
    client: TestClient, cs: CaseSite
) -> None:
    due = client.get(f"/api/v1/records/{cs.due}/repair-checklist")
    assert due.status_code == 200
    body = due.json()
    assert body["eligible"] is True and body["complete"] is False and body["refusal"] is None
    assert {"purpose": "performance", "label": "已履行法定义务的证明材料"} in body["attachments"]
    assert [d["code"] for d in body["declarations"]] == ["harm_removed"]

    revoked = client.get(f"/api/v1/records/{cs.revoked}/repair-checklist").json()
    assert revoked["eligible"] is False
    assert "吊销" in revoked["refusal"]

    early = client.get(f"/api/v1/records/{cs.first}/repair-checklist").json()
    assert early["eligible"] is False
    assert f"最短公示期未满，{early['earliest_repair']} 起方可申请" == early["refusal"]

    unknown = client.get("/api/v1/records/not-a-record/repair-checklist")
    assert unknown.status_code == 404 and "error" in unknown.json()


def test_repair_filed_over_the_api_after_the_minimum_period(
    client: TestClient, cs: CaseSite
) -> None:
    form = {
        "record": cs.due,
        "subject_name": cs.due_name,
        "subject_code": cs.due_code,
        "declarations": ["harm_removed"],
        "signatory": "王伟",
        "contact_name": "王伟",
        "contact_phone": "0592-1234567",
    }
    files = [("performance", ("缴款凭证.png", png(), "image/png"))]
    unsigned = client.post("/api/v1/repairs", data={**form, "committed": "false"}, files=files)
    assert unsigned.status_code == 422
    assert unsigned.json()["error"]["field"] == "committed"

    no_proof = client.post("/api/v1/repairs", data={**form, "committed": "true"})
    assert no_proof.status_code == 422
    assert no_proof.json()["error"]["field"] == "performance"

    filed = client.post("/api/v1/repairs", data={**form, "committed": "true"}, files=files)
    assert filed.status_code == 201, filed.text
    body = filed.json()
    assert body["number"].startswith("XF") and body["kind"] == "repair"
    assert body["email_masked"] is None


def test_repair_of_a_never_repairable_penalty_is_a_409_with_the_reason(
    client: TestClient, cs: CaseSite, runtime: Runtime
) -> None:
    response = client.post(
        "/api/v1/repairs",
        data={
            "record": cs.revoked,
            "subject_name": "厦门鹭岛信泽0040文化传媒有限公司",
            "subject_code": seed_code(cs, 40),
            "signatory": "王伟",
            "committed": "true",
            "contact_name": "王伟",
            "contact_phone": "13800138000",
        },
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["field"] == "record"
    assert "不能申请信用修复" in error["message"] and "吊销" in error["message"]


def seed_code(cs: CaseSite, n: int) -> str:
    return str(penalty(cs.site.dept, n)["CF_XDR_SHXYM"])


def test_openapi_documents_the_case_endpoints(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in (
        "/api/v1/records/{record_id}/repair-checklist",
        "/api/v1/objections",
        "/api/v1/repairs",
        "/api/v1/cases/lookup",
    ):
        assert path in spec["paths"], path
    post = spec["paths"]["/api/v1/objections"]["post"]
    assert post["tags"] == ["异议与信用修复 cases"]
    assert "201" in post["responses"]
    assert "/cases/objection" not in spec["paths"]  # the pages stay out of the API docs
