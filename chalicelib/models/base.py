"""Stage-aware table names for pynamodb models.

pynamodb reads ``Meta.table_name`` whenever it needs a connection and reconnects when the
name changes, so a metaclass property lets each model follow the stage's ``TABLE_PREFIX``
at call time (test client, Lambda and CLI alike) instead of freezing it at import.
"""

from __future__ import annotations

import time
from collections.abc import Callable
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


TRANSACTION_ATTEMPTS = 3
CONDITION_FAILED = "ConditionalCheckFailed"
TRANSACTION_CONFLICT = "TransactionConflict"
BUSY = "Someone else is changing the same records right now; try again in a moment."


def cancellation_codes(exc: Any) -> list[str | None]:
    """Why DynamoDB cancelled a transaction, one code per item (None: that item was fine)."""
    return [reason.code if reason else None for reason in exc.cancellation_reasons or []]


def write_transaction(build: Callable[[Any], None]) -> None:
    """Run ``build(tx)`` as one transaction.

    DynamoDB cancels a transaction that meets another one on the same item
    (``TransactionConflict``) even when every condition holds; that is retried briefly and,
    if it persists, refused as ``Busy``. A failed condition is left to the caller to word:
    the ``TransactWriteError`` propagates with its cancellation reasons.
    """
    from pynamodb.exceptions import TransactWriteError

    from chalicelib.errors import Busy

    for attempt in range(TRANSACTION_ATTEMPTS):
        try:
            with transact_write() as tx:
                build(tx)
            return
        except TransactWriteError as exc:
            codes = cancellation_codes(exc)
            if TRANSACTION_CONFLICT not in codes or CONDITION_FAILED in codes:
                raise
            if attempt + 1 == TRANSACTION_ATTEMPTS:
                raise Busy(BUSY) from None
            time.sleep(0.02 * 2**attempt)
