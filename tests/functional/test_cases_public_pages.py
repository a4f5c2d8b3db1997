"""The applicant's side of objections and credit repair on the website: links from the
credit file, filing through the forms, the filed page with number and 查询码, 办件查询
and withdrawal, refusals re-rendered with the reason and the typed values, the repair
checklist and its blocking reasons (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.functional.cases_public import (
    NUMBER_RE,
    OFFICE,
    CaseSite,
    case_context,
    png,
    seed,
)
from xinyong.cases import handling
from xinyong.cases.context import open_case
from xinyong.cases.models import CreditCase
from xinyong.db import transaction
from xinyong.records.models import CreditRecord
from xinyong.runtime import Runtime


@pytest.fixture
def cs(runtime: Runtime) -> CaseSite:
    return seed(runtime)


def objection_form(cs: CaseSite, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "record": cs.first,
        "subject_name": cs.site.firm_name,
        "subject_code": cs.site.firm_code,
        "applicant_role": "subject",
        "ground": "content",
        "fields": ["CF_NR_FK"],
        "reason": "罚款金额登记有误，应为人民币3万元。",
        "contact_name": "王伟",
        "contact_phone": "13800138000",
        "contact_email": "wangwei@example.com",
    }
    data.update(extra)
    return data


def file_objection(client: TestClient, cs: CaseSite, **extra: Any) -> tuple[str, str]:
    response = client.post(
        "/cases/objection",
        data=objection_form(cs, **extra),
        files=[("evidence", ("决定书.png", png(), "image/png"))],
    )
    assert response.status_code == 200, response.text
    assert "异议申请已提交" in response.text
    number = NUMBER_RE.search(response.text)
    assert number is not None
    code = response.text.split('data-testid="access-code">')[1].split("<")[0]
    return number.group(0), code


def test_credit_file_links_objection_and_repair_instead_of_the_placeholder(
    client: TestClient, cs: CaseSite
) -> None:
    page = client.get(f"/subjects/{cs.site.firm_code}")
    assert page.status_code == 200
    assert f'href="/cases/objection?record={cs.first}"' in page.text
    assert f'href="/cases/repair?record={cs.first}"' in page.text
    assert "提出异议" in page.text and "申请信用修复" in page.text
    assert "即将开放" not in page.text
    assert 'href="/cases/lookup"' in page.text and "办件查询" in page.text


def test_guide_page_states_the_configured_deadlines(client: TestClient, runtime: Runtime) -> None:
    page = client.get("/cases")
    assert page.status_code == 200
    s = runtime.settings
    assert f"{s.repair_office_days} 个工作日内审核" in page.text
    assert f"{s.objection_department_days} 个工作日内答复" in page.text
    assert "不可提前修复" in page.text
    assert 'href="/cases">异议与信用修复</a>' in page.text


def test_objection_form_shows_the_record_fields_grounds_and_size_limit(
    client: TestClient, cs: CaseSite, runtime: Runtime
) -> None:
    page = client.get(f"/cases/objection?record={cs.first}")
    assert page.status_code == 200
    assert 'name="fields" value="CF_NR_FK"' in page.text
    assert "已申请行政复议" in page.text and "受托代理人" in page.text
    assert f"不超过 {runtime.settings.attachment_max_mb} MB" in page.text
    assert 'accept=".pdf,.png,.jpg,.jpeg"' in page.text
    assert f'value="{cs.site.firm_code}"' in page.text  # an organisation's code is prefilled


def test_objection_filed_through_the_form_can_be_followed_with_its_code(
    client: TestClient, cs: CaseSite
) -> None:
    number, code = file_objection(client, cs)
    assert number.startswith("YY") and len(code) == 8

    found = client.post("/cases/lookup", data={"number": number, "access_code": code.lower()})
    assert found.status_code == 200
    assert found.headers["cache-control"] == "no-store"
    assert "待受理" in found.text
    assert "厦市监罚〔2026〕1号" in found.text
    assert "提交异议：信息内容有误" in found.text
    assert 'action="/cases/withdraw"' in found.text

    wrong = client.post("/cases/lookup", data={"number": number, "access_code": "AAAAAAAA"})
    assert wrong.status_code == 404
    assert "案件编号或查询码不正确" in wrong.text
    assert "待受理" not in wrong.text


def test_second_objection_is_refused_with_the_reason_and_the_typed_reason_kept(
    client: TestClient, cs: CaseSite
) -> None:
    number, _ = file_objection(client, cs)
    form = client.get(f"/cases/objection?record={cs.first}")
    assert f"已有正在办理的异议申请（{number}）" in form.text
    assert 'action="/cases/objection"' not in form.text
    again = client.post(
        "/cases/objection",
        data=objection_form(cs, reason="第二次提出：决定日期也有误。"),
        files=[("evidence", ("决定书.png", png(), "image/png"))],
    )
    assert again.status_code == 409
    assert f"已有正在办理的异议申请（{number}）" in again.text
    assert "第二次提出：决定日期也有误。</textarea>" in again.text
    assert "附件需要重新选择" in again.text


def test_wrong_type_attachment_is_refused_next_to_its_field(
    client: TestClient, cs: CaseSite, runtime: Runtime
) -> None:
    response = client.post(
        "/cases/objection",
        data=objection_form(cs),
        files=[("evidence", ("证明.pdf", b"not really a pdf", "application/pdf"))],
    )
    assert response.status_code == 422
    assert 'id="evidence-error"' in response.text
    assert "罚款金额登记有误" in response.text  # typed values kept
    with runtime.sessions() as session:
        assert open_case(session, uuid.UUID(cs.first)) is None


def test_agent_without_authorisation_is_told_which_file_is_missing(
    client: TestClient, cs: CaseSite
) -> None:
    response = client.post(
        "/cases/objection",
        data=objection_form(cs, applicant_role="agent"),
        files=[("evidence", ("决定书.png", png(), "image/png"))],
    )
    assert response.status_code == 422
    assert 'id="authorisation-error"' in response.text
    assert "须上传：授权委托书" in response.text
    assert 'value="agent" checked' in response.text


def test_accepted_objection_marks_the_record_on_the_credit_file_and_its_json(
    client: TestClient, cs: CaseSite, runtime: Runtime
) -> None:
    response = client.post(
        "/cases/objection",
        data=objection_form(cs, ground="litigation", fields=[]),
        files=[("acceptance_notice", ("受理通知书.png", png(), "image/png"))],
    )
    assert response.status_code == 200, response.text
    number = NUMBER_RE.search(response.text)
    assert number is not None
    with transaction(runtime.sessions) as session:
        case = session.query(CreditCase).filter_by(number=number.group(0)).one()
        handling.mark(
            session, case_context(runtime, session), actor=OFFICE, case_id=case.id, accept=True
        )
    page = client.get(f"/subjects/{cs.site.firm_code}")
    assert '<span class="case-mark">复议/诉讼中</span>' in page.text
    data = client.get(f"/api/v1/subjects/{cs.site.firm_code}").json()
    marks = [r.get("mark") for r in data["sections"]["xzcf"]["records"]]
    assert marks == ["复议/诉讼中"]


def test_applicant_withdraws_an_open_objection(client: TestClient, cs: CaseSite) -> None:
    number, code = file_objection(client, cs)
    done = client.post(
        "/cases/withdraw", data={"number": number, "access_code": code, "reason": "已与部门沟通"}
    )
    assert done.status_code == 200
    assert "申请已撤回" in done.text and "已撤回" in done.text
    assert 'action="/cases/withdraw"' not in done.text
    # the record may be objected to again
    file_objection(client, cs)


def test_repair_of_a_never_repairable_penalty_shows_the_reason_and_no_form(
    client: TestClient, cs: CaseSite
) -> None:
    page = client.get(f"/cases/repair?record={cs.revoked}")
    assert page.status_code == 200
    assert "该处罚属于不可提前修复的情形" in page.text
    assert "吊销" in page.text
    assert 'action="/cases/repair"' not in page.text


def test_repair_before_the_minimum_period_shows_the_date_and_no_form(
    client: TestClient, cs: CaseSite, runtime: Runtime
) -> None:
    with runtime.sessions() as session:
        record = session.get(CreditRecord, uuid.UUID(cs.first))
        assert record is not None and record.earliest_repair is not None
        earliest = record.earliest_repair.isoformat()
    page = client.get(f"/cases/repair?record={cs.first}")
    assert page.status_code == 200
    assert f"最短公示期未满，{earliest} 起方可申请" in page.text
    assert 'action="/cases/repair"' not in page.text


def test_repair_checklist_then_application_through_the_form(
    client: TestClient, cs: CaseSite
) -> None:
    page = client.get(f"/cases/repair?record={cs.due}")
    assert page.status_code == 200
    assert "未满足" in page.text and "已满足" in page.text
    assert 'name="performance"' in page.text
    assert 'name="declarations" value="harm_removed"' in page.text
    assert "信用修复承诺书" in page.text and "违诺责任" in page.text
    assert "本人已阅读并承诺" in page.text
    assert f"/records/{cs.due}/repair-letter" in page.text

    form = {
        "record": cs.due,
        "subject_name": cs.due_name,
        "subject_code": cs.due_code,
        "applicant_role": "subject",
        "declarations": ["harm_removed"],
        "reason": "已缴清罚款并完成整改。",
        "signatory": "王伟",
        "contact_name": "王伟",
        "contact_phone": "13800138000",
    }
    files = [("performance", ("缴款凭证.png", png(), "image/png"))]
    unsigned = client.post("/cases/repair", data=form, files=files)
    assert unsigned.status_code == 422
    assert 'id="committed-error"' in unsigned.text
    assert 'value="王伟"' in unsigned.text

    no_proof = client.post("/cases/repair", data={**form, "committed": "1"})
    assert no_proof.status_code == 422
    assert 'id="performance-error"' in no_proof.text

    filed = client.post("/cases/repair", data={**form, "committed": "1"}, files=files)
    assert filed.status_code == 200, filed.text
    assert "信用修复申请已提交" in filed.text
    assert NUMBER_RE.search(filed.text) is not None
    assert "未填写电子邮箱" in filed.text


def test_unknown_record_answers_a_404_page_not_a_500(client: TestClient) -> None:
    for url in ("/cases/objection?record=nonsense", "/cases/repair?record=" + "0" * 32):
        page = client.get(url)
        assert page.status_code == 404
        assert "未找到该信用信息" in page.text


def test_lookup_is_rate_limited(client: TestClient, runtime: Runtime) -> None:
    statuses = [
        client.post("/cases/lookup", data={"number": "YY202611240001", "access_code": f"X{n}"})
        for n in range(25)
    ]
    assert statuses[0].status_code == 404
    assert statuses[-1].status_code == 429
    assert "访问过于频繁" in statuses[-1].text
