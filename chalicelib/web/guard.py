"""Per-request guards: CSRF pairing for forms and the signed-in person behind the cookie."""

from __future__ import annotations

from typing import Any

from chalicelib.services import csrf, sessions
from chalicelib.web.http import cookies, set_cookie


def csrf_for_form(request: Any) -> tuple[str, list[str]]:
    """The token to embed in a form, and the cookie to set when the browser has none yet."""
    existing = cookies(request).get(csrf.COOKIE_NAME)
    if existing and 16 <= len(existing) <= 64:
        return csrf.token_for(existing), []
    value = csrf.new_cookie_value()
    return csrf.token_for(value), [set_cookie(csrf.COOKIE_NAME, value)]


def csrf_ok(request: Any, fields: dict[str, str]) -> bool:
    return csrf.is_valid(cookies(request).get(csrf.COOKIE_NAME), fields.get("csrf_token"))


def session_token(request: Any) -> str | None:
    return cookies(request).get(sessions.COOKIE_NAME)


def signed_in(request: Any) -> sessions.SignedIn | None:
    return sessions.lookup(session_token(request))
