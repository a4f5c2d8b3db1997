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
