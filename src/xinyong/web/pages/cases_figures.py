"""Figures of objections and credit repair (异议与信用修复统计): a staff page and its JSON.

The credit office (and its auditors) sees every department; a department sees the
figures of its own records only (``quality.service.quality_scope``, as for the
data-quality league table the figures feed). The period is ``start`` to ``end``
(filing dates, both included), by default 1 January of this year to today (China time).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from xinyong.actors import Actor
from xinyong.cases.figures import VALID_OBJECTION_TARGET_PER_100K, CaseFigures, case_figures
from xinyong.db import china_today
from xinyong.errors import ValidationFailed
from xinyong.quality.rules import percent
from xinyong.quality.service import quality_scope
from xinyong.web.deps import CurrentActor, SessionDep, StaffActor
from xinyong.web.templating import render

router = APIRouter()

DateParam = Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD")]


def parse_date(value: str | None, field: str, default: dt.date) -> dt.date:
    """``YYYY-MM-DD``, or ``default`` when empty; ``ValidationFailed`` otherwise."""
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed.one(
            field,
            f"日期格式应为 YYYY-MM-DD（如 2026-01-01），收到“{value}”",
            f"{field} must be YYYY-MM-DD, got {value!r}",
        ) from None


def figures_for(session: Session, actor: Actor, start: str | None, end: str | None) -> CaseFigures:
    """The figures the actor may see for the period asked for (default: this year)."""
    scope = quality_scope(session, actor)
    today = china_today()
    first = parse_date(start, "start", today.replace(month=1, day=1))
    last = parse_date(end, "end", today)
    return case_figures(session, start=first, end=last, today=today, org_id=scope.org_id)


def _number(value: Any) -> str:
    """A median of working days: ``3`` or ``2.5``; ``—`` when none."""
    if value is None:
        return "—"
    return f"{float(value):g}"


@router.get(
    "/staff/cases/figures",
    response_class=HTMLResponse,
    response_model=None,
    include_in_schema=False,
)
def figures_page(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    start: DateParam = None,
    end: DateParam = None,
) -> Response:
    """Objections received and upheld, valid objections per 100,000 published records,
    handling times, on-time shares per department, repair decisions by reason."""
    figures = figures_for(session, actor, start, end)
    return render(
        request,
        "staff/case_figures.html",
        {
            "f": figures,
            "pct": percent,
            "number": _number,
            "target": f"{VALID_OBJECTION_TARGET_PER_100K:g}",
        },
    )


@router.get(
    "/api/v1/staff/case-figures",
    tags=["工作人员 staff"],
    summary="异议与信用修复统计",
)
def api_figures(
    session: SessionDep, actor: CurrentActor, start: DateParam = None, end: DateParam = None
) -> dict[str, Any]:
    """Cases filed from ``start`` to ``end`` (default: this year to date): objections
    received, decided, upheld share, valid objections per 100,000 published records with
    Yichang's target (< 1), handling times in working days, on-time shares; repair
    applications, approvals and refusals by reason; one row per department. Ratios are
    numbers between 0 and 1, or null. A department sees only its own records."""
    return figures_for(session, actor, start, end).as_dict()
