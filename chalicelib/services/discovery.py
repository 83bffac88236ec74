"""Which practice group an identifier belongs to, without telling whether it exists.

Every lookup is made whatever the input is (a key that cannot exist stands in for a missing
one), so a miss costs the same five reads as a hit: the page and its timing class match.
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from chalicelib.models.groups import Group
from chalicelib.models.uniques import UniqueClaim
from chalicelib.models.users import User

MAX_IDENTIFIER = 254
NO_KEY = "~"  # no username, email or slug can be "~"


def _owner(key: str) -> str | None:
    try:
        return UniqueClaim.get(key).owner
    except DoesNotExist:
        return None


def _user_group(username: str) -> str | None:
    try:
        return User.get(username, attributes_to_get=["group_slug"]).group_slug
    except DoesNotExist:
        return None


def group_for(identifier: str) -> str | None:
    """The slug of the group whose IdP should sign this person in, or None."""
    value = identifier.strip().lower()[:MAX_IDENTIFIER] or NO_KEY
    domain = value.rsplit("@", 1)[1] if "@" in value else NO_KEY
    by_username = _user_group(value)
    by_domain = _owner(UniqueClaim.domain(domain))
    by_email = _user_group(_owner(UniqueClaim.email(value)) or NO_KEY)
    slug = by_username or by_domain or by_email
    try:
        group = Group.get(slug or NO_KEY, attributes_to_get=["slug", "idp"])
    except DoesNotExist:
        return None
    return group.slug if group.idp is not None else None
