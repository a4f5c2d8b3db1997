"""Recording the catalog in force: a new row only when its content changes."""

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.actors import Actor
from xinyong.audit.models import AuditEvent
from xinyong.catalog.loader import catalog_from_content, load_catalog
from xinyong.catalog.models import CatalogVersion
from xinyong.catalog.service import current_version, sync_catalog

EXTENSION = """
version: xm-1
items:
  - extends: xzcf
    add_fields:
      - {code: CF_XM_AJBH, name: 案件编号, type: string, max_length: 64}
"""


def _loads(session: Session) -> list[AuditEvent]:
    return list(
        session.execute(
            select(AuditEvent).where(AuditEvent.action == "catalog.load").order_by(AuditEvent.seq)
        ).scalars()
    )


def test_sync_is_idempotent(session: Session) -> None:
    actor = Actor.system("init")
    catalog = load_catalog()
    assert current_version(session) is None
    first = sync_catalog(session, actor=actor, catalog=catalog)
    again = sync_catalog(session, actor=actor, catalog=load_catalog())
    assert again.id == first.id
    assert session.scalar(select(func.count()).select_from(CatalogVersion)) == 1
    events = _loads(session)
    assert len(events) == 1
    assert events[0].after is not None
    assert events[0].after["version"] == "2024.1"
    assert events[0].after["items_added"] == sorted(catalog.items)
    assert events[0].legal_basis == "全国公共信用信息基础目录(2024年版)"
    stored = session.get(CatalogVersion, first.id)
    assert stored is not None and stored.sha256 == catalog.sha256
    assert stored.loaded_by == "system:init"
    assert catalog_from_content(stored.content).sha256 == catalog.sha256


def test_changed_catalog_is_a_new_version_naming_changed_items(
    session: Session, tmp_path: Path
) -> None:
    actor = Actor.system("init")
    national = load_catalog()
    first = sync_catalog(session, actor=actor, catalog=national)
    extra = tmp_path / "xm.yaml"
    extra.write_text(EXTENSION, encoding="utf-8")
    local = load_catalog([extra])
    second = sync_catalog(session, actor=actor, catalog=local)
    assert second.id != first.id
    assert second.version == "2024.1+xm-1"
    current = current_version(session)
    assert current is not None and current.id == second.id
    event = _loads(session)[-1]
    assert event.after is not None and event.before is not None
    assert event.after["items_changed"] == ["xzcf"]
    assert event.after["items_added"] == [] and event.after["items_removed"] == []
    assert event.before["sha256"] == national.sha256
    assert event.entity_id == str(second.id)

    # going back to the national catalog reuses its row and is audited
    back = sync_catalog(session, actor=actor, catalog=national)
    assert back.id == first.id
    current = current_version(session)
    assert current is not None and current.id == first.id
    assert session.scalar(select(func.count()).select_from(CatalogVersion)) == 2
    last = _loads(session)[-1]
    assert last.after is not None and last.after["reactivated"] is True
    assert last.after["items_changed"] == ["xzcf"]
