"""CSRF tokens for every form: signed with the stage secret and bound to a browser cookie.

The browser gets a random ``pss_csrf`` cookie (HttpOnly, SameSite=Lax); each form carries
a signed, timestamped copy of it. A forged cross-site form cannot read the cookie to copy it.
"""

from __future__ import annotations

import hmac
import secrets

from chalicelib.services.secrets import app_secret

COOKIE_NAME = "pss_csrf"
MAX_AGE_SECONDS = 2 * 60 * 60


def new_cookie_value() -> str:
    return secrets.token_urlsafe(24)


def _serializer():
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(app_secret(), salt="practice-sso.csrf")


def token_for(cookie_value: str) -> str:
    return _serializer().dumps(cookie_value)


def is_valid(cookie_value: str | None, token: str | None) -> bool:
    from itsdangerous import BadSignature

    if not cookie_value or not token or len(token) > 512:
        return False
    try:
        bound = _serializer().loads(token, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        return False
    return isinstance(bound, str) and hmac.compare_digest(bound, cookie_value)
