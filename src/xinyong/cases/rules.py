"""Deadlines of the due-process cases of credit subjects: objections (异议) and credit
repair (信用修复), in working days of the office calendar (issue 5; RULES.md §2, §6).

Each case moves through steps, each with its own clock: the step starts on a date and
is due a number of working days later (``WorkCalendar.add_working_days``: the start
day itself is not counted, make-up working days on weekends count, holidays do not).
A deadline in a year whose State Council holiday notice is not entered is
*provisional*, and says so. The figures come from the settings, so a city sets its
own local rule without a code change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from xinyong.config import Settings
from xinyong.errors import Conflict
from xinyong.workdays.rules import Deadline, WorkCalendar


class CaseKind(StrEnum):
    objection = "objection"
    repair = "repair"

    @property
    def label(self) -> str:
        return {"objection": "异议", "repair": "信用修复"}[self.value]


class Step(StrEnum):
    """The timed steps of a case: who must act next."""

    mark = "mark"  # objection: the office marks (accepts) it
    office = "office"  # the office verifies and decides, or forwards
    department = "department"  # the reporting department answers or decides

    @property
    def label(self) -> str:
        return {"mark": "信用办标注", "office": "信用办处理", "department": "部门答复"}[self.value]


@dataclass(frozen=True)
class StepRule:
    """How long a step may take, and by how much it may be extended once."""

    kind: CaseKind
    step: Step
    days: int
    extension_days: int = 0


def step_rules(settings: Settings) -> dict[tuple[CaseKind, Step], StepRule]:
    """The deadlines in force, from the settings (defaults: Shenzhen 2023 for
    objections, 国办发〔2025〕22号 for repair)."""
    rules = [
        StepRule(CaseKind.objection, Step.mark, settings.objection_mark_days),
        StepRule(CaseKind.objection, Step.office, settings.objection_office_days),
        StepRule(
            CaseKind.objection,
            Step.department,
            settings.objection_department_days,
            settings.objection_extension_days,
        ),
        StepRule(CaseKind.repair, Step.office, settings.repair_office_days),
        StepRule(CaseKind.repair, Step.department, settings.repair_department_days),
    ]
    return {(r.kind, r.step): r for r in rules}


@dataclass(frozen=True)
class StepDeadline:
    """When a step started and when it is due; ``extended`` once at most."""

    rule: StepRule
    started: dt.date
    due: Deadline
    extended: bool = False

    def overdue(self, today: dt.date) -> bool:
        """Past due: ``today`` is after the due date (the due date itself is in time)."""
        return today > self.due.date

    def working_days_left(self, calendar: WorkCalendar, today: dt.date) -> int:
        """Working days from ``today`` to the due date; negative when overdue."""
        if today <= self.due.date:
            return calendar.working_days_between(today, self.due.date).count
        return -calendar.working_days_between(self.due.date, today).count


def start_step(rule: StepRule, calendar: WorkCalendar, started: dt.date) -> StepDeadline:
    """The deadline of a step that starts on ``started``."""
    return StepDeadline(rule, started, calendar.add_working_days(started, rule.days))


def extend(deadline: StepDeadline, calendar: WorkCalendar) -> StepDeadline:
    """The deadline extended once by the rule's extension; a second extension, or one
    the rule does not allow, is a ``Conflict`` naming why."""
    rule = deadline.rule
    if rule.extension_days == 0:
        raise Conflict(
            f"{rule.kind.label}的“{rule.step.label}”期限不可延长",
            f"{rule.kind}/{rule.step} deadlines cannot be extended",
        )
    if deadline.extended:
        raise Conflict(
            f"{rule.kind.label}的“{rule.step.label}”期限只能延长一次",
            f"{rule.kind}/{rule.step} deadline already extended once",
        )
    due = calendar.add_working_days(deadline.due.date, rule.extension_days)
    provisional = deadline.due.provisional or due.provisional
    missing = tuple(sorted(set(deadline.due.missing_years) | set(due.missing_years)))
    return StepDeadline(
        rule,
        deadline.started,
        Deadline(due.date, provisional, missing, due.calendar_version),
        extended=True,
    )


# -- statuses, grounds and purposes ---------------------------------------------------


class Status(StrEnum):
    """Where a case stands. Open: submitted, accepted, forwarded; the rest are closed."""

    submitted = "submitted"  # filed, waiting for the office (objection: to be marked)
    accepted = "accepted"  # objection marked; the office verifies
    forwarded = "forwarded"  # with the reporting department
    upheld = "upheld"  # objection: 异议成立
    partly = "partly"  # objection: 部分成立
    rejected = "rejected"  # objection: 异议不成立
    not_accepted = "not_accepted"  # objection: 不予受理
    approved = "approved"  # repair: 修复成功
    refused = "refused"  # repair: 不予修复
    withdrawn = "withdrawn"  # the applicant withdrew it

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def open(self) -> bool:
        return self in OPEN_STATUSES


STATUS_LABELS: dict[Status, str] = {
    Status.submitted: "待受理",
    Status.accepted: "信用办核查中",
    Status.forwarded: "部门核查中",
    Status.upheld: "异议成立",
    Status.partly: "异议部分成立",
    Status.rejected: "异议不成立",
    Status.not_accepted: "不予受理",
    Status.approved: "修复成功",
    Status.refused: "不予修复",
    Status.withdrawn: "已撤回",
}
OPEN_STATUSES = frozenset({Status.submitted, Status.accepted, Status.forwarded})


class Ground(StrEnum):
    """Why a subject objects (异议理由类别)."""

    content = "content"  # the published content is wrong
    expired = "expired"  # published past its period, or should not be published
    reconsideration = "reconsideration"  # 行政复议 accepted
    litigation = "litigation"  # 行政诉讼 accepted
    other = "other"

    @property
    def label(self) -> str:
        return {
            "content": "信息内容有误",
            "expired": "超期公示或不应公示",
            "reconsideration": "已申请行政复议",
            "litigation": "已提起行政诉讼",
            "other": "其他",
        }[self.value]

    @property
    def suspends(self) -> bool:
        """Grounds about the content's correctness suspend publication (where the
        catalog item allows it) until decided."""
        return self in (Ground.content, Ground.expired)

    @property
    def pending_proceedings(self) -> bool:
        """Reconsideration or litigation: needs the 受理通知书 and tags the record."""
        return self in (Ground.reconsideration, Ground.litigation)


PROCEEDINGS_TAG = "复议/诉讼中"
OBJECTION_MARK = "异议处理中"


class Purpose(StrEnum):
    """What an attachment proves."""

    identity = "identity"
    authorisation = "authorisation"
    acceptance_notice = "acceptance_notice"
    evidence = "evidence"
    performance = "performance"
    correction = "correction"
    training = "training"
    credit_report = "credit_report"
    other = "other"

    @property
    def label(self) -> str:
        return PURPOSE_LABELS[self]


PURPOSE_LABELS: dict[Purpose, str] = {
    Purpose.identity: "主体身份证明材料",
    Purpose.authorisation: "授权委托书",
    Purpose.acceptance_notice: "行政复议或行政诉讼受理通知书",
    Purpose.evidence: "证明材料",
    Purpose.performance: "已履行法定义务的证明材料",
    Purpose.correction: "已纠正失信行为的证明材料",
    Purpose.training: "信用修复培训证明",
    Purpose.credit_report: "信用报告",
    Purpose.other: "其他材料",
}

# Rule-set requirements met by an attachment of a purpose.
REQUIREMENT_PURPOSES: dict[str, Purpose] = {
    "identity_documents": Purpose.identity,
    "proof_of_performance": Purpose.performance,
    "proof_of_correction": Purpose.correction,
    "training_certificate": Purpose.training,
    "credit_report": Purpose.credit_report,
}
# Rule-set requirements met by the applicant's declaration on the form.
REQUIREMENT_DECLARATIONS = frozenset({"harm_removed", "no_repeat_violation"})


class RefusalCode(StrEnum):
    """Why a repair application was refused (figures count refusals by reason)."""

    incomplete = "incomplete"
    not_performed = "not_performed"
    false_materials = "false_materials"
    not_eligible = "not_eligible"
    other = "other"

    @property
    def label(self) -> str:
        return {
            "incomplete": "材料不齐全",
            "not_performed": "未履行法定义务或未纠正失信行为",
            "false_materials": "材料不真实",
            "not_eligible": "不符合修复条件",
            "other": "其他",
        }[self.value]


def case_number(kind: CaseKind, day: dt.date, serial: int) -> str:
    """``YY`` (异议) or ``XF`` (信用修复), the filing date and a daily serial."""
    prefix = "YY" if kind is CaseKind.objection else "XF"
    return f"{prefix}{day:%Y%m%d}{serial:04d}"


# -- the repair checklist ----------------------------------------------------------------


@dataclass(frozen=True)
class CheckItem:
    """One condition of credit repair. ``blocking`` conditions are not the applicant's to
    fix now (the period, a never-repairable penalty); the others are materials."""

    code: str
    label: str
    met: bool
    detail: str | None = None
    blocking: bool = False
    purpose: Purpose | None = None  # the attachment that meets it, if any


@dataclass(frozen=True)
class Checklist:
    items: tuple[CheckItem, ...]

    @property
    def eligible(self) -> bool:
        """No blocking condition unmet: the applicant may apply once materials are in."""
        return all(i.met for i in self.items if i.blocking)

    @property
    def complete(self) -> bool:
        return all(i.met for i in self.items)

    @property
    def missing(self) -> list[CheckItem]:
        return [i for i in self.items if not i.met]

    @property
    def refusal(self) -> CheckItem | None:
        """The first blocking condition unmet: why repair cannot be applied for now."""
        return next((i for i in self.items if i.blocking and not i.met), None)

    def needed_purposes(self) -> list[Purpose]:
        return [i.purpose for i in self.items if i.purpose is not None]

    def as_dict(self) -> dict[str, object]:
        return {
            "eligible": self.eligible,
            "complete": self.complete,
            "items": [
                {
                    "code": i.code,
                    "label": i.label,
                    "met": i.met,
                    "detail": i.detail,
                    "blocking": i.blocking,
                    "attachment": i.purpose.value if i.purpose else None,
                }
                for i in self.items
            ],
        }


@dataclass(frozen=True)
class RepairFacts:
    """What the checklist needs to know about a record and an application."""

    negative: bool  # the record is dishonesty information under a rule set
    repairable: bool
    not_repairable_reason: str | None
    in_publication: bool  # published or suspended, not yet repaired/expired/revoked
    earliest_repair: dt.date | None
    requirements: tuple[tuple[str, str], ...]  # (code, label) from the rule set
    rule_set: str | None = None
    listed: bool = False  # the subject is on a serious-dishonesty or abnormal list


def repair_checklist(
    facts: RepairFacts,
    *,
    today: dt.date,
    purposes: frozenset[str] = frozenset(),
    declarations: frozenset[str] = frozenset(),
    committed: bool = False,
) -> Checklist:
    """What is met and what is missing for a repair application today (RULES.md §1a:
    all conditions are required)."""
    items: list[CheckItem] = []
    if not facts.negative:
        items.append(
            CheckItem("negative", "属于失信信息", False, "该信息不属于失信信息，无需信用修复", True)
        )
        return Checklist(tuple(items))
    reason = facts.not_repairable_reason or "不可提前修复"
    if facts.rule_set and facts.rule_set not in reason:
        reason = f"{reason}（{facts.rule_set}）"
    items.append(
        CheckItem(
            "repairable",
            "可以提前修复",
            facts.repairable,
            None if facts.repairable else reason,
            True,
        )
    )
    items.append(
        CheckItem(
            "in_publication",
            "处于公示期内",
            facts.in_publication,
            None if facts.in_publication else "该信息已不在公示中，无需修复",
            True,
        )
    )
    if facts.earliest_repair is not None:
        due = facts.earliest_repair <= today
        items.append(
            CheckItem(
                "min_period",
                f"最短公示期已满（{facts.earliest_repair.isoformat()} 起可申请）",
                due,
                None if due else f"最短公示期未满，{facts.earliest_repair.isoformat()} 起方可申请",
                True,
            )
        )
    for code, label in facts.requirements:
        if code == "application_form":
            items.append(CheckItem(code, label, True, "在线填写本申请即可"))
        elif code == "commitment":
            items.append(
                CheckItem(code, label, committed, None if committed else "须签署信用修复承诺书")
            )
        elif code == "not_listed":
            items.append(
                CheckItem(
                    code,
                    label,
                    not facts.listed,
                    "该主体仍在失信名单中，须先移出名单" if facts.listed else None,
                    True,
                )
            )
        elif code in REQUIREMENT_DECLARATIONS:
            met = code in declarations
            items.append(CheckItem(code, label, met, None if met else "须在申请中声明"))
        elif code in REQUIREMENT_PURPOSES:
            purpose = REQUIREMENT_PURPOSES[code]
            met = purpose.value in purposes
            items.append(
                CheckItem(
                    code, label, met, None if met else f"须上传：{purpose.label}", False, purpose
                )
            )
        else:  # a requirement this platform cannot check: the applicant declares it
            met = code in declarations
            items.append(CheckItem(code, label, met, None if met else "须在申请中声明"))
    return Checklist(tuple(items))
