"""Collection API (归集): departments' systems report, correct and revoke decisions."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Form, Query, UploadFile
from sqlalchemy import select

from xinyong.accounts.models import Organisation
from xinyong.actors import Actor
from xinyong.errors import NotFound, ValidationFailed
from xinyong.ingest.models import QuarantineRow, Submission
from xinyong.ingest.quarantine import (
    get_quarantined,
    get_submission,
    list_quarantined,
    resubmit_quarantined,
    withdraw_quarantined,
)
from xinyong.ingest.readers import open_table, table_from_records
from xinyong.ingest.service import Collector
from xinyong.ingest.uploads import save_upload
from xinyong.records.models import CreditRecord
from xinyong.records.service import revoke_record, value_sources
from xinyong.runtime import Runtime
from xinyong.web.deps import CurrentActor, RuntimeDep, SessionDep

router = APIRouter(prefix="/api/v1", tags=["归集 collection"])

# One HTTP call carries at most this many decisions; larger deliveries are files.
MAX_API_ROWS = 5_000


def collector(rt: Runtime, actor: Actor) -> Collector:
    return Collector(rt.sessions, actor, rt.catalog, rt.rulebook, rt.vault)


def submission_view(sub: Submission, org: Organisation | None) -> dict[str, Any]:
    stored = sub.rows_report or {}
    return {
        "submission_id": str(sub.id),
        "item": sub.item_code,
        "department": org.uscc if org else None,
        "department_name": org.name if org else None,
        "channel": sub.channel,
        "filename": sub.filename,
        "status": sub.status,
        "accepted": sub.accepted,
        "updated": sub.updated,
        "unchanged": sub.unchanged,
        "rejected": sub.rejected,
        "warnings": sub.warnings,
        "rows_seen": sub.rows_seen,
        "rows": stored.get("rows", []),
        "rows_truncated": bool(stored.get("truncated")),
        "file_warnings": stored.get("file_warnings", []),
        "error": sub.error,
        "received_on": sub.received_on.isoformat(),
        "started_at": sub.started_at.isoformat(),
        "finished_at": sub.finished_at.isoformat() if sub.finished_at else None,
    }


def quarantine_view(row: QuarantineRow) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "submission_id": str(row.submission_id),
        "item": row.item_code,
        "row": row.row_number,
        "status": row.status,
        "raw": row.raw,
        "problems": [
            {"field": p["field"], "level": p["level"], "reason": p["reason"]}
            for p in (row.problems or {}).get("items", [])
        ],
        "received_on": row.received_on.isoformat(),
        "note": row.note,
    }


def _records_payload(payload: Any) -> tuple[list[Any], str | None]:
    if isinstance(payload, dict) and "records" in payload:
        records, reason = payload["records"], payload.get("reason")
    else:
        records, reason = payload, None
    if not isinstance(records, list):
        raise ValidationFailed.one(
            "records",
            "请求体应为 JSON 数组（每个元素是一条记录），或含 records 数组的对象",
            "body must be a JSON array of objects or {records: [...]}",
        )
    if not records:
        raise ValidationFailed.one("records", "没有记录", "no records")
    if len(records) > MAX_API_ROWS:
        raise ValidationFailed.one(
            "records",
            f"单次最多报送 {MAX_API_ROWS} 条，实际 {len(records)} 条；更多数据请分批或上传文件",
            f"at most {MAX_API_ROWS} records per call, got {len(records)}",
        )
    if reason is not None and not isinstance(reason, str):
        raise ValidationFailed.one("reason", "reason 应为文字", "reason must be a string")
    return records, reason


@router.post("/records/{item}", summary="报送记录（JSON 数组）")
def report_records(
    item: str,
    session: SessionDep,
    rt: RuntimeDep,
    actor: CurrentActor,
    payload: Annotated[Any, Body()],
    department: Annotated[str | None, Query(max_length=18)] = None,
) -> dict[str, Any]:
    """Report decisions of catalog item ``item`` (e.g. ``xzcf``) as a JSON array of
    objects keyed by field code (CF_*) or Chinese field name. The report lists every
    rejected or warned row; rejected rows wait in the quarantine to be fixed."""
    rt.catalog.item(item)
    records, reason = _records_payload(payload)
    session.commit()  # release the request's transaction: the load runs its own
    report = collector(rt, actor).collect(
        table_from_records(records),
        item_code=item,
        department=department,
        channel="api",
        reason=reason,
    )
    return report.as_dict()


@router.post("/records/{item}/file", summary="报送文件（CSV、XLSX、JSON）")
def report_file(
    item: str,
    session: SessionDep,
    rt: RuntimeDep,
    actor: CurrentActor,
    file: UploadFile,
    reason: Annotated[str | None, Form(max_length=500)] = None,
    department: Annotated[str | None, Form(max_length=18)] = None,
) -> dict[str, Any]:
    """Report a whole file (multipart field ``file``): CSV (UTF-8 or GBK), XLSX or JSON,
    with CF_*/XK_* field codes or Chinese column names as the header. The file is kept;
    the answer is the same report as for a JSON array."""
    rt.catalog.item(item)
    session.commit()  # release the request's transaction: the load runs its own
    path, info = save_upload(
        file.file,
        file.filename,
        folder=Path(rt.settings.upload_dir),
        limit_mb=rt.settings.max_upload_mb,
    )
    report = collector(rt, actor).collect(
        open_table(path, filename=info.filename),
        item_code=item,
        department=department,
        channel="api",
        file=info,
        reason=reason,
    )
    return report.as_dict()


@router.get("/submissions/{submission_id}", summary="报送批次及逐行报告")
def submission_report(
    submission_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> dict[str, Any]:
    return submission_view(*get_submission(session, actor, submission_id))


@router.get("/quarantine", summary="待修正数据")
def quarantine(
    session: SessionDep,
    actor: CurrentActor,
    status: Annotated[str, Query(pattern="^(open|resolved|withdrawn|all)$")] = "open",
    item: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    page = list_quarantined(
        session, actor, status=status, item_code=item, limit=limit, offset=offset
    )
    return {"total": page.total, "rows": [quarantine_view(r) for r in page.rows]}


@router.post("/quarantine/{row_id}/resubmit", summary="修正后重新提交")
def quarantine_resubmit(
    row_id: uuid.UUID,
    session: SessionDep,
    rt: RuntimeDep,
    actor: CurrentActor,
    payload: Annotated[dict[str, Any], Body()],
) -> dict[str, Any]:
    """Body: ``{"values": {field: value, …}, "reason": "…"}``: the corrected row."""
    values = payload.get("values")
    if not isinstance(values, dict) or not values:
        raise ValidationFailed.one("values", "须提供修正后的字段值", "values object required")
    session.commit()
    report = resubmit_quarantined(
        collector(rt, actor), row_id, values, reason=payload.get("reason")
    )
    return report.as_dict()


@router.post("/quarantine/{row_id}/withdraw", summary="撤回待修正数据")
def quarantine_withdraw(
    row_id: uuid.UUID,
    session: SessionDep,
    actor: CurrentActor,
    payload: Annotated[dict[str, Any], Body()],
) -> dict[str, Any]:
    row = withdraw_quarantined(session, actor, row_id, reason=str(payload.get("reason") or ""))
    return quarantine_view(row)


@router.get("/quarantine/{row_id}", summary="一条待修正数据")
def quarantine_one(row_id: uuid.UUID, session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    return quarantine_view(get_quarantined(session, actor, row_id))


def record_view(record: CreditRecord) -> dict[str, Any]:
    return {
        "id": str(record.id),
        "item": record.item_code,
        "authority_code": record.authority_code,
        "doc_number": record.doc_number,
        "decision_date": record.decision_date.isoformat(),
        "status": record.status,
        "publication_state": record.publication_state,
        "version": record.version,
        "values": record.values,
        "masked": record.masked,
        "received_on": record.received_on.isoformat() if record.received_on else None,
        "lag_workdays": record.lag_workdays,
        "late": record.late,
        "first_pass": record.first_pass,
        "value_sources": {k: str(v) if v else None for k, v in value_sources(record).items()},
        "unpublish_by": record.unpublish_by.isoformat() if record.unpublish_by else None,
        "rule_set_id": record.rule_set_id,
        "earliest_repair": record.earliest_repair.isoformat() if record.earliest_repair else None,
        "auto_withdraw": record.auto_withdraw.isoformat() if record.auto_withdraw else None,
    }


def _own_record(
    session: SessionDep, actor: Actor, item: str, doc_number: str, department: str | None = None
) -> CreditRecord:
    """A record of the actor's department (the office admin may name another one)."""
    authority = actor.org_uscc or ""
    if department and actor.has_role("office_admin"):
        authority = department.strip().upper()
    record = session.execute(
        select(CreditRecord).where(
            CreditRecord.item_code == item,
            CreditRecord.authority_code == authority,
            CreditRecord.doc_number == doc_number,
        )
    ).scalar_one_or_none()
    if record is None:
        raise NotFound(
            f"本单位没有文号为「{doc_number}」的{item}记录",
            f"no {item} record {doc_number!r} of {actor.org_uscc}",
            field="doc_number",
        )
    return record


@router.get("/records/{item}", summary="本单位的一条记录（含来源与及时性）")
def get_record(
    item: str,
    session: SessionDep,
    actor: CurrentActor,
    doc_number: Annotated[str, Query(min_length=1, max_length=200)],
) -> dict[str, Any]:
    return record_view(_own_record(session, actor, item, doc_number))


@router.post("/records/{item}/revoke", summary="撤销记录")
def revoke(
    item: str,
    session: SessionDep,
    actor: CurrentActor,
    payload: Annotated[dict[str, Any], Body()],
) -> dict[str, Any]:
    """Body: ``{"doc_number": "…", "reason": "…", "legal_basis": "…"}`` (the office
    administrator adds ``"department": USCC``). The record leaves publication at once
    and is kept for the audit."""
    department = payload.get("department")
    record = _own_record(
        session,
        actor,
        item,
        str(payload.get("doc_number") or ""),
        department if isinstance(department, str) else None,
    )
    revoke_record(
        session,
        actor=actor,
        record_id=record.id,
        reason=str(payload.get("reason") or ""),
        legal_basis=payload.get("legal_basis"),
    )
    return record_view(record)
