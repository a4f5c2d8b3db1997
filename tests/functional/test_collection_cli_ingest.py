"""``xinyong ingest``: the credit office loads a department's file from the command line
and reads one JSON report; registration data fills the subject register."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.functional.collecting import Department, csv_text, penalty, uscc
from tests.functional.conftest import Cli
from xinyong.actors import Actor
from xinyong.db import make_engine
from xinyong.records.models import CreditRecord
from xinyong.subjects.models import Subject

NAME = "厦门市市场监督管理局"
CODE = uscc("JG350201", "11", "350200")
REPORT_KEYS = {"accepted", "updated", "unchanged", "rejected", "warnings", "rows"}


@pytest.fixture(scope="module")
def dept(cli: Cli) -> Department:
    """The market regulator, registered the way the credit office does it."""
    assert cli("init").exit_code == 0
    run = cli("org", "add", "--name", NAME, "--code", CODE, "--sector", "市场监管")
    assert run.exit_code == 0, run.stderr
    assert run.json()["uscc"] == CODE
    return Department(CODE, NAME, api_key="", username="", actor=Actor.system())


@pytest.fixture
def db(cli: Cli) -> Iterator[Session]:
    engine = make_engine(cli.env["XINYONG_DATABASE_URL"])
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def write_csv(path: Path, rows: list[dict[str, Any]], encoding: str = "utf-8") -> Path:
    path.write_bytes(csv_text(rows).encode(encoding))
    return path


def ingest(cli: Cli, path: Path, item: str = "xzcf", *extra: str) -> Any:
    return cli("ingest", str(path), "--item", item, "--department", CODE, *extra)


def test_clean_file_prints_one_json_report_and_exits_0(
    cli: Cli, dept: Department, tmp_path: Path, db: Session
) -> None:
    rows = [penalty(dept, n) for n in range(101, 104)]
    run = ingest(cli, write_csv(tmp_path / "2026-11-xzcf.csv", rows))

    assert run.exit_code == 0, run.stderr
    report = run.json()
    assert set(report) >= REPORT_KEYS
    assert (report["accepted"], report["rejected"], report["rows"]) == (3, 0, [])
    assert report["status"] == "done" and report["error"] is None
    stored = db.execute(
        select(CreditRecord.doc_number).where(
            CreditRecord.doc_number.in_(r["CF_WSH"] for r in rows)
        )
    ).scalars()
    assert sorted(stored) == sorted(r["CF_WSH"] for r in rows)

    again = ingest(cli, tmp_path / "2026-11-xzcf.csv")
    assert again.exit_code == 0
    assert (again.json()["accepted"], again.json()["unchanged"]) == (0, 3)


def test_rejected_rows_exit_1_and_are_named_in_the_report(
    cli: Cli, dept: Department, tmp_path: Path
) -> None:
    rows = [penalty(dept, 201), penalty(dept, 202, CF_JDRQ="2026-02-30"), penalty(dept, 203)]
    run = ingest(cli, write_csv(tmp_path / "bad.csv", rows), "xzcf", "--batch-size", "2")

    assert run.exit_code == 1
    report = run.json()
    assert (report["accepted"], report["rejected"], report["status"]) == (2, 1, "done")
    (problem,) = report["rows"]
    assert (problem["row"], problem["field"], problem["level"]) == (2, "CF_JDRQ", "error")
    assert "日期" in problem["reason"]


def test_header_of_another_item_exits_2_naming_the_item_it_looks_like(
    cli: Cli, dept: Department, tmp_path: Path
) -> None:
    path = tmp_path / "许可.csv"
    path.write_text(
        f"XK_XDR_MC,XK_WSH,XK_XKJGDM,XK_JDRQ\n厦门甲乙贸易有限公司,JY1,{CODE},2026-03-05\n"
    )
    run = ingest(cli, path)
    assert run.exit_code == 2
    assert run.stdout == ""
    err = "".join(run.stderr.split())  # the console wraps long lines
    assert "表头与事项「行政处罚」（xzcf）不匹配" in err
    assert "表头看起来像事项「行政许可」（xzxk）" in err


def test_unknown_department_exits_2(cli: Cli, dept: Department, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", [penalty(dept, 301)])
    other = uscc("HB350299", "11", "350200")
    run = cli("ingest", str(path), "--item", "xzcf", "--department", other)
    assert run.exit_code == 2
    assert "尚未在平台登记" in "".join(run.stderr.split())


# --- registration data (登记注册基本信息) ---------------------------------------------------

REGISTRATION_HEADERS = [
    "企业名称",
    "统一社会信用代码",
    "注册日期",
    "企业类型",
    "法人代表",
    "注册资金",
    "经营范围",
    "注册地址",
]


def registration_file(path: Path, rows: list[list[str]], *, authority: bool = True) -> Path:
    """An export from the registration system, as departments send it."""
    out = io.StringIO()
    writer = csv.writer(out)
    extra = ["登记机关", "登记机关统一社会信用代码"] if authority else []
    writer.writerow(REGISTRATION_HEADERS + extra)
    for row in rows:
        writer.writerow(row + ([NAME, CODE] if authority else []))
    path.write_bytes(out.getvalue().encode("utf-8-sig"))
    return path


FIRM_A = uscc("MA8R0001")
FIRM_B = uscc("MA8R0002")
FIRM_C = uscc("MA8R0003")


def test_registration_data_creates_subjects_with_capital_and_currency(
    cli: Cli, dept: Department, tmp_path: Path, db: Session
) -> None:
    rows = [
        [
            "厦门鹭江贸易有限公司",
            FIRM_A,
            "2019-05-06",
            "有限责任公司（自然人投资或控股）",
            "王伟",
            "5,000(万元人民币)",
            "日用百货销售；五金产品零售",
            "厦门市思明区湖滨南路1号",
        ],
        [
            "厦门海沧科技有限公司",
            FIRM_B,
            "2020/1/2",
            "有限责任公司（外国法人独资）",
            "John Smith",
            "211.5(万元美元)",
            "软件开发",
            "厦门市海沧区海景路2号",
        ],
        ["厦门同安五金商行", FIRM_C, "2021年3月4日", "个人独资企业", "N/A", "N/A", "N/A", "N/A"],
    ]
    run = ingest(cli, registration_file(tmp_path / "djzc.csv", rows), "djzc")

    assert run.exit_code == 0, run.stdout + run.stderr
    report = run.json()
    assert (report["accepted"], report["rejected"]) == (3, 0)
    subjects = {
        s.uscc: s
        for s in db.execute(select(Subject).where(Subject.uscc.in_([FIRM_A, FIRM_B, FIRM_C])))
        .scalars()
        .all()
    }
    a, b, c = subjects[FIRM_A], subjects[FIRM_B], subjects[FIRM_C]
    assert (a.name, a.registered_capital, a.capital_currency) == (
        "厦门鹭江贸易有限公司",
        Decimal("5000"),
        "人民币",
    )
    assert (a.address, a.business_scope) == (
        "厦门市思明区湖滨南路1号",
        "日用百货销售；五金产品零售",
    )
    assert a.registered_on == dt.date(2019, 5, 6)
    assert (b.registered_capital, b.capital_currency) == (Decimal("211.5"), "美元")
    assert b.registered_on == dt.date(2020, 1, 2)
    assert (c.registered_capital, c.capital_currency, c.address, c.business_scope) == (
        None,
        None,
        None,
        None,
    )
    assert c.registered_on == dt.date(2021, 3, 4)

    # A later export with a capital increase updates the register, not a second subject.
    rows[0][5] = "8,000(万元人民币)"
    second = ingest(cli, registration_file(tmp_path / "djzc-2.csv", rows), "djzc").json()
    assert (second["accepted"], second["updated"], second["unchanged"]) == (0, 1, 2)
    db.rollback()  # a new snapshot: SQLite keeps the old one within a transaction
    (updated,) = db.execute(select(Subject).where(Subject.uscc == FIRM_A)).scalars().all()
    assert updated.registered_capital == Decimal("8000")


def test_registration_legal_representative_under_its_common_short_name_is_kept(
    cli: Cli, dept: Department, tmp_path: Path, db: Session
) -> None:
    firm = uscc("MA8R0004")
    row = [
        "厦门集美食品有限公司",
        firm,
        "2018-08-08",
        "有限责任公司",
        "陈静",
        "100(万元人民币)",
        "食品销售",
        "厦门市集美区",
    ]
    report = ingest(cli, registration_file(tmp_path / "djzc.csv", [row]), "djzc").json()
    assert report["accepted"] == 1, report["rows"]
    # 法人代表 is how registration exports commonly title the legal representative.
    assert not any("法人代表" in w for w in report["file_warnings"]), report["file_warnings"]
    subject = db.execute(select(Subject).where(Subject.uscc == firm)).scalar_one()
    assert subject.legal_rep == "陈静"


def test_registration_file_without_the_authority_column_is_refused_naming_it(
    cli: Cli, dept: Department, tmp_path: Path
) -> None:
    row = ["厦门翔安建材有限公司", uscc("MA8R0005"), "2018-08-08", "有限责任公司", "", "", "", ""]
    run = ingest(cli, registration_file(tmp_path / "djzc.csv", [row], authority=False), "djzc")
    assert run.exit_code == 2
    assert "缺少「登记机关统一社会信用代码」列" in "".join(run.stderr.split())


def test_publish_sweep_takes_down_penalties_whose_period_ended(
    cli: Cli, dept: Department, tmp_path: Path, db: Session
) -> None:
    rows = [penalty(dept, 301, decided=dt.date(2026, 3, 5))]
    assert ingest(cli, write_csv(tmp_path / "sweep.csv", rows)).exit_code == 0
    record = db.execute(
        select(CreditRecord).where(CreditRecord.doc_number == rows[0]["CF_WSH"])
    ).scalar_one()
    assert record.publication_state == "published" and record.auto_withdraw is not None

    early = cli("publish", "sweep", "--today", "2026-11-24")
    assert early.exit_code == 0 and early.json()["expired"] == 0
    run = cli("publish", "sweep", "--today", record.auto_withdraw.isoformat())
    assert run.exit_code == 0, run.stderr
    assert run.json()["expired"] >= 1
    db.rollback()  # a fresh snapshot (SQLite WAL readers keep theirs)
    assert db.get(CreditRecord, record.id).publication_state == "expired"  # type: ignore[union-attr]
    bad = cli("publish", "sweep", "--today", "2026-13-01")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.stderr
