"""The repair reminder (信用修复提醒函, 两书同达) as a printable page and as a PDF: for the
department that decided the penalty (to serve it with the decision) and the credit
office on the staff side, and for anyone on the subject's public credit file while the
penalty is published."""

from __future__ import annotations

import urllib.parse
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response

from xinyong.accounts.roles import OFFICE_ADMIN, OFFICE_STAFF, SYSTEM
from xinyong.actors import Actor
from xinyong.cases.letters import ReminderLetter, reminder_for_record, render_reminder_html
from xinyong.db import china_today
from xinyong.errors import Forbidden, NotFound
from xinyong.pdf import html_to_pdf
from xinyong.publicity.service import find_subject
from xinyong.records.models import CreditRecord
from xinyong.records.service import is_published
from xinyong.runtime import Runtime
from xinyong.web.deps import RuntimeDep, SessionDep, StaffActor
from xinyong.web.ratelimit import rate_limit

router = APIRouter(include_in_schema=False)

NO_LETTER = "该信息不适用信用修复，没有信用修复提醒函"


def _record(session: SessionDep, record_id: str) -> CreditRecord:
    try:
        rid = uuid.UUID(record_id)
    except ValueError:
        rid = None
    record = session.get(CreditRecord, rid) if rid else None
    if record is None:
        raise NotFound("未找到该信用记录", f"record {record_id!r} not found")
    return record


def _letter(
    request: Request, session: SessionDep, rt: Runtime, record: CreditRecord
) -> ReminderLetter:
    letter = reminder_for_record(
        session,
        rt.catalog,
        rt.rulebook,
        record,
        settings=rt.settings,
        site_url=str(request.base_url),
    )
    if letter is None:
        raise NotFound(NO_LETTER, f"record {record.id} has no repair reminder")
    return letter


def _pdf_response(letter: ReminderLetter) -> Response:
    pdf = html_to_pdf(render_reminder_html(letter))
    quoted = urllib.parse.quote(letter.filename)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            # RFC 6266 / RFC 5987: an ASCII fallback, then the Chinese name in UTF-8.
            "Content-Disposition": (
                f"inline; filename=\"repair-reminder.pdf\"; filename*=UTF-8''{quoted}"
            ),
            "Cache-Control": "no-store",
        },
    )


# --- staff: the deciding department and the credit office -------------------------------


def _staff_record(session: SessionDep, actor: Actor, record_id: str) -> CreditRecord:
    record = _record(session, record_id)
    if (
        actor.has_role(OFFICE_ADMIN, OFFICE_STAFF, SYSTEM)
        or record.authority_code == actor.org_uscc
    ):
        return record
    raise Forbidden(
        "只能查看本单位作出的决定的信用修复提醒函",
        f"{actor.label} may not read the repair reminder of record {record.id} "
        f"(authority {record.authority_code})",
    )


@router.get("/staff/records/{record_id}/repair-letter", response_class=HTMLResponse)
def staff_letter(
    record_id: Annotated[str, Path(max_length=64)],
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    actor: StaffActor,
) -> HTMLResponse:
    record = _staff_record(session, actor, record_id)
    return HTMLResponse(render_reminder_html(_letter(request, session, rt, record)))


@router.get("/staff/records/{record_id}/repair-letter.pdf", response_model=None)
def staff_letter_pdf(
    record_id: Annotated[str, Path(max_length=64)],
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    actor: StaffActor,
) -> Response:
    record = _staff_record(session, actor, record_id)
    return _pdf_response(_letter(request, session, rt, record))


# --- public: on the subject's credit file ------------------------------------------------


def _public_letter(
    request: Request, session: SessionDep, rt: Runtime, code: str, record_id: str
) -> ReminderLetter:
    """The letter of a record of subject ``code`` published today; NotFound otherwise (a
    record of another subject, suspended, revoked, repaired or past its period)."""
    subject = find_subject(session, code)
    try:
        record = _record(session, record_id)
    except NotFound:
        record = None
    if record is None or record.subject_id != subject.id or not is_published(record, china_today()):
        raise NotFound(
            "未找到该公示信息，或该信息已不在公示中", f"no published record {record_id!r}"
        )
    item = rt.catalog.items.get(record.item_code)
    if item is None or item.disclosure != "public":
        raise NotFound("未找到该公示信息", f"record {record_id!r} is not public")
    return _letter(request, session, rt, record)


@router.get(
    "/subjects/{code}/records/{record_id}/repair-letter",
    response_class=HTMLResponse,
    dependencies=[Depends(rate_limit("search"))],
)
def public_letter(
    code: Annotated[str, Path(max_length=64)],
    record_id: Annotated[str, Path(max_length=64)],
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
) -> HTMLResponse:
    return HTMLResponse(render_reminder_html(_public_letter(request, session, rt, code, record_id)))


@router.get(
    "/subjects/{code}/records/{record_id}/repair-letter.pdf",
    response_model=None,
    dependencies=[Depends(rate_limit("search"))],
)
def public_letter_pdf(
    code: Annotated[str, Path(max_length=64)],
    record_id: Annotated[str, Path(max_length=64)],
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
) -> Response:
    return _pdf_response(_public_letter(request, session, rt, code, record_id))
