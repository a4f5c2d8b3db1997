"""The hand-written SVG line chart: accessible, escaped, gaps where a month has no figure."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from xinyong.quality.chart import Series, line_chart

NS = {"svg": "http://www.w3.org/2000/svg"}


def test_chart_is_accessible_svg_with_a_line_per_series() -> None:
    svg = line_chart(
        chart_id="c1",
        title="各部门月度合规率",
        desc="每条折线为一个部门",
        x_labels=["9月", "10月", "11月", "12月"],
        series=[
            Series("甲局", [0.9, None, 0.95, 1.0]),
            Series("乙<局>", [0.5, 0.75, None, None]),
        ],
        target=0.95,
        target_label="整改线 95%",
    )
    root = ET.fromstring(str(svg))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find("svg:title", NS).text == "各部门月度合规率"  # type: ignore[union-attr]
    assert root.find("svg:desc", NS).text == "每条折线为一个部门"  # type: ignore[union-attr]
    groups = root.findall("svg:g[@class='series']", NS)
    assert len(groups) == 2
    # 甲局: a gap in October leaves one segment (Nov-Dec) and a lone point (Sep).
    assert len(groups[0].findall("svg:polyline", NS)) == 1
    assert len(groups[0].findall("svg:circle", NS)) == 3
    assert len(groups[1].findall("svg:polyline", NS)) == 1
    points = [c.find("svg:title", NS).text for c in groups[1].findall("svg:circle", NS)]  # type: ignore[union-attr]
    assert points == ["乙<局> 9月：50.0%", "乙<局> 10月：75.0%"]  # escaped in markup, parsed back
    assert "乙&lt;局&gt;" in str(svg)
    assert root.find("svg:line[@class='target']", NS) is not None
    # Zoomed to 50%: the lowest grid label.
    ticks = [t.text for t in root.findall("svg:text[@class='tick']", NS)]
    assert ticks[:5] == ["50.0%", "62.5%", "75.0%", "87.5%", "100.0%"]


def test_chart_without_figures_says_so() -> None:
    svg = str(
        line_chart(
            chart_id="empty",
            title="t",
            desc="d",
            x_labels=["1月", "2月"],
            series=[Series("甲局", [None, None])],
        )
    )
    assert "暂无数据" in svg and "<polyline" not in svg
    ET.fromstring(svg)
