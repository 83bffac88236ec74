"""Stage-aware table names for pynamodb models.

pynamodb reads ``Meta.table_name`` whenever it needs a connection and reconnects when the
name changes, so a metaclass property lets each model follow the stage's ``TABLE_PREFIX``
at call time (test client, Lambda and CLI alike) instead of freezing it at import.
"""

from __future__ import annotations

from typing import Any

from chalicelib.config import settings


class _StageMeta(type):
    base_name: str

    @property
    def table_name(cls) -> str:
        return settings().table_name(cls.base_name)

    @property
    def region(cls) -> str:
        return settings().region


def stage_meta(base_name: str, **extra: Any) -> type:
    """A pynamodb ``Meta`` class whose table name follows the current stage."""
    attrs = {"base_name": base_name, "billing_mode": "PAY_PER_REQUEST", **extra}
    return _StageMeta("Meta", (), attrs)


_connections: dict[str, Any] = {}


def transact_write() -> Any:
    """A ``TransactWrite`` over a connection reused across calls (clients are costly)."""
    from pynamodb.connection import Connection
    from pynamodb.transactions import TransactWrite

    region = settings().region
    if region not in _connections:
        _connections[region] = Connection(region=region)
    return TransactWrite(connection=_connections[region])
