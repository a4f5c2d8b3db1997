"""``xinyong quality report``: the month's league table as one JSON object."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.functional.conftest import Cli
from tests.quality_data import QualityData, build
from xinyong.db import make_engine


@pytest.fixture(scope="module")
def data(cli: Cli) -> QualityData:
    run = cli("init")
    assert run.exit_code == 0, run.stderr
    engine = make_engine(cli.env["XINYONG_DATABASE_URL"])
    try:
        with Session(engine, expire_on_commit=False) as session:
            built = build(session)
            session.commit()
    finally:
        engine.dispose()
    return built


def test_report_prints_every_department(cli: Cli, data: QualityData) -> None:
    run = cli("quality", "report", "--month", "2026-11")
    assert run.exit_code == 0, run.stderr
    body = run.json()
    assert body["month"] == "2026-11" and body["scope"] == "all"
    rows = {d["department"]: d for d in body["departments"]}
    a = rows[data.a.uscc]
    assert (a["received"], a["first_pass"], a["rejected"], a["rejected_original"]) == (10, 8, 3, 2)
    assert (a["compliance"], a["timeliness"], a["corrected"], a["rank"]) == (0.8, 0.75, 3, 3)
    assert rows[data.c.uscc]["rank"] is None and rows[data.c.uscc]["compliance"] is None
    assert [d["department_name"] for d in body["departments"]][:3] == [
        "某市生态环境局",
        "某市交通运输局",
        "某市市场监督管理局",
    ]
    assert "合规率低于 95% 的有某市市场监督管理局（80.0%）（需整改）" in body["notice"]


def test_report_for_one_department(cli: Cli, data: QualityData) -> None:
    body = cli("quality", "report", "--month", "2026-11", "--department", data.d.uscc).json()
    (d,) = body["departments"]
    assert (d["department"], d["rank"], d["timeliness"]) == (data.d.uscc, 2, 0.5)
    assert body["notice"].startswith("2026年11月，某市交通运输局入库 2 条")


def test_bad_month_exits_2_with_a_chinese_reason(cli: Cli, data: QualityData) -> None:
    run = cli("quality", "report", "--month", "2026-13")
    assert run.exit_code == 2
    assert "月份格式应为 YYYY-MM" in run.stderr
