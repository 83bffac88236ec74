"""A Chalice authorizer over the session cookie, for other routes behind the same API.

Routes elsewhere in the application use ``authorizer=session_authorizer`` and read
``app.current_request.context['authorizer']`` (user, group, role, method).

On API Gateway its identity source is the ``Cookie`` header, so browsers need nothing extra.
It also takes ``Authorization: Bearer <session token>`` for server-side callers, which is
the only header ``chalice local`` hands to authorizers.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

from chalice import AuthResponse, Blueprint

from chalicelib.services import sessions
from chalicelib.web.http import json_response

bp = Blueprint(__name__)


def token_from_header(header: str | None) -> str | None:
    if header and header.startswith("Bearer "):
        return header[len("Bearer ") :].strip()
    jar = SimpleCookie()
    try:
        jar.load(header or "")
    except CookieError:
        return None
    morsel = jar.get(sessions.COOKIE_NAME)
    return morsel.value if morsel else None


@bp.authorizer(header="Cookie", ttl_seconds=0)
def session_authorizer(auth_request):
    who = sessions.lookup(token_from_header(auth_request.token))
    if who is None:
        return AuthResponse(routes=[], principal_id="anonymous")
    return AuthResponse(routes=["*"], principal_id=who.username, context=who.as_json())


@bp.route("/api/whoami", methods=["GET"], authorizer=session_authorizer)
def whoami():
    """An example protected route: what a route behind the authorizer learns."""
    context = bp.current_request.context.get("authorizer") or {}
    keys = ("user", "group", "role", "method", "expires_at")
    return json_response({key: context.get(key) for key in keys})
