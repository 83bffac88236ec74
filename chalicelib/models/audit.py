"""The audit trail: one item per security-relevant event, queried per group in time order."""

from __future__ import annotations

from pynamodb.attributes import MapAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.models.base import stage_meta

NO_GROUP = "-"


class AuditEvent(Model):
    Meta = stage_meta("audit")

    group_slug = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)  # "<ISO time>#<random>" keeps time order
    at = UTCDateTimeAttribute()
    event = UnicodeAttribute()  # e.g. "login.password", "saml.acs", "user.created"
    outcome = UnicodeAttribute()  # "success", "failure", "denied"
    reason = UnicodeAttribute(null=True)
    actor = UnicodeAttribute(null=True)
    client_ip = UnicodeAttribute(null=True)
    details = MapAttribute(default=dict)
