"""Reporting decisions through the record pipeline: checks, subjects, periods, audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from xinyong.actors import Actor
from xinyong.audit.service import events_for
from xinyong.catalog.loader import load_catalog
from xinyong.demo.generator import make_org_code, make_uscc
from xinyong.errors import Forbidden, ValidationFailed
from xinyong.privacy.crypto import DataVault
from xinyong.records.models import CreditRecord
from xinyong.records.service import report_record, revoke_record
from xinyong.rulesets.loader import load_rulesets
from xinyong.subjects.models import Subject
from xinyong.subjects.service import find_by_code, reveal_id_number

CATALOG = load_catalog()
RULES = load_rulesets()
TODAY = dt.date(2026, 11, 24)
PERSON_ID = "360426199101010071"  # RULES.md §10 valid vector


def _uscc(body: str, prefix: str = "91", division: str = "350203") -> str:
    return make_uscc(prefix, division, make_org_code(body))


def penalty(dept: Actor, **extra: Any) -> dict[str, Any]:
    row = {
        "CF_XDR_MC": "厦门鹭岛信泽文化传媒有限公司",
        "CF_XDR_LB": "法人及非法人组织",
        "CF_XDR_SHXYM": _uscc("MA2PBMEM"),
        "CF_FRDB": "王伟",
        "CF_WSH": "厦市监罚〔2024〕12号",
        "CF_WFXW": "虚假宣传",
        "CF_SY": "经查，当事人发布虚假广告。",
        "CF_YJ": "《中华人民共和国广告法》第五十五条",
        "CF_CFLB": "罚款",
        "CF_NR": "罚款人民币5万元",
        "CF_NR_FK": "5",
        "CF_JDRQ": "2024-03-05",
        "CF_YXQ": "2025-03-05",
        "CF_CFJG": "厦门市市场监督管理局",
        "CF_CFJGDM": dept.org_uscc,
        "CF_SJLY": "厦门市市场监督管理局",
        "CF_SJLYDM": dept.org_uscc,
    }
    row.update(extra)
    return row


def report(
    session: Session,
    actor: Actor,
    vault: DataVault,
    raw: dict[str, Any],
    item: str = "xzcf",
    reason: str | None = None,
) -> Any:
    return report_record(
        session,
        actor=actor,
        catalog=CATALOG,
        rulebook=RULES,
        vault=vault,
        item_code=item,
        raw=raw,
        today=TODAY,
        reason=reason,
    )


def test_penalty_creates_subject_and_record_with_rule_set_periods(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    result = report(session, dept, vault, penalty(dept))
    assert result.outcome == "created"
    rec = result.record
    # Decided 2024-03-05 by a 市场监管 department: SAMR Order 45 governs (RULES.md §1b).
    assert rec.rule_set_id == "samr-order-45"
    assert rec.auto_withdraw is not None and rec.publication_start == dt.date(2024, 3, 5)
    subject = session.get(Subject, rec.subject_id)
    assert subject is not None and subject.uscc == _uscc("MA2PBMEM")
    assert subject.district == "350203"
    assert [e.action for e in events_for(session, "record", rec.id)] == ["record.create"]


def test_identical_resend_changes_nothing(session: Session, dept: Actor, vault: DataVault) -> None:
    first = report(session, dept, vault, penalty(dept))
    again = report(session, dept, vault, penalty(dept))
    assert again.outcome == "unchanged" and again.record.id == first.record.id
    assert len(events_for(session, "record", first.record.id)) == 1


def test_changed_resend_is_a_correction_with_previous_state_audited(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    first = report(session, dept, vault, penalty(dept))
    fixed = report(
        session,
        dept,
        vault,
        penalty(dept, CF_NR_FK="0.5", CF_NR="罚款人民币5000元"),
        reason="罚款金额单位填报错误",
    )
    assert fixed.outcome == "updated" and fixed.record.version == 2
    events = events_for(session, "record", first.record.id)
    assert [e.action for e in events] == ["record.create", "record.correct"]
    assert events[1].before is not None and events[1].before["values"]["CF_NR_FK"] == "5"
    assert events[1].reason == "罚款金额单位填报错误"


def test_department_cannot_report_for_another_authority(
    session: Session, dept: Actor, other_dept: Actor, vault: DataVault
) -> None:
    with pytest.raises(Forbidden) as err:
        report(session, other_dept, vault, penalty(dept))
    assert err.value.field == "CF_CFJGDM"


def test_fine_required_when_category_includes_fine(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    with pytest.raises(ValidationFailed) as err:
        report(session, dept, vault, penalty(dept, CF_NR_FK=None))
    assert "CF_NR_FK" in [p.field for p in err.value.problems]
    assert session.execute(select(CreditRecord)).first() is None


def test_wrong_check_digit_of_party_names_field_and_expected_char(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    bad = _uscc("MA2PBMEM")[:-1] + ("0" if _uscc("MA2PBMEM")[-1] != "0" else "1")
    with pytest.raises(ValidationFailed) as err:
        report(session, dept, vault, penalty(dept, CF_XDR_SHXYM=bad))
    problem = next(p for p in err.value.problems if p.field == "CF_XDR_SHXYM")
    assert _uscc("MA2PBMEM")[-1] in problem.reason


def test_natural_person_id_never_stored_in_clear(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    raw = penalty(
        dept,
        CF_XDR_MC="张三",
        CF_XDR_LB="自然人",
        CF_XDR_SHXYM=None,
        CF_FRDB=None,
        CF_XDR_ZJLX="身份证",
        CF_XDR_ZJHM=PERSON_ID,
        CF_WSH="厦市监罚〔2024〕13号",
    )
    rec = report(session, dept, vault, raw).record
    assert PERSON_ID not in str(rec.values) and PERSON_ID not in str(rec.sealed)
    assert rec.masked["CF_XDR_ZJHM"] == "360426********0071"
    # Nowhere in the database, in any table, in clear.
    for table in ("subject", "credit_record", "audit_event"):
        dump = " ".join(str(r) for r in session.execute(text(f"SELECT * FROM {table}")))
        assert PERSON_ID not in dump, table
    subject = find_by_code(session, vault=vault, code=PERSON_ID)
    assert subject is not None and subject.kind == "natural_person"
    assert subject.id_masked == "360426********0071"


def test_staff_read_of_an_id_number_is_audited(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    raw = penalty(
        dept,
        CF_XDR_MC="张三",
        CF_XDR_LB="自然人",
        CF_XDR_SHXYM=None,
        CF_FRDB=None,
        CF_XDR_ZJLX="身份证",
        CF_XDR_ZJHM=PERSON_ID,
        CF_WSH="厦市监罚〔2024〕14号",
    )
    subject_id = report(session, dept, vault, raw).record.subject_id
    clerk = Actor(kind="account", name="clerk", roles=frozenset({"office_staff"}))
    with pytest.raises(ValidationFailed):
        reveal_id_number(session, actor=clerk, vault=vault, subject_id=subject_id, purpose=" ")
    assert (
        reveal_id_number(
            session, actor=clerk, vault=vault, subject_id=subject_id, purpose="核实异议申请人身份"
        )
        == PERSON_ID
    )
    reads = [
        e for e in events_for(session, "subject", subject_id) if e.action == "personal_data.read"
    ]
    assert len(reads) == 1 and reads[0].reason == "核实异议申请人身份"
    with pytest.raises(Forbidden):
        reveal_id_number(
            session,
            actor=Actor(kind="apikey", name="x"),
            vault=vault,
            subject_id=subject_id,
            purpose="x",
        )


def test_registration_data_updates_subject_and_keeps_old_name(
    session: Session, vault: DataVault, dept: Actor
) -> None:
    reg = {
        "DJ_MC": "厦门鹭岛信泽文化传媒有限公司",
        "DJ_SHXYM": _uscc("MA2PBMEM"),
        "DJ_CLRQ": "2015年3月5日",
        "DJ_DJJG": "厦门市市场监督管理局",
        "DJ_DJJGDM": dept.org_uscc,
        "DJ_ZCZB": "500",
        "DJ_ZBBZ": "人民币",
    }
    first = report(session, dept, vault, reg, item="djzc")
    renamed = report(
        session, dept, vault, {**reg, "DJ_MC": "厦门信泽传媒集团有限公司"}, item="djzc"
    )
    assert renamed.outcome == "updated"
    subject = session.get(Subject, first.record.subject_id)
    assert subject is not None and subject.name == "厦门信泽传媒集团有限公司"
    assert subject.registered_on == dt.date(2015, 3, 5)
    from xinyong.subjects.models import SubjectAlias

    aliases = session.execute(select(SubjectAlias.name)).scalars().all()
    assert "厦门鹭岛信泽文化传媒有限公司" in aliases


def test_revocation_is_kept_and_audited_with_reason(
    session: Session, dept: Actor, other_dept: Actor, vault: DataVault
) -> None:
    rec = report(session, dept, vault, penalty(dept)).record
    with pytest.raises(Forbidden):
        revoke_record(session, actor=other_dept, record_id=rec.id, reason="x")
    revoke_record(
        session,
        actor=dept,
        record_id=rec.id,
        reason="经行政复议撤销",
        legal_basis="《中华人民共和国行政复议法》第六十四条",
    )
    assert session.get(CreditRecord, rec.id) is not None
    last = events_for(session, "record", rec.id)[-1]
    assert last.action == "record.revoke" and last.after is not None
    assert last.after["status"] == "revoked" and last.legal_basis


def test_legacy_fifteen_digit_id_number_is_accepted(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    # A legacy 15-digit ID number (6 region + YYMMDD + 3 sequence, RULES.md §10).
    raw = penalty(
        dept,
        CF_XDR_MC="李四",
        CF_XDR_LB="自然人",
        CF_XDR_SHXYM=None,
        CF_FRDB=None,
        CF_XDR_ZJLX="身份证",
        CF_XDR_ZJHM="410001910101123",
        CF_WSH="厦市监罚〔2024〕15号",
    )
    rec = report(session, dept, vault, raw).record
    assert rec.masked["CF_XDR_ZJHM"].startswith("410001")
    assert "410001910101123" not in str(rec.values)


def test_fifteen_and_eighteen_digit_ids_are_one_person(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    base = {
        "CF_XDR_MC": "李四",
        "CF_XDR_LB": "自然人",
        "CF_XDR_SHXYM": None,
        "CF_FRDB": None,
        "CF_XDR_ZJLX": "身份证",
    }
    old = report(
        session,
        dept,
        vault,
        penalty(dept, **base, CF_XDR_ZJHM="410001910101123", CF_WSH="厦市监罚〔2024〕16号"),
    ).record
    new = report(
        session,
        dept,
        vault,
        penalty(dept, **base, CF_XDR_ZJHM="41000119910101123X", CF_WSH="厦市监罚〔2024〕17号"),
    ).record
    assert old.subject_id == new.subject_id


@pytest.mark.parametrize(
    ("decided", "received"),
    [
        ("2024-03-05", "2024-03-05"),
        ("2024-09-27", "2024-10-09"),  # across the National Day holiday
        ("2024-12-31", "2025-01-10"),
        ("2023-06-01", "2026-11-20"),
    ],
)
def test_timeliness_lag_counts_working_days_like_the_calendar(
    session: Session, dept: Actor, vault: DataVault, decided: str, received: str
) -> None:
    from xinyong.workdays.service import load_calendar, seed_from_chinesecalendar

    seed_from_chinesecalendar(session, actor=Actor.system())
    calendar = load_calendar(session)
    arrival = dt.date.fromisoformat(received)
    row = penalty(dept, CF_JDRQ=decided, CF_YXQ="2027-01-01")
    record = report_record(
        session,
        actor=dept,
        catalog=CATALOG,
        rulebook=RULES,
        vault=vault,
        item_code="xzcf",
        raw=row,
        today=arrival,
        calendar=calendar,
    ).record
    expected = calendar.working_days_between(dt.date.fromisoformat(decided), arrival).count
    assert record.lag_workdays == expected
    assert record.late is (expected > 7)
    assert record.received_on == arrival
