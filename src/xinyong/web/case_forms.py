"""What the applicant's objection and repair pages and the JSON API share: the form
fields, reading uploads, the record a case is about, the repair checklist as shown, the
case as the applicant sees it, and error fields named as the form names them.

The pages (``web.pages.cases_public``) and the API (``web.api.cases``) both call these,
so the two cannot differ in what they accept or show.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session

from xinyong.actors import Actor
from xinyong.cases import filing, views
from xinyong.cases.context import Application, CaseContext, Contact, Filed, Upload
from xinyong.cases.letters import authority_name, commitment_for_record, commitment_text
from xinyong.cases.models import CreditCase
from xinyong.cases.rules import (
    CaseKind,
    CheckItem,
    Checklist,
    Ground,
    Purpose,
    Status,
)
from xinyong.catalog.schema import CatalogItem
from xinyong.errors import NotFound, TooManyRequests, ValidationFailed, XinyongError
from xinyong.publicity.rules import PublicField, record_fields
from xinyong.records.models import CreditRecord
from xinyong.records.service import is_published
from xinyong.subjects.models import Subject
from xinyong.subjects.rules import SubjectKind

WEBSITE = Actor(kind="public", name="website")
API = Actor(kind="public", name="api")
ACCEPT = ".pdf,.png,.jpg,.jpeg"
# File inputs are named by what the attachment proves (cases.rules.Purpose values).
FILE_FIELDS: tuple[str, ...] = tuple(p.value for p in Purpose)
OBJECTION_PURPOSES = (Purpose.evidence, Purpose.authorisation, Purpose.acceptance_notice)
ROLES = {"subject": "主体本身", "agent": "受托代理人"}
# Checklist items that are neither attachments nor declarations on the form.
_NOT_DECLARED = frozenset(
    {"negative", "repairable", "in_publication", "min_period", "application_form", "commitment"}
)
COMMITMENT_PLACEHOLDER = "________"


@dataclass
class CaseForm:
    """An objection or repair application as typed (kept to re-render the form)."""

    record: str = ""
    subject_name: str = ""
    subject_code: str = ""
    applicant_role: str = "subject"
    ground: str = ""
    fields: list[str] = field(default_factory=list)
    reason: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    declarations: list[str] = field(default_factory=list)
    signatory: str = ""
    committed: bool = False
    uploads: list[Upload] = field(default_factory=list)  # purpose = the file input's name

    def application(self) -> Application:
        return Application(
            record_id=self.record.strip(),
            subject_code=self.subject_code,
            subject_name=self.subject_name,
            contact=Contact(self.contact_name, self.contact_phone, self.contact_email or None),
            reason=self.reason,
            applicant_role=self.applicant_role,
            fields=list(self.fields),
            ground=self.ground or None,
            declarations=list(self.declarations),
            signatory=self.signatory or None,
            uploads=list(self.uploads),
        )


def max_upload_bytes(ctx: CaseContext) -> int:
    """Bytes read of one upload: one more than allowed, so an oversized file is refused
    by ``cases.attachments`` with its message, without reading all of a huge file."""
    return ctx.settings.attachment_max_mb * 1024 * 1024 + 1


def require_commitment(form: CaseForm) -> None:
    """A repair application must tick 本人已阅读并承诺 (the commitment is signed by name)."""
    if not form.committed:
        raise ValidationFailed.one(
            "committed",
            "请阅读信用修复承诺书并勾选“本人已阅读并承诺”",
            "the commitment was not accepted",
        )


# -- errors as the form names them -------------------------------------------------------

_FIELD_NAMES = {"record_id": "record", "access_code": "access_code"}


def _form_field(name: str | None, reason: str, form: CaseForm) -> str | None:
    """The form's name for a field a service error names: ``attachments[i]`` is the
    file input of the i-th upload; ``attachments`` (one missing) the input of the
    purpose the reason names."""
    if name is None:
        return None
    if name.startswith("attachments[") and name.endswith("]"):
        try:
            return form.uploads[int(name[12:-1])].purpose
        except (ValueError, IndexError):
            return "attachments"
    if name == "attachments":
        # "须上传：<label>"; the longest label first (证明材料 is part of others).
        for purpose in sorted(Purpose, key=lambda p: -len(p.label)):
            if f"须上传：{purpose.label}" in reason:
                return purpose.value
        return "attachments"
    return _FIELD_NAMES.get(name, name)


def field_errors(exc: XinyongError, form: CaseForm) -> dict[str, str]:
    """``{form field (or "" for the whole form): Chinese reason}`` of a refusal."""
    errors: dict[str, str] = {}
    if exc.problems:
        for p in exc.problems:
            key = _form_field(p.field, p.reason, form) or ""
            errors.setdefault(key, p.reason)
        if exc.field and _form_field(exc.field, exc.message, form) == "record":
            errors.setdefault("record", exc.message)
    else:
        errors[_form_field(exc.field, exc.message, form) or ""] = exc.message
    return errors


def renamed(exc: XinyongError, form: CaseForm) -> XinyongError:
    """``exc`` with its fields named as the API's form fields (same type and status)."""
    problems = [replace(p, field=_form_field(p.field, p.reason, form)) for p in exc.problems]
    if isinstance(exc, ValidationFailed) and problems:
        return ValidationFailed.from_problems(problems)
    if isinstance(exc, TooManyRequests):
        return exc
    return type(exc)(
        exc.message,
        exc.message_en,
        field=_form_field(exc.field, exc.message, form),
        problems=problems,
        details=exc.details,
    )


# -- the record a case is about ----------------------------------------------------------


@dataclass(frozen=True)
class RecordView:
    """A record as the applicant sees it on the forms: only its public fields."""

    record: CreditRecord
    item: CatalogItem
    subject: Subject
    fields: list[PublicField]
    published: bool

    @property
    def id(self) -> uuid.UUID:
        return self.record.id

    @property
    def natural_person(self) -> bool:
        return self.subject.kind == SubjectKind.natural_person

    def field_value(self, code: str) -> str | None:
        return next((f.value for f in self.fields if f.code == code), None)

    def prefill(self) -> CaseForm:
        """A new form: an organisation's name and code are public, so filled in; a
        person types their own (the name is masked on the website)."""
        if self.natural_person:
            return CaseForm(record=str(self.id))
        return CaseForm(
            record=str(self.id),
            subject_name=self.subject.name,
            subject_code=self.subject.uscc or self.subject.regno or "",
        )


def record_view(session: Session, ctx: CaseContext, record_id: str | None) -> RecordView:
    """The record ``record_id`` names if its item is public; NotFound otherwise (a
    malformed id too). ``published`` says whether the website shows it today."""
    try:
        rid = uuid.UUID((record_id or "").strip())
    except ValueError as exc:
        raise NotFound("未找到该信用信息，请从信用档案页进入", "malformed record id") from exc
    record = session.get(CreditRecord, rid)
    item = ctx.catalog.items.get(record.item_code) if record is not None else None
    if record is None or item is None or item.disclosure != "public":
        raise NotFound("未找到该信用信息，请从信用档案页进入", f"no public record {rid}")
    subject = session.get(Subject, record.subject_id)
    assert subject is not None
    return RecordView(
        record,
        item,
        subject,
        record_fields(item, record.values, record.masked),
        is_published(record, ctx.today),
    )


def published_view(session: Session, ctx: CaseContext, record_id: str | None) -> RecordView:
    view = record_view(session, ctx, record_id)
    if not view.published:
        raise NotFound("该信息不在公示中，不能对其提出异议", f"record {view.id} is not published")
    return view


# -- the repair checklist --------------------------------------------------------------


@dataclass(frozen=True)
class RepairPlan:
    """What the repair page shows before the form: the checklist with nothing provided,
    the reason repair cannot be applied for (if any), the declarations to tick and the
    attachments to upload."""

    checklist: Checklist
    declarations: list[CheckItem]
    purposes: list[Purpose]

    @property
    def refusal(self) -> CheckItem | None:
        return self.checklist.refusal


def repair_plan(session: Session, ctx: CaseContext, view: RecordView) -> RepairPlan:
    result = filing.checklist(session, ctx, view.record)
    declarations = [
        i
        for i in result.items
        if not i.blocking and i.purpose is None and i.code not in _NOT_DECLARED
    ]
    return RepairPlan(result, declarations, result.needed_purposes())


def commitment_preview(session: Session, ctx: CaseContext, view: RecordView, signatory: str) -> str:
    """The full 信用修复承诺书 the applicant signs, with the typed name if any."""
    letter = commitment_for_record(
        ctx.catalog,
        view.record,
        view.subject,
        authority_name(session, ctx.catalog, view.record),
        signatory=signatory.strip() or COMMITMENT_PLACEHOLDER,
        signed_on=ctx.today,
    )
    return commitment_text(letter)


def checklist_dict(plan: RepairPlan, view: RecordView) -> dict[str, Any]:
    refusal = plan.refusal
    return {
        "record_id": str(view.id),
        "doc_number": view.record.doc_number if view.published else None,
        "earliest_repair": view.record.earliest_repair,
        **plan.checklist.as_dict(),
        "refusal": refusal.detail or refusal.label if refusal else None,
        "declarations": [{"code": i.code, "label": i.label} for i in plan.declarations],
        "attachments": [{"purpose": p.value, "label": p.label} for p in plan.purposes],
    }


# -- the case as the applicant sees it ------------------------------------------------


def case_dict(session: Session, ctx: CaseContext, case: CreditCase) -> dict[str, Any]:
    """Status, record, deadline, public history and decision of ``case``."""
    status = Status(case.status)
    record = session.get(CreditRecord, case.record_id)
    item = ctx.catalog.items.get(record.item_code) if record is not None else None
    labels = {f.code: f.name for f in item.fields} if item is not None else {}
    decision = None
    if not status.open:
        decision = {
            "outcome": status.value,
            "label": status.label,
            "reason": case.outcome_reason,
            "closed_on": case.closed_on,
        }
    return {
        "number": case.number,
        "kind": case.kind,
        "kind_label": CaseKind(case.kind).label,
        "status": status.value,
        "status_label": status.label,
        "open": status.open,
        "record": {
            "id": str(case.record_id),
            "item": record.item_code if record is not None else None,
            "item_name": item.name if item is not None else None,
            "doc_number": record.doc_number if record is not None else None,
        },
        "ground": Ground(case.ground).label if case.ground else None,
        "fields": [labels.get(code, code) for code in case.fields or []],
        "applicant_role": ROLES.get(case.applicant_role, case.applicant_role),
        "filed_on": case.filed_on,
        "due_on": case.final_due_on if status.open else None,
        "due_provisional": bool(case.due_provisional) if status.open else False,
        "history": [
            {
                "at": e.at,
                "status": e.status,
                "status_label": Status(e.status).label,
                "text": e.text,
            }
            for e in views.history(session, case, public_only=True)
        ],
        "decision": decision,
    }


def filed_dict(filed: Filed) -> dict[str, Any]:
    case = filed.case
    status = Status(case.status)
    return {
        "number": case.number,
        "access_code": filed.access_code,
        "kind": case.kind,
        "kind_label": CaseKind(case.kind).label,
        "status": status.value,
        "status_label": status.label,
        "record_id": str(case.record_id),
        "filed_on": case.filed_on,
        "due_on": case.final_due_on,
        "due_provisional": bool(case.due_provisional),
        "email_masked": (case.contact_masked or {}).get("email"),
    }


def today_iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None
