"""The plaintext API key is stored nowhere: not in any table, not in the audit trail."""

from __future__ import annotations

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts.models import ApiKey
from xinyong.accounts.service import (
    authenticate_api_key,
    create_api_key,
    create_organisation,
    revoke_api_key,
)
from xinyong.actors import Actor
from xinyong.audit.models import AuditEvent
from xinyong.config import Settings
from xinyong.db import Base

SYSTEM = Actor.system()
DEPT_USCC = "121200004013590816"


def test_plaintext_key_is_nowhere_in_the_database(session: Session, settings: Settings) -> None:
    create_organisation(
        session,
        actor=SYSTEM,
        name="某市生态环境局",
        uscc=DEPT_USCC,
        kind="department",
        sector="生态环境",
    )
    key, plaintext = create_api_key(
        session, actor=SYSTEM, settings=settings, org_uscc=DEPT_USCC, label="环境处罚报送"
    )
    authenticate_api_key(session, settings=settings, key=plaintext)
    revoke_api_key(session, actor=SYSTEM, key_id=key.id)
    session.flush()

    stored = session.execute(select(ApiKey).where(ApiKey.id == key.id)).scalar_one()
    assert stored.key_hmac != plaintext and len(stored.key_hmac) == 64
    secret_part = plaintext[len(stored.prefix) :]

    audit_rows = list(session.execute(select(AuditEvent)).scalars())
    assert {r.action for r in audit_rows} >= {"apikey.create", "apikey.revoke"}
    for row in audit_rows:
        blob = orjson.dumps([row.actor, row.entity_id, row.before, row.after, row.reason]).decode()
        assert plaintext not in blob and secret_part not in blob
        assert stored.key_hmac not in blob

    for table in Base.metadata.sorted_tables:
        for values in session.execute(select(table)).all():
            text = " ".join(str(v) for v in values)
            assert plaintext not in text, table.name
            assert secret_part not in text, table.name
