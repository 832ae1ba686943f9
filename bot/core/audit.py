"""Write entries to the audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from models import AuditEntry

CLI_ACTOR = "cli"
SCAN_ACTOR = "scan"  # the detection scan and the samples it captures


def record(
    *,
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one audit entry to the session (committed with the write it describes)."""
    entry = AuditEntry(
        actor=actor, action=action, entity=entity, entity_id=entity_id, before=before, after=after
    )
    session.add(entry)
    return entry
