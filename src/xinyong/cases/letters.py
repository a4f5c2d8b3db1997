"""Letters of credit repair: the repair reminder (信用修复提醒函) and the commitment
(信用修复承诺书).

**两书同达** (国办发〔2025〕22号): when a department decides a penalty that may be repaired,
the reminder is served together with the decision. It tells the subject how long the
penalty is published, from when repair may be applied for, with which materials, where,
and how long the office and the department take. ``repair_reminder`` builds it from a
stored record and the rule set that governs it; ``render_reminder_html`` writes the
printable A4 page that ``xinyong.pdf.html_to_pdf`` turns into the PDF.

The commitment (RULES.md §1a, a public credit commitment: materials true, liability for
breach accepted; §9, 承诺类型 信用修复型, whose breach means publication for the maximum
period) is signed by the applicant of a repair; ``commitment_text`` is the plain text a
repair application stores verbatim with the signatory's typed name.

Everything here is pure except ``authority_name`` and ``reminder_for_record`` (they read
the deciding organisation's name).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import Session

from xinyong.accounts.models import Organisation
from xinyong.catalog.loader import Catalog
from xinyong.config import Settings
from xinyong.errors import ValidationFailed
from xinyong.publicity.rules import record_fields, subject_facts
from xinyong.records.models import CreditRecord
from xinyong.records.periods import record_answer
from xinyong.rulesets.loader import RuleBook
from xinyong.rulesets.rules import Requirement
from xinyong.subjects.models import Subject
from xinyong.subjects.rules import SubjectKind

REMINDER_TITLE = "信用修复提醒函"
COMMITMENT_TITLE = "信用修复承诺书"
COMMITMENT_TYPE = "信用修复型"  # 承诺类型 (RULES.md §9)
POLICY = "国办发〔2025〕22号"
SIGNATORY_MAX = 50


def cn_date(day: dt.date | None) -> str:
    """``2026年3月5日``."""
    if day is None:
        return ""
    return f"{day.year}年{day.month}月{day.day}日"


def _file_name(title: str, doc_number: str) -> str:
    """A download name: the title and the decision's document number, without characters
    that file systems refuse."""
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", doc_number).strip("_")
    return f"{title}-{safe}.pdf" if safe else f"{title}.pdf"


# -- the reminder (信用修复提醒函) ---------------------------------------------------------


@dataclass(frozen=True)
class ReminderLetter:
    """What a repair reminder says about one repairable penalty."""

    record_id: uuid.UUID
    site_name: str
    subject_name: str
    subject_code: str | None
    subject_code_label: str  # 统一社会信用代码, 注册号, or 证件号码 (masked)
    natural_person: bool
    authority: str
    doc_number: str
    decision_date: dt.date
    item_name: str  # e.g. 行政处罚
    severity: str | None
    rule_set: str  # the document number of the rule set, e.g. 国市监信规〔2025〕…
    rule_set_title: str
    publication_start: dt.date
    counted_from: str  # "decision" or "publication"
    earliest_repair: dt.date
    auto_withdraw: dt.date | None
    requirements: tuple[Requirement, ...]
    apply_at: str  # where to apply: the credit file's URL (or path)
    office_days: int
    department_days: int

    @property
    def you(self) -> str:
        """How the letter addresses the subject: 你单位, or 你 for a natural person."""
        return "你" if self.natural_person else "你单位"

    @property
    def filename(self) -> str:
        return _file_name(REMINDER_TITLE, self.doc_number)

    def as_dict(self) -> dict[str, Any]:
        def iso(d: dt.date | None) -> str | None:
            return d.isoformat() if d else None

        return {
            "record": str(self.record_id),
            "subject": {"name": self.subject_name, "code": self.subject_code},
            "authority": self.authority,
            "doc_number": self.doc_number,
            "decision_date": self.decision_date.isoformat(),
            "item": self.item_name,
            "severity": self.severity,
            "rule_set": self.rule_set,
            "earliest_repair": self.earliest_repair.isoformat(),
            "auto_withdraw": iso(self.auto_withdraw),
            "requirements": [r.as_dict() for r in self.requirements],
            "apply_at": self.apply_at,
            "office_days": self.office_days,
            "department_days": self.department_days,
        }


def _public_name(catalog: Catalog, record: CreditRecord, subject: Subject) -> str:
    """The subject's name as the public may see it: a natural person's as the record
    publishes it (masked where the catalog says so), anyone else's registered name."""
    if subject.kind != SubjectKind.natural_person:
        return subject.name
    item = catalog.item(record.item_code)
    name_code = item.subject_fields.get("name")
    shown = {f.code: f.value for f in record_fields(item, record.values, record.masked)}
    return shown.get(name_code or "") or "（姓名已隐去）"


def repair_reminder(
    catalog: Catalog,
    rulebook: RuleBook,
    record: CreditRecord,
    subject: Subject,
    authority_name: str,
    *,
    settings: Settings,
    site_url: str | None = None,
) -> ReminderLetter | None:
    """The repair reminder of ``record``, or None when there is nothing to remind of: the
    record is not dishonesty information under a rule set (licences, registration data),
    its rule set never allows early repair (``repairable`` False: e.g. 吊销营业执照), or it
    has been revoked.

    Dates are the record's stored periods (fixed by the rule set in force on the decision
    date); the materials are re-derived from that rule set. ``site_url`` is the public
    site's address (scheme and host) when known, so the letter shows a full link to the
    subject's credit file; otherwise the path alone.
    """
    if record.status != "active" or not record.repairable or record.earliest_repair is None:
        return None
    answer = record_answer(catalog, rulebook, record)
    if answer is None or not answer.repairable:
        return None
    item = catalog.item(record.item_code)
    facts = subject_facts(subject, None, kind=subject.kind, masked_id=subject.id_masked)
    natural = subject.kind == SubjectKind.natural_person
    # The credit file is addressed by USCC when there is one; a person's by the subject id
    # (never by an ID number).
    key = subject.uscc if subject.uscc and not natural else str(subject.id)
    path = f"/subjects/{key}"
    return ReminderLetter(
        record_id=record.id,
        site_name=settings.site_name,
        subject_name=_public_name(catalog, record, subject),
        subject_code=facts.code,
        subject_code_label=facts.code_label,
        natural_person=natural,
        authority=authority_name,
        doc_number=record.doc_number,
        decision_date=record.decision_date,
        item_name=item.name,
        severity=record.severity,
        rule_set=answer.rule_set,
        rule_set_title=answer.rule_set_title,
        publication_start=record.publication_start or answer.publication_start,
        counted_from=answer.counted_from,
        earliest_repair=record.earliest_repair,
        auto_withdraw=record.auto_withdraw,
        requirements=answer.requirements,
        apply_at=f"{site_url.rstrip('/')}{path}" if site_url else path,
        office_days=settings.repair_office_days,
        department_days=settings.repair_department_days,
    )


def authority_name(session: Session, catalog: Catalog, record: CreditRecord) -> str:
    """The deciding authority's name as reported with the record (e.g. CF_CFJG), else
    the name of the organisation that reported it, else its code."""
    item = catalog.item(record.item_code)
    reported = record.values.get(item.authority_name_field or "")
    if isinstance(reported, str) and reported.strip():
        return reported.strip()
    org = session.get(Organisation, record.org_id)
    if org is not None and org.uscc == record.authority_code:
        return org.name
    return record.authority_code


def reminder_for_record(
    session: Session,
    catalog: Catalog,
    rulebook: RuleBook,
    record: CreditRecord,
    *,
    settings: Settings,
    site_url: str | None = None,
) -> ReminderLetter | None:
    """``repair_reminder`` of a stored record, reading its subject and authority."""
    subject = session.get(Subject, record.subject_id)
    if subject is None:  # a foreign key: cannot happen short of a broken database
        return None
    name = authority_name(session, catalog, record)
    return repair_reminder(
        catalog, rulebook, record, subject, name, settings=settings, site_url=site_url
    )


# -- the commitment (信用修复承诺书) -------------------------------------------------------


@dataclass(frozen=True)
class CommitmentLetter:
    """A 信用修复型 credit commitment about one penalty, signed by ``signatory``."""

    subject_name: str
    subject_code: str | None
    natural_person: bool
    authority: str
    doc_number: str
    item_name: str
    decision_date: dt.date | None
    signatory: str
    signed_on: dt.date

    @property
    def me(self) -> str:
        return "本人" if self.natural_person else "本单位"

    @property
    def reason(self) -> str:
        """承诺事由."""
        when = f"于{cn_date(self.decision_date)}" if self.decision_date else ""
        return (
            f"申请对{self.authority}{when}作出的{self.item_name}决定"
            f"（{self.doc_number}）相关失信信息进行信用修复"
        )

    @property
    def promises(self) -> tuple[str, ...]:
        """承诺内容."""
        me = self.me
        return (
            f"{me}提交的信用修复申请材料真实、准确、完整、有效，不存在隐瞒事实、"
            "提供虚假材料等情形；",
            f"{me}已纠正失信行为，已全面履行上述决定所确定的法定责任和义务；",
            f"{me}将严格遵守法律法规，诚信守法，不再发生同类违法失信行为；",
            f"{me}自愿接受有关部门和社会公众的监督，配合信用修复的核查工作。",
        )

    @property
    def liability(self) -> str:
        """违诺责任."""
        me = self.me
        return (
            f"如违反上述承诺或提供虚假材料，{me}自愿承担相应法律责任，同意撤销信用修复决定，"
            "相关失信信息按最长公示期限予以公示，承诺履行情况记入信用记录，"
            "并依法依规接受失信惩戒。"
        )

    @property
    def filename(self) -> str:
        return _file_name(COMMITMENT_TITLE, self.doc_number)


def repair_commitment(
    *,
    subject_name: str,
    subject_code: str | None,
    authority: str,
    doc_number: str,
    item_name: str,
    signatory: str,
    signed_on: dt.date,
    decision_date: dt.date | None = None,
    natural_person: bool = False,
) -> CommitmentLetter:
    """The commitment a repair applicant signs; ValidationFailed (field ``signatory``)
    without a signatory's name or with one longer than 50 characters."""
    name = " ".join(signatory.split())
    if not name:
        raise ValidationFailed.one(
            "signatory", "请填写承诺人（签署人）姓名", "the signatory's name is required"
        )
    if len(name) > SIGNATORY_MAX:
        raise ValidationFailed.one(
            "signatory",
            f"签署人姓名不能超过 {SIGNATORY_MAX} 个字符",
            f"signatory must have at most {SIGNATORY_MAX} characters",
        )
    return CommitmentLetter(
        subject_name=subject_name,
        subject_code=subject_code,
        natural_person=natural_person,
        authority=authority,
        doc_number=doc_number,
        item_name=item_name,
        decision_date=decision_date,
        signatory=name,
        signed_on=signed_on,
    )


def commitment_for_record(
    catalog: Catalog,
    record: CreditRecord,
    subject: Subject,
    authority_name: str,
    *,
    signatory: str,
    signed_on: dt.date,
) -> CommitmentLetter:
    """``repair_commitment`` about a stored record and its subject."""
    natural = subject.kind == SubjectKind.natural_person
    facts = subject_facts(subject, None, kind=subject.kind, masked_id=subject.id_masked)
    return repair_commitment(
        subject_name=_public_name(catalog, record, subject),
        subject_code=facts.code,
        authority=authority_name,
        doc_number=record.doc_number,
        item_name=catalog.item(record.item_code).name,
        signatory=signatory,
        signed_on=signed_on,
        decision_date=record.decision_date,
        natural_person=natural,
    )


def commitment_text(letter: CommitmentLetter) -> str:
    """The commitment as plain text, stored verbatim with a repair application."""
    code_label = "证件号码" if letter.natural_person else "统一社会信用代码"
    lines = [
        COMMITMENT_TITLE,
        "",
        f"承诺人：{letter.subject_name}",
        f"{code_label}：{letter.subject_code or '（无）'}",
        f"承诺类型：{COMMITMENT_TYPE}",
        f"承诺事由：{letter.reason}。",
        "",
        f"{letter.me}郑重承诺：",
        *(f"{n}、{p}" for n, p in zip("一二三四五六", letter.promises, strict=False)),
        "",
        f"违诺责任：{letter.liability}",
        "",
        f"承诺人：{letter.subject_name}",
        f"签署人：{letter.signatory}",
        f"日期：{cn_date(letter.signed_on)}",
    ]
    return "\n".join(lines) + "\n"


# -- HTML ----------------------------------------------------------------------------------


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("xinyong", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cn_date"] = cn_date
    return env


_ENV = _environment()


def render_reminder_html(letter: ReminderLetter) -> str:
    """The reminder as a standalone printable A4 page (also the PDF's source)."""
    return _ENV.get_template("letters/repair_reminder.html").render(
        letter=letter, title=REMINDER_TITLE, policy=POLICY
    )


def render_commitment_html(letter: CommitmentLetter) -> str:
    """The commitment as a standalone printable A4 page."""
    return _ENV.get_template("letters/repair_commitment.html").render(
        letter=letter, title=COMMITMENT_TITLE, commitment_type=COMMITMENT_TYPE
    )
