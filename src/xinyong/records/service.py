"""Reporting, correcting and revoking credit records.

One function takes a department's values for one decision through the catalog's
checks, the subject register and the rule sets, and stores it: new, unchanged
(identical resend), or corrected (changed resend, previous state in the audit
trail). Departments may only write their own decisions.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts.models import Organisation
from xinyong.accounts.rules import require_own_org
from xinyong.actors import Actor
from xinyong.audit.service import jsonable, record_event
from xinyong.catalog.loader import Catalog, CatalogItem
from xinyong.catalog.rules import CodeChecker, seal_personal, validate_values
from xinyong.codes.rules import normalize_code
from xinyong.codes.service import check_code_with_exceptions
from xinyong.errors import NotFound, Problem, ValidationFailed
from xinyong.privacy.crypto import DataVault
from xinyong.records.models import CreditRecord
from xinyong.rulesets.loader import RuleBook
from xinyong.rulesets.rules import compute_periods, require_severity
from xinyong.subjects.service import SubjectFacts, ensure_subject

Outcome = Literal["created", "updated", "unchanged"]


@dataclass
class ReportResult:
    record: CreditRecord
    outcome: Outcome
    warnings: list[Problem] = field(default_factory=list)


def _code_checkers(session: Session) -> dict[str, CodeChecker]:
    """One checker per identifier scheme the catalog declares, honouring the exception
    register (legacy pilot codes)."""

    def for_scheme(scheme: str) -> CodeChecker:
        def check(code: str) -> tuple[list[Problem], list[Problem]]:
            kind = scheme
            if scheme == "ric" and len(normalize_code(code)) == 15:
                kind = "ric15"  # legacy 15-digit ID numbers are still valid identifiers
            result = check_code_with_exceptions(session, code, kind)
            return result.errors, result.warnings

        return check

    return {scheme: for_scheme(scheme) for scheme in ("uscc", "org_code", "regno", "ric")}


def _subject_facts(item: CatalogItem, values: Mapping[str, Any]) -> SubjectFacts:
    def pick(role: str) -> Any:
        code = item.subject_fields.get(role)
        return values.get(code) if code else None

    return SubjectFacts(
        name=str(pick("name") or ""),
        category=pick("category"),
        uscc=pick("uscc"),
        regno=pick("regno"),
        org_code=pick("org_code"),
        id_number=pick("id_number"),
        district=pick("district"),
        industry=pick("industry"),
        status=pick("status"),
        legal_rep=pick("legal_rep"),
        registered_capital=pick("registered_capital"),
        capital_currency=pick("capital_currency"),
        registered_on=pick("registered_on"),
        address=pick("address"),
        business_scope=pick("business_scope"),
    )


def _fingerprint(vault: DataVault, values: Mapping[str, Any]) -> str:
    blob = orjson.dumps(jsonable(dict(values)), option=orjson.OPT_SORT_KEYS).decode()
    return vault.lookup_hash("record", blob)


def _org(session: Session, uscc: str, field_code: str) -> Organisation:
    org = session.execute(
        select(Organisation).where(Organisation.uscc == uscc)
    ).scalar_one_or_none()
    if org is None:
        raise NotFound(
            f"{field_code}：单位 {uscc} 尚未在平台登记，请联系信用办",
            f"{field_code}: organisation {uscc} is not registered",
            field=field_code,
        )
    return org


def report_record(
    session: Session,
    *,
    actor: Actor,
    catalog: Catalog,
    rulebook: RuleBook,
    vault: DataVault,
    item_code: str,
    raw: Mapping[str, Any],
    today: dt.date,
    reason: str | None = None,
) -> ReportResult:
    """Validate and store one reported decision; raises ``ValidationFailed`` naming fields."""
    item = catalog.item(item_code)
    checked = validate_values(item, raw, today=today, code_checker=_code_checkers(session))
    errors = [p for p in checked.problems if p.level == "error"]
    if errors:
        raise ValidationFailed.from_problems(checked.problems)
    warnings = [p for p in checked.problems if p.level == "warning"]
    values = checked.values

    authority_field = item.authority_code_field
    authority = str(values[authority_field])
    require_own_org(actor, authority, field=authority_field)
    org = _org(session, authority, authority_field)

    sealed = seal_personal(item, values, vault)
    facts = _subject_facts(item, values)
    subject, subject_warnings = ensure_subject(
        session,
        actor=actor,
        vault=vault,
        facts=facts,
        registration=item.code == "djzc",
        skip_code_check=True,
    )
    warnings.extend(subject_warnings)

    decision_date = values.get(item.decision_date_field)
    if not isinstance(decision_date, dt.date):
        raise ValidationFailed.one(
            item.decision_date_field, "缺少决定日期", "decision date missing"
        )
    doc_number = "|".join(str(values.get(k, "")) for k in item.key_fields if k != authority_field)

    severity = None
    periods: dict[str, Any] = {
        "rule_set_id": None,
        "publication_start": None,
        "earliest_repair": None,
        "auto_withdraw": None,
        "repairable": None,
    }
    if item.rule_family != "none":
        severity = require_severity(
            str(values.get(item.severity_field or "", "") or item.default_severity or "一般")
        )
        penalty_types = values.get(item.penalty_types_field or "", []) or []
        if isinstance(penalty_types, str):
            penalty_types = [penalty_types]
        answer = compute_periods(
            rulebook,
            family=item.rule_family,
            severity=severity,
            decided=decision_date,
            sector=org.sector,
            penalty_types=penalty_types,
        )
        periods = {
            "rule_set_id": answer.rule_set_id,
            "publication_start": answer.publication_start,
            "earliest_repair": answer.earliest_repair,
            "auto_withdraw": answer.auto_withdraw,
            "repairable": answer.repairable,
        }

    fingerprint = _fingerprint(vault, values)
    existing = session.execute(
        select(CreditRecord).where(
            CreditRecord.item_code == item.code,
            CreditRecord.authority_code == authority,
            CreditRecord.doc_number == doc_number,
        )
    ).scalar_one_or_none()

    state = {
        "subject_id": subject.id,
        "org_id": org.id,
        "catalog_version": catalog.version,
        "decision_date": decision_date,
        "severity": severity,
        "sector": org.sector,
        "values": jsonable(sealed.clear) or {},
        "masked": jsonable(sealed.masked) or {},
        "sealed": sealed.sealed,
        "fingerprint": fingerprint,
        **periods,
    }
    if existing is None:
        record = CreditRecord(
            item_code=item.code, authority_code=authority, doc_number=doc_number, **state
        )
        session.add(record)
        session.flush()
        record_event(
            session,
            actor=actor,
            action="record.create",
            entity_type="record",
            entity_id=record.id,
            after=public_state(record),
            reason=reason,
        )
        return ReportResult(record, "created", warnings)
    if existing.fingerprint == fingerprint and existing.status == "active":
        return ReportResult(existing, "unchanged", warnings)
    before = public_state(existing)
    for key, value in state.items():
        setattr(existing, key, value)
    existing.status = "active"
    existing.version += 1
    session.flush()
    record_event(
        session,
        actor=actor,
        action="record.correct",
        entity_type="record",
        entity_id=existing.id,
        before=before,
        after=public_state(existing),
        reason=reason or "部门重新报送（更正）",
    )
    return ReportResult(existing, "updated", warnings)


def public_state(record: CreditRecord) -> dict[str, Any]:
    """A record's audited state: clear values and masked personal values, never sealed ones."""
    return {
        "item_code": record.item_code,
        "authority_code": record.authority_code,
        "doc_number": record.doc_number,
        "decision_date": record.decision_date,
        "status": record.status,
        "version": record.version,
        "severity": record.severity,
        "values": record.values,
        "masked": record.masked,
        "rule_set_id": record.rule_set_id,
        "earliest_repair": record.earliest_repair,
        "auto_withdraw": record.auto_withdraw,
    }


def revoke_record(
    session: Session,
    *,
    actor: Actor,
    record_id: uuid.UUID,
    reason: str,
    legal_basis: str | None = None,
) -> CreditRecord:
    """Revoke (撤销) a record, e.g. after reconsideration; it is kept for the audit."""
    record = session.get(CreditRecord, record_id)
    if record is None:
        raise NotFound("未找到该信用记录", f"record {record_id} not found")
    require_own_org(actor, record.authority_code, field="authority_code")
    if not reason.strip():
        raise ValidationFailed.one("reason", "撤销须说明理由", "a reason is required to revoke")
    if record.status == "revoked":
        return record
    before = public_state(record)
    record.status = "revoked"
    session.flush()
    record_event(
        session,
        actor=actor,
        action="record.revoke",
        entity_type="record",
        entity_id=record.id,
        before=before,
        after=public_state(record),
        reason=reason,
        legal_basis=legal_basis,
    )
    return record
