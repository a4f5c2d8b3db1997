"""Public reference API: the catalog, identifier checks, rule-set periods, working days."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from xinyong.codes.service import check_code_with_exceptions
from xinyong.records.periods import periods_for_item
from xinyong.web.deps import RuntimeDep, SessionDep
from xinyong.web.ratelimit import rate_limit
from xinyong.workdays.service import load_calendar

router = APIRouter(prefix="/api/v1", tags=["参考数据 reference"])


@router.get("/catalog", summary="信用信息目录（事项列表）")
def catalog_items(rt: RuntimeDep) -> dict[str, Any]:
    """The catalog in force: version and items with their disclosure level."""
    cat = rt.catalog
    return {
        "version": cat.version,
        "sha256": cat.sha256,
        "items": [
            {
                "code": i.code,
                "name": i.name,
                "disclosure": i.disclosure,
                "rule_family": i.rule_family,
            }
            for i in cat.items.values()
        ],
    }


@router.get("/catalog/{code}", summary="目录事项详情")
def catalog_item(code: str, rt: RuntimeDep) -> dict[str, Any]:
    """One catalog item with its fields (types, enumerations, mandatory, masking)."""
    item = rt.catalog.item(code)
    return item.model_dump(mode="json")


class CodeCheckRequest(BaseModel):
    codes: list[Annotated[str, Field(max_length=64)]] = Field(min_length=1, max_length=100)


@router.post(
    "/codes/check",
    summary="代码校验（统一社会信用代码、身份证号等）",
    dependencies=[Depends(rate_limit("search"))],
)
def codes_check(body: CodeCheckRequest, session: SessionDep) -> dict[str, Any]:
    """Check up to 100 codes; each answer has code, kind, valid, warnings, errors."""
    return {"results": [check_code_with_exceptions(session, c).as_dict() for c in body.codes]}


@router.get("/rules/periods", summary="公示期限与信用修复（按决定日期适用规则集）")
def rules_periods(
    rt: RuntimeDep,
    item: Annotated[str, Query(description="目录事项代码，如 xzcf")],
    severity: Annotated[Literal["轻微", "一般", "严重"], Query(description="失信严重程度")],
    decided: Annotated[dt.date, Query(description="决定日期 YYYY-MM-DD")],
    sector: Annotated[str | None, Query(description="行业领域，如 市场监管")] = None,
    penalty_type: Annotated[list[str] | None, Query(description="处罚类别")] = None,
) -> dict[str, Any]:
    answer = periods_for_item(
        rt.catalog,
        rt.rulebook,
        item_code=item,
        severity=severity,
        decided=decided,
        sector=sector,
        penalty_types=penalty_type or [],
    )
    return answer.as_dict()


@router.get("/calendar/add-workdays", summary="工作日推算")
def add_workdays(
    session: SessionDep,
    date: Annotated[dt.date, Query(description="起算日 YYYY-MM-DD")],
    n: Annotated[int, Query(ge=0, le=3650, description="工作日数")],
) -> dict[str, Any]:
    """The n-th working day after ``date``; ``provisional`` when a year's notice is missing."""
    return load_calendar(session).add_working_days(date, n).as_dict()
