"""Server-side sessions: created at sign-in, looked up per request, revocable at once."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.clock import now
from chalicelib.config import settings
from chalicelib.models.groups import Group
from chalicelib.models.sessions import Session
from chalicelib.models.users import User

COOKIE_NAME = "pss_session"


@dataclass(frozen=True)
class SignedIn:
    """Who is signed in: what the session endpoint and the authorizer hand on."""

    username: str
    group_slug: str
    role: str
    method: str
    expires_at: datetime

    @classmethod
    def from_session(cls, item: Session) -> SignedIn:
        return cls(item.username, item.group_slug, item.role, item.method, item.expires_at)

    def as_json(self) -> dict[str, str]:
        return {
            "user": self.username,
            "group": self.group_slug,
            "role": self.role,
            "method": self.method,
            "expires_at": self.expires_at.isoformat(),
        }


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_session(user: User, method: str) -> tuple[str, Session]:
    """A fresh token and its unsaved session item (callers may save it in a transaction)."""
    token = secrets.token_urlsafe(32)
    created = now()
    item = Session(
        token_hash(token),
        username=user.username,
        group_slug=user.group_slug,
        role=user.role,
        method=method,
        created_at=created,
        expires_at=created + timedelta(hours=settings().session_hours),
    )
    return token, item


def create_session(user: User, method: str) -> tuple[str, Session]:
    token, item = new_session(user, method)
    item.save(condition=Session.token_hash.does_not_exist())
    return token, item


def lookup(token: str | None) -> SignedIn | None:
    """The signed-in person for a cookie token, or None if absent, expired, revoked or barred.

    A password session stops counting the moment its group switches to force SSO.
    """
    if not token or len(token) > 128:
        return None
    try:
        item = Session.get(token_hash(token))
    except DoesNotExist:
        return None
    if item.revoked or item.expires_at <= now():
        return None
    if item.method == "password" and _force_sso(item.group_slug):
        return None
    return SignedIn.from_session(item)


def _force_sso(group_slug: str) -> bool:
    try:
        return bool(Group.get(group_slug, attributes_to_get=["force_sso"]).force_sso)
    except DoesNotExist:
        return False


def revoke(token: str | None) -> None:
    if not token:
        return
    with contextlib.suppress(UpdateError):  # no such session: nothing left to revoke
        Session(token_hash(token)).update(
            actions=[Session.revoked.set(True)], condition=Session.token_hash.exists()
        )


def revoke_all_for_user(username: str) -> int:
    count = 0
    for key in Session.by_user.query(username):
        Session(key.token_hash).update(actions=[Session.revoked.set(True)])
        count += 1
    return count
