"""List entries (名单): propose → notify with an objection window in working days →
list after the window → expiry; exits by correction with a local move to the
key-attention list; entries ending when their basis record is repaired or revoked;
who may do what; every change audited (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.integration.cases_helpers import (
    PUBLIC,
    context,
    published_penalty,
    refused,
    repair_application,
)
from tests.integration.test_record_reporting import CATALOG
from xinyong.accounts.service import create_organisation
from xinyong.actors import Actor
from xinyong.audit.models import AuditEvent
from xinyong.cases import filing, handling
from xinyong.config import Settings
from xinyong.demo.generator import make_org_code, make_uscc
from xinyong.errors import Conflict, Forbidden, ValidationFailed
from xinyong.lists import service as lists
from xinyong.lists.models import ListEntry
from xinyong.measures.loader import MeasureBook, load_measures
from xinyong.privacy.crypto import DataVault
from xinyong.publicity import service as publicity
from xinyong.records.models import CreditRecord
from xinyong.records.service import revoke_record
from xinyong.workdays.service import load_calendar

BOOK = load_measures(CATALOG.items)
BEFORE_NATIONAL_DAY = dt.date(2026, 9, 30)  # a Wednesday; 1–7 October are holidays


@pytest.fixture
def office(session: Session) -> Actor:
    org = create_organisation(
        session,
        actor=Actor.system(),
        name="厦门市信用办",
        uscc=make_uscc("11", "350200", make_org_code("XY350200")),
        kind="office",
    )
    return Actor(
        kind="account",
        name="xyb",
        org_id=org.id,
        org_uscc=org.uscc,
        roles=frozenset({"office_staff"}),
    )


def _reviewer(dept: Actor) -> Actor:
    return dataclasses.replace(dept, kind="account", roles=frozenset({"dept_reviewer"}))


def _code(record: CreditRecord) -> str:
    return str(record.values["CF_XDR_SHXYM"])


def _propose(
    session: Session,
    actor: Actor,
    vault: DataVault,
    record: CreditRecord,
    *,
    list_code: str = "samr-serious",
    book: MeasureBook = BOOK,
    today: dt.date = BEFORE_NATIONAL_DAY,
    with_basis: bool = True,
) -> ListEntry:
    return lists.propose(
        session,
        actor=actor,
        book=book,
        today=today,
        list_code=list_code,
        subject_code=_code(record),
        vault=vault,
        doc_number="厦市监信认〔2026〕1号",
        reasons="拒不履行行政处罚决定，情节严重。",
        basis_record_id=record.id if with_basis else None,
    )


def _listed(
    session: Session,
    actor: Actor,
    vault: DataVault,
    record: CreditRecord,
    settings: Settings,
    *,
    book: MeasureBook = BOOK,
    list_code: str = "samr-serious",
) -> ListEntry:
    context(session, settings, vault)  # seeds the calendar
    entry = _propose(session, actor, vault, record, book=book, list_code=list_code)
    lists.notify(
        session,
        actor=actor,
        book=book,
        calendar=load_calendar(session),
        today=BEFORE_NATIONAL_DAY,
        entry_id=entry.id,
    )
    assert entry.objection_until is not None
    return lists.confirm(
        session,
        actor=actor,
        book=book,
        today=entry.objection_until + dt.timedelta(days=1),
        entry_id=entry.id,
    )


def _actions(session: Session, *entries: ListEntry) -> list[str]:
    return list(
        session.scalars(
            select(AuditEvent.action)
            .where(
                AuditEvent.entity_type == "list_entry",
                AuditEvent.entity_id.in_([str(e.id) for e in entries]),
            )
            .order_by(AuditEvent.seq)
        )
    )


def test_entry_is_notified_with_a_window_in_working_days_and_listed_only_after_it(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    context(session, settings, vault)
    reviewer = _reviewer(dept)
    record = published_penalty(session, dept, vault)
    entry = _propose(session, reviewer, vault, record)
    assert entry.status == "proposed" and entry.subject_id == record.subject_id
    assert entry.org_id == dept.org_id
    lists.notify(
        session,
        actor=reviewer,
        book=BOOK,
        calendar=load_calendar(session),
        today=BEFORE_NATIONAL_DAY,
        entry_id=entry.id,
    )
    # 5 working days after 30 September, across the National Day holiday (the 10th,
    # a Saturday, is a make-up working day): 8, 9, 10, 12, 13 October.
    assert entry.status == "notified"
    assert entry.objection_until == dt.date(2026, 10, 13)
    text = entry.notice_text or ""
    for part in (
        "市场监督管理严重违法失信名单列入告知书",
        "拒不履行行政处罚决定",
        "《市场监督管理严重违法失信名单管理办法》（国家市场监督管理总局令第44号）第二条",
        "限制申请财政性资金项目",  # a measure the list triggers, with its basis:
        "国发〔2016〕33号",
        "2026年10月13日前（含当日）",
        "列入满三年移出",
    ):
        assert part in text, part
    with refused(Conflict, "异议期至 2026-10-13 届满，2026-10-14 起方可列入"):
        lists.confirm(
            session, actor=reviewer, book=BOOK, today=dt.date(2026, 10, 13), entry_id=entry.id
        )
    assert entry.status == "notified"
    lists.confirm(
        session, actor=reviewer, book=BOOK, today=dt.date(2026, 10, 14), entry_id=entry.id
    )
    assert entry.status == "listed" and entry.listed_on == dt.date(2026, 10, 14)
    assert entry.expires_on == dt.date(2029, 10, 14)  # 36 months
    assert _actions(session, entry) == [
        "list_entry.propose",
        "list_entry.notify",
        "list_entry.list",
    ]
    now = lists.current_entries(session, [record.subject_id], dt.date(2026, 10, 14))
    assert [e.id for e in now[record.subject_id]] == [entry.id]
    assert lists.current_entries(session, [record.subject_id], dt.date(2029, 10, 14)) == {}


def test_a_list_without_a_window_may_be_listed_on_the_day_of_notice(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    context(session, settings, vault)
    reviewer = _reviewer(dept)
    entry = _propose(
        session, reviewer, vault, published_penalty(session, dept, vault), list_code="abnormal"
    )
    lists.notify(
        session,
        actor=reviewer,
        book=BOOK,
        calendar=load_calendar(session),
        today=BEFORE_NATIONAL_DAY,
        entry_id=entry.id,
    )
    assert entry.objection_until == BEFORE_NATIONAL_DAY
    assert "不设列入前异议期" in (entry.notice_text or "")
    lists.confirm(session, actor=reviewer, book=BOOK, today=BEFORE_NATIONAL_DAY, entry_id=entry.id)
    assert entry.status == "listed" and entry.expires_on is None


def test_bad_proposals_are_refused_with_reasons_in_chinese(
    session: Session, dept: Actor, other_dept: Actor, office: Actor, vault: DataVault
) -> None:
    reviewer = _reviewer(dept)
    record = published_penalty(session, dept, vault)
    with refused(ValidationFailed, "名单“no-such”不存在"):
        _propose(session, reviewer, vault, record, list_code="no-such")
    with refused(ValidationFailed, "平台中没有代码为"):
        lists.propose(
            session,
            actor=reviewer,
            book=BOOK,
            today=BEFORE_NATIONAL_DAY,
            list_code="samr-serious",
            subject_code="91350200MA2XXXXX0X",
            vault=vault,
            doc_number="厦市监信认〔2026〕2号",
            reasons="事由",
        )
    with pytest.raises(ValidationFailed) as caught:
        lists.propose(
            session,
            actor=reviewer,
            book=BOOK,
            today=BEFORE_NATIONAL_DAY,
            list_code="samr-serious",
            subject_code=_code(record),
            vault=vault,
            doc_number=" ",
            reasons="",
        )
    reasons = {p.field: p.reason for p in caught.value.problems}
    assert reasons == {"doc_number": "认定文书号不能为空", "reasons": "列入事由不能为空"}
    # The environment bureau may not identify market-regulation lists; a reporter may not.
    with refused(Forbidden, "不能认定市场监督管理严重违法失信名单"):
        _propose(session, _reviewer(other_dept), vault, record, with_basis=False)
    with refused(Forbidden, "需要以下角色之一"):
        _propose(session, dept, vault, record)
    # Key attention (domain 综合) is the office's.
    with refused(Forbidden, "不能认定重点关注名单"):
        _propose(session, reviewer, vault, record, list_code="key-attention")
    _propose(session, office, vault, record, list_code="key-attention")
    _propose(session, reviewer, vault, record)
    with refused(Conflict, "已在市场监督管理严重违法失信名单中（状态：拟列入），不能重复列入"):
        _propose(session, office, vault, record)
    assert session.scalar(select(ListEntry.id).where(ListEntry.list_code == "no-such")) is None


def test_only_the_identifying_department_or_the_office_acts_on_an_entry(
    session: Session, dept: Actor, other_dept: Actor, office: Actor, vault: DataVault
) -> None:
    entry = _propose(session, _reviewer(dept), vault, published_penalty(session, dept, vault))
    with refused(Forbidden, "只能办理本单位认定的名单条目"):
        lists.withdraw_proposal(
            session,
            actor=_reviewer(other_dept),
            book=BOOK,
            entry_id=entry.id,
            reason="x",
            today=BEFORE_NATIONAL_DAY,
        )
    with refused(ValidationFailed, "撤回理由不能为空"):
        lists.withdraw_proposal(
            session,
            actor=office,
            book=BOOK,
            entry_id=entry.id,
            reason=" ",
            today=BEFORE_NATIONAL_DAY,
        )
    lists.withdraw_proposal(
        session,
        actor=office,
        book=BOOK,
        entry_id=entry.id,
        reason="当事人异议成立",
        today=BEFORE_NATIONAL_DAY,
    )
    assert entry.status == "withdrawn"
    with refused(Conflict, "当前状态为“已撤回”，不能列入"):
        lists.confirm(
            session, actor=office, book=BOOK, today=BEFORE_NATIONAL_DAY, entry_id=entry.id
        )


def _local_book(tmp_path: Path) -> MeasureBook:
    local = tmp_path / "local-measures.yaml"
    local.write_text(
        """
lists:
  - code: local-black
    name: 本市严重失信主体名单
    kind: black
    domain: 市场监管
    authority: 市场监督管理部门
    legal_basis:
      - document: 《厦门经济特区社会信用条例》
        article: 第三十条
        level: local_regulation
        confirmed: false
    criteria: 严重失信行为
    duration_months: 36
    exit_ways: [expiry, repair, correction, court]
    exit_conditions: 纠正失信行为后转入重点关注名单，作出信用承诺并完成培训后移出
    on_correction: key-attention
""",
        encoding="utf-8",
    )
    return load_measures(CATALOG.items, [local])


def test_exit_by_correction_moves_to_key_attention_where_a_local_rule_says_so(
    session: Session, dept: Actor, vault: DataVault, settings: Settings, tmp_path: Path
) -> None:
    book = _local_book(tmp_path)
    reviewer = _reviewer(dept)
    record = published_penalty(session, dept, vault)
    entry = _listed(session, reviewer, vault, record, settings, book=book, list_code="local-black")
    with refused(ValidationFailed, "移出方式只能是"):
        lists.exit_entry(
            session,
            actor=reviewer,
            book=book,
            entry_id=entry.id,
            way="amnesty",
            reason="x",
            today=dt.date(2027, 3, 1),
        )
    result = lists.exit_entry(
        session,
        actor=reviewer,
        book=book,
        entry_id=entry.id,
        way="correction",
        reason="已纠正失信行为",
        today=dt.date(2027, 3, 1),
    )
    assert entry.status == "exited" and entry.exit_way == "correction"
    moved = result.moved_to
    assert moved is not None
    assert moved.list_code == "key-attention" and moved.status == "listed"
    assert moved.moved_from_id == entry.id and moved.listed_on == dt.date(2027, 3, 1)
    assert moved.expires_on == dt.date(2028, 3, 1)  # key attention: 12 months
    now = lists.current_entries(session, [record.subject_id], dt.date(2027, 3, 1))
    assert [e.list_code for e in now[record.subject_id]] == ["key-attention"]
    assert _actions(session, entry, moved)[-2:] == ["list_entry.exit", "list_entry.move"]
    # Exit by expiry: the sweep ends the key-attention entry when its year is over.
    assert lists.expire_entries(session, actor=Actor.system(), today=dt.date(2028, 2, 29)) == []
    assert lists.expire_entries(session, actor=Actor.system(), today=dt.date(2028, 3, 1)) == [moved]
    assert moved.status == "exited" and moved.exit_way == "expiry"


def test_approved_repair_of_the_basis_record_ends_the_entry(
    session: Session, dept: Actor, office: Actor, vault: DataVault, settings: Settings
) -> None:
    record = published_penalty(session, dept, vault)
    entry = _listed(session, _reviewer(dept), vault, record, settings)
    ctx = context(session, settings, vault)
    case = filing.file_repair(
        session, ctx, actor=PUBLIC, application=repair_application(record)
    ).case
    handling.forward(session, ctx, actor=office, case_id=case.id)
    handling.approve_repair(
        session, ctx, actor=_reviewer(dept), case_id=case.id, reason="已履行义务，同意修复。"
    )
    assert entry.status == "exited" and entry.exit_way == "repair"
    assert entry.exited_on == ctx.today and case.number in (entry.exit_reason or "")
    assert lists.current_entries(session, [record.subject_id], ctx.today) == {}
    assert _actions(session, entry)[-1] == "list_entry.exit"


def test_revoking_the_basis_record_ends_entries_without_moving_them(
    session: Session, dept: Actor, vault: DataVault, settings: Settings, tmp_path: Path
) -> None:
    book = _local_book(tmp_path)
    record = published_penalty(session, dept, vault)
    entry = _listed(
        session, _reviewer(dept), vault, record, settings, book=book, list_code="local-black"
    )
    pending = _propose(session, _reviewer(dept), vault, record)
    revoke_record(
        session, actor=dept, record_id=record.id, reason="复议撤销", today=dt.date(2027, 1, 5)
    )
    assert entry.status == "exited" and entry.exit_way == "correction"
    assert pending.status == "withdrawn"
    assert "复议撤销" in (entry.exit_reason or "")
    # No key-attention entry: a listing whose basis is gone does not continue elsewhere.
    assert session.scalar(select(ListEntry).where(ListEntry.moved_from_id == entry.id)) is None


def test_credit_file_shows_an_organisations_entries_in_force(
    session: Session, dept: Actor, vault: DataVault, settings: Settings
) -> None:
    record = published_penalty(session, dept, vault)
    entry = _listed(session, _reviewer(dept), vault, record, settings)
    assert entry.listed_on is not None
    file = publicity.credit_file(
        session, CATALOG, _code(record), today=entry.listed_on, measures=BOOK
    ).as_dict()
    [shown] = file["listings"]
    assert shown["list_name"] == "市场监督管理严重违法失信名单"
    assert shown["authority"] == "厦门市市场监督管理局"
    assert shown["listed_on"] == "2026-10-14" and shown["expires_on"] == "2029-10-14"
    assert "第二条" in shown["legal_basis"] and "列入满三年移出" in shown["exit_conditions"]
    later = publicity.credit_file(
        session, CATALOG, _code(record), today=dt.date(2029, 10, 14), measures=BOOK
    )
    assert later.listings == []
