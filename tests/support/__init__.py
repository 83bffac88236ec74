"""Helpers shared by the tests: seed data and a signed-in browser (no fixtures live here)."""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import quote

PASSWORD = "correct horse battery staple"
_ALERT = re.compile(r'<div class="error" role="alert"[^>]*>(.*?)</div>', re.S)


@functools.cache
def password_hash() -> str:
    """The Argon2 hash of PASSWORD, computed once per run (each costs ~0.2 s; salts differ
    anyway, so sharing one changes nothing a test can see)."""
    from chalicelib.services import passwords

    return passwords.hash_password(PASSWORD)


def add_user(
    group_slug: str,
    username: str,
    email: str | None = None,
    first_name: str = "",
    last_name: str = "",
    *,
    role: str = "staff",
) -> Any:
    """A user created by the service, whose password is PASSWORD."""
    from chalicelib.models import User
    from chalicelib.services import users

    user = users.create_user(
        users.NewUser(group_slug, username, email, first_name, last_name, role=role)
    )
    user.update(actions=[User.password_hash.set(password_hash())])
    return user


def seed_alpha() -> None:
    """Group ``alpha`` (domain alpha.example) with staff member Alice Smith, password PASSWORD."""
    from chalicelib.services import groups

    groups.create_group("alpha", "Alpha Practice", ["alpha.example"])
    add_user("alpha", "alice", "alice@alpha.example", "Alice", "Smith")


def sign_in(
    browser: Any,
    username: str,
    password: str,
    *,
    next_path: str | None = None,
    follow: bool = False,
) -> Any:
    """Open the sign-in page (with ``?next=``) and submit its form as a person would."""
    path = "/login" if next_path is None else f"/login?next={quote(next_path, safe='')}"
    browser.get(path)
    assert browser.status == 200, browser.text
    fields = {"username": username, "password": password}
    return browser.submit(browser.form("/login"), fields, follow=follow)


def alert_text(html: str) -> str:
    """The words of the page's error box, whitespace-normalised ('' when there is none)."""
    match = _ALERT.search(html)
    if not match:
        return ""
    text = re.sub(r"<[^>]+>", " ", match.group(1))
    return " ".join(text.split())


def audit_events(group_slug: str, event: str | None = None) -> list[Any]:
    """Audit events of a group ("-" for none), newest first, optionally of one kind."""
    from chalicelib.services import audit

    found = audit.for_group(group_slug)
    return [item for item in found if event is None or item.event == event]
