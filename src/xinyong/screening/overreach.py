"""泛化监测: the office's check that joint punishment stays within the measure list.

Three findings, each with what to do about it:
- **uncovered** — a caller reported applying a measure the answer did not contain (a
  measure not on the list, or not triggered for that subject and scenario);
- **stale** — a measure a caller applied whose trigger has since ended (the list entry
  exited, the record was repaired or revoked): the caller should lift it;
- **unfounded** — list entries that lack a legal footing: an entry on a list the
  measure list no longer defines, an entry without its 认定文书号, and list definitions
  or measures resting only on a local policy or on an unconfirmed article.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.lists.models import ListEntry
from xinyong.measures.loader import MeasureBook
from xinyong.screening.models import Screening, ScreeningResult, SubjectMeasure
from xinyong.subjects.models import Subject


@dataclass(frozen=True)
class Finding:
    kind: str  # uncovered | stale | unfounded
    what: str  # Chinese, one line
    subject: str | None = None
    screening_id: uuid.UUID | None = None
    measure: str | None = None
    since: dt.date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "what": self.what,
            "subject": self.subject,
            "screening_id": str(self.screening_id) if self.screening_id else None,
            "measure": self.measure,
            "since": self.since.isoformat() if self.since else None,
        }


@dataclass
class OverreachReport:
    uncovered: list[Finding] = field(default_factory=list)
    stale: list[Finding] = field(default_factory=list)
    unfounded: list[Finding] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.uncovered or self.stale or self.unfounded)

    def as_dict(self) -> dict[str, Any]:
        return {
            "clean": self.clean,
            "uncovered": [f.as_dict() for f in self.uncovered],
            "stale": [f.as_dict() for f in self.stale],
            "unfounded": [f.as_dict() for f in self.unfounded],
        }


def _answered_codes(result: ScreeningResult) -> set[str]:
    return {str(m.get("code")) for m in (result.answer or {}).get("measures", [])}


def _subject_label(subject: Subject | None, result: ScreeningResult) -> str:
    if subject is None:
        return result.query
    return f"{subject.name}（{subject.uscc or subject.regno or subject.id_masked or ''}）"


def _applied(session: Session, since: dt.datetime) -> list[Any]:
    return list(
        session.execute(
            select(ScreeningResult, Screening, Subject)
            .join(Screening, Screening.id == ScreeningResult.screening_id)
            .outerjoin(Subject, Subject.id == ScreeningResult.subject_id)
            .where(ScreeningResult.feedback == "applied", ScreeningResult.feedback_at >= since)
            .order_by(ScreeningResult.feedback_at)
        ).all()
    )


def overreach_report(
    session: Session, book: MeasureBook, *, today: dt.date, since: dt.datetime
) -> OverreachReport:
    """Findings about feedback given since ``since`` and about list entries now."""
    report = OverreachReport()
    applied = _applied(session, since)
    subject_ids = {r.subject_id for r, _, _ in applied if r.subject_id is not None}
    current: dict[uuid.UUID, set[str]] = {}
    if subject_ids:
        for sid, code, until in session.execute(
            select(
                SubjectMeasure.subject_id, SubjectMeasure.measure_code, SubjectMeasure.until
            ).where(SubjectMeasure.subject_id.in_(list(subject_ids)))
        ).all():
            if until is None or until > today:
                current.setdefault(sid, set()).add(code)
    for result, screening, subject in applied:
        label = _subject_label(subject, result)
        answered = _answered_codes(result)
        for code in sorted(set(result.applied or []) - answered):
            measure = book.measures.get(code)
            what = (
                f"实施了比对结果未包含的措施“{measure.content}”"
                if measure
                else f"实施了措施清单之外的措施“{code}”"
            )
            report.uncovered.append(Finding("uncovered", what, label, screening.id, code))
        still = current.get(result.subject_id, set()) if result.subject_id else set()
        # What the caller applied (all it was answered, unless it named the measures)
        # that no longer has a trigger.
        in_force = (set(result.applied or []) or answered) & answered
        for code in sorted(in_force - still):
            measure = book.measures.get(code)
            name = measure.content if measure else code
            report.stale.append(
                Finding(
                    "stale",
                    f"“{name}”的触发条件已消失（移出名单、信用修复或撤销），应解除",
                    label,
                    screening.id,
                    code,
                )
            )
    entries = session.execute(
        select(ListEntry, Subject)
        .join(Subject, Subject.id == ListEntry.subject_id)
        .where(ListEntry.status == "listed")
    ).all()
    for entry, subject in entries:
        who = f"{subject.name}（{subject.uscc or subject.regno or ''}）"
        if entry.list_code not in book.lists:
            report.unfounded.append(
                Finding(
                    "unfounded",
                    f"名单“{entry.list_code}”已不在名单清单中，列入缺乏依据",
                    who,
                    since=entry.listed_on,
                )
            )
        elif not (entry.doc_number or "").strip():
            report.unfounded.append(
                Finding("unfounded", "列入缺少认定文书号", who, since=entry.listed_on)
            )
    for ld in book.lists.values():
        if all(b.local_policy for b in ld.legal_basis):
            report.unfounded.append(
                Finding("unfounded", f"名单“{ld.name}”仅以地方政策文件为依据，请复核")
            )
    for m in book.measures.values():
        if m.local_policy_only:
            report.unfounded.append(
                Finding(
                    "unfounded", f"措施“{m.content}”仅以地方政策文件为依据，请复核", measure=m.code
                )
            )
        unconfirmed = [b.text for b in m.legal_basis if not b.confirmed]
        if unconfirmed and len(unconfirmed) == len(m.legal_basis):
            report.unfounded.append(
                Finding(
                    "unfounded",
                    f"措施“{m.content}”的依据条款尚未核实：{'；'.join(unconfirmed)}",
                    measure=m.code,
                )
            )
    return report
