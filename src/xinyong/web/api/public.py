"""Public JSON API of the credit website: the same content and masking as the pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from xinyong.db import china_today
from xinyong.publicity import service as publicity
from xinyong.web.deps import RuntimeDep, SessionDep
from xinyong.web.ratelimit import rate_limit

router = APIRouter(prefix="/api/v1", tags=["信用公示 public"])


class SubjectHitOut(BaseModel):
    id: str = Field(description="主体标识（用于 /api/v1/subjects/{code}）")
    name: str = Field(description="名称")
    uscc: str | None = Field(description="统一社会信用代码")
    kind: str = Field(description="主体类别：legal_person、individual_business …")
    district: str | None = Field(description="行政区划代码（GB/T 2260）")
    district_name: str | None
    status: str | None = Field(description="登记状态")
    published_records: int = Field(description="公示中的信用记录数（不含登记信息）")
    match: str = Field(description="匹配方式：code、exact、prefix、substring")


class SearchOut(BaseModel):
    query: str
    page: int
    has_more: bool
    total: int | None = Field(description="命中总数；两个字的查询、超过 1000 条时不提供")
    total_over: int | None = Field(description="命中超过此数（1000）时给出，total 为空")
    items: list[SubjectHitOut]


class RepairOut(BaseModel):
    repairable: bool
    earliest: str | None = Field(description="最早可申请信用修复的日期")


class RecordOut(BaseModel):
    id: str
    item: str = Field(description="目录事项代码，如 xzcf（行政处罚）")
    item_name: str
    subject: str = Field(description="主体标识（/api/v1/subjects/{subject} 为其信用档案）")
    decision_date: str
    publication_end: str | None = Field(description="公示截止日期（到期自动撤下）")
    fields: dict[str, Any] = Field(
        description="目录公开的字段，键为国家双公示标准代码（如 CF_WSH）；个人信息已去标识化"
    )
    repair: RepairOut | None = None
    mark: str | None = Field(
        None, description="已受理的异议办理中时的标注：异议处理中，或 复议/诉讼中"
    )


class SectionOut(BaseModel):
    title: str
    records: list[RecordOut]
    note: str | None = Field(None, description="无记录时的说明：查询期内无相关信息")


class SubjectOut(BaseModel):
    name: str
    kind: str
    kind_label: str
    code: str | None = Field(description="统一社会信用代码（自然人为去标识化的证件号码）")
    code_label: str
    district: str | None
    district_name: str | None
    industry: str | None
    status: str | None
    facts: dict[str, str] = Field(description="登记信息中目录公开的字段（如 DJ_FDDBR）")


class ListingOut(BaseModel):
    list_name: str = Field(description="名单名称")
    list_kind: str = Field(description="名单类别，如 严重失信主体名单、经营异常名录、守信激励名单")
    authority: str = Field(description="认定单位")
    doc_number: str = Field(description="认定文书号")
    listed_on: str = Field(description="列入日期")
    expires_on: str | None = Field(description="列入期限届满日（无期限为空）")
    legal_basis: str = Field(description="认定依据（文件及条款）")
    exit_conditions: str = Field(description="移出条件")


class CreditFileOut(BaseModel):
    id: str
    subject: SubjectOut
    as_of: str = Field(description="查询日期")
    truncated: bool
    sections: dict[str, SectionOut] = Field(
        description="按目录事项分栏：xzxk 行政许可、xzcf 行政处罚、yzsx 失信名单 …"
    )
    listings: list[ListingOut] = Field(
        default_factory=list, description="名单信息：现行有效的名单条目（仅法人和非法人组织）"
    )


class ListOut(BaseModel):
    item: str
    item_name: str
    page: int
    has_more: bool
    items: list[RecordOut]


@router.get(
    "/subjects",
    summary="信用主体查询（名称或代码）",
    response_model=SearchOut,
    dependencies=[Depends(rate_limit("search", short_query="q"))],
)
def subjects_search(
    session: SessionDep,
    q: Annotated[str, Query(max_length=200, description="名称（至少两个字）或统一社会信用代码")],
    page: Annotated[int, Query(ge=1, le=10_000, description="页码，每页 20 条，最多前 200 条")] = 1,
) -> dict[str, Any]:
    """Organisations and individual businesses by name fragment (2+ characters,
    Traditional characters accepted) or by full code; natural persons are not
    searchable by name."""
    return publicity.search(session, q, today=china_today(), page=page).as_dict()


@router.get(
    "/subjects/{code}",
    summary="信用档案",
    response_model=CreditFileOut,
    dependencies=[Depends(rate_limit("search"))],
)
def subject_file(
    session: SessionDep,
    rt: RuntimeDep,
    code: Annotated[str, Path(max_length=64, description="统一社会信用代码、注册号或主体标识")],
) -> dict[str, Any]:
    """A subject's credit file: basic information and the records now in publication,
    with publication end and, for penalties, when repair may be requested."""
    return publicity.credit_file(
        session, rt.catalog, code, today=china_today(), measures=rt.measures
    ).as_dict()


@router.get(
    "/publicity/{item}",
    summary="公示栏目（行政许可、行政处罚、失信名单 …）",
    response_model=ListOut,
    dependencies=[Depends(rate_limit("search"))],
)
def publicity_list(
    session: SessionDep,
    rt: RuntimeDep,
    item: Annotated[str, Path(max_length=32, description="目录事项代码，如 xzcf")],
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    district: Annotated[str | None, Query(max_length=6, description="行政区划代码")] = None,
    industry: Annotated[str | None, Query(max_length=100, description="行业门类")] = None,
) -> dict[str, Any]:
    """Published records of one item, newest first, filtered by district and industry."""
    return publicity.list_published(
        session,
        rt.catalog,
        item,
        today=china_today(),
        page=page,
        district=district or None,
        industry=industry or None,
    ).as_dict()
