"""Pure rules of list entries: statuses, who may identify entries of a list, the
objection window, the expiry date, and the written notice (告知书). No database, no
clock: ``service.py`` passes in what these need.

Who may identify (认定) entries of a list, and act on them (notify, list, withdraw,
exit): the credit office (office_admin, office_staff) for any list; a department's
reviewer (dept_reviewer) for lists whose ``domain`` equals the department's
``sector`` (any list if the department has no sector set), and only for entries
its own organisation identified. Reporters and auditors only read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Final

from dateutil.relativedelta import relativedelta

from xinyong.measures.schema import (
    BASIS_LEVEL_LABELS,
    EXIT_LABELS,
    LIST_KIND_LABELS,
    LegalBasis,
    ListDefinition,
    Measure,
)


class Status(StrEnum):
    proposed = "proposed"
    notified = "notified"
    listed = "listed"
    exited = "exited"
    withdrawn = "withdrawn"


STATUS_LABELS: Final[dict[str, str]] = {
    Status.proposed: "拟列入",
    Status.notified: "已告知（异议期）",
    Status.listed: "已列入",
    Status.exited: "已移出",
    Status.withdrawn: "已撤回",
}
# Entries that still count against the subject: a second one on the same list is refused.
OPEN_STATUSES: Final = (Status.proposed, Status.notified, Status.listed)

OFFICE_ROLES: Final = ("office_admin", "office_staff")
DEPT_ROLES: Final = ("dept_reviewer",)
ACT_ROLES: Final = (*OFFICE_ROLES, *DEPT_ROLES)
# Who may read the staff list pages (departments see only their own entries).
READ_ROLES: Final = (*ACT_ROLES, "dept_reporter", "auditor")
ALL_ENTRIES_ROLES: Final = (*OFFICE_ROLES, "auditor")

DOC_NUMBER_MAX: Final = 200
REASONS_MAX: Final = 2000
REASON_MAX: Final = 500


def may_identify(
    *, office: bool, department: bool, sector: str | None, list_def: ListDefinition
) -> bool:
    """Whether an organisation may identify entries of ``list_def``: the office always;
    a department if the list's domain is its sector (or it has no sector set)."""
    if office:
        return True
    if not department:
        return False
    return sector is None or not sector.strip() or sector.strip() == list_def.domain


def objection_over(notified_on: dt.date, objection_until: dt.date, today: dt.date) -> bool:
    """Whether the entry may be listed on ``today``: the objection window (which
    includes ``objection_until``) has passed; a list without a window (the deadline is
    the day of notice) may be listed at once."""
    if objection_until <= notified_on:
        return True
    return today > objection_until


def first_listing_day(notified_on: dt.date, objection_until: dt.date) -> dt.date:
    """The first day on which the entry may be listed."""
    if objection_until <= notified_on:
        return notified_on
    return objection_until + dt.timedelta(days=1)


def expiry(listed_on: dt.date, duration_months: int | None) -> dt.date | None:
    """The day the entry leaves the list by expiry (it is no longer in force that day),
    or None for lists that last until an exit."""
    if duration_months is None:
        return None
    result: dt.date = listed_on + relativedelta(months=duration_months)
    return result


def basis_text(bases: Iterable[LegalBasis]) -> str:
    """Legal bases at article level, e.g. 《企业信息公示暂行条例》第十七条."""
    return "；".join(b.text for b in bases)


def triggered_measures(measures: Iterable[Measure], list_code: str) -> list[Measure]:
    """The measures that entries of ``list_code`` trigger, punishments first."""
    found = [m for m in measures if list_code in m.triggers.lists]
    return sorted(found, key=lambda m: (m.kind != "punish", m.code))


def _day(value: dt.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def notice_text(
    *,
    list_def: ListDefinition,
    measures: Sequence[Measure],
    scenario_labels: dict[str, str],
    subject_name: str,
    subject_code: str | None,
    authority: str,
    doc_number: str,
    reasons: str,
    notified_on: dt.date,
    objection_until: dt.date,
) -> str:
    """The written notice (列入告知书) served before listing: basis at article level,
    reasons, the measures listing triggers with their bases, the right to object with
    its window, and the exit conditions (河南省社会信用条例 art. 28; RULES.md §7)."""
    lines = [
        f"{list_def.name}列入告知书",
        f"（{doc_number}）",
        "",
        f"{subject_name}{f'（{subject_code}）' if subject_code else ''}：",
        "",
        f"经查，你（单位）存在下列情形，{authority}拟将你（单位）列入"
        f"{list_def.name}（{LIST_KIND_LABELS[list_def.kind]}）。现将有关事项告知如下：",
        "",
        "一、列入事由",
        reasons,
        "",
        "二、认定标准和依据",
        f"认定标准：{list_def.criteria}",
    ]
    for basis in list_def.legal_basis:
        lines.append(f"依据：{basis.text}（{BASIS_LEVEL_LABELS[basis.level]}）")
    lines += ["", "三、列入后可能受到的措施"]
    if measures:
        for n, m in enumerate(measures, 1):
            kind = "惩戒措施" if m.kind == "punish" else "激励措施"
            where = "、".join(scenario_labels.get(s, s) for s in m.scenarios)
            lines.append(
                f"{n}. {kind}：{m.content}（适用场景：{where}；实施主体：{m.implementer}）"
            )
            lines.append(f"   依据：{basis_text(m.legal_basis)}")
    else:
        lines.append("措施清单中暂无由本名单触发的措施。")
    lines += ["", "四、陈述、申辩和异议"]
    if objection_until <= notified_on:
        lines.append(
            "本名单不设列入前异议期，告知后即可列入。你（单位）对列入有异议的，"
            f"可以向{authority}提出，并提供相关证据材料。"
        )
    else:
        lines.append(
            f"你（单位）如有异议，可以在{_day(objection_until)}前（含当日）向{authority}"
            "提出书面陈述、申辩或异议，并提供相关证据材料；逾期未提出的，视为无异议，"
            "将依法列入。"
        )
    duration = (
        f"列入期限为{list_def.duration_months}个月，期满自动移出。"
        if list_def.duration_months
        else "本名单不设固定期限。"
    )
    ways = "、".join(EXIT_LABELS[w] for w in list_def.exit_ways)
    lines += [
        "",
        "五、移出条件和程序",
        duration,
        f"移出条件：{list_def.exit_conditions}",
        f"移出方式：{ways}。",
        "",
        f"{authority}",
        _day(notified_on),
    ]
    return "\n".join(lines)
