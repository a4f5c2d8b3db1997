"""联合奖惩 screening over HTTP (自动比对、自动提示): a calling system sends a scenario
and up to 1,000 subject codes and gets, per subject, the status and every applicable
measure with its legal basis and triggers, under a screening id it feeds back on."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, Field

from xinyong.db import china_today
from xinyong.screening.service import (
    MAX_BATCH,
    MAX_NAMES,
    ScreeningOutcome,
    get_screening,
    name_candidates,
    screen,
)
from xinyong.web.deps import CurrentActor, RuntimeDep, SessionDep, writes_first
from xinyong.web.ratelimit import rate_limit

router = APIRouter(prefix="/api/v1", tags=["联合奖惩 screening"])


class ScreeningIn(BaseModel):
    scenario: str = Field(
        max_length=40, description="应用场景代码：procurement（政府采购）、bidding（招标投标）…"
    )
    subjects: list[str] = Field(
        default_factory=list,
        description=f"主体代码：统一社会信用代码、注册号、组织机构代码或身份证件号码；"
        f"每次最多 {MAX_BATCH} 个",
    )
    names: list[str] = Field(
        default_factory=list,
        description=f"仅有名称时按名称查询（最多 {MAX_NAMES} 个）：只返回候选主体及匹配理由，"
        "不给出比对结论，请以候选主体的代码再行比对",
    )


class BasisOut(BaseModel):
    document: str = Field(description="依据文件，如《中华人民共和国政府采购法》")
    article: str = Field(description="条款")
    level: str = Field(description="效力层级：law、regulation、rule、central_policy …")
    level_label: str
    local_policy: bool = Field(description="仅为地方政策文件依据")
    confirmed: bool = Field(description="false：条款号尚未与正式文本核对")


class TriggerOut(BaseModel):
    type: Literal["list", "record"] = Field(description="list 名单；record 信用记录")
    id: str
    list: str | None = Field(None, description="名单代码")
    list_name: str | None = None
    list_kind: str | None = None
    authority: str | None = Field(None, description="认定单位")
    doc_number: str = Field(description="认定文书号或决定文书号")
    listed_on: str | None = Field(None, description="列入日期")
    expires_on: str | None = Field(None, description="移出（到期）日期")
    item: str | None = Field(None, description="信息事项代码，如 xzcf")
    item_name: str | None = None
    decision_date: str | None = Field(None, description="决定日期")


class MeasureOut(BaseModel):
    code: str
    kind: Literal["punish", "reward"]
    content: str = Field(description="措施内容")
    implementer: str = Field(description="实施主体")
    legal_basis: list[BasisOut]
    local_policy_only: bool
    triggers: list[TriggerOut]
    until: str | None = Field(description="措施适用至此日前（不含）；空：至触发事由消灭")


class SubjectOut(BaseModel):
    id: str
    kind: str
    name: str | None = Field(description="名称（自然人不返回）")
    uscc: str | None
    id_masked: str | None = Field(description="自然人：去标识化的证件号码")


class ResultOut(BaseModel):
    position: int = Field(description="在 subjects 中的序号（从 0 开始）")
    query: str
    status: Literal["clear", "reward", "restrict", "unknown", "invalid"] = Field(
        description="clear 未发现适用措施；reward 适用激励；restrict 适用惩戒；"
        "unknown 平台无此主体；invalid 代码格式或校验位错误"
    )
    status_label: str
    reason: str | None
    subject: SubjectOut | None
    measures: list[MeasureOut]


class CandidateOut(BaseModel):
    subject_id: str
    name: str
    uscc: str | None
    district: str | None
    score: float = Field(description="匹配分值（0–1），仅供人工判断")
    reason: str = Field(description="匹配理由")


class NameOut(BaseModel):
    position: int
    name: str
    error: str | None
    candidates: list[CandidateOut]


class ScreeningOut(BaseModel):
    screening_id: str = Field(description="比对编号：反馈与出具比对证明时使用")
    scenario: str
    scenario_label: str
    created_at: str
    caller: str
    counts: dict[str, int] = Field(description="各状态的主体数")
    results: list[ResultOut]
    names: list[NameOut]


def _json(outcome: ScreeningOutcome) -> Response:
    body = {
        "screening_id": str(outcome.id),
        "scenario": outcome.scenario,
        "scenario_label": outcome.scenario_label,
        "created_at": outcome.created_at.isoformat(),
        "caller": outcome.caller,
        "counts": outcome.counts(),
        "results": outcome.results,
        "names": outcome.candidates,
    }
    # Answers are built as plain JSON by the service: orjson, no second validation.
    return Response(orjson.dumps(body), media_type="application/json")


_DOC = {200: {"model": ScreeningOut}}


@router.post(
    "/screening",
    summary="联合奖惩比对（自动比对、自动提示）",
    response_model=ScreeningOut,
    responses=_DOC,  # type: ignore[arg-type]
    dependencies=[Depends(writes_first), Depends(rate_limit("api"))],
)
def post_screening(
    body: ScreeningIn, session: SessionDep, rt: RuntimeDep, actor: CurrentActor
) -> Response:
    """Screen subjects by code in a scenario. Each code is answered on its own (a
    malformed or unknown code does not stop the batch); names only return candidates.
    Every call is stored under a screening id and audited once."""
    outcome = screen(
        session,
        rt.measures,
        vault=rt.vault,
        actor=actor,
        scenario=body.scenario,
        queries=body.subjects,
        names=body.names,
        today=china_today(),
        catalog=rt.catalog,
    )
    if body.names:
        outcome.candidates = name_candidates(session, body.names)
    return _json(outcome)


@router.get(
    "/screening/{screening_id}",
    summary="查询本单位的一次比对结果",
    response_model=ScreeningOut,
    dependencies=[Depends(rate_limit("api"))],
)
def get_screening_result(
    screening_id: Annotated[uuid.UUID, Path()],
    session: SessionDep,
    rt: RuntimeDep,
    actor: CurrentActor,
) -> Any:
    """A past screening as answered then (own organisation only)."""
    return _json(get_screening(session, rt.measures, actor=actor, screening_id=screening_id))
