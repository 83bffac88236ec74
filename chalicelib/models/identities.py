"""SSO identities: (group, IdP subject) and what became of them (pending, linked, rejected)."""

from __future__ import annotations

from pynamodb.attributes import MapAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models.base import stage_meta

STATUSES = ("pending", "linked", "rejected")


def group_status_key(group_slug: str, status: str) -> str:
    return f"{group_slug}#{status}"


class IdentitiesByGroupStatus(GlobalSecondaryIndex):
    """Lists one group's requests in one status, oldest first, whatever other groups hold."""

    class Meta:
        index_name = "by-group-status"
        projection = AllProjection()

    group_status = UnicodeAttribute(hash_key=True)
    requested_at = UTCDateTimeAttribute(range_key=True)


class AssertedAttributes(MapAttribute):
    unique_id = UnicodeAttribute(default="")
    username = UnicodeAttribute(default="")
    first_name = UnicodeAttribute(default="")
    last_name = UnicodeAttribute(default="")
    phone = UnicodeAttribute(default="")
    email = UnicodeAttribute(default="")


class Identity(Model):
    Meta = stage_meta("identities")

    group_slug = UnicodeAttribute(hash_key=True)
    subject = UnicodeAttribute(range_key=True)
    status = UnicodeAttribute()
    group_status = UnicodeAttribute()
    asserted = AssertedAttributes(default=AssertedAttributes)
    requested_at = UTCDateTimeAttribute()
    linked_username = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    decided_at = UTCDateTimeAttribute(null=True)

    by_group_status = IdentitiesByGroupStatus()
