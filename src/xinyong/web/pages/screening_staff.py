"""Staff pages of 联合奖惩 screening (核查): the same screening as the API, done by hand
from a form, the result page, and the screening certificate (信用核查（联合奖惩比对）证明)
as a PDF carrying the screening id.

Any staff account of an organisation may screen (``screening.service.require_org``).
The result page and the certificate read the stored screening (``get_screening``), so
they show exactly what was answered, to the organisation that made it only. Name-only
queries give candidates, which are not stored: the redirect after the form carries the
names, and the result page lists the candidates found for them (never a status).
"""

from __future__ import annotations

import re
import urllib.parse
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts.models import Organisation
from xinyong.actors import Actor
from xinyong.codes.rules import check_code, normalize_code
from xinyong.db import china_today
from xinyong.errors import NotFound, ValidationFailed, XinyongError
from xinyong.pdf import html_to_pdf
from xinyong.privacy.masking import ID_NUMBER
from xinyong.runtime import Runtime
from xinyong.screening.models import Screening
from xinyong.screening.rules import STATUS_LABELS
from xinyong.screening.service import (
    MAX_BATCH,
    MAX_NAMES,
    ScreeningOutcome,
    get_screening,
    name_candidates,
    require_org,
    screen,
)
from xinyong.web.deps import RuntimeDep, SessionDep, StaffActor, same_origin
from xinyong.web.templating import TEMPLATES, problems_by_field, render

router = APIRouter(include_in_schema=False)

BASE = "/staff/screening"
CERTIFICATE_TITLE = "信用核查（联合奖惩比对）证明"
RECENT = 20
FIELD_LABELS = {"scenario": "应用场景", "subjects": "主体代码", "names": "名称"}
# Statuses in the order counts are shown; the CSS class of each.
STATUS_ORDER = ("restrict", "reward", "clear", "unknown", "invalid")
STATUS_CLASSES = {
    "restrict": "screen-restrict",
    "reward": "screen-reward",
    "clear": "screen-clear",
    "unknown": "screen-muted",
    "invalid": "screen-muted",
}

# Codes: one per line, or separated by commas (also Chinese ones), semicolons or spaces.
_CODE_SEPARATORS = re.compile(r"[\s,，、;；]+")

IdPath = Annotated[str, Path(max_length=64)]
# Generous: a batch of 1,001 codes must reach the service, which names the limit and the
# form keeps the input (a FastAPI limit would answer with a bare error page).
BigText = Annotated[str, Form(max_length=200_000)]


def split_codes(text: str) -> list[str]:
    """The codes typed or pasted into the form, in order, without empty ones."""
    return [part for part in _CODE_SEPARATORS.split(text) if part]


def split_names(text: str) -> list[str]:
    """Names, one per line (a name may contain spaces)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def shown_query(result: dict[str, Any]) -> str:
    """The code asked about as shown on the page and the certificate: an ID number
    masked like everywhere else (first 6 and last 4), other codes as sent."""
    query = str(result["query"])
    subject = result.get("subject")
    if subject is not None:
        person = subject.get("kind") == "natural_person"
    else:
        person = check_code(query).kind in ("ric", "ric15")
    return (ID_NUMBER.apply(normalize_code(query)) or "") if person else query


def _parse_id(screening_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(screening_id)
    except ValueError as exc:
        raise NotFound(
            "未找到该比对编号", f"screening {screening_id!r} not found", field="id"
        ) from exc


def _recent(session: Session, org_id: uuid.UUID) -> list[Screening]:
    return list(
        session.execute(
            select(Screening)
            .where(Screening.org_id == org_id)
            .order_by(Screening.created_at.desc(), Screening.id)
            .limit(RECENT)
        ).scalars()
    )


def _form_page(
    request: Request,
    session: Session,
    rt: Runtime,
    staff: Actor,
    values: dict[str, str],
    *,
    error: XinyongError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    org_id = require_org(staff)
    by_field, other = problems_by_field(error, FIELD_LABELS)
    return render(
        request,
        "staff/screening.html",
        {
            "scenarios": rt.measures.scenarios,
            "values": values,
            "recent": _recent(session, org_id),
            "max_batch": MAX_BATCH,
            "max_names": MAX_NAMES,
            "error": error,
            "field_problems": by_field,
            "other_problems": other,
            "field_labels": FIELD_LABELS,
        },
        status_code=status_code,
    )


@router.get(BASE, response_class=HTMLResponse, response_model=None)
def screening_form(
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    staff: StaffActor,
    scenario: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """The form, and this organisation's recent screenings."""
    values = {"scenario": scenario, "subjects": "", "names": ""}
    return _form_page(request, session, rt, staff, values)


@router.post(BASE, response_model=None)
def run_screening(
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    staff: StaffActor,
    scenario: Annotated[str, Form(max_length=200)] = "",
    subjects: BigText = "",
    names: BigText = "",
) -> Response:
    """Screen by hand; the result page follows (303). Bad input comes back on the form
    with the reason beside the field and the input kept."""
    same_origin(request)
    require_org(staff)
    values = {"scenario": scenario, "subjects": subjects, "names": names}
    name_list = split_names(names)
    try:
        if not scenario.strip():
            raise ValidationFailed.one("scenario", "请选择应用场景", "scenario is required")
        outcome = screen(
            session,
            rt.measures,
            vault=rt.vault,
            actor=staff,
            scenario=scenario.strip(),
            queries=split_codes(subjects),
            names=name_list,
            today=china_today(),
            catalog=rt.catalog,
        )
    except ValidationFailed as exc:
        return _form_page(request, session, rt, staff, values, error=exc, status_code=exc.status)
    target = f"{BASE}/{outcome.id}"
    if name_list:
        target += "?" + urllib.parse.urlencode([("name", n) for n in name_list])
    return RedirectResponse(target, status_code=303)


def _outcome(session: Session, rt: Runtime, staff: Actor, screening_id: str) -> ScreeningOutcome:
    return get_screening(session, rt.measures, actor=staff, screening_id=_parse_id(screening_id))


def _context(session: Session, staff: Actor, outcome: ScreeningOutcome) -> dict[str, Any]:
    org = session.get(Organisation, staff.org_id)  # get_screening: the actor's organisation
    counts = outcome.counts()
    return {
        "outcome": outcome,
        "org_name": org.name if org else "",
        "counts": [(s, STATUS_LABELS[s], counts[s]) for s in STATUS_ORDER if counts.get(s)],
        "status_classes": STATUS_CLASSES,
        "shown_query": shown_query,
        "title": CERTIFICATE_TITLE,
    }


@router.get(f"{BASE}/{{screening_id}}.pdf", response_model=None)
def certificate_pdf(
    session: SessionDep,
    rt: RuntimeDep,
    staff: StaffActor,
    screening_id: IdPath,
) -> Response:
    """The screening certificate, A4, with the screening id to verify it by."""
    outcome = _outcome(session, rt, staff, screening_id)
    html = TEMPLATES.get_template("letters/screening_certificate.html").render(
        site_name=rt.settings.site_name, **_context(session, staff, outcome)
    )
    filename = urllib.parse.quote(f"{CERTIFICATE_TITLE}（{outcome.id}）.pdf")
    return Response(
        html_to_pdf(html),
        media_type="application/pdf",
        headers={
            # RFC 6266 / RFC 5987: an ASCII fallback, then the Chinese name in UTF-8.
            "Content-Disposition": (
                f"inline; filename=\"screening-{outcome.id}.pdf\"; filename*=UTF-8''{filename}"
            ),
            "Cache-Control": "no-store",
        },
    )


@router.get(f"{BASE}/{{screening_id}}", response_class=HTMLResponse, response_model=None)
def screening_result(
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    staff: StaffActor,
    screening_id: IdPath,
    name: Annotated[list[str] | None, Query(max_length=MAX_NAMES)] = None,
) -> Response:
    """A screening as answered, and candidates for the names given with it."""
    outcome = _outcome(session, rt, staff, screening_id)
    names = [n[:300] for n in name or [] if n.strip()]
    candidates = name_candidates(session, names) if names else []
    return render(
        request,
        "staff/screening_result.html",
        {**_context(session, staff, outcome), "candidates": candidates},
        headers={"Cache-Control": "no-store"},
    )
