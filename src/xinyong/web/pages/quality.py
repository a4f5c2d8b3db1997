"""Data quality pages and API: league table and trend, the monthly notice (通报) with
its XLSX/CSV downloads, and the code governance report (重错码)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from xinyong.db import china_today
from xinyong.quality.chart import Series, line_chart, style
from xinyong.quality.export import league_csv, league_xlsx
from xinyong.quality.rules import (
    CODE_RATE_TARGET_PER_MILLE,
    COMPLIANCE_TARGET,
    add_months,
    month_key,
    month_label,
    parse_month,
    percent,
)
from xinyong.quality.service import (
    LeagueTable,
    Trend,
    code_governance,
    league_table,
    quality_scope,
    quality_trend,
)
from xinyong.web.deps import CurrentActor, RuntimeDep, SessionDep, StaffActor
from xinyong.web.templating import render

# Pages under /staff (cookie login) and the JSON API under /api/v1, in one router.
router = APIRouter()

MonthParam = Annotated[str | None, Query(max_length=7, description="YYYY-MM")]
DepartmentParam = Annotated[str | None, Query(max_length=18, description="部门统一社会信用代码")]


def _month(value: str | None) -> dt.date:
    """The month asked for, or the current month in China."""
    return parse_month(value) if value else china_today().replace(day=1)


def _charts(trend: Trend) -> dict[str, Any]:
    # The year under the first month and under every January.
    labels = [
        f"{m.month}月\n{m.year}年" if i == 0 or m.month == 1 else f"{m.month}月"
        for i, m in enumerate(trend.months)
    ]
    full = [month_label(m) for m in trend.months]
    span = f"{month_label(trend.months[0])}至{month_label(trend.months[-1])}"
    compliance = [
        Series(s.name, [None if v is None else float(v) for v in s.compliance])
        for s in trend.series
    ]
    timeliness = [
        Series(s.name, [None if v is None else float(v) for v in s.timeliness])
        for s in trend.series
    ]
    names = "、".join(s.name for s in trend.series) or "无"
    return {
        "compliance_chart": line_chart(
            chart_id="chart-compliance",
            title=f"各部门月度合规率（{span}）",
            desc=f"折线图，每条折线为一个部门（{names}）的月度合规率；"
            f"虚线为 {percent(COMPLIANCE_TARGET, 0)} 整改线。具体数值见下方表格。",
            x_labels=labels,
            point_labels=full,
            series=compliance,
            target=float(COMPLIANCE_TARGET),
            target_label=f"整改线 {percent(COMPLIANCE_TARGET, 0)}",
        ),
        "timeliness_chart": line_chart(
            chart_id="chart-timeliness",
            title=f"各部门月度及时率（{span}）",
            desc=f"折线图，每条折线为一个部门（{names}）的月度及时率。具体数值见下方表格。",
            x_labels=labels,
            point_labels=full,
            series=timeliness,
        ),
        "colours": [style(i)[0] for i in range(len(trend.series))],
    }


def _common(month: dt.date) -> dict[str, Any]:
    return {
        "month": month,
        "month_value": month_key(month),
        "month_label": month_label(month),
        "previous": month_key(add_months(month, -1)),
        "following": month_key(add_months(month, 1)),
        "pct": percent,
        "month_key": month_key,
        "target": percent(COMPLIANCE_TARGET, 0),
    }


# --- pages ---------------------------------------------------------------------------------


@router.get(
    "/staff/quality", response_class=HTMLResponse, response_model=None, include_in_schema=False
)
def quality_page(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    month: MonthParam = None,
    department: DepartmentParam = None,
) -> Response:
    """League table of the month and the 12-month trend of compliance and timeliness."""
    chosen = _month(month)
    table = league_table(session, actor=actor, month=chosen, department=department)
    trend = quality_trend(session, actor=actor, month=chosen, department=department)
    return render(
        request,
        "staff/quality.html",
        {
            **_common(chosen),
            "actor": actor,
            "table": table,
            "trend": trend,
            "department": department,
            "sees_all": quality_scope(session, actor).everyone,
            **_charts(trend),
        },
    )


@router.get(
    "/staff/quality/notice",
    response_class=HTMLResponse,
    response_model=None,
    include_in_schema=False,
)
def notice_page(
    request: Request, session: SessionDep, actor: StaffActor, month: MonthParam = None
) -> Response:
    """The monthly notice (通报): generated text, the table, downloads."""
    chosen = _month(month)
    table = league_table(session, actor=actor, month=chosen)
    return render(request, "staff/quality_notice.html", {**_common(chosen), "table": table})


def _download(table: LeagueTable, body: bytes, extension: str, media_type: str) -> Response:
    key = month_key(table.month)
    ascii_name = f"quality-notice-{key}.{extension}"
    chinese = quote(f"数据质量通报-{key}.{extension}")
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{ascii_name}"; '
            f"filename*=UTF-8''{chinese}"
        },
    )


@router.get("/staff/quality/notice.xlsx", response_model=None, include_in_schema=False)
def notice_xlsx(session: SessionDep, actor: StaffActor, month: MonthParam = None) -> Response:
    table = league_table(session, actor=actor, month=_month(month))
    return _download(
        table,
        league_xlsx(table),
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@router.get("/staff/quality/notice.csv", response_model=None, include_in_schema=False)
def notice_csv(session: SessionDep, actor: StaffActor, month: MonthParam = None) -> Response:
    table = league_table(session, actor=actor, month=_month(month))
    return _download(table, league_csv(table), "csv", "text/csv; charset=utf-8")


@router.get(
    "/staff/quality/codes",
    response_class=HTMLResponse,
    response_model=None,
    include_in_schema=False,
)
def codes_page(
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    actor: StaffActor,
    department: DepartmentParam = None,
) -> Response:
    """Duplicate and wrong codes per department; one department's list of offending codes."""
    report = code_governance(session, actor=actor, catalog=rt.catalog, department=department)
    return render(
        request,
        "staff/quality_codes.html",
        {
            "report": report,
            "department": department,
            "target": f"{CODE_RATE_TARGET_PER_MILLE:g}‰",
            "status_labels": {"open": "待修正", "resolved": "已修正", "withdrawn": "已撤回"},
        },
    )


# --- API -----------------------------------------------------------------------------------


@router.get("/api/v1/quality/league", tags=["数据质量 quality"], summary="数据质量排行（月度）")
def api_league(
    session: SessionDep,
    actor: CurrentActor,
    month: MonthParam = None,
    department: DepartmentParam = None,
) -> dict[str, Any]:
    """Per department: received, first-pass, rejected, compliance (合规率), timeliness
    (及时率), corrections, upheld objections per 100,000; ranked; with the notice text.
    A department sees only its own row."""
    table = league_table(session, actor=actor, month=_month(month), department=department)
    return table.as_dict()


@router.get(
    "/api/v1/quality/trend", tags=["数据质量 quality"], summary="合规率、及时率 12 个月趋势"
)
def api_trend(
    session: SessionDep,
    actor: CurrentActor,
    month: MonthParam = None,
    department: DepartmentParam = None,
) -> dict[str, Any]:
    trend = quality_trend(session, actor=actor, month=_month(month), department=department)
    return trend.as_dict()


@router.get("/api/v1/quality/codes", tags=["数据质量 quality"], summary="重错码治理")
def api_codes(
    session: SessionDep, rt: RuntimeDep, actor: CurrentActor, department: DepartmentParam = None
) -> dict[str, Any]:
    """Duplicate codes (one code, several names; one organisation, several codes) and
    wrong codes per department, per 1,000 subjects (target ≤ 1‰). The offending codes
    are listed when one department is in view (``department``, or a department's own)."""
    report = code_governance(session, actor=actor, catalog=rt.catalog, department=department)
    return report.as_dict()
