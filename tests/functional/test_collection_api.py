"""Departments' systems report over the HTTP API: per-row report, quarantine, fix and
resend, corrections with provenance, revocation, timeliness."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.functional.collecting import make_department, penalty, uscc
from xinyong.audit.service import events_for
from xinyong.db import china_today
from xinyong.ingest.models import QuarantineRow, Submission
from xinyong.records.models import CreditRecord
from xinyong.records.service import is_published
from xinyong.runtime import Runtime

BAD_CODE = uscc("MA2P0003")[:-1] + ("0" if uscc("MA2P0003")[-1] != "0" else "1")


def test_api_report_names_every_bad_row_and_keeps_it_in_quarantine(
    client: TestClient, runtime: Runtime
) -> None:
    dept = make_department(runtime)
    rows = [penalty(dept, 1), penalty(dept, 2), penalty(dept, 3, CF_XDR_SHXYM=BAD_CODE)]
    rows[1]["CF_NR_FK"] = ""  # 罚款 without an amount
    response = client.post("/api/v1/records/xzcf", json=rows, headers=dept.headers)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["accepted"], report["rejected"], report["updated"]) == (1, 2, 0)
    by_row = {(r["row"], r["field"]): r for r in report["rows"]}
    assert by_row[(2, "CF_NR_FK")]["level"] == "error"
    assert "罚款金额" in by_row[(2, "CF_NR_FK")]["reason"]
    assert "校验位" in by_row[(3, "CF_XDR_SHXYM")]["reason"]
    assert set(report) >= {"accepted", "updated", "unchanged", "rejected", "warnings", "rows"}

    listed = client.get("/api/v1/quarantine", headers=dept.headers).json()
    assert listed["total"] == 2
    kept = {r["row"]: r for r in listed["rows"]}
    assert kept[3]["raw"]["CF_XDR_SHXYM"] == BAD_CODE  # original content, as sent

    # Sending the same file again: nothing duplicated.
    again = client.post("/api/v1/records/xzcf", json=rows, headers=dept.headers).json()
    assert (again["accepted"], again["unchanged"], again["rejected"]) == (0, 1, 2)
    assert client.get("/api/v1/quarantine", headers=dept.headers).json()["total"] == 2


def test_quarantined_row_fixed_and_resent_is_loaded_and_resolved(
    client: TestClient, runtime: Runtime
) -> None:
    dept = make_department(runtime)
    bad = penalty(dept, 7, CF_XDR_SHXYM=BAD_CODE)
    client.post("/api/v1/records/xzcf", json=[bad], headers=dept.headers)
    (row,) = client.get("/api/v1/quarantine", headers=dept.headers).json()["rows"]

    still_bad = client.post(
        f"/api/v1/quarantine/{row['id']}/resubmit",
        json={"values": {**row["raw"], "CF_JDRQ": "2099-01-01"}},
        headers=dept.headers,
    ).json()
    assert still_bad["rejected"] == 1
    listed = client.get("/api/v1/quarantine", headers=dept.headers).json()
    assert listed["total"] == 1  # still one row, with the new problems
    assert any(p["field"] == "CF_JDRQ" for p in listed["rows"][0]["problems"])

    fixed = {**row["raw"], "CF_XDR_SHXYM": uscc("MA2P0007")}
    report = client.post(
        f"/api/v1/quarantine/{row['id']}/resubmit", json={"values": fixed}, headers=dept.headers
    ).json()
    assert report["accepted"] == 1, report
    assert client.get("/api/v1/quarantine", headers=dept.headers).json()["total"] == 0
    resolved = client.get(f"/api/v1/quarantine/{row['id']}", headers=dept.headers).json()
    assert resolved["status"] == "resolved"
    record = client.get(
        "/api/v1/records/xzcf", params={"doc_number": bad["CF_WSH"]}, headers=dept.headers
    ).json()
    assert record["first_pass"] is False  # it failed its first submission


def test_changed_resend_is_a_correction_with_per_value_provenance(
    client: TestClient, runtime: Runtime
) -> None:
    dept = make_department(runtime)
    first = client.post("/api/v1/records/xzcf", json=[penalty(dept, 1)], headers=dept.headers)
    changed = penalty(dept, 1, CF_NR="罚款人民币6万元", CF_NR_FK="6")
    second = client.post(
        "/api/v1/records/xzcf",
        json={"records": [changed], "reason": "金额录入错误"},
        headers=dept.headers,
    ).json()
    assert second["updated"] == 1 and second["accepted"] == 0
    record = client.get(
        "/api/v1/records/xzcf", params={"doc_number": changed["CF_WSH"]}, headers=dept.headers
    ).json()
    assert record["version"] == 2
    sources = record["value_sources"]
    assert sources["CF_NR_FK"] == second["submission_id"]
    assert sources["CF_NR"] == second["submission_id"]
    assert sources["CF_WFXW"] == first.json()["submission_id"]
    with runtime.sessions() as session:
        (correction,) = [
            e for e in events_for(session, "record", record["id"]) if e.action == "record.correct"
        ]
        assert correction.reason == "金额录入错误"
        assert correction.before is not None
        assert correction.before["values"]["CF_NR_FK"] == "5"
        sub = session.get(Submission, __import__("uuid").UUID(second["submission_id"]))
        assert sub is not None and sub.updated == 1


def test_revoked_record_leaves_publication_within_three_working_days(
    client: TestClient, runtime: Runtime
) -> None:
    dept = make_department(runtime)
    row = penalty(dept, 1)
    client.post("/api/v1/records/xzcf", json=[row], headers=dept.headers)
    response = client.post(
        "/api/v1/records/xzcf/revoke",
        json={
            "doc_number": row["CF_WSH"],
            "reason": "行政复议撤销",
            "legal_basis": "厦府复〔2026〕1号",
        },
        headers=dept.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "revoked"
    unpublish_by = dt.date.fromisoformat(body["unpublish_by"])
    assert china_today() < unpublish_by <= china_today() + dt.timedelta(days=9)
    with runtime.sessions() as session:
        record = session.execute(
            select(CreditRecord).where(CreditRecord.doc_number == row["CF_WSH"])
        ).scalar_one()
        assert not is_published(record, china_today())
        actions = [e.action for e in events_for(session, "record", record.id)]
        assert actions == ["record.create", "record.revoke"]
    # Resending the revoked decision does not bring it back.
    again = client.post("/api/v1/records/xzcf", json=[row], headers=dept.headers).json()
    assert again["unchanged"] == 1 and again["warnings"] == 1


def test_department_cannot_report_another_authoritys_decision(
    client: TestClient, runtime: Runtime
) -> None:
    dept = make_department(runtime)
    other = uscc("HB350202", "11", "350200")
    row = penalty(dept, 1, CF_CFJGDM=other)
    report = client.post("/api/v1/records/xzcf", json=[row], headers=dept.headers).json()
    assert report["rejected"] == 1
    (problem,) = [r for r in report["rows"] if r["field"] == "CF_CFJGDM"]
    assert other in problem["reason"] and "本单位" in problem["reason"]


def test_timeliness_counts_working_days_and_late_records_are_accepted(
    client: TestClient, runtime: Runtime
) -> None:
    dept = make_department(runtime)
    old = penalty(dept, 1, decided=dt.date(2026, 3, 5))
    fresh = penalty(dept, 2, decided=china_today())
    report = client.post("/api/v1/records/xzcf", json=[old, fresh], headers=dept.headers).json()
    assert report["accepted"] == 2
    with runtime.sessions() as session:
        records = {
            r.doc_number: r
            for r in session.execute(
                select(CreditRecord).where(CreditRecord.authority_code == dept.uscc)
            ).scalars()
        }
        late = records[old["CF_WSH"]]
        assert late.late is True and late.lag_workdays is not None and late.lag_workdays > 7
        assert records[fresh["CF_WSH"]].late is False
        assert records[fresh["CF_WSH"]].lag_workdays == 0


def test_api_refuses_non_list_body_and_unknown_item(client: TestClient, runtime: Runtime) -> None:
    dept = make_department(runtime)
    bad = client.post("/api/v1/records/xzcf", json={"x": 1}, headers=dept.headers)
    assert bad.status_code == 422
    assert "JSON 数组" in bad.json()["error"]["message"]
    unknown = client.post("/api/v1/records/nosuch", json=[{}], headers=dept.headers)
    assert unknown.status_code == 404
    anonymous = client.post("/api/v1/records/xzcf", json=[penalty(dept)])
    assert anonymous.status_code == 401
    with runtime.sessions() as session:
        assert session.execute(select(QuarantineRow)).first() is None


def test_resubmission_may_send_only_the_corrected_cells(
    client: TestClient, runtime: Runtime
) -> None:
    dept = make_department(runtime)
    bad = penalty(dept, 9, CF_XDR_SHXYM=BAD_CODE)
    client.post("/api/v1/records/xzcf", json=[bad], headers=dept.headers)
    (row,) = client.get("/api/v1/quarantine", headers=dept.headers).json()["rows"]
    report = client.post(
        f"/api/v1/quarantine/{row['id']}/resubmit",
        json={"values": {"统一社会信用代码": uscc("MA2P0009")}},  # a Chinese name works too
        headers=dept.headers,
    ).json()
    assert report["accepted"] == 1, report


def test_amount_written_differently_is_an_identical_resend(
    client: TestClient, runtime: Runtime
) -> None:
    dept = make_department(runtime)
    client.post("/api/v1/records/xzcf", json=[penalty(dept, 1)], headers=dept.headers)
    again = client.post(
        "/api/v1/records/xzcf",
        json=[penalty(dept, 1, CF_NR_FK="5.00", CF_JDRQ="2026/03/05")],
        headers=dept.headers,
    ).json()
    assert (again["unchanged"], again["updated"]) == (1, 0)


def test_api_key_loads_a_cf_csv_and_an_xlsx_with_chinese_headers(
    client: TestClient, runtime: Runtime, tmp_path: Path
) -> None:
    import io

    from openpyxl import Workbook

    from tests.functional.collecting import chinese, csv_text

    runtime.settings = runtime.settings.model_copy(update={"upload_dir": tmp_path})
    dept = make_department(runtime)
    rows = [penalty(dept, 1), penalty(dept, 2, CF_XDR_SHXYM=BAD_CODE)]
    response = client.post(
        "/api/v1/records/xzcf/file",
        files={"file": ("penalties.csv", csv_text(rows).encode("utf-8"), "text/csv")},
        headers=dept.headers,
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["accepted"], report["rejected"]) == (1, 1)
    assert [(r["row"], r["field"]) for r in report["rows"]] == [(2, "CF_XDR_SHXYM")]

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    xlsx_rows = [chinese(penalty(dept, n)) for n in (3, 4)]
    sheet.append(list(xlsx_rows[0]))
    for row in xlsx_rows:
        sheet.append(list(row.values()))
    buffer = io.BytesIO()
    book.save(buffer)
    response = client.post(
        "/api/v1/records/xzcf/file",
        files={"file": ("处罚.xlsx", buffer.getvalue(), "application/octet-stream")},
        data={"reason": "月度报送"},
        headers=dept.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 2
    assert len(list(tmp_path.iterdir())) == 2  # both originals kept


def test_submission_report_can_be_read_again_by_its_department_only(
    client: TestClient, runtime: Runtime
) -> None:
    dept = make_department(runtime)
    other = make_department(runtime, "HB350202", "厦门市生态环境局", "sthj")
    rows = [penalty(dept, 1), penalty(dept, 2, CF_XDR_SHXYM=BAD_CODE)]
    sent = client.post("/api/v1/records/xzcf", json=rows, headers=dept.headers).json()
    again = client.get(f"/api/v1/submissions/{sent['submission_id']}", headers=dept.headers)
    assert again.status_code == 200
    report = again.json()
    assert (report["accepted"], report["rejected"], report["status"]) == (1, 1, "done")
    assert [(r["row"], r["field"]) for r in report["rows"]] == [(2, "CF_XDR_SHXYM")]
    hidden = client.get(f"/api/v1/submissions/{sent['submission_id']}", headers=other.headers)
    assert hidden.status_code == 404


def test_quarantined_row_withdrawn_over_the_api_needs_a_reason_and_is_kept(
    client: TestClient, runtime: Runtime
) -> None:
    dept = make_department(runtime)
    client.post(
        "/api/v1/records/xzcf", json=[penalty(dept, 5, CF_XDR_SHXYM=BAD_CODE)], headers=dept.headers
    )
    (row,) = client.get("/api/v1/quarantine", headers=dept.headers).json()["rows"]
    refused = client.post(
        f"/api/v1/quarantine/{row['id']}/withdraw", json={"reason": " "}, headers=dept.headers
    )
    assert refused.status_code == 422 and "理由" in refused.json()["error"]["message"]
    done = client.post(
        f"/api/v1/quarantine/{row['id']}/withdraw", json={"reason": "误报"}, headers=dept.headers
    )
    assert done.status_code == 200 and done.json()["status"] == "withdrawn"
    kept = client.get("/api/v1/quarantine", params={"status": "withdrawn"}, headers=dept.headers)
    assert [r["id"] for r in kept.json()["rows"]] == [row["id"]]
    twice = client.post(
        f"/api/v1/quarantine/{row['id']}/withdraw", json={"reason": "误报"}, headers=dept.headers
    )
    assert twice.status_code == 409


def test_office_admin_revokes_a_departments_record_over_the_api(
    client: TestClient, runtime: Runtime
) -> None:
    from xinyong.accounts.service import create_account, create_organisation
    from xinyong.actors import Actor

    dept = make_department(runtime)
    row = penalty(dept, 1)
    client.post("/api/v1/records/xzcf", json=[row], headers=dept.headers)
    with runtime.sessions() as session:
        office = uscc("XY350200", "11", "350200")
        create_organisation(
            session, actor=Actor.system(), name="信用办", uscc=office, kind="office"
        )
        create_account(
            session,
            actor=Actor.system(),
            username="xyb",
            password="Office-2026-pass",
            org_uscc=office,
            roles="office_admin",
            display_name="信用办管理员",
        )
        session.commit()
    token = client.post(
        "/api/v1/auth/token", data={"username": "xyb", "password": "Office-2026-pass"}
    ).json()["access_token"]
    admin = {"Authorization": f"Bearer {token}"}
    body = {"doc_number": row["CF_WSH"], "reason": "法院判决撤销"}
    own_only = client.post("/api/v1/records/xzcf/revoke", json=body, headers=admin)
    assert own_only.status_code == 404  # without naming the department: the office's own
    revoked = client.post(
        "/api/v1/records/xzcf/revoke", json={**body, "department": dept.uscc}, headers=admin
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["publication_state"] == "revoked"
    # A department cannot use "department" to reach another one's records.
    other = make_department(runtime, "HB350202", "厦门市生态环境局", "sthj")
    foreign = client.post(
        "/api/v1/records/xzcf/revoke", json={**body, "department": dept.uscc}, headers=other.headers
    )
    assert foreign.status_code == 404
