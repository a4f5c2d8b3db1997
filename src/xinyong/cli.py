"""The ``xinyong`` command line (Typer).

Output meant for scripts is JSON (one object per line); keys are a public interface.
Domain errors are printed in Chinese with the English reason for logs, exit status 2.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from xinyong.actors import Actor
from xinyong.config import load_settings
from xinyong.db import transaction
from xinyong.errors import ValidationFailed, XinyongError
from xinyong.runtime import Runtime

app = typer.Typer(help="信用平台命令行 / Xinyong public credit platform", no_args_is_help=True)
code_app = typer.Typer(help="代码校验 / identifier checks", no_args_is_help=True)
calendar_app = typer.Typer(help="工作日历 / working-day calendar", no_args_is_help=True)
rules_app = typer.Typer(help="规则集 / rule sets by date", no_args_is_help=True)
audit_app = typer.Typer(help="审计链 / audit trail", no_args_is_help=True)
org_app = typer.Typer(help="单位 / organisations", no_args_is_help=True)
user_app = typer.Typer(help="账号 / staff accounts", no_args_is_help=True)
apikey_app = typer.Typer(help="接口密钥 / API keys for department systems", no_args_is_help=True)
catalog_app = typer.Typer(help="信用信息目录 / the catalog", no_args_is_help=True)
settings_app = typer.Typer(help="配置 / settings", no_args_is_help=True)
publish_app = typer.Typer(help="公示 / publication states", no_args_is_help=True)
quality_app = typer.Typer(help="数据质量 / data quality reports", no_args_is_help=True)
notices_app = typer.Typer(help="通知 / notices to applicants", no_args_is_help=True)
cases_app = typer.Typer(help="异议与信用修复 / objections and credit repair", no_args_is_help=True)
screening_app = typer.Typer(help="联合奖惩比对 / screening", no_args_is_help=True)
watch_app = typer.Typer(help="持续监测 / watch lists and webhooks", no_args_is_help=True)
for sub, name in (
    (code_app, "code"),
    (calendar_app, "calendar"),
    (rules_app, "rules"),
    (audit_app, "audit"),
    (org_app, "org"),
    (user_app, "user"),
    (apikey_app, "apikey"),
    (catalog_app, "catalog"),
    (settings_app, "settings"),
    (publish_app, "publish"),
    (quality_app, "quality"),
    (notices_app, "notices"),
    (cases_app, "cases"),
    (screening_app, "screening"),
    (watch_app, "watch"),
):
    app.add_typer(sub, name=name)

err = Console(stderr=True)
P = ParamSpec("P")
R = TypeVar("R")


def emit(obj: dict[str, Any]) -> None:
    """One JSON object per line on stdout."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")


def handles_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn domain errors into a readable message and exit status 2."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except XinyongError as exc:
            err.print(f"[bold red]错误[/]：{exc.message}")
            for p in exc.problems:
                err.print(f"  - {p.field or ''}：{p.reason}")
            logging.getLogger("xinyong.cli").error("%s: %s", exc.code, exc.message_en)
            raise typer.Exit(2) from None

    return wrapper


_runtime: Runtime | None = None


def runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = Runtime.from_settings(load_settings())
    return _runtime


def cli_actor() -> Actor:
    return Actor.system(f"cli:{getpass.getuser()}")


@contextmanager
def unit_of_work() -> Iterator[Session]:
    with transaction(runtime().sessions) as session:
        yield session


def _date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.one(
            field,
            f"日期格式应为 YYYY-MM-DD，收到“{value}”",
            f"date must be YYYY-MM-DD, got {value!r}",
        ) from None


# --- set-up and serving ---------------------------------------------------------------


@app.command()
@handles_errors
def init() -> None:
    """Create or upgrade the database; load catalog, rule sets and the calendar."""
    from xinyong.setup import initialise

    summary = initialise(runtime(), actor=cli_actor())
    emit(summary)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Serve the website and API with uvicorn."""
    import uvicorn

    uvicorn.run(
        "xinyong.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=True,
    )


@app.command()
@handles_errors
def demo(
    subjects: Annotated[int, typer.Option(help="Number of subjects to generate")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data)")] = 20260401,
) -> None:
    """Generate a realistic synthetic data set (initialises the database first)."""
    from xinyong.db import china_today
    from xinyong.demo.cases import demo_cases
    from xinyong.demo.generator import demo_department, generate, sample_submission
    from xinyong.demo.lists import demo_list_entries
    from xinyong.setup import initialise

    rt = runtime()
    initialise(rt, actor=cli_actor())
    summary = generate(rt, subjects=subjects, seed=seed, actor=cli_actor())
    if summary.get("demo") == "generated":
        summary["sample_submission"] = sample_submission(rt, actor=cli_actor(), today=china_today())
        summary.update(demo_cases(rt, dept=demo_department(), today=china_today()))
        summary.update(demo_list_entries(rt, dept=demo_department(), today=china_today()))
    emit(summary)
    err.print(
        f"[green]演示数据已就绪[/]（{rt.settings.database_url}）。工作人员账号："
        f"{'、'.join(summary['users'])}，密码：{summary['password']}"
    )


# --- collection -----------------------------------------------------------------------


@app.command()
@handles_errors
def ingest(
    path: Annotated[
        Path, typer.Argument(help="CSV, XLSX or JSON file", exists=True, dir_okay=False)
    ],
    item: Annotated[str, typer.Option(help="Catalog item, e.g. xzcf, xzxk, djzc")],
    department: Annotated[str, typer.Option(help="USCC of the reporting department")],
    reason: Annotated[str | None, typer.Option(help="Reason, e.g. for corrections")] = None,
    batch_size: Annotated[int, typer.Option(help="Rows per transaction", min=1)] = 2000,
) -> None:
    """Load a department's file through the collection pipeline.

    Prints the report as one JSON object (accepted, updated, unchanged, rejected,
    warnings, rows). Exit status 1 when rows were rejected or the load was interrupted
    (rerun the same file after the fault: what was stored comes back "unchanged").
    """
    import hashlib

    from xinyong.ingest.readers import open_table
    from xinyong.ingest.service import Collector, FileInfo

    rt = runtime()
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    info = FileInfo(path.name, digest.hexdigest(), path.stat().st_size)
    table = open_table(path, filename=path.name)
    collector = Collector(
        rt.sessions, cli_actor(), rt.catalog, rt.rulebook, rt.vault, batch_size=batch_size
    )
    report = collector.collect(
        table, item_code=item, department=department, channel="cli", file=info, reason=reason
    )
    emit(report.as_dict())
    if report.error:
        err.print(f"[bold red]未完成[/]：{report.error}")
    if report.rejected or report.status != "done":
        raise typer.Exit(1)


@publish_app.command("sweep")
@handles_errors
def publish_sweep(
    today: Annotated[
        str | None, typer.Option(help="Date to sweep as of (YYYY-MM-DD); default today")
    ] = None,
) -> None:
    """Publish records whose start has come; take down those whose maximum period ended.

    Also marks objections the office left unmarked past their deadline, loads that died
    as interrupted, exits list entries whose period has ended, and queues webhooks for
    watched subjects whose measures started or ended with the date. Prints
    {"published", "expired", "stale_submissions", "objections_marked",
    "list_entries_expired", "watch_deliveries_queued"}; every move is in the audit
    trail. Run daily (the web server runs it every XINYONG_SWEEP_MINUTES).
    """
    from xinyong.db import china_today
    from xinyong.jobs import daily_sweep

    day = _date(today, "today") if today else china_today()
    emit(daily_sweep(runtime(), actor=cli_actor(), today=day))


@screening_app.command("rebuild")
@handles_errors
def screening_rebuild(
    today: Annotated[
        str | None, typer.Option(help="Date to compute as of (YYYY-MM-DD); default today")
    ] = None,
) -> None:
    """Recompute the precomputed measures of every subject with a trigger (after the
    measure list changed). Commits in chunks; prints {"subjects_changed": N}."""
    from xinyong.db import china_today
    from xinyong.screening.service import recompute_all

    rt = runtime()
    day = _date(today, "today") if today else china_today()
    with unit_of_work() as session:
        changed = recompute_all(session, rt.measures, today=day, catalog=rt.catalog, commit=True)
        emit({"subjects_changed": changed, "measure_book": rt.measures.sha256})


@notices_app.command("send")
@handles_errors
def notices_send(
    limit: Annotated[int, typer.Option(min=1, help="Most notices to send in this run")] = 100,
) -> None:
    """Send queued notices (e-mail through the configured backend), oldest first.

    Prints {"sent": N, "failed": M, "retried": K, "pending": P}: failed ones used up
    XINYONG_NOTICE_MAX_ATTEMPTS; retried ones are tried again by the next run.
    """
    from xinyong.jobs import deliver_notices
    from xinyong.notices.service import pending_count

    result = deliver_notices(runtime(), limit=limit)
    with unit_of_work() as session:
        pending = pending_count(session)
    emit({**result.as_dict(), "pending": pending})


@watch_app.command("deliver")
@handles_errors
def watch_deliver(
    limit: Annotated[int, typer.Option(min=1, help="Most webhooks to send in this run")] = 100,
) -> None:
    """Send due watch-list webhooks, oldest first.

    First reports watched subjects whose measures started or ended by date.
    Prints {"queued": Q, "sent": N, "retried": K, "dead": D, "pending": P}: dead ones used
    up XINYONG_WEBHOOK_MAX_ATTEMPTS (the calling system can re-queue them); retried
    ones wait 1, 2, 4 … minutes. Run every minute from cron for prompt webhooks.
    """
    from xinyong.db import china_today
    from xinyong.jobs import deliver_webhooks_now
    from xinyong.watch.service import pending_count, refresh_due

    rt = runtime()
    with unit_of_work() as session:
        queued = refresh_due(session, rt.measures, today=china_today())
    result = deliver_webhooks_now(rt, limit=limit)
    with unit_of_work() as session:
        pending = pending_count(session)
    emit({"queued": queued, **result.as_dict(), "pending": pending})


# --- codes --------------------------------------------------------------------------


@code_app.command("check")
@handles_errors
def code_check(codes: Annotated[list[str], typer.Argument(help="Codes to check")]) -> None:
    """Check USCCs, organisation codes, ID numbers, registration numbers.

    Prints one JSON object per code (keys code, kind, valid, warnings, errors);
    exit status 1 when any code is invalid.
    """
    from xinyong.codes.service import check_code_with_exceptions

    all_valid = True
    with unit_of_work() as session:
        for code in codes:
            result = check_code_with_exceptions(session, code)
            all_valid &= result.valid
            emit(result.as_dict())
    if not all_valid:
        raise typer.Exit(1)


@code_app.command("except")
@handles_errors
def code_except(
    code: str,
    name: Annotated[str, typer.Option(help="Registered name of the subject")],
    reason: Annotated[
        str, typer.Option(help="Why the code is accepted, e.g. the confirming document")
    ],
) -> None:
    """Register a legally issued legacy code that fails its check digit."""
    from xinyong.codes.service import register_exception

    with unit_of_work() as session:
        exc = register_exception(session, actor=cli_actor(), code=code, name=name, reason=reason)
        emit({"code": exc.code, "name": exc.name, "registered": True})


# --- calendar -----------------------------------------------------------------------


@calendar_app.command("add-workdays")
@handles_errors
def calendar_add_workdays(date: str, n: int) -> None:
    """The N-th working day after DATE: {"date", "provisional", ...}."""
    from xinyong.workdays.service import load_calendar

    start = _date(date, "date")
    with unit_of_work() as session:
        emit(load_calendar(session).add_working_days(start, n).as_dict())


@calendar_app.command("set")
@handles_errors
def calendar_set(
    date: str,
    workday: Annotated[bool, typer.Option("--workday/--holiday", help="Working day or not")],
    name: Annotated[str | None, typer.Option(help="e.g. 春节, 国庆节调休上班")] = None,
    notice: Annotated[str | None, typer.Option(help="State Council notice reference")] = None,
) -> None:
    """Enter one day of the State Council's holiday notice (an office override)."""
    from xinyong.workdays.service import set_override

    day = _date(date, "date")
    with unit_of_work() as session:
        row = set_override(
            session, actor=cli_actor(), day=day, is_workday=workday, name=name, notice_ref=notice
        )
        emit({"date": row.day.isoformat(), "is_workday": row.is_workday, "name": row.name})


@calendar_app.command("declare-year")
@handles_errors
def calendar_declare_year(
    year: int, notice: Annotated[str, typer.Option(help="State Council notice reference")]
) -> None:
    """Mark a year covered once its holiday notice has been entered."""
    from xinyong.workdays.service import declare_year

    with unit_of_work() as session:
        declare_year(session, actor=cli_actor(), year=year, notice_ref=notice)
        emit({"year": year, "covered": True})


# --- rule sets ----------------------------------------------------------------------


@rules_app.command("periods")
@handles_errors
def rules_periods(
    item: Annotated[str, typer.Option(help="Catalog item code, e.g. xzcf")],
    severity: Annotated[str, typer.Option(help="轻微 | 一般 | 严重")],
    decided: Annotated[str, typer.Option(help="Decision date YYYY-MM-DD")],
    sector: Annotated[str | None, typer.Option(help="Sector, e.g. 市场监管")] = None,
    penalty_type: Annotated[
        list[str] | None, typer.Option("--type", help="处罚类别, repeatable")
    ] = None,
) -> None:
    """Publication period and repairability of a record, from the rule set in force."""
    from xinyong.records.periods import periods_for_item

    rt = runtime()
    answer = periods_for_item(
        rt.catalog,
        rt.rulebook,
        item_code=item,
        severity=severity,
        decided=_date(decided, "decided"),
        sector=sector,
        penalty_types=penalty_type or [],
    )
    emit(answer.as_dict())


# --- audit --------------------------------------------------------------------------


@audit_app.command("verify")
@handles_errors
def audit_verify() -> None:
    """Check the hash chain; exit status 0 when intact, 1 with the first broken link."""
    from xinyong.audit.service import verify_chain

    with unit_of_work() as session:
        report = verify_chain(session)
    emit(report.as_dict())
    if not report.intact:
        err.print(
            f"[bold red]审计链在第 {report.first_broken_seq} 条事件处断开[/]：{report.problem}"
        )
        raise typer.Exit(1)


@audit_app.command("chain")
@handles_errors
def audit_chain() -> None:
    """Append queued events (e.g. screening calls) to the hash chain now; the web server
    does it every XINYONG_DELIVERY_SECONDS. Prints {"chained": N}."""
    from xinyong.jobs import chain_audit

    emit({"chained": chain_audit(runtime())})


# --- data quality -------------------------------------------------------------------


@quality_app.command("report")
@handles_errors
def quality_report(
    month: Annotated[str, typer.Option(help="Month of arrival, YYYY-MM")],
    department: Annotated[
        str | None, typer.Option(help="USCC of one department (default: all)")
    ] = None,
) -> None:
    """The month's data quality league table as one JSON object: per department received,
    first_pass, rejected, compliance, timeliness, corrected, rank; with the notice text."""
    from xinyong.quality.rules import parse_month
    from xinyong.quality.service import league_table

    chosen = parse_month(month)
    with unit_of_work() as session:
        table = league_table(session, actor=cli_actor(), month=chosen, department=department)
        emit(table.as_dict())


@cases_app.command("figures")
@handles_errors
def cases_figures(
    start: Annotated[
        str | None, typer.Option(help="First filing date YYYY-MM-DD (default: 1 January)")
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="Last filing date YYYY-MM-DD (default: today)")
    ] = None,
    department: Annotated[
        str | None, typer.Option(help="USCC of one department (default: all)")
    ] = None,
) -> None:
    """Objections and repair applications filed from START to END as one JSON object:
    received, upheld share, valid objections per 100,000 published records (target < 1),
    handling times in working days, on-time shares, refusals by reason, per department."""
    from sqlalchemy import select

    from xinyong.accounts.models import Organisation
    from xinyong.accounts.rules import normalise_uscc
    from xinyong.cases.figures import case_figures
    from xinyong.db import china_today
    from xinyong.errors import NotFound

    today = china_today()
    first = _date(start, "start") if start else today.replace(month=1, day=1)
    last = _date(end, "end") if end else today
    with unit_of_work() as session:
        org_id = None
        if department:
            uscc = normalise_uscc(department)
            org = session.scalars(
                select(Organisation).where(Organisation.uscc == uscc)
            ).one_or_none()
            if org is None:
                raise NotFound(f"单位 {uscc} 尚未在平台登记", f"organisation {uscc} not found")
            org_id = org.id
        figures = case_figures(session, start=first, end=last, today=today, org_id=org_id)
        emit(figures.as_dict())


# --- organisations, users, API keys ---------------------------------------------------


@org_app.command("add")
@handles_errors
def org_add(
    name: Annotated[str, typer.Option(help="Chinese name, e.g. 某市市场监督管理局")],
    code: Annotated[str, typer.Option(help="The organisation's USCC")],
    kind: Annotated[str, typer.Option(help="office | department | bank | other")] = "department",
    sector: Annotated[str | None, typer.Option(help="Sector, e.g. 市场监管")] = None,
    district: Annotated[str | None, typer.Option(help="GB/T 2260 code")] = None,
) -> None:
    """Add a department, the credit office, a bank or another organisation."""
    from xinyong.accounts.service import create_organisation

    with unit_of_work() as session:
        org = create_organisation(
            session,
            actor=cli_actor(),
            name=name,
            uscc=code,
            kind=kind,
            sector=sector,
            district=district,
        )
        emit({"id": str(org.id), "name": org.name, "uscc": org.uscc, "kind": org.kind})


@user_app.command("add")
@handles_errors
def user_add(
    username: str,
    org: Annotated[str, typer.Option(help="USCC of the user's organisation")],
    role: Annotated[
        list[str],
        typer.Option(
            help="Role, repeatable: office_admin, office_staff, "
            "dept_reporter, dept_reviewer, auditor"
        ),
    ],
    display_name: Annotated[str | None, typer.Option(help="Name shown in the audit trail")] = None,
    password: Annotated[
        str | None,
        typer.Option(
            help="Password (prompted when omitted; or XINYONG_NEW_PASSWORD)",
            envvar="XINYONG_NEW_PASSWORD",
        ),
    ] = None,
) -> None:
    """Add a staff account."""
    from xinyong.accounts.service import create_account

    if password is None:
        password = typer.prompt("密码 / password", hide_input=True, confirmation_prompt=True)
    with unit_of_work() as session:
        acc = create_account(
            session,
            actor=cli_actor(),
            username=username,
            password=password,
            org_uscc=org,
            roles=role,
            display_name=display_name or username,
        )
        emit({"id": str(acc.id), "username": acc.username, "roles": list(acc.roles)})


@apikey_app.command("create")
@handles_errors
def apikey_create(
    org: Annotated[str, typer.Option(help="USCC of the department")],
    label: Annotated[str, typer.Option(help="What system uses the key")] = "default",
) -> None:
    """Create an API key for a department system; the key is printed once."""
    from xinyong.accounts.service import create_api_key

    rt = runtime()
    with unit_of_work() as session:
        key, plaintext = create_api_key(
            session, actor=cli_actor(), settings=rt.settings, org_uscc=org, label=label
        )
        emit({"id": str(key.id), "org": org, "label": key.label, "key": plaintext})
    err.print("[yellow]请立即保存该密钥，平台不会再次显示。[/]")


# --- catalog and settings -------------------------------------------------------------


@catalog_app.command("validate")
@handles_errors
def catalog_validate(files: list[Path]) -> None:
    """Check extra catalog files (local items) without loading them."""
    from xinyong.catalog.loader import load_catalog

    catalog = load_catalog(files)
    emit({"version": catalog.version, "sha256": catalog.sha256, "items": sorted(catalog.items)})


@catalog_app.command("show")
@handles_errors
def catalog_show() -> None:
    """List the catalog items in force."""
    rt = runtime()
    for item in rt.catalog.items.values():
        emit(
            {
                "code": item.code,
                "name": item.name,
                "disclosure": item.disclosure,
                "fields": len(item.fields),
            }
        )


@settings_app.command("docs")
def settings_docs(
    output: Annotated[Path, typer.Option(help="Where to write")] = Path("docs/settings.md"),
) -> None:
    """Render docs/settings.md from the Settings descriptions."""
    from xinyong.settings_docs import render

    output.write_text(render(), encoding="utf-8")
    err.print(f"wrote {output}")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()


if __name__ == "__main__":
    main()
