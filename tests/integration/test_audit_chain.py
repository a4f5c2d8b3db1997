from sqlalchemy import update
from sqlalchemy.orm import Session

from xinyong.actors import Actor
from xinyong.audit.models import AuditEvent
from xinyong.audit.service import events_for, record_event, verify_chain


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
