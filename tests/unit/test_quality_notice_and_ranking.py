"""Pure rules of the quality reports: months, ranking, the notice text, code targets."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from xinyong.errors import ValidationFailed
from xinyong.quality.rules import (
    NoticeLine,
    Standing,
    add_months,
    code_rate_per_mille,
    competition_ranks,
    meets_code_target,
    notice_text,
    own_notice_text,
    parse_month,
    percent,
)

NOV = dt.date(2026, 11, 1)


def test_parse_month_and_arithmetic() -> None:
    assert parse_month("2026-11") == NOV
    assert parse_month(" 2026-1 ") == dt.date(2026, 1, 1)
    assert add_months(NOV, 2) == dt.date(2027, 1, 1)
    assert add_months(NOV, -11) == dt.date(2025, 12, 1)
    for bad in ("2026-13", "2026/11", "11-2026", "1999-01", ""):
        with pytest.raises(ValidationFailed) as caught:
            parse_month(bad)
        assert caught.value.field == "month" and "YYYY-MM" in caught.value.message


def test_competition_ranking_shares_ranks_and_skips_missing() -> None:
    f = Fraction
    standings = [
        Standing(f(4, 5), f(3, 4), "甲"),
        Standing(f(1), f(1, 2), "乙"),
        Standing(None, f(1), "丙"),
        Standing(f(1), f(1), "丁"),
        Standing(f(2, 2), f(2, 4), "戊"),  # the same figures as 乙
        Standing(f(1), None, "己"),  # no timeliness: below any figure
    ]
    assert competition_ranks(standings) == [5, 2, None, 1, 2, 4]


def line(
    name: str, received: int, fp: int, orig: int, timely: int, known: int, rank: int | None
) -> NoticeLine:
    return NoticeLine(name, received, orig, fp, orig, timely, known, rank)


def test_notice_text_for_the_whole_city() -> None:
    lines = [
        line("生态环境局", 4, 4, 0, 4, 4, 1),
        line("交通运输局", 2, 2, 0, 1, 2, 2),
        line("市场监管局", 10, 8, 2, 6, 8, 3),
        line("税务局", 0, 0, 0, 0, 0, None),
    ]
    assert notice_text(NOV, lines) == (
        "2026年11月，全市共 3 个部门报送数据，入库 16 条，"
        "首次报送即通过全部校验 14 条、退回 2 条，整体合规率 87.5%，及时率 78.6%。"
        "合规率最高的是生态环境局（100.0%）。"
        "合规率低于 95% 的有市场监管局（80.0%）（需整改）。"
        "本月未报送数据的部门：税务局。"
    )


def test_notice_text_when_all_meet_the_target_or_nobody_reported() -> None:
    good = [line("生态环境局", 4, 4, 0, 4, 4, 1), line("交通运输局", 1, 1, 0, 1, 1, 1)]
    text = notice_text(NOV, good)
    assert "合规率最高的是生态环境局（100.0%）、交通运输局（100.0%）。" in text
    assert "各报送部门合规率均达到 95%。" in text
    assert (
        notice_text(NOV, [line("税务局", 0, 0, 0, 0, 0, None)])
        == "2026年11月，全市各部门均未报送数据。"
    )


def test_own_notice_text() -> None:
    own = own_notice_text(NOV, line("市场监管局", 10, 8, 2, 6, 8, 3), 3)
    assert own == (
        "2026年11月，本单位（市场监管局）入库 10 条，退回 2 条，合规率 80.0%，及时率 75.0%，"
        "在 3 个参与排名的部门中列第 3 名。合规率低于 95%，需整改。"
    )
    seen_by_office = own_notice_text(NOV, line("税务局", 0, 0, 0, 0, 0, None), 3, own=False)
    assert seen_by_office == "2026年11月，税务局未报送数据。"


def test_percent_and_code_rate() -> None:
    assert percent(Fraction(6, 8)) == "75.0%" and percent(None) == "—"
    assert percent(0.98765, 2) == "98.77%"
    assert code_rate_per_mille(1, 1000) == 1.0 and meets_code_target(1, 1000) is True
    assert meets_code_target(2, 1000) is False
    assert code_rate_per_mille(0, 0) is None and meets_code_target(0, 0) is None
    assert meets_code_target(1, 0) is False
