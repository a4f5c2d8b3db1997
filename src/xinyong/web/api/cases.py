"""JSON API of objections (异议) and credit repair (信用修复) for applicants: the repair
checklist of a record, filing (multipart, files named by purpose), and the case by its
number and 查询码. The same functions as the pages (``web.case_forms``); refusals go
through the one translator (``web.errors``) as JSON naming the form field."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from xinyong.cases import filing
from xinyong.cases.context import CaseContext, Upload
from xinyong.errors import XinyongError
from xinyong.web.case_forms import (
    API,
    CaseForm,
    case_dict,
    checklist_dict,
    filed_dict,
    max_upload_bytes,
    record_view,
    renamed,
    repair_plan,
    require_commitment,
)
from xinyong.web.deps import CaseCtx, SessionDep
from xinyong.web.ratelimit import rate_limit

router = APIRouter(prefix="/api/v1", tags=["异议与信用修复 cases"])

LOOKUP_LIMITS = [Depends(rate_limit("search")), Depends(rate_limit("short_query"))]


# -- models --------------------------------------------------------------------------------


class CheckItemOut(BaseModel):
    code: str = Field(description="条件代码，如 min_period、proof_of_performance、commitment")
    label: str
    met: bool = Field(description="是否已满足（未提供任何材料时）")
    detail: str | None = Field(description="未满足时缺什么，或不能申请的原因")
    blocking: bool = Field(description="申请人无法通过补充材料满足的条件（期限、不可修复）")
    attachment: str | None = Field(description="满足该条件须上传的附件用途（文件字段名）")


class LabelledOut(BaseModel):
    code: str
    label: str


class PurposeOut(BaseModel):
    purpose: str = Field(description="附件用途，即 POST /api/v1/repairs 的文件字段名")
    label: str


class ChecklistOut(BaseModel):
    record_id: str
    doc_number: str | None = Field(description="决定文书号（信息不在公示中时不提供）")
    earliest_repair: dt.date | None = Field(description="最短公示期满、最早可申请修复的日期")
    eligible: bool = Field(description="现在可以申请（补齐材料即可）")
    complete: bool
    refusal: str | None = Field(description="不能申请的原因（不可提前修复、最短公示期未满 …）")
    items: list[CheckItemOut]
    declarations: list[LabelledOut] = Field(description="须在申请中声明的事项（declarations）")
    attachments: list[PurposeOut] = Field(description="须上传的附件")


class FiledOut(BaseModel):
    number: str = Field(description="案件编号")
    access_code: str = Field(description="查询码：只返回这一次，平台只保存其散列值")
    kind: str = Field(description="objection（异议）或 repair（信用修复）")
    kind_label: str
    status: str
    status_label: str
    record_id: str
    filed_on: dt.date
    due_on: dt.date | None = Field(description="信用办受理（异议）或答复（修复）的期限")
    due_provisional: bool = Field(description="期限所在年度的节假日安排尚未公布：暂定")
    email_masked: str | None = Field(description="状态变化通知发送到的邮箱（去标识化）")


class CaseRecordOut(BaseModel):
    id: str
    item: str | None
    item_name: str | None
    doc_number: str | None = Field(description="决定文书号")


class HistoryOut(BaseModel):
    at: dt.datetime
    status: str
    status_label: str
    text: str | None


class DecisionOut(BaseModel):
    outcome: str = Field(
        description="upheld、partly、rejected、not_accepted、approved、refused、withdrawn"
    )
    label: str
    reason: str | None
    closed_on: dt.date | None


class CaseOut(BaseModel):
    number: str
    kind: str
    kind_label: str
    status: str = Field(description="submitted、accepted、forwarded（办理中）或办结状态")
    status_label: str
    open: bool
    record: CaseRecordOut
    ground: str | None = Field(description="异议理由类别")
    fields: list[str] = Field(description="有异议的字段（名称）")
    applicant_role: str
    filed_on: dt.date
    due_on: dt.date | None = Field(description="办理期限（办结后为空）")
    due_provisional: bool
    history: list[HistoryOut] = Field(description="办理过程（对申请人公开的部分）")
    decision: DecisionOut | None = Field(description="办理结果和理由（办结后）")


class LookupIn(BaseModel):
    number: str = Field(max_length=24, description="案件编号")
    access_code: str = Field(max_length=32, description="查询码")


class WithdrawIn(LookupIn):
    reason: str = Field("", max_length=2000, description="撤回理由（选填）")


# -- helpers -------------------------------------------------------------------------------


def _read(ctx: CaseContext, files: dict[str, list[UploadFile] | None]) -> list[Upload]:
    limit = max_upload_bytes(ctx)
    uploads = []
    for purpose, chosen in files.items():
        for f in chosen or []:
            if f.filename:
                uploads.append(Upload(purpose, f.filename, f.file.read(limit)))
    return uploads


def _file(session: Session, ctx: CaseContext, form: CaseForm, kind: str) -> dict[str, Any]:
    try:
        if kind == "repair":
            require_commitment(form)
            filed = filing.file_repair(session, ctx, actor=API, application=form.application())
        else:
            filed = filing.file_objection(session, ctx, actor=API, application=form.application())
    except XinyongError as exc:
        raise renamed(exc, form) from exc
    return filed_dict(filed)


# -- endpoints -----------------------------------------------------------------------------


@router.get(
    "/records/{record_id}/repair-checklist",
    summary="信用修复条件自查",
    response_model=ChecklistOut,
    dependencies=[Depends(rate_limit("search"))],
)
def repair_checklist(
    session: SessionDep,
    ctx: CaseCtx,
    record_id: Annotated[str, Path(max_length=64, description="信用记录标识（信用档案中的 id）")],
) -> dict[str, Any]:
    """What is met and what is missing for a credit repair application about the
    record today, with nothing provided yet; ``refusal`` says why repair cannot be
    applied for (never repairable early, minimum period not reached, not published)."""
    view = record_view(session, ctx, record_id)
    return checklist_dict(repair_plan(session, ctx, view), view)


@router.post(
    "/objections",
    summary="提出异议",
    status_code=201,
    response_model=FiledOut,
    dependencies=[Depends(rate_limit("search"))],
)
def file_objection(
    session: SessionDep,
    ctx: CaseCtx,
    record: Annotated[str, Form(max_length=64, description="信用记录标识")],
    subject_name: Annotated[str, Form(max_length=200, description="信用主体名称（姓名）")],
    subject_code: Annotated[
        str, Form(max_length=64, description="统一社会信用代码；自然人为居民身份证号码")
    ],
    ground: Annotated[
        str,
        Form(description="理由类别：content、expired、reconsideration、litigation、other"),
    ],
    reason: Annotated[str, Form(max_length=2000, description="具体理由")],
    contact_name: Annotated[str, Form(max_length=50)],
    contact_phone: Annotated[str, Form(max_length=20, description="手机号或带区号的固定电话")],
    contact_email: Annotated[str, Form(max_length=200, description="状态变化通知的邮箱")] = "",
    applicant_role: Annotated[str, Form(description="subject（主体本身）或 agent")] = "subject",
    fields: Annotated[
        list[str] | None, Form(description="有异议的公示字段代码，如 CF_NR_FK")
    ] = None,
    evidence: Annotated[list[UploadFile] | None, File(description="证明材料")] = None,
    authorisation: Annotated[
        list[UploadFile] | None, File(description="授权委托书（受托代理人必填）")
    ] = None,
    acceptance_notice: Annotated[
        list[UploadFile] | None, File(description="行政复议或行政诉讼受理通知书")
    ] = None,
    other: Annotated[list[UploadFile] | None, File(description="其他材料")] = None,
) -> dict[str, Any]:
    """File an objection against a published record. Attachments: PDF, PNG or JPEG,
    each within ``XINYONG_ATTACHMENT_MAX_MB``. Returns the case number and the 查询码
    (only this once)."""
    uploads = _read(
        ctx,
        {
            "evidence": evidence,
            "authorisation": authorisation,
            "acceptance_notice": acceptance_notice,
            "other": other,
        },
    )
    form = CaseForm(
        record=record,
        subject_name=subject_name,
        subject_code=subject_code,
        applicant_role=applicant_role,
        ground=ground,
        fields=[f for f in fields or [] if f],
        reason=reason,
        contact_name=contact_name,
        contact_phone=contact_phone,
        contact_email=contact_email,
        uploads=uploads,
    )
    return _file(session, ctx, form, "objection")


@router.post(
    "/repairs",
    summary="申请信用修复",
    status_code=201,
    response_model=FiledOut,
    dependencies=[Depends(rate_limit("search"))],
)
def file_repair(
    session: SessionDep,
    ctx: CaseCtx,
    record: Annotated[str, Form(max_length=64, description="信用记录标识")],
    subject_name: Annotated[str, Form(max_length=200, description="信用主体名称（姓名）")],
    subject_code: Annotated[
        str, Form(max_length=64, description="统一社会信用代码；自然人为居民身份证号码")
    ],
    signatory: Annotated[str, Form(max_length=50, description="信用修复承诺书签署人姓名")],
    committed: Annotated[bool, Form(description="已阅读并签署信用修复承诺书（须为 true）")],
    contact_name: Annotated[str, Form(max_length=50)],
    contact_phone: Annotated[str, Form(max_length=20, description="手机号或带区号的固定电话")],
    contact_email: Annotated[str, Form(max_length=200, description="状态变化通知的邮箱")] = "",
    reason: Annotated[str, Form(max_length=2000, description="申请说明（选填）")] = "",
    applicant_role: Annotated[str, Form(description="subject（主体本身）或 agent")] = "subject",
    declarations: Annotated[
        list[str] | None,
        Form(description="声明事项代码（见 repair-checklist 的 declarations）"),
    ] = None,
    identity: Annotated[list[UploadFile] | None, File(description="主体身份证明材料")] = None,
    performance: Annotated[
        list[UploadFile] | None, File(description="已履行法定义务的证明材料")
    ] = None,
    correction: Annotated[
        list[UploadFile] | None, File(description="已纠正失信行为的证明材料")
    ] = None,
    training: Annotated[list[UploadFile] | None, File(description="信用修复培训证明")] = None,
    credit_report: Annotated[list[UploadFile] | None, File(description="信用报告")] = None,
    authorisation: Annotated[
        list[UploadFile] | None, File(description="授权委托书（受托代理人必填）")
    ] = None,
    other: Annotated[list[UploadFile] | None, File(description="其他材料")] = None,
) -> dict[str, Any]:
    """Apply for credit repair of a published negative record; the attachments the
    checklist names are required. The commitment text stored with the case is generated
    from the record and signed with ``signatory``. Returns the case number and the
    查询码 (only this once)."""
    uploads = _read(
        ctx,
        {
            "identity": identity,
            "performance": performance,
            "correction": correction,
            "training": training,
            "credit_report": credit_report,
            "authorisation": authorisation,
            "other": other,
        },
    )
    form = CaseForm(
        record=record,
        subject_name=subject_name,
        subject_code=subject_code,
        applicant_role=applicant_role,
        reason=reason,
        contact_name=contact_name,
        contact_phone=contact_phone,
        contact_email=contact_email,
        declarations=[d for d in declarations or [] if d],
        signatory=signatory,
        committed=committed,
        uploads=uploads,
    )
    return _file(session, ctx, form, "repair")


@router.post(
    "/cases/lookup",
    summary="办件查询",
    response_model=CaseOut,
    dependencies=LOOKUP_LIMITS,
)
def lookup(session: SessionDep, ctx: CaseCtx, body: LookupIn) -> dict[str, Any]:
    """Status, deadline, public history and decision of a case, by its number and
    查询码 (POST, so the code stays out of URLs and logs). Rate-limited."""
    case = filing.applicant_case(session, ctx.vault, body.number, body.access_code)
    return case_dict(session, ctx, case)


@router.post(
    "/cases/withdraw",
    summary="撤回申请",
    response_model=CaseOut,
    dependencies=LOOKUP_LIMITS,
)
def withdraw(session: SessionDep, ctx: CaseCtx, body: WithdrawIn) -> dict[str, Any]:
    """The applicant withdraws an open case; a publication it suspended resumes."""
    case = filing.applicant_case(session, ctx.vault, body.number, body.access_code)
    filing.withdraw(session, ctx, actor=API, case=case, reason=body.reason)
    return case_dict(session, ctx, case)
