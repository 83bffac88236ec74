"""Practice groups and the IdP settings each one keeps."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.models import Model

from chalicelib.models.base import stage_meta


class AttributeMapping(MapAttribute):
    """Which asserted SAML attribute feeds which field (NameID when ``unique_id`` is empty)."""

    unique_id = UnicodeAttribute(null=True)
    username = UnicodeAttribute(null=True)
    first_name = UnicodeAttribute(null=True)
    last_name = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)


class IdpSettings(MapAttribute):
    entity_id = UnicodeAttribute()
    sso_url = UnicodeAttribute()
    slo_url = UnicodeAttribute(null=True)
    # Base64 DER bodies; several at once so an IdP can roll its signing key over.
    certificates = ListAttribute(of=UnicodeAttribute, default=list)
    name_id_format = UnicodeAttribute(
        default="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
    )
    attribute_mapping = AttributeMapping(default=AttributeMapping)
    clock_skew_seconds = NumberAttribute(default=120)
    allow_idp_initiated = BooleanAttribute(default=False)
    sign_requests = BooleanAttribute(default=False)
    # Publish our encryption key in SP metadata and refuse assertions sent in the clear.
    want_encrypted_assertions = BooleanAttribute(default=False)
    metadata_url = UnicodeAttribute(null=True)


class Group(Model):
    Meta = stage_meta("groups")

    slug = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    idp = IdpSettings(null=True)
    email_domains = ListAttribute(of=UnicodeAttribute, default=list)
    force_sso = BooleanAttribute(default=False)
    force_sso_by = UnicodeAttribute(null=True)
    force_sso_at = UTCDateTimeAttribute(null=True)
    force_sso_reason = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
