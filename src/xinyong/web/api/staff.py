"""Staff API: login tokens, who am I, the audit trail."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query

from xinyong.accounts.rules import require_role
from xinyong.accounts.service import authenticate, issue_session_token
from xinyong.audit.models import AuditEvent
from xinyong.audit.service import events_for, verify_chain
from xinyong.web.deps import CurrentActor, RuntimeDep, SessionDep

router = APIRouter(prefix="/api/v1", tags=["工作人员 staff"])


@router.post("/auth/token", summary="工作人员登录，获取令牌")
def token(
    session: SessionDep,
    rt: RuntimeDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> dict[str, Any]:
    """OAuth2 password-style login; use the token as ``Authorization: Bearer …``."""
    actor = authenticate(session, username=username, password=password)
    return {"access_token": issue_session_token(rt.settings, actor), "token_type": "bearer"}


@router.get("/me", summary="当前身份")
def me(actor: CurrentActor) -> dict[str, Any]:
    return {
        "kind": actor.kind,
        "name": actor.name,
        "org_uscc": actor.org_uscc,
        "roles": sorted(actor.roles),
    }


def _event(e: AuditEvent) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": e.at.isoformat(),
        "actor": e.actor,
        "actor_org": e.actor_org,
        "action": e.action,
        "entity_type": e.entity_type,
        "entity_id": e.entity_id,
        "before": e.before,
        "after": e.after,
        "reason": e.reason,
        "legal_basis": e.legal_basis,
        "hash": e.hash,
    }


@router.get("/audit/events", summary="审计记录（按对象）")
def audit_events(
    session: SessionDep,
    actor: CurrentActor,
    entity_type: Annotated[str, Query(max_length=60)],
    entity_id: Annotated[str, Query(max_length=80)],
) -> dict[str, Any]:
    require_role(actor, "auditor", "office_admin")
    return {"events": [_event(e) for e in events_for(session, entity_type, entity_id)]}


@router.get("/audit/verify", summary="校验审计链")
def audit_verify(session: SessionDep, actor: CurrentActor) -> dict[str, Any]:
    require_role(actor, "auditor", "office_admin")
    return verify_chain(session).as_dict()
