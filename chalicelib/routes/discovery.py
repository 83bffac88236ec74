"""Log in with SSO: ask for a username or email, then start the group's SP-initiated login."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.services import audit, discovery
from chalicelib.web import pages
from chalicelib.web.guard import csrf_for_form, csrf_ok
from chalicelib.web.http import client_ip, form, redirect, safe_next

bp = Blueprint(__name__)
NO_MATCH = (
    "We could not start single sign-on for what you entered. Check it and try again, or "
    "sign in with your username and password. Your practice administrator can tell you "
    "which your practice uses."
)


def _page(status: int = 200, error: str | None = None, identifier: str = "") -> Response:
    request = bp.current_request
    token, new_cookies = csrf_for_form(request)
    return pages.render(
        "sso_discovery.html",
        status=status,
        set_cookies=new_cookies,
        csrf_token=token,
        error=error,
        identifier=identifier,
        next=safe_next((request.query_params or {}).get("next"), ""),
    )


@bp.route("/login/sso", methods=["GET"])
def sso_form() -> Response:
    return _page()


@bp.route("/login/sso", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def sso_submit() -> Response:
    request = bp.current_request
    fields = form(request)
    identifier = fields.get("identifier", "")[:254]
    if not csrf_ok(request, fields):
        return _page(400, "This form has expired. Please try again.", identifier)
    slug = discovery.group_for(identifier)
    if slug is None:
        audit.record("sso.discovery", "failure", reason="no_match", client_ip=client_ip(request))
        return _page(200, NO_MATCH, identifier)
    target = f"/saml/{slug}/login"
    next_path = safe_next(fields.get("next"), "")
    if next_path:
        from urllib.parse import quote

        target += f"?next={quote(next_path, safe='')}"
    return redirect(target)
