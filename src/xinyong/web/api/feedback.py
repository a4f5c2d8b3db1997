"""自动反馈 over HTTP: a calling system's feedback on its screenings, the monthly joint
reward and punishment cases (联合奖惩案例) and the screenings still waiting for
feedback. Answers in JSON; the cases also as CSV or XLSX in the fixed format."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from xinyong.accounts.roles import AUDITOR, OFFICE_ADMIN, OFFICE_STAFF
from xinyong.accounts.rules import require_role
from xinyong.actors import Actor
from xinyong.db import china_today
from xinyong.errors import Forbidden, ValidationFailed
from xinyong.screening.feedback import (
    CASE_HEADERS,
    FeedbackItem,
    joint_cases,
    joint_cases_csv,
    joint_cases_xlsx,
    record_feedback,
    unanswered,
)
from xinyong.screening.overreach import overreach_report
from xinyong.web.deps import CurrentActor, RuntimeDep, SessionDep, writes_first

router = APIRouter(prefix="/api/v1", tags=["联合奖惩 screening"])


class FeedbackIn(BaseModel):
    position: int | None = Field(None, ge=0, description="比对中的序号（从 0 开始）")
    query: str | None = Field(None, max_length=300, description="或：比对时提交的代码")
    outcome: Literal["applied", "not_applied", "rewarded"] = Field(
        description="applied 已实施惩戒；not_applied 未实施（须说明理由）；rewarded 已激励"
    )
    reason: str | None = Field(None, max_length=500)
    measures: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="实施的措施代码（留空表示比对结果中的全部措施）；清单外的措施照实填写",
    )


class FeedbackBody(BaseModel):
    items: list[FeedbackIn] = Field(min_length=1, max_length=1000)


class FeedbackOut(BaseModel):
    screening_id: str
    recorded: int


@router.post(
    "/screening/{screening_id}/feedback",
    summary="比对结果反馈（自动反馈）",
    response_model=FeedbackOut,
    dependencies=[Depends(writes_first)],
)
def feedback(
    session: SessionDep, actor: CurrentActor, screening_id: uuid.UUID, body: FeedbackBody
) -> dict[str, Any]:
    """What the calling system did with each subject of its screening. All items are
    checked first; if any is wrong, none is kept and each problem is named."""
    done = record_feedback(
        session,
        actor=actor,
        screening_id=screening_id,
        items=[
            FeedbackItem(i.outcome, i.position, i.query, i.reason, tuple(i.measures))
            for i in body.items
        ],
    )
    return {"screening_id": str(screening_id), "recorded": len(done)}


def _scope(actor: Actor) -> uuid.UUID | None:
    """The office sees every caller's cases; any other organisation only its own."""
    if actor.has_role(OFFICE_ADMIN, OFFICE_STAFF) or (
        actor.has_role(AUDITOR) and actor.org_id is None
    ):
        return None
    if actor.org_id is None:
        raise Forbidden("无权查看联合奖惩案例", f"{actor.label} has no organisation")
    return actor.org_id


def _month(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(f"{value}-01")
    except ValueError as exc:
        raise ValidationFailed.one(
            "month", "月份格式应为 YYYY-MM", f"month {value!r} is not YYYY-MM"
        ) from exc


@router.get("/joint-cases", summary="联合奖惩案例（按月导出）", response_model=None)
def cases(
    session: SessionDep,
    rt: RuntimeDep,
    actor: CurrentActor,
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM（北京时间）")],
    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",
) -> Response | dict[str, Any]:
    """Feedback given in the month on restrictions and rewards, in the fixed format
    (columns: 案例编号, 应用场景, 实施单位, …). The seeds ask for them by the 25th."""
    first = _month(month)
    found = joint_cases(session, rt.measures, month=first, org_id=_scope(actor))
    name = f"joint-cases-{month}"
    if format == "csv":
        return Response(
            joint_cases_csv(found),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if format == "xlsx":
        return Response(
            joint_cases_xlsx(found, f"{first.year}年{first.month}月联合奖惩案例"),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return {
        "month": month,
        "columns": list(CASE_HEADERS),
        "cases": [dict(zip(CASE_HEADERS, c.row(), strict=True)) for c in found],
    }


@router.get("/screening-feedback/missing", summary="未反馈的比对")
def missing(
    session: SessionDep,
    rt: RuntimeDep,
    actor: CurrentActor,
    days: Annotated[int, Query(ge=0, le=365, description="比对后超过的天数")] = 5,
) -> dict[str, Any]:
    """Screenings older than ``days`` whose restrictions or rewards lack feedback."""
    before = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    rows = unanswered(session, rt.measures, before=before, org_id=_scope(actor))
    return {"days": days, "screenings": [r.as_dict() for r in rows]}


@router.get("/overreach", summary="泛化监测报告")
def overreach(
    session: SessionDep,
    rt: RuntimeDep,
    actor: CurrentActor,
    days: Annotated[int, Query(ge=1, le=3660, description="检查最近多少天的反馈")] = 90,
) -> dict[str, Any]:
    """For the office: measures applied beyond the answer or the list, measures still
    applied after their trigger ended, and list entries or measures lacking a footing."""
    require_role(actor, OFFICE_ADMIN, OFFICE_STAFF, AUDITOR)
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    report = overreach_report(session, rt.measures, today=china_today(), since=since)
    return {"days": days, **report.as_dict()}
