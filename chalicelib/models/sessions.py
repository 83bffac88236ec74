"""Server-side sessions, keyed by the SHA-256 of the cookie's token (never the token)."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.models.base import stage_meta


class SessionsByUser(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-user"
        projection = KeysOnlyProjection()

    username = UnicodeAttribute(hash_key=True)


class Session(Model):
    Meta = stage_meta("sessions")

    token_hash = UnicodeAttribute(hash_key=True)
    username = UnicodeAttribute()
    group_slug = UnicodeAttribute()
    role = UnicodeAttribute()
    method = UnicodeAttribute()  # "password" or "saml"
    name_id = UnicodeAttribute(null=True)  # the IdP's NameID, for single logout
    created_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()
    revoked = BooleanAttribute(default=False)

    by_user = SessionsByUser()
