"""持续监测 over HTTP: a calling system's watch lists, their subjects, and the webhook
deliveries (with dead letters to re-queue). Authenticated with the calling system's
API key (or an account of its organisation); each organisation sees only its own."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from xinyong.db import china_today
from xinyong.runtime import Runtime
from xinyong.screening.rules import STATUS_LABELS
from xinyong.watch import service
from xinyong.watch.models import WatchEntry, WebhookDelivery
from xinyong.web.deps import CurrentActor, RuntimeDep, SessionDep

router = APIRouter(prefix="/api/v1", tags=["联合奖惩 screening"])

DeliveryStatus = Literal["queued", "sending", "sent", "dead"]


class WatchListIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="名称，如“在库供应商”")
    scenario: str = Field(max_length=40, description="应用场景代码，如 procurement（政府采购）")
    webhook_url: str = Field(max_length=500, description="接收变化通知的 https 地址")


class CodesIn(BaseModel):
    codes: list[str] = Field(
        min_length=1,
        max_length=service.MAX_CODES,
        description="统一社会信用代码、注册号、组织机构代码或身份证件号码，每次最多 10000 个",
    )


class WatchListOut(BaseModel):
    id: str
    name: str
    scenario: str
    scenario_label: str
    webhook_url: str
    created_at: dt.datetime
    entries: int
    statuses: dict[str, int]
    deliveries: dict[str, int]


class CreatedOut(WatchListOut):
    secret: str = Field(description="签名密钥（仅此一次返回，请妥善保存）")


class EntryOut(BaseModel):
    entry_id: str
    code: str
    known: bool
    status: str
    status_label: str
    measures: list[str]
    last_changed_at: dt.datetime | None


class DeliveryOut(BaseModel):
    id: str
    watch_list_id: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    changes: int
    payload: dict[str, Any]


def _list_out(rt: Runtime, summary: service.WatchListSummary) -> dict[str, Any]:
    wl = summary.watch_list
    return {
        "id": str(wl.id),
        "name": wl.name,
        "scenario": wl.scenario,
        "scenario_label": rt.measures.scenarios.get(wl.scenario, wl.scenario),
        "webhook_url": wl.webhook_url,
        "created_at": wl.created_at,
        "entries": summary.entries,
        "statuses": summary.statuses,
        "deliveries": summary.deliveries,
    }


def _entry_out(entry: WatchEntry) -> dict[str, Any]:
    return {
        "entry_id": str(entry.id),
        "code": entry.query_masked,
        "known": entry.subject_id is not None,
        "status": entry.last_status,
        "status_label": STATUS_LABELS.get(entry.last_status, entry.last_status),
        "measures": list(entry.last_measures),
        "last_changed_at": entry.last_changed_at,
    }


def _delivery_out(row: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "watch_list_id": str(row.watch_list_id),
        "status": row.status,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at,
        "last_error": row.last_error,
        "created_at": row.created_at,
        "sent_at": row.sent_at,
        "changes": len(row.payload.get("changes", [])),
        "payload": row.payload,
    }


@router.post(
    "/watch-lists",
    summary="新建监测名单（持续监测）",
    status_code=201,
    response_model=CreatedOut,
)
def create(
    session: SessionDep, rt: RuntimeDep, actor: CurrentActor, body: WatchListIn
) -> dict[str, Any]:
    """A watch list for one scenario. The answer carries the signing secret once: the
    webhook's ``X-Xinyong-Signature`` is the HMAC-SHA256 of the body with it."""
    wl, secret = service.create_watch_list(
        session,
        rt.vault,
        rt.measures,
        actor=actor,
        name=body.name,
        scenario=body.scenario,
        webhook_url=body.webhook_url,
        require_https=(
            rt.settings.environment == "production" and not rt.settings.webhook_allow_http
        ),
    )
    summary = service.WatchListSummary(wl, 0, {}, {})
    return {**_list_out(rt, summary), "secret": secret}


@router.get("/watch-lists", summary="本单位的监测名单")
def list_all(session: SessionDep, rt: RuntimeDep, actor: CurrentActor) -> dict[str, Any]:
    return {
        "watch_lists": [
            WatchListOut(**_list_out(rt, s)).model_dump(mode="json")
            for s in service.list_watch_lists(session, actor=actor)
        ]
    }


@router.get("/watch-lists/{watch_list_id}", summary="监测名单及所监测主体的状态")
def get_one(
    session: SessionDep,
    rt: RuntimeDep,
    actor: CurrentActor,
    watch_list_id: uuid.UUID,
    limit: Annotated[int, Query(ge=1, le=service.MAX_CODES)] = 1000,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """The list, counts by status, and a page of its entries with the status the
    caller was last told (``unknown``: a code not yet on the platform)."""
    summary, entries = service.get_watch_list(
        session, actor=actor, watch_list_id=watch_list_id, limit=limit, offset=offset
    )
    out = WatchListOut(**_list_out(rt, summary)).model_dump(mode="json")
    out["subjects"] = [EntryOut(**_entry_out(e)).model_dump(mode="json") for e in entries]
    out["limit"], out["offset"] = limit, offset
    return out


@router.post("/watch-lists/{watch_list_id}/subjects", summary="添加监测主体")
def add(
    session: SessionDep,
    rt: RuntimeDep,
    actor: CurrentActor,
    watch_list_id: uuid.UUID,
    body: CodesIn,
) -> dict[str, Any]:
    """Add codes; malformed ones are reported in ``problems`` and the rest added.
    Codes not yet on the platform are watched too (``known: false``)."""
    return service.add_subjects(
        session,
        rt.vault,
        rt.measures,
        actor=actor,
        watch_list_id=watch_list_id,
        codes=body.codes,
        today=china_today(),
    ).as_dict()


@router.put("/watch-lists/{watch_list_id}/subjects", summary="以给定代码替换监测主体")
def replace(
    session: SessionDep,
    rt: RuntimeDep,
    actor: CurrentActor,
    watch_list_id: uuid.UUID,
    body: CodesIn,
) -> dict[str, Any]:
    """Watch exactly these codes (e.g. today's suppliers): new ones added, missing ones
    removed. Refused as a whole (422, each code named) if any code is malformed."""
    return service.replace_subjects(
        session,
        rt.vault,
        rt.measures,
        actor=actor,
        watch_list_id=watch_list_id,
        codes=body.codes,
        today=china_today(),
    ).as_dict()


@router.delete("/watch-lists/{watch_list_id}/subjects", summary="移除监测主体")
def remove(
    session: SessionDep,
    rt: RuntimeDep,
    actor: CurrentActor,
    watch_list_id: uuid.UUID,
    body: CodesIn,
) -> dict[str, Any]:
    return service.remove_subjects(
        session, rt.vault, actor=actor, watch_list_id=watch_list_id, codes=body.codes
    ).as_dict()


@router.delete("/watch-lists/{watch_list_id}", summary="删除监测名单", status_code=204)
def delete_list(session: SessionDep, actor: CurrentActor, watch_list_id: uuid.UUID) -> Response:
    service.delete_watch_list(session, actor=actor, watch_list_id=watch_list_id)
    return Response(status_code=204)


@router.get("/watch-lists/{watch_list_id}/deliveries", summary="推送记录（含投递失败）")
def deliveries(
    session: SessionDep,
    actor: CurrentActor,
    watch_list_id: uuid.UUID,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    rows = service.list_deliveries(
        session, actor=actor, watch_list_id=watch_list_id, status=status, limit=limit
    )
    return {"deliveries": [DeliveryOut(**_delivery_out(r)).model_dump(mode="json") for r in rows]}


@router.post(
    "/watch-lists/{watch_list_id}/deliveries/{delivery_id}/retry",
    summary="重新投递失败的推送",
)
def retry(
    session: SessionDep, actor: CurrentActor, watch_list_id: uuid.UUID, delivery_id: uuid.UUID
) -> dict[str, Any]:
    row = service.requeue_dead(
        session, actor=actor, watch_list_id=watch_list_id, delivery_id=delivery_id
    )
    return DeliveryOut(**_delivery_out(row)).model_dump(mode="json")


@router.get("/webhook-deliveries", summary="推送记录（信用办可查看全部调用方）")
def all_deliveries(
    session: SessionDep,
    actor: CurrentActor,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Deliveries of every watch list of the caller's organisation; the credit office
    sees every caller's (e.g. ``status=dead`` to follow up on failing receivers)."""
    rows = service.list_deliveries(session, actor=actor, status=status, limit=limit)
    return {"deliveries": [DeliveryOut(**_delivery_out(r)).model_dump(mode="json") for r in rows]}
