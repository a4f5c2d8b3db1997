"""The monthly data quality league table: counts, compliance, timeliness, ranking, trend."""

from __future__ import annotations

from fractions import Fraction

import pytest
from sqlalchemy.orm import Session

from tests.quality_data import NOVEMBER, OCTOBER, QualityData, build
from xinyong.actors import Actor
from xinyong.errors import NotFound
from xinyong.quality.service import (
    DepartmentQuality,
    league_table,
    quality_trend,
    upheld_objections,
)


@pytest.fixture
def data(session: Session) -> QualityData:
    return build(session)


def office(data: QualityData) -> Actor:
    return Actor(
        kind="account",
        name="admin",
        org_id=data.office.id,
        org_uscc=data.office.uscc,
        roles=frozenset({"office_admin"}),
    )


def by_uscc(rows: list[DepartmentQuality]) -> dict[str, DepartmentQuality]:
    return {r.uscc: r for r in rows}


def test_november_counts_per_department(session: Session, data: QualityData) -> None:
    table = league_table(session, actor=office(data), month=NOVEMBER)
    rows = by_uscc(table.rows)
    a = rows[data.a.uscc].counts
    assert (a.received, a.first_pass, a.rejected, a.rejected_original) == (10, 8, 3, 2)
    assert (a.timely, a.timeliness_known, a.corrected) == (6, 8, 3)
    assert rows[data.a.uscc].compliance == Fraction(8, 10)
    assert rows[data.a.uscc].timeliness == Fraction(6, 8)
    b = rows[data.b.uscc]
    assert (b.counts.received, b.compliance, b.timeliness, b.counts.corrected) == (
        4,
        1,
        1,
        0,
    )
    d = rows[data.d.uscc]
    # A corrected row that failed again (origin resubmit) is a rejection, not a new failure.
    assert (d.counts.rejected, d.counts.rejected_original) == (1, 0)
    assert (d.compliance, d.timeliness) == (1, Fraction(1, 2))


def test_departments_without_data_appear_unranked_and_office_is_not_listed(
    session: Session, data: QualityData
) -> None:
    rows = by_uscc(league_table(session, actor=office(data), month=NOVEMBER).rows)
    c = rows[data.c.uscc]
    assert c.counts.received == 0 and c.compliance is None and c.timeliness is None
    assert c.rank is None and c.upheld_per_100k is None
    assert data.office.uscc not in rows


def test_ranked_by_compliance_then_timeliness(session: Session, data: QualityData) -> None:
    table = league_table(session, actor=office(data), month=NOVEMBER)
    mine = [r for r in table.rows if r.uscc in {o.uscc for o in data.departments}]
    assert [(r.name, r.rank) for r in mine] == [
        ("某市生态环境局", 1),
        ("某市交通运输局", 2),
        ("某市市场监督管理局", 3),
        ("某市税务局", None),
    ]
    assert table.ranked >= 3
    a = by_uscc(table.rows)[data.a.uscc]
    assert a.below_target and not by_uscc(table.rows)[data.b.uscc].below_target


def test_month_boundaries_are_the_month_of_arrival(session: Session, data: QualityData) -> None:
    rows = by_uscc(league_table(session, actor=office(data), month=OCTOBER).rows)
    a = rows[data.a.uscc]
    # 1, 15, 20 and 31 October; not the rows of 1 November or 1 December.
    assert (a.counts.received, a.counts.first_pass, a.counts.rejected_original) == (4, 3, 1)
    assert a.compliance == Fraction(3, 4) and a.timeliness == 1
    assert a.counts.corrected == 5
    assert rows[data.b.uscc].counts.received == 0


def test_a_department_without_objection_cases_has_no_upheld_objections(
    session: Session, data: QualityData
) -> None:
    assert upheld_objections(session, data.a.id, NOVEMBER) == 0
    a = by_uscc(league_table(session, actor=office(data), month=NOVEMBER).rows)[data.a.uscc]
    assert a.upheld_objections == 0 and a.upheld_per_100k == 0.0


def test_notice_names_the_best_and_those_to_rectify(session: Session, data: QualityData) -> None:
    table = league_table(session, actor=office(data), month=NOVEMBER)
    text = table.notice
    assert text.startswith("2026年11月，全市共 3 个部门报送数据，入库 16 条")
    assert "首次报送即通过全部校验 14 条、退回 2 条，整体合规率 87.5%，及时率 78.6%" in text
    assert "合规率最高的是某市生态环境局（100.0%）" in text
    assert "合规率低于 95% 的有某市市场监督管理局（80.0%）（需整改）" in text
    assert "某市税务局" in text.split("本月未报送数据的部门：")[1]
    body = table.as_dict()
    assert body["month"] == "2026-11" and body["scope"] == "all"
    a = next(r for r in body["departments"] if r["department"] == data.a.uscc)
    assert a["compliance"] == 0.8 and a["timeliness"] == 0.75 and a["rank"] == 3


def test_trend_covers_twelve_months_with_gaps(session: Session, data: QualityData) -> None:
    trend = quality_trend(session, actor=office(data), month=NOVEMBER)
    assert len(trend.months) == 12
    assert trend.months[0].isoformat() == "2025-12-01"
    assert trend.months[-1] == NOVEMBER
    series = {s.uscc: s for s in trend.series}
    a = series[data.a.uscc]
    assert a.compliance[-2:] == [Fraction(3, 4), Fraction(4, 5)]
    assert a.timeliness[-2:] == [1, Fraction(3, 4)]
    assert a.compliance[:9] == [None] * 9  # December 2025 to August 2026
    # September: A's two records and six quarantined rows of the code-governance set.
    assert (a.compliance[9], a.timeliness[9]) == (Fraction(2, 8), 1)
    assert series[data.c.uscc].compliance == [None] * 12
    body = trend.as_dict()
    assert body["months"][-1] == "2026-11"


def test_unknown_department_is_not_found(session: Session, data: QualityData) -> None:
    with pytest.raises(NotFound):
        league_table(session, actor=office(data), month=NOVEMBER, department="91350203MA00000000")
