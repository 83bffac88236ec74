"""Errors a person can act on: each carries the sentence to show them."""

from __future__ import annotations


class ServiceError(Exception):
    """A refused operation; ``message`` is safe to show and says what to do."""

    status = 400
    code = "invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Busy(Conflict):
    """DynamoDB kept cancelling a transaction for another one on the same items."""

    code = "busy"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class TooManyAttempts(ServiceError):
    status = 429
    code = "rate_limited"
