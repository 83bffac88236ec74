"""Users of the practice-management application; the username is the key, unique per stage."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models.base import stage_meta

ROLES = ("admin", "staff", "support")


class UsersByGroup(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-group"
        projection = AllProjection()

    group_slug = UnicodeAttribute(hash_key=True)
    username = UnicodeAttribute(range_key=True)


class User(Model):
    Meta = stage_meta("users")

    username = UnicodeAttribute(hash_key=True)
    group_slug = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    first_name = UnicodeAttribute(default="")
    last_name = UnicodeAttribute(default="")
    phone = UnicodeAttribute(null=True)
    role = UnicodeAttribute(default="staff")
    password_hash = UnicodeAttribute(null=True)
    active = BooleanAttribute(default=True)
    # The IdP subject this user is linked to (at most one), set in the same transaction
    # that marks the identity linked.
    sso_subject = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()

    by_group = UsersByGroup()

    @property
    def display_name(self) -> str:
        full = f"{self.first_name} {self.last_name}".strip()
        return full or self.username
