"""Subjects in bulk loads: a firm named again is one subject; a different name is kept
as an alias reported by the department; a later row fills gaps; across batches too."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.functional.collecting import make_department, penalty, uscc
from xinyong.ingest.readers import table_from_records
from xinyong.ingest.service import Collector
from xinyong.runtime import Runtime
from xinyong.subjects.models import Subject, SubjectAlias


def test_same_firm_across_batches_is_one_subject_with_reported_alias(runtime: Runtime) -> None:
    dept = make_department(runtime)
    code = uscc("MA2Q0001")
    rows = [
        penalty(dept, 1, CF_XDR_SHXYM=code, CF_XDR_MC="厦门甲乙贸易有限公司", CF_FRDB=""),
        penalty(dept, 2, CF_XDR_SHXYM=code, CF_XDR_MC="厦门甲乙贸易有限公司"),
        penalty(dept, 3, CF_XDR_SHXYM=code, CF_XDR_MC="厦门甲乙商贸有限公司"),
        penalty(dept, 4, CF_XDR_SHXYM=code, CF_XDR_MC="厦门甲乙贸易有限公司"),
    ]
    collector = Collector(
        runtime.sessions,
        dept.actor,
        runtime.catalog,
        runtime.rulebook,
        runtime.vault,
        batch_size=1,
    )
    report = collector.collect(
        table_from_records(rows), item_code="xzcf", department=dept.uscc, channel="api"
    )
    assert report.accepted == 4
    with runtime.sessions() as session:
        subjects = session.execute(select(Subject).where(Subject.uscc == code)).scalars().all()
        assert len(subjects) == 1
        subject = subjects[0]
        assert subject.name == "厦门甲乙贸易有限公司"
        assert subject.legal_rep == "王伟"  # filled by the second row, in a later batch
        aliases = (
            session.execute(select(SubjectAlias).where(SubjectAlias.subject_id == subject.id))
            .scalars()
            .all()
        )
        assert [(a.name, a.source) for a in aliases] == [("厦门甲乙商贸有限公司", "report")]
        with_org = session.execute(
            select(func.count()).select_from(SubjectAlias).where(SubjectAlias.org_id.is_not(None))
        ).scalar_one()
        assert with_org == 1
