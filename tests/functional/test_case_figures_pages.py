"""Figures of objections and credit repair as staff read them: the page
/staff/cases/figures, its JSON at /api/v1/staff/case-figures and ``xinyong cases
figures``; the office sees every department, a department only its own records."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.functional.collecting import (
    PASSWORD,
    Department,
    login,
    make_department,
    penalty,
    uscc,
)
from tests.functional.conftest import KEYS, Cli
from tests.integration.cases_helpers import png
from xinyong.accounts.service import create_account, create_organisation
from xinyong.actors import Actor
from xinyong.cases import filing, handling
from xinyong.cases.context import Application, CaseContext, Contact, Upload
from xinyong.catalog.loader import Catalog
from xinyong.config import Settings
from xinyong.db import china_today, make_engine
from xinyong.privacy.crypto import DataVault
from xinyong.records.service import report_record
from xinyong.rulesets.loader import RuleBook
from xinyong.runtime import Runtime
from xinyong.workdays.service import load_calendar

OFFICE = Actor(kind="account", name="office", roles=frozenset({"office_staff"}))
PUBLIC = Actor(kind="public", name="applicant")


def objection_upheld(
    session: Session,
    *,
    catalog: Catalog,
    rulebook: RuleBook,
    settings: Settings,
    vault: DataVault,
    dept: Department,
    records: int,
) -> None:
    """``records`` published penalties of ``dept``; an objection against the first,
    upheld by the department today."""
    today = china_today()
    first = None
    for n in range(1, records + 1):
        row = penalty(dept, n, decided=today - dt.timedelta(days=30))
        record = report_record(
            session,
            actor=dept.actor,
            catalog=catalog,
            rulebook=rulebook,
            vault=vault,
            item_code="xzcf",
            raw=row,
            today=today,
        ).record
        first = first or record
    assert first is not None
    ctx = CaseContext(settings, catalog, rulebook, vault, load_calendar(session), today)
    app = Application(
        record_id=first.id,
        subject_code=first.values["CF_XDR_SHXYM"],
        subject_name=first.values["CF_XDR_MC"],
        contact=Contact("王伟", "13800138000"),
        reason="罚款金额登记有误。",
        ground="content",
        fields=["CF_NR_FK"],
        uploads=[Upload("evidence", "决定书.png", png())],
    )
    case = filing.file_objection(session, ctx, actor=PUBLIC, application=app).case
    handling.mark(session, ctx, actor=OFFICE, case_id=case.id, accept=True)
    handling.forward(session, ctx, actor=OFFICE, case_id=case.id)
    reviewer = Actor(
        kind="account",
        name=dept.username,
        org_id=dept.actor.org_id,
        org_uscc=dept.uscc,
        roles=frozenset({"dept_reviewer"}),
    )
    handling.decide_objection(
        session,
        ctx,
        actor=reviewer,
        case_id=case.id,
        outcome="upheld",
        reason="经核实，金额有误。",
        action="correct",
        corrections={"CF_NR_FK": "3", "CF_NR": "罚款人民币3万元"},
    )


@pytest.fixture
def site(runtime: Runtime) -> Department:
    dept = make_department(runtime)
    make_department(runtime, "HB350202", "厦门市生态环境局", "sthj")
    with runtime.sessions() as session:
        office = create_organisation(
            session,
            actor=Actor.system(),
            name="厦门市信用办",
            uscc=uscc("XY350200", "11", "350200"),
            kind="office",
        )
        create_account(
            session,
            actor=Actor.system(),
            username="xyb",
            password=PASSWORD,
            org_uscc=office.uscc,
            roles=["office_admin"],
            display_name="信用办",
        )
        objection_upheld(
            session,
            catalog=runtime.catalog,
            rulebook=runtime.rulebook,
            settings=runtime.settings,
            vault=runtime.vault,
            dept=dept,
            records=4,
        )
        session.commit()
    return dept


def test_office_sees_the_figures_of_every_department(client: TestClient, site: Department) -> None:
    assert client.get("/staff/cases/figures", follow_redirects=False).status_code == 303
    login(client, "xyb")
    page = client.get("/staff/cases/figures")
    assert page.status_code == 200, page.text
    text = page.text
    year_start = china_today().replace(month=1, day=1).isoformat()
    assert f'name="start" type="date" value="{year_start}"' in text
    assert "异议 1 件，办结认定 1 件，其中成立 1 件、部分成立 0 件，成立率 100.0%" in text
    # 1 valid objection of 4 published records: 25,000 per 100,000, far above target.
    assert "25000.00" in text and "未达标" in text and "目标：低于 1" in text
    assert "厦门市市场监督管理局" in text and "厦门市生态环境局" in text
    assert "材料不齐全" in text  # refusal reasons listed, with zero counts
    assert 'href="/staff/cases/figures"' in client.get("/staff/quality").text


def test_a_department_sees_only_its_own_row(client: TestClient, site: Department) -> None:
    login(client, site.username)
    text = client.get("/staff/cases/figures").text
    assert "厦门市市场监督管理局" in text and "厦门市生态环境局" not in text
    assert "（本单位）" in text


def test_json_figures_and_a_bad_date(client: TestClient, site: Department) -> None:
    token = client.post("/api/v1/auth/token", data={"username": "xyb", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    today = china_today().isoformat()
    body = client.get(
        f"/api/v1/staff/case-figures?start={today}&end={today}", headers=headers
    ).json()
    assert body["objections"]["received"] == 1 and body["objections"]["upheld_share"] == 1.0
    assert body["objections"]["valid_per_100k"] == 25000.0
    assert body["objections"]["meets_target"] is False
    row = next(d for d in body["departments"] if d["department"] == site.uscc)
    assert (row["objections"], row["upheld"], row["dept_on_time_share"]) == (1, 1, 1.0)
    bad = client.get("/api/v1/staff/case-figures?start=2026-13-01", headers=headers)
    assert bad.status_code == 422 and "日期格式应为 YYYY-MM-DD" in bad.text
    backwards = client.get(
        "/api/v1/staff/case-figures?start=2026-12-01&end=2026-11-01", headers=headers
    )
    assert backwards.status_code == 422 and "不能晚于截止日期" in backwards.text


@pytest.fixture(scope="module")
def cli_data(cli: Cli) -> Department:
    run = cli("init")
    assert run.exit_code == 0, run.stderr
    settings = Settings(
        database_url=cli.env["XINYONG_DATABASE_URL"], **{k[8:].lower(): v for k, v in KEYS.items()}
    )
    rt = Runtime(settings=settings, engine=make_engine(settings.database_url))
    try:
        dept = make_department(rt)
        with rt.sessions() as session:
            objection_upheld(
                session,
                catalog=rt.catalog,
                rulebook=rt.rulebook,
                settings=settings,
                vault=rt.vault,
                dept=dept,
                records=2,
            )
            session.commit()
    finally:
        rt.engine.dispose()
    return dept


def test_cli_prints_the_figures_as_json(cli: Cli, cli_data: Department) -> None:
    today = china_today().isoformat()
    run = cli("cases", "figures", "--start", today, "--end", today)
    assert run.exit_code == 0, run.stderr
    body = run.json()
    assert (body["start"], body["end"]) == (today, today)
    assert body["objections"]["received"] == 1 and body["objections"]["valid_per_100k"] == 50000.0
    own = cli("cases", "figures", "--department", cli_data.uscc).json()
    assert own["scope"] == "own" and [d["department"] for d in own["departments"]] == [
        cli_data.uscc
    ]
    bad = cli("cases", "figures", "--start", "2026/01/01")
    assert bad.exit_code == 2 and "日期格式应为 YYYY-MM-DD" in bad.stderr
