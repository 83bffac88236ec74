"""pynamodb models, one table each, named ``<TABLE_PREFIX><name>`` for the current stage."""

from chalicelib.models.audit import AuditEvent
from chalicelib.models.groups import Group
from chalicelib.models.identities import Identity
from chalicelib.models.security import (
    AuthnRequestRecord,
    ConfirmationToken,
    RateCounter,
    SeenAssertion,
)
from chalicelib.models.sessions import Session
from chalicelib.models.uniques import UniqueClaim
from chalicelib.models.users import User

# One model per table: what provisioning creates (the other security models share a table).
TABLE_MODELS = (Group, User, Identity, Session, AuthnRequestRecord, UniqueClaim, AuditEvent)

__all__ = [
    "TABLE_MODELS",
    "AuditEvent",
    "AuthnRequestRecord",
    "ConfirmationToken",
    "Group",
    "Identity",
    "RateCounter",
    "SeenAssertion",
    "Session",
    "UniqueClaim",
    "User",
]
