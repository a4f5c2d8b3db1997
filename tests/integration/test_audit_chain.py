from sqlalchemy import update
from sqlalchemy.orm import Session

from xinyong.actors import Actor
from xinyong.audit.models import AuditEvent
from xinyong.audit.service import (
    chain_pending,
    events_for,
    pending_events,
    queue_event,
    record_event,
    verify_chain,
)


def _three_events(session: Session) -> list[AuditEvent]:
    actor = Actor(kind="account", name="li", roles=frozenset({"office_admin"}))
    return [
        record_event(
            session,
            actor=actor,
            action="record.create",
            entity_type="record",
            entity_id=f"r{i}",
            after={"CF_NR_FK": "1.5", "n": i},
            legal_basis="发改办财金〔2019〕527号",
        )
        for i in range(3)
    ]


def test_audit_events_chain_and_verify(session: Session) -> None:
    events = _three_events(session)
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[1].prev_hash == events[0].hash
    report = verify_chain(session)
    assert report.intact and report.events == 3
    assert [e.entity_id for e in events_for(session, "record", "r1")] == ["r1"]


def test_audit_verify_detects_an_edited_event(session: Session) -> None:
    _three_events(session)
    session.execute(
        update(AuditEvent).where(AuditEvent.seq == 2).values(after={"CF_NR_FK": "0.1", "n": 1})
    )
    session.expire_all()
    report = verify_chain(session)
    assert not report.intact
    assert report.first_broken_seq == 2
    assert "content" in (report.problem or "")


def test_audit_verify_detects_a_deleted_last_event(session: Session) -> None:
    _three_events(session)
    session.query(AuditEvent).filter(AuditEvent.seq == 3).delete()
    session.expire_all()
    report = verify_chain(session)
    assert not report.intact and report.first_broken_seq == 3


def test_queued_events_join_the_chain_in_order_with_their_own_time(session: Session) -> None:
    """A hot path (screening) queues its event without the chain lock; chaining later
    keeps the order written and the time of each, and verification chains first."""
    actor = Actor(kind="apikey", name="采购系统", org_uscc="11350200MB0000000X")
    record_event(session, actor=actor, action="record.create", entity_type="r", entity_id="1")
    for n in range(3):
        queue_event(
            session,
            actor=actor,
            action="screening.run",
            entity_type="screening",
            entity_id=f"s{n}",
            after={"subjects": n},
        )
    assert pending_events(session) == 3
    assert chain_pending(session, limit=2) == 2 and pending_events(session) == 1
    report = verify_chain(session)  # chains the last one, then checks every hash
    assert report.intact and report.events == 4 and pending_events(session) == 0
    chained = events_for(session, "screening", "s0")
    assert len(chained) == 1 and chained[0].seq == 2 and chained[0].after == {"subjects": 0}
    ordered = [events_for(session, "screening", f"s{n}")[0] for n in range(3)]
    assert [e.seq for e in ordered] == [2, 3, 4]
    assert ordered[0].at <= ordered[1].at <= ordered[2].at
    assert ordered[0].actor == "apikey:采购系统" and ordered[0].actor_org == "11350200MB0000000X"
    assert chain_pending(session) == 0
