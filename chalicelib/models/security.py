"""Short-lived security bookkeeping, all in one table keyed by ``pk`` with a DynamoDB TTL.

Each item kind has its own key prefix so the kinds never collide:
``authn#<request id>``, ``assertion#<group>#<assertion id>``, ``confirm#<token hash>``,
``rl#<scope>#<value>#<window>``.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.models.base import stage_meta
from chalicelib.models.identities import AssertedAttributes


class AuthnRequestRecord(Model):
    """An AuthnRequest this service issued; deleted (conditionally) when answered."""

    Meta = stage_meta("security")

    pk = UnicodeAttribute(hash_key=True)
    group_slug = UnicodeAttribute()
    relay_state = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()

    @staticmethod
    def key(request_id: str) -> str:
        return f"authn#{request_id}"


class SeenAssertion(Model):
    """An assertion ID already accepted; kept until past its NotOnOrAfter."""

    Meta = stage_meta("security")

    pk = UnicodeAttribute(hash_key=True)
    expires_at = TTLAttribute()

    @staticmethod
    def key(group_slug: str, assertion_id: str) -> str:
        return f"assertion#{group_slug}#{assertion_id}"


class ConfirmationToken(Model):
    """Binds the Confirm page to a validated assertion, server side; used once."""

    Meta = stage_meta("security")

    pk = UnicodeAttribute(hash_key=True)
    group_slug = UnicodeAttribute()
    subject = UnicodeAttribute()
    asserted = AssertedAttributes(default=AssertedAttributes)
    expires_at = TTLAttribute()

    @staticmethod
    def key(token_hash: str) -> str:
        return f"confirm#{token_hash}"


class RateCounter(Model):
    """Failed attempts for one user or client address within one fixed window."""

    Meta = stage_meta("security")

    pk = UnicodeAttribute(hash_key=True)
    count = NumberAttribute(default=0)
    expires_at = TTLAttribute()
