"""Writes the audit trail (SPEC §4 item 12)."""

from __future__ import annotations

import secrets
from typing import Any

from chalicelib.clock import now
from chalicelib.models.audit import NO_GROUP, AuditEvent


def build_event(
    event: str,
    outcome: str,
    *,
    group_slug: str | None = None,
    reason: str | None = None,
    actor: str | None = None,
    client_ip: str | None = None,
    **details: Any,
) -> AuditEvent:
    at = now()
    return AuditEvent(
        group_slug or NO_GROUP,
        f"{at.isoformat()}#{secrets.token_hex(4)}",
        at=at,
        event=event,
        outcome=outcome,
        reason=reason,
        actor=actor,
        client_ip=client_ip,
        details={k: v for k, v in details.items() if v is not None},
    )


def record(event: str, outcome: str, **fields: Any) -> AuditEvent:
    item = build_event(event, outcome, **fields)
    item.save()
    return item


def for_group(group_slug: str, limit: int = 100) -> list[AuditEvent]:
    return list(AuditEvent.query(group_slug, scan_index_forward=False, limit=limit))
