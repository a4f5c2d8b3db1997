"""Pure rules of the public website (信用网站): what a public surface may show of a
subject and of a published record, in which section, masked as the catalog says.

Everything public goes through these functions, so the HTML pages, the JSON API and
any export show the same fields with the same masking:

- a record shows only fields the catalog marks ``public``; personal values only in
  their masked form (``CreditRecord.masked``), hidden ones not at all;
- a natural person shows only a name and a masked ID number, never an address or a
  phone number;
- an organisation or individual business shows its registration facts by the roles
  of the registration item (``djzc``), each field as the catalog allows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from xinyong.catalog.rules import is_personal
from xinyong.catalog.schema import CatalogItem, FieldSpec
from xinyong.codes.rules import district_name
from xinyong.subjects.rules import KIND_LABELS, SubjectKind

# The item that carries registration facts (登记注册基本信息): the subject's basic
# information, not a section of decisions.
REGISTRATION_ITEM = "djzc"
# The item whose entries are lists (名单): shown with legal basis and exit conditions.
LIST_ITEM = "yzsx"
# Sections of a credit file in the order citizens expect (信用中国's layout): items in
# this order first, any other public item after them in catalog order.
SECTION_ORDER = ("xzxk", "xzcf", LIST_ITEM, "xzqr", "xzjl", "xzjc")
# Sections whose issues are not built yet: shown empty rather than left out, so a
# reader knows the file was searched for them.
PENDING_SECTIONS = (("commitments", "信用承诺"), ("evaluations", "信用评价"))
EMPTY_TEXT = "查询期内无相关信息"
# Sections of the national economy (国民经济行业分类 GB/T 4754-2017, 门类 A–T): the
# industry filter of the list pages.
INDUSTRY_SECTIONS = (
    "农、林、牧、渔业",
    "采矿业",
    "制造业",
    "电力、热力、燃气及水生产和供应业",
    "建筑业",
    "批发和零售业",
    "交通运输、仓储和邮政业",
    "住宿和餐饮业",
    "信息传输、软件和信息技术服务业",
    "金融业",
    "房地产业",
    "租赁和商务服务业",
    "科学研究和技术服务业",
    "水利、环境和公共设施管理业",
    "居民服务、修理和其他服务业",
    "教育",
    "卫生和社会工作",
    "文化、体育和娱乐业",
    "公共管理、社会保障和社会组织",
    "国际组织",
)

# Facts of a subject by the registration item's role, in display order.
_SUBJECT_ROLES = (
    "enterprise_type",
    "legal_rep",
    "registered_capital",
    "registered_on",
    "status",
    "address",
    "business_scope",
)
# Roles whose value the subject table keeps (Subject attribute by role).
_SUBJECT_ATTRS = {
    "legal_rep": "legal_rep",
    "registered_capital": "registered_capital",
    "registered_on": "registered_on",
    "status": "status",
    "address": "address",
    "business_scope": "business_scope",
}


@dataclass(frozen=True)
class PublicField:
    """One shown value: its catalog code, Chinese label, display text and the value
    as the national layout writes it (``raw``: enumeration code, bare amount)."""

    code: str
    label: str
    value: str
    raw: Any = None


@dataclass(frozen=True)
class SubjectFacts:
    """What the public may see of a subject."""

    name: str
    kind: str
    kind_label: str
    code: str | None  # USCC, else registration number, else a masked ID number
    code_label: str
    district: str | None
    district_name: str | None
    industry: str | None
    status: str | None
    facts: list[PublicField] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "kind_label": self.kind_label,
            "code": self.code,
            "code_label": self.code_label,
            "district": self.district,
            "district_name": self.district_name,
            "industry": self.industry,
            "status": self.status,
            "facts": {f.code: f.value for f in self.facts},
        }


def display(value: Any) -> str:
    """A JSON value as shown on a page: lists joined with 、, amounts without noise."""
    if isinstance(value, list):
        return "、".join(display(v) for v in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def subject_facts(
    subject: Any, registration: CatalogItem | None, *, kind: str, masked_id: str | None
) -> SubjectFacts:
    """The public facts of ``subject`` (a Subject row or anything with its attributes).

    A natural person shows a name and a masked ID number only. Others show the
    registration facts whose field the catalog marks public; a personal field (a
    condition on the subject category) is shown in its masked form or not at all.
    """
    label = next((v for k, v in KIND_LABELS.items() if k.value == kind), kind)
    if kind == SubjectKind.natural_person:
        return SubjectFacts(
            name=subject.name,
            kind=kind,
            kind_label=label,
            code=masked_id,
            code_label="证件号码",
            district=None,
            district_name=None,
            industry=None,
            status=None,
        )
    facts: list[PublicField] = []
    if registration is not None:
        roles = registration.subject_fields
        category_code = roles.get("category")
        values: dict[str, Any] = {category_code: label} if category_code else {}
        for role in _SUBJECT_ROLES:
            code = roles.get(role)
            attr = _SUBJECT_ATTRS.get(role)
            if code is None or attr is None:
                continue
            value = getattr(subject, attr, None)
            if value is None or value == "":
                continue
            spec = registration.field(code)
            if not spec.public:
                continue
            text = _subject_value(role, value, subject)
            if is_personal(spec, {**values, code: text}):
                shown = spec.mask_rule().apply(text)
                if shown is None:
                    continue
                text = shown
            facts.append(PublicField(code, _role_label(role, kind, spec.name), text, text))
    code = subject.uscc or subject.regno
    return SubjectFacts(
        name=subject.name,
        kind=kind,
        kind_label=label,
        code=code,
        code_label="统一社会信用代码" if subject.uscc else "注册号",
        district=subject.district,
        district_name=district_name(subject.district),
        industry=subject.industry,
        status=subject.status,
        facts=facts,
    )


def _subject_value(role: str, value: Any, subject: Any) -> str:
    if role == "registered_capital":
        currency = getattr(subject, "capital_currency", None) or "人民币"
        return f"{format(value.normalize(), 'f')} 万元{currency}"
    return display(value)


def _role_label(role: str, kind: str, default: str) -> str:
    if role == "legal_rep" and kind == SubjectKind.individual_business:
        return "经营者"
    return default


def record_fields(
    item: CatalogItem, values: Mapping[str, Any], masked: Mapping[str, Any]
) -> list[PublicField]:
    """The public fields of a stored record, in catalog order: clear values of public
    fields, personal ones only as stored masked (hidden ones are never stored masked)."""
    shown: list[PublicField] = []
    for spec in item.fields:
        if not spec.public:
            continue
        if spec.code in masked:
            value = masked[spec.code]
        elif spec.personal is True:
            continue  # personal but not masked: hidden, never shown
        else:
            value = values.get(spec.code)
        if value is None or value == "" or value == []:
            continue
        shown.append(PublicField(spec.code, spec.name, _field_text(spec, value), value))
    return shown


def _field_text(spec: FieldSpec, value: Any) -> str:
    """An enumeration code as its label (``1`` → 正常), an amount with its unit."""
    if spec.enum:
        labels = {o.value: o.label for o in spec.enum if o.label}
        if labels:
            values = value if isinstance(value, list) else [value]
            return "、".join(labels.get(str(v), display(v)) for v in values)
    text = display(value)
    if spec.unit and spec.type in ("decimal", "integer"):
        return f"{text} {spec.unit}"
    return text


def section_order(items: list[CatalogItem]) -> list[CatalogItem]:
    """Public items (without the registration item) in credit-file order."""
    public = [i for i in items if i.disclosure == "public" and i.code != REGISTRATION_ITEM]
    rank = {code: n for n, code in enumerate(SECTION_ORDER)}
    return sorted(public, key=lambda i: (rank.get(i.code, len(rank)), items.index(i)))


def section_title(item: CatalogItem) -> str:
    """The heading of an item's section (名单 for the list item)."""
    return "失信名单" if item.code == LIST_ITEM else item.name
