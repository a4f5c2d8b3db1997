"""The CLI as an operator uses it: init, codes, calendar, rule sets, accounts, audit.

Runs on a fresh SQLite and a fresh PostgreSQL database per module.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.functional.conftest import Cli
from xinyong.db import make_engine


@pytest.fixture(scope="module", autouse=True)
def initialised(cli: Cli) -> None:
    run = cli("init")
    assert run.exit_code == 0, run.stderr
    summary = run.json()
    assert summary["catalog_version"]
    assert summary["rule_sets"] >= 7
    assert summary["lists"] >= 4 and summary["measures"] >= 5
    assert summary["calendar_days_seeded"] > 100


def test_init_is_idempotent(cli: Cli, fresh_database_url: str) -> None:
    again = cli("init").json()
    assert again["calendar_days_seeded"] == 0
    engine = make_engine(fresh_database_url)
    with engine.connect() as conn:
        loads = conn.execute(
            text(
                "SELECT action, count(*) FROM audit_event"
                " WHERE action LIKE '%.load' GROUP BY action"
            )
        ).all()
    engine.dispose()
    # Each data file's load is audited once per content, not per run.
    assert dict(loads) == {"catalog.load": 1, "rulesets.load": 1, "measures.load": 1}


def test_code_check_prints_one_json_object_per_code(cli: Cli) -> None:
    run = cli(
        "code",
        "check",
        "91110000600037341L",
        "A1110000600037341L",
        "360426199101010071",
        "91110000600037341N",
    )
    rows = run.json_lines()
    assert [r["code"] for r in rows] == [
        "91110000600037341L",
        "A1110000600037341L",
        "360426199101010071",
        "91110000600037341N",
    ]
    assert all(set(r) >= {"code", "kind", "valid", "warnings", "errors"} for r in rows)
    assert [r["valid"] for r in rows] == [True, False, True, False]
    assert rows[2]["kind"] == "ric"
    assert any("L" in e for e in rows[3]["errors"])  # names the expected check character
    assert run.exit_code == 1  # at least one invalid


def test_code_check_accepts_n_and_y_authorities(cli: Cli) -> None:
    from xinyong.codes.rules import org_code_check_char, uscc_check_char

    codes = []
    for prefix in ("N1", "Y1", "A1"):
        org = "MA2PBMEM" + org_code_check_char("MA2PBMEM")
        first17 = prefix + "350203" + org
        codes.append(first17 + uscc_check_char(first17))
    run = cli("code", "check", *codes)
    assert run.exit_code == 0, run.stdout
    assert all(r["valid"] and r["kind"] == "uscc" for r in run.json_lines())


def test_legacy_pilot_code_accepted_with_warning_once_registered(cli: Cli) -> None:
    before = cli("code", "check", "91350211M0000XUF46").json()
    assert before["valid"] is False
    assert any("R" in e for e in before["errors"])
    reg = cli(
        "code",
        "except",
        "91350211M0000XUF46",
        "--name",
        "厦门云上晴空航空科技有限公司",
        "--reason",
        "厦门市市场监管局确认系试点期间合法赋码",
    )
    assert reg.exit_code == 0, reg.stderr
    after = cli("code", "check", "91350211M0000XUF46")
    assert after.exit_code == 0
    row = after.json()
    assert row["valid"] is True and row["warnings"]


def test_calendar_deadline_into_uncovered_year_is_provisional(cli: Cli) -> None:
    covered = cli("calendar", "add-workdays", "2025-09-26", "4").json()
    # 2025-09-28 (Sunday) was a make-up working day, then 09-29 and 09-30; 10-01..10-08
    # were the National Day and Mid-Autumn holiday, so the 4th working day is 10-09.
    assert covered == covered | {"date": "2025-10-09", "provisional": False}
    run = cli("calendar", "add-workdays", "2026-12-28", "7")
    row = run.json()
    assert row["provisional"] is True and 2027 in row["missing_years"]


def test_calendar_office_enters_a_new_year(cli: Cli) -> None:
    assert (
        cli(
            "calendar",
            "set",
            "2027-01-01",
            "--holiday",
            "--name",
            "元旦",
            "--notice",
            "国办发明电〔2026〕X号",
        ).exit_code
        == 0
    )
    assert (
        cli("calendar", "declare-year", "2027", "--notice", "国办发明电〔2026〕X号").exit_code == 0
    )
    row = cli("calendar", "add-workdays", "2026-12-30", "2").json()
    assert row == row | {"date": "2027-01-04", "provisional": False}


@pytest.mark.parametrize(
    ("severity", "decided", "rule_set", "earliest", "withdraw"),
    [
        # RULES.md §2: 发改办财金〔2017〕1171号 — 1 year / 3 years, no early repair.
        ("一般", "2018-05-10", "发改办财金〔2017〕1171号", None, "2019-05-10"),
        ("严重", "2018-05-10", "发改办财金〔2017〕1171号", None, "2021-05-10"),
        # RULES.md §2: 发改办财金〔2019〕527号 — general 3m–1y, serious 6m–3y.
        ("一般", "2020-03-02", "发改办财金〔2019〕527号", "2020-06-02", "2021-03-02"),
        ("严重", "2020-03-02", "发改办财金〔2019〕527号", "2020-09-02", "2023-03-02"),
        # RULES.md §1c: NDRC Order 58 — general 3m–1y, serious 1y–3y.
        ("一般", "2024-03-05", "国家发展改革委令第58号", "2024-06-05", "2025-03-05"),
        ("严重", "2024-03-05", "国家发展改革委令第58号", "2025-03-05", "2027-03-05"),
        # RULES.md §1a: NDRC Order 36 from 2026-04-01 — general 3m–1y, serious 1–3y.
        ("一般", "2026-05-06", "国家发展改革委令第36号", "2026-08-06", "2027-05-06"),
        ("严重", "2026-05-06", "国家发展改革委令第36号", "2027-05-06", "2029-05-06"),
    ],
)
def test_rules_periods_by_decision_date(
    cli: Cli, severity: str, decided: str, rule_set: str, earliest: str | None, withdraw: str
) -> None:
    row = cli(
        "rules", "periods", "--item", "xzcf", "--severity", severity, "--decided", decided
    ).json()
    assert row["rule_set"] == rule_set
    assert row["earliest_repair"] == earliest
    assert row["auto_withdraw"] == withdraw
    assert row["repairable"] is (earliest is not None)


def test_rules_periods_bad_date_names_the_field(cli: Cli) -> None:
    run = cli("rules", "periods", "--item", "xzcf", "--severity", "一般", "--decided", "2024/13/01")
    assert run.exit_code == 2
    assert "decided" in run.stderr and "YYYY-MM-DD" in run.stderr


def test_org_user_apikey_and_audit_verify(cli: Cli, fresh_database_url: str) -> None:
    from xinyong.codes.rules import org_code_check_char, uscc_check_char

    org = "XY350200" + org_code_check_char("XY350200")
    office = "11350200" + org
    office += uscc_check_char(office)
    dept = "11350200" + "JG350201" + org_code_check_char("JG350201")
    dept += uscc_check_char(dept)
    assert (
        cli("org", "add", "--kind", "office", "--name", "信用办", "--code", office).exit_code == 0
    )
    made = cli("org", "add", "--name", "市场监督管理局", "--code", dept, "--sector", "市场监管")
    assert made.exit_code == 0 and made.json()["uscc"] == dept
    bad = cli("org", "add", "--name", "某局", "--code", "91110000600037341N")
    assert bad.exit_code == 2 and "uscc" in bad.stderr
    user = cli(
        "user",
        "add",
        "li.admin",
        "--org",
        office,
        "--role",
        "office_admin",
        "--password",
        "correct-horse-battery",
    )
    assert user.exit_code == 0 and user.json()["roles"] == ["office_admin"]
    key = cli("apikey", "create", "--org", dept, "--label", "执法办案系统").json()
    assert key["key"].startswith("xyk_")

    ok = cli("audit", "verify")
    assert ok.exit_code == 0 and ok.json()["intact"] is True
    # Tamper with one event behind the platform's back: verify names it.
    engine = make_engine(fresh_database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET reason = 'edited' WHERE seq = 2"))
    engine.dispose()
    broken = cli("audit", "verify")
    assert broken.exit_code == 1
    assert broken.json()["first_broken_seq"] == 2
