"""Users: created with stage-wide unique username and email, listed per group by index."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib.clock import now
from chalicelib.errors import Conflict, NotFound, ServiceError
from chalicelib.models.base import CONDITION_FAILED, cancellation_codes, write_transaction
from chalicelib.models.groups import Group
from chalicelib.models.uniques import UniqueClaim
from chalicelib.models.users import ROLES, User
from chalicelib.services import audit, passwords

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class NewUser:
    group_slug: str
    username: str
    email: str | None = None
    first_name: str = ""
    last_name: str = ""
    phone: str | None = None
    role: str = "staff"
    password: str | None = None


def _validate(new: NewUser) -> tuple[str, str | None]:
    username = new.username.strip().lower()
    if not USERNAME_RE.match(username):
        raise ServiceError(
            f"'{new.username}' cannot be a username: use 2 to 63 lowercase letters, digits, "
            "dots, hyphens or underscores."
        )
    email = new.email.strip().lower() if new.email else None
    if email is not None and not EMAIL_RE.match(email):
        raise ServiceError(f"'{new.email}' is not an email address.")
    if new.role not in ROLES:
        raise ServiceError(f"Role must be one of {', '.join(ROLES)}, not '{new.role}'.")
    if new.password is not None:
        problem = passwords.password_problem(new.password)
        if problem:
            raise ServiceError(problem)
    return username, email


def create_user(new: NewUser, *, actor: str | None = None) -> User:
    """Create a user; the username, the email and the group's existence are checked atomically."""
    username, email = _validate(new)
    user = User(
        username,
        group_slug=new.group_slug,
        email=email,
        first_name=new.first_name.strip(),
        last_name=new.last_name.strip(),
        phone=(new.phone or "").strip() or None,
        role=new.role,
        password_hash=passwords.hash_password(new.password) if new.password else None,
        active=True,
        created_at=now(),
    )

    def build(tx) -> None:
        tx.condition_check(Group, new.group_slug, condition=Group.slug.exists())
        tx.save(user, condition=User.username.does_not_exist())
        if email:
            claim = UniqueClaim(UniqueClaim.email(email), owner=username)
            tx.save(claim, condition=UniqueClaim.key.does_not_exist())

    try:
        write_transaction(build)
    except TransactWriteError as exc:
        failed = [code == CONDITION_FAILED for code in cancellation_codes(exc)] + [False] * 3
        if failed[0]:
            raise NotFound(f"There is no practice group '{new.group_slug}'.") from None
        if failed[1]:
            raise Conflict(f"The username '{username}' is already taken.") from None
        if failed[2]:
            raise Conflict(f"The email address {email} already belongs to another user.") from None
        raise
    audit.record(
        "user.created",
        "success",
        group_slug=new.group_slug,
        actor=actor,
        username=username,
        role=new.role,
        password="set" if new.password else "none",
    )
    return user


def find_user(username: str) -> User | None:
    try:
        return User.get(username.strip().lower())
    except DoesNotExist:
        return None


def get_user(username: str) -> User:
    user = find_user(username)
    if user is None:
        raise NotFound(f"There is no user '{username}'.")
    return user


def username_for_email(email: str) -> str | None:
    try:
        return UniqueClaim.get(UniqueClaim.email(email)).owner
    except DoesNotExist:
        return None


def list_users(group_slug: str) -> list[User]:
    return list(User.by_group.query(group_slug))
