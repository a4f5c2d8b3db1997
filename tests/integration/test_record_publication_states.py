"""The publication state machine: where records start, what the sweep moves, what no
one may do, and that nothing past its period counts as published."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from tests.integration.test_record_reporting import CATALOG, RULES, penalty
from xinyong.actors import Actor
from xinyong.audit.service import events_for
from xinyong.errors import Conflict
from xinyong.privacy.crypto import DataVault
from xinyong.records.models import CreditRecord
from xinyong.records.publication import PublicationState, initial_state, move, sweep
from xinyong.records.service import is_published, report_record, revoke_record

SYSTEM = Actor.system("sweep")


def _report(
    session: Session, actor: Actor, vault: DataVault, today: dt.date, **extra: str
) -> CreditRecord:
    extra.setdefault("CF_YXQ", "2027-03-05")
    return report_record(
        session,
        actor=actor,
        catalog=CATALOG,
        rulebook=RULES,
        vault=vault,
        item_code="xzcf",
        raw=penalty(actor, **extra),
        today=today,
    ).record


def test_new_penalty_is_published_and_expires_by_the_sweep_with_its_rule_set(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    record = _report(session, dept, vault, dt.date(2024, 3, 10))
    assert record.publication_state == "published"
    assert record.auto_withdraw is not None
    assert is_published(record, dt.date(2024, 3, 10))

    before_end = record.auto_withdraw - dt.timedelta(days=1)
    assert sweep(session, actor=SYSTEM, today=before_end).expired == 0
    assert not is_published(record, record.auto_withdraw)  # even before the sweep runs

    result = sweep(session, actor=SYSTEM, today=record.auto_withdraw)
    assert (result.expired, result.published) == (1, 0)
    session.refresh(record)
    assert record.publication_state == "expired"
    (event,) = [
        e for e in events_for(session, "record", record.id) if e.action == "record.publication"
    ]
    assert event.after == {"publication_state": "expired"}
    assert event.reason is not None and str(record.rule_set_id) in event.reason
    assert sweep(session, actor=SYSTEM, today=record.auto_withdraw).expired == 0  # idempotent


def test_decision_loaded_after_its_period_ended_is_never_published(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    record = _report(session, dept, vault, dt.date(2026, 11, 24), CF_JDRQ="2019-03-05")
    assert record.publication_state == "expired"
    assert not is_published(record, dt.date(2026, 11, 24))


def test_revocation_takes_the_record_off_publication(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    record = _report(session, dept, vault, dt.date(2026, 11, 24), CF_JDRQ="2026-03-05")
    revoke_record(session, actor=dept, record_id=record.id, reason="复议撤销")
    assert record.publication_state == "revoked"
    with pytest.raises(Conflict) as caught:
        move(
            session,
            actor=SYSTEM,
            record=record,
            to=PublicationState.published,
            reason="试图恢复",
        )
    assert "已撤销" in caught.value.message and "公示中" in caught.value.message


def test_suspension_and_resumption_are_audited_moves(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    record = _report(session, dept, vault, dt.date(2026, 11, 24), CF_JDRQ="2026-03-05")
    move(session, actor=SYSTEM, record=record, to=PublicationState.suspended, reason="异议核查中")
    assert not is_published(record, dt.date(2026, 11, 24))
    move(session, actor=SYSTEM, record=record, to=PublicationState.published, reason="异议不成立")
    states = [
        (e.before, e.after)
        for e in events_for(session, "record", record.id)
        if e.action == "record.publication"
    ]
    assert states == [
        ({"publication_state": "published"}, {"publication_state": "suspended"}),
        ({"publication_state": "suspended"}, {"publication_state": "published"}),
    ]


def test_items_that_are_not_public_are_internal() -> None:
    shared = CATALOG.item("xzqz")
    assert shared.disclosure != "public"
    state = initial_state(
        shared, publication_start=None, auto_withdraw=None, today=dt.date(2026, 11, 24)
    )
    assert state == PublicationState.internal


def test_pending_record_is_published_when_its_start_comes() -> None:
    penalties = CATALOG.item("xzcf")
    today = dt.date(2026, 11, 24)
    later = today + dt.timedelta(days=3)
    assert (
        initial_state(penalties, publication_start=later, auto_withdraw=None, today=today)
        == PublicationState.pending
    )


def test_a_penalty_its_rule_set_does_not_publish_is_never_published(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    # SAMR Order 107 (market regulation, from 2025-12-25): a warning alone is not published.
    today = dt.date(2026, 11, 24)
    record = _report(
        session, dept, vault, today, CF_CFLB="警告", CF_NR="警告", CF_NR_FK="", CF_JDRQ="2026-05-09"
    )
    assert record.rule_set_id == "samr-order-107"
    assert record.publication_state == PublicationState.internal
    assert not is_published(record, today)


def test_a_correction_into_an_unpublished_penalty_takes_it_down(
    session: Session, dept: Actor, vault: DataVault
) -> None:
    today = dt.date(2026, 11, 24)
    record = _report(session, dept, vault, today, CF_JDRQ="2026-05-09")
    assert record.publication_state == PublicationState.published
    _report(
        session, dept, vault, today, CF_CFLB="警告", CF_NR="警告", CF_NR_FK="", CF_JDRQ="2026-05-09"
    )
    assert record.publication_state == PublicationState.internal
    (event,) = [e for e in events_for(session, "record", record.id) if e.action == "record.correct"]
    assert event.after is not None and event.after["publication_state"] == "internal"
