"""自动反馈: what a calling system did with each screening answer, kept as joint reward
and punishment cases (联合奖惩案例), exported monthly in a fixed format, and the
screenings still waiting for feedback.

A caller feeds back only on its own screening ids. The outcome must fit the answer:
``applied`` for a restriction, ``rewarded`` for a reward, ``not_applied`` for either
with a reason (a restriction not applied must say why: the legal adviser reviews it).
Feedback again on a subject is a correction: it needs a reason, and the audit event
keeps the earlier outcome.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.accounts.models import Organisation
from xinyong.actors import Actor
from xinyong.audit.service import record_event
from xinyong.db import CHINA_TZ, utcnow
from xinyong.errors import Forbidden, NotFound, Problem, ValidationFailed
from xinyong.measures.loader import MeasureBook
from xinyong.quality.export import safe_text
from xinyong.screening.models import Screening, ScreeningResult
from xinyong.subjects.models import Subject

OUTCOMES = {"applied": "已实施", "not_applied": "未实施", "rewarded": "已激励"}
# Which outcomes fit which answer status.
FITS = {"restrict": {"applied", "not_applied"}, "reward": {"rewarded", "not_applied"}}
REASON_MAX = 500


@dataclass(frozen=True)
class FeedbackItem:
    """One subject's feedback: by its position in the screening (0-based) or its query."""

    outcome: str
    position: int | None = None
    query: str | None = None
    reason: str | None = None
    # The measures applied (codes of the measure list, or a description of anything
    # else); empty: all the measures the answer gave. The overreach check reads them.
    measures: tuple[str, ...] = ()


def _screening(session: Session, actor: Actor, screening_id: uuid.UUID | str) -> Screening:
    try:
        sid = uuid.UUID(str(screening_id))
    except ValueError as exc:
        raise NotFound("未找到该比对记录", f"screening {screening_id} not found") from exc
    found = session.get(Screening, sid)
    if found is None:
        raise NotFound("未找到该比对记录", f"screening {sid} not found")
    if "system" not in actor.roles and found.org_id != actor.org_id:
        raise Forbidden(
            "只能反馈本单位发起的比对", f"{actor.label} fed back on another org's screening {sid}"
        )
    return found


def _target(results: Sequence[ScreeningResult], item: FeedbackItem, i: int) -> ScreeningResult:
    where = f"items[{i}]"
    if item.position is not None:
        match = [r for r in results if r.position == item.position]
    elif item.query:
        wanted = item.query.strip().upper()
        match = [r for r in results if r.query.strip().upper() == wanted]
    else:
        raise ValidationFailed.one(where, "请指明反馈对象（position 或 query）", "no target")
    if not match:
        raise ValidationFailed.one(where, "该比对中没有这个主体", f"{where}: not in the screening")
    return match[0]


def record_feedback(
    session: Session,
    *,
    actor: Actor,
    screening_id: uuid.UUID | str,
    items: Sequence[FeedbackItem],
) -> list[ScreeningResult]:
    """Keep the caller's feedback on its screening; every problem is named per item and
    nothing is stored unless every item is valid."""
    screening = _screening(session, actor, screening_id)
    if not items:
        raise ValidationFailed.one("items", "请至少反馈一项", "no feedback items")
    results = session.scalars(
        select(ScreeningResult).where(ScreeningResult.screening_id == screening.id)
    ).all()
    problems: list[Problem] = []
    planned: list[tuple[ScreeningResult, FeedbackItem, str | None]] = []
    for i, item in enumerate(items):
        where = f"items[{i}]"
        try:
            result = _target(results, item, i)
        except ValidationFailed as exc:
            problems.extend(exc.problems)
            continue
        reason = (item.reason or "").strip() or None
        fits = FITS.get(result.status, set())
        if item.outcome not in OUTCOMES:
            problems.append(
                Problem(f"{where}.outcome", "反馈结果应为 applied、not_applied 或 rewarded", "bad")
            )
        elif item.outcome not in fits:
            label = {"clear": "无奖惩", "unknown": "未找到主体", "invalid": "代码有误"}.get(
                result.status, result.status
            )
            problems.append(
                Problem(
                    f"{where}.outcome",
                    f"比对结果为“{label}”，不能反馈“{OUTCOMES[item.outcome]}”",
                    f"outcome {item.outcome} does not fit status {result.status}",
                )
            )
        elif item.outcome == "not_applied" and not reason:
            problems.append(
                Problem(f"{where}.reason", "未实施须说明理由", "not_applied needs a reason")
            )
        elif item.measures and item.outcome == "not_applied":
            problems.append(
                Problem(f"{where}.measures", "未实施时不应列出措施", "measures with not_applied")
            )
        elif len(item.measures) > 20 or any(len(m) > 200 for m in item.measures):
            problems.append(
                Problem(f"{where}.measures", "措施最多 20 项、每项不超过 200 字", "measures")
            )
        elif result.feedback is not None and not reason:
            problems.append(
                Problem(
                    f"{where}.reason",
                    "该主体已反馈过，更正反馈须说明理由",
                    "correcting earlier feedback needs a reason",
                )
            )
        elif reason is not None and len(reason) > REASON_MAX:
            problems.append(
                Problem(f"{where}.reason", f"理由不能超过 {REASON_MAX} 字", "reason too long")
            )
        else:
            planned.append((result, item, reason))
    if problems:
        raise ValidationFailed.from_problems(problems)
    now = utcnow()
    for result, item, reason in planned:
        before = {"feedback": result.feedback, "feedback_reason": result.feedback_reason}
        result.feedback, result.feedback_reason, result.feedback_at = item.outcome, reason, now
        result.applied = [m.strip() for m in item.measures if m.strip()] or None
        session.flush()
        record_event(
            session,
            actor=actor,
            action="screening.feedback",
            entity_type="screening",
            entity_id=screening.id,
            before=before,
            after={
                "position": result.position,
                "feedback": item.outcome,
                "applied": result.applied,
            },
            reason=reason,
        )
    return [r for r, _, _ in planned]


# -- monthly cases (联合奖惩案例) and missing feedback ------------------------------------

CASE_HEADERS = (
    "案例编号",
    "应用场景",
    "实施单位",
    "实施单位统一社会信用代码",
    "主体名称",
    "主体代码",
    "奖惩类型",
    "措施内容",
    "法律依据",
    "比对时间",
    "反馈结果",
    "未实施理由",
    "反馈时间",
)


@dataclass(frozen=True)
class JointCase:
    number: str
    scenario: str
    org_name: str
    org_uscc: str
    subject_name: str
    subject_code: str
    kind: str
    measures: str
    bases: str
    screened_at: dt.datetime
    outcome: str
    reason: str
    fed_back_at: dt.datetime

    def row(self) -> list[str]:
        def local(at: dt.datetime) -> str:
            return at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")

        return [
            self.number,
            self.scenario,
            safe_text(self.org_name),
            self.org_uscc,
            safe_text(self.subject_name),
            self.subject_code,
            self.kind,
            safe_text(self.measures),
            safe_text(self.bases),
            local(self.screened_at),
            self.outcome,
            safe_text(self.reason),
            local(self.fed_back_at),
        ]


def _month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(month.year, month.month, 1, tzinfo=CHINA_TZ)
    nxt = dt.datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=CHINA_TZ)
    return start, nxt


def joint_cases(
    session: Session, book: MeasureBook, *, month: dt.date, org_id: uuid.UUID | None = None
) -> list[JointCase]:
    """Feedback given in ``month`` (China time) on restrictions and rewards: the month's
    joint reward and punishment cases, oldest first."""
    start, end = _month_bounds(month)
    q = (
        select(ScreeningResult, Screening, Organisation, Subject)
        .join(Screening, Screening.id == ScreeningResult.screening_id)
        .outerjoin(Organisation, Organisation.id == Screening.org_id)
        .outerjoin(Subject, Subject.id == ScreeningResult.subject_id)
        .where(
            ScreeningResult.feedback.is_not(None),
            ScreeningResult.feedback_at >= start,
            ScreeningResult.feedback_at < end,
        )
        .order_by(ScreeningResult.feedback_at, ScreeningResult.position)
    )
    if org_id is not None:
        q = q.where(Screening.org_id == org_id)
    cases: list[JointCase] = []
    for result, screening, org, subject in session.execute(q).all():
        codes = [str(m.get("code")) for m in (result.answer or {}).get("measures", [])]
        measures = [book.measures[c] for c in codes if c in book.measures]
        assert result.feedback_at is not None and result.feedback is not None
        cases.append(
            JointCase(
                number=f"{screening.id.hex[:12].upper()}-{result.position + 1:04d}",
                scenario=book.scenarios.get(screening.scenario, screening.scenario),
                org_name=org.name if org else screening.caller,
                org_uscc=org.uscc if org else "",
                subject_name=subject.name if subject else "",
                subject_code=(subject.uscc or subject.regno or subject.id_masked or "")
                if subject
                else result.query,
                kind="联合惩戒" if result.status == "restrict" else "守信激励",
                measures="；".join(m.content for m in measures),
                bases="；".join(b.text for m in measures for b in m.legal_basis),
                screened_at=screening.created_at,
                outcome=OUTCOMES[result.feedback],
                reason=result.feedback_reason or "",
                fed_back_at=result.feedback_at,
            )
        )
    return cases


def joint_cases_csv(cases: Sequence[JointCase]) -> bytes:
    """UTF-8 with BOM, so Excel on Chinese Windows opens it without garbling."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CASE_HEADERS)
    for case in cases:
        writer.writerow(case.row())
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def joint_cases_xlsx(cases: Sequence[JointCase], title: str) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(list(CASE_HEADERS))
    for case in cases:
        sheet.append(case.row())
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class Unanswered:
    screening_id: uuid.UUID
    org_name: str
    scenario: str
    screened_at: dt.datetime
    waiting: int  # answers with a restriction or reward and no feedback

    def as_dict(self) -> dict[str, Any]:
        return {
            "screening_id": str(self.screening_id),
            "org": self.org_name,
            "scenario": self.scenario,
            "screened_at": self.screened_at.isoformat(),
            "waiting": self.waiting,
        }


def unanswered(
    session: Session, book: MeasureBook, *, before: dt.datetime, org_id: uuid.UUID | None = None
) -> list[Unanswered]:
    """Screenings made before ``before`` with restrictions or rewards still lacking
    feedback, oldest first: the office's reminder list."""
    q = (
        select(Screening, Organisation.name, func.count(ScreeningResult.id))
        .join(ScreeningResult, ScreeningResult.screening_id == Screening.id)
        .outerjoin(Organisation, Organisation.id == Screening.org_id)
        .where(
            Screening.created_at < before,
            ScreeningResult.status.in_(["restrict", "reward"]),
            ScreeningResult.feedback.is_(None),
        )
        .group_by(Screening.id, Organisation.name)
        .order_by(Screening.created_at)
    )
    if org_id is not None:
        q = q.where(Screening.org_id == org_id)
    return [
        Unanswered(
            s.id,
            name or s.caller,
            book.scenarios.get(s.scenario, s.scenario),
            s.created_at,
            int(n),
        )
        for s, name, n in session.execute(q).all()
    ]
