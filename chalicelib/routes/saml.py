"""The fixed SAML paths (SPEC §2) and the confirmation pages; each handler is a few lines
over chalicelib.services.sso_login and chalicelib.saml.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.errors import NotFound
from chalicelib.saml.reasons import Reason, SamlRejected
from chalicelib.services import sso_login
from chalicelib.web import pages
from chalicelib.web.guard import csrf_for_form, csrf_ok
from chalicelib.web.http import (
    MAX_FORM_BYTES,
    clear_cookie,
    client_ip,
    cookies,
    form,
    redirect,
    set_cookie,
)

bp = Blueprint(__name__)
CONFIRM_COOKIE = "pss_confirm"


def rejection_page(rejected: SamlRejected) -> Response:
    info = rejected.reason.info
    return pages.message(
        info.title,
        info.text,
        status=info.status,
        who_can_fix=f"Who can fix this: {info.who}.",
        status_kind="error",
        reference=rejected.reason.code,
    )


def _not_found(exc: NotFound) -> Response:
    return pages.message("Practice group not found", exc.message, status=404, status_kind="error")


@bp.route("/saml/{group}/metadata", methods=["GET"])
def metadata(group: str) -> Response:
    from chalicelib.saml import sp_metadata

    try:
        xml = sp_metadata.for_group(group)
    except NotFound as exc:
        return _not_found(exc)
    except SamlRejected as rejected:
        return rejection_page(rejected)
    return Response(
        body=xml,
        headers={"Content-Type": "application/samlmetadata+xml", "Cache-Control": "no-store"},
    )


@bp.route("/saml/{group}/login", methods=["GET"])
def login(group: str) -> Response:
    try:
        url = sso_login.start_login(group, (bp.current_request.query_params or {}).get("next"))
    except NotFound as exc:
        return _not_found(exc)
    except SamlRejected as rejected:
        return rejection_page(rejected)
    return Response(
        body="", status_code=302, headers={"Location": url, "Cache-Control": "no-store"}
    )


@bp.route(
    "/saml/{group}/acs",
    methods=["POST"],
    content_types=["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"],
)
def acs(group: str) -> Response:
    request = bp.current_request
    if len(request.raw_body or b"") > MAX_FORM_BYTES:
        return rejection_page(SamlRejected(Reason.TOO_LARGE, "request body"))
    fields = form(request)
    try:
        result = sso_login.handle_acs(
            group, fields.get("SAMLResponse"), fields.get("RelayState"), client_ip(request)
        )
    except NotFound as exc:
        return _not_found(exc)
    except SamlRejected as rejected:
        return rejection_page(rejected)
    # The ACS is reached by a cross-site POST: finish with a same-site redirect (a top-level
    # GET, where SameSite=Lax cookies flow) before any page relies on cookies.
    new_cookies = []
    if result.session_token:
        from chalicelib.config import settings
        from chalicelib.services.sessions import COOKIE_NAME

        max_age = settings().session_hours * 3600
        new_cookies.append(set_cookie(COOKIE_NAME, result.session_token, max_age=max_age))
    if result.confirm_token:
        new_cookies.append(set_cookie(CONFIRM_COOKIE, result.confirm_token, max_age=900))
    return redirect(result.redirect_to, new_cookies)


def _confirmation_gone() -> Response:
    return pages.message(
        "Confirmation expired",
        "This confirmation is no longer available: it was already sent or it expired. "
        "Choose Log in with SSO to start again.",
        status=410,
        status_kind="error",
        back_href="/login/sso",
        back_text="Log in with SSO",
    )


@bp.route("/saml/{group}/confirm", methods=["GET"])
def confirm_page(group: str) -> Response:
    request = bp.current_request
    pending = sso_login.read_confirmation(group, cookies(request).get(CONFIRM_COOKIE))
    if pending is None:
        return _confirmation_gone()
    token, new_cookies = csrf_for_form(request)
    return pages.render(
        "confirm.html",
        set_cookies=new_cookies,
        csrf_token=token,
        group=pending.group,
        asserted=pending.asserted,
    )


@bp.route(
    "/saml/{group}/confirm", methods=["POST"], content_types=["application/x-www-form-urlencoded"]
)
def confirm_submit(group: str) -> Response:
    request = bp.current_request
    if not csrf_ok(request, form(request)):
        return pages.message(
            "Confirmation not sent",
            "This form has expired or was sent from another site. Choose Log in with SSO to "
            "start again.",
            status=400,
            status_kind="error",
        )
    filed = sso_login.confirm(group, cookies(request).get(CONFIRM_COOKIE), client_ip(request))
    if filed is None:
        return _confirmation_gone()
    return redirect(f"/saml/{group}/pending", [clear_cookie(CONFIRM_COOKIE)])


@bp.route("/saml/{group}/pending", methods=["GET"])
def pending(group: str) -> Response:
    return pages.message(
        "Thank you",
        "Thank you. Your administrator has been told; you will receive a confirmation email "
        "once your account is activated.",
        status_kind="notice",
    )


@bp.route("/saml/{group}/declined", methods=["GET"])
def declined(group: str) -> Response:
    return pages.message(
        "Single sign-on request declined",
        "Your practice administrator declined the request to link this identity to an "
        "account. If you think this is a mistake, ask your practice administrator.",
        status=403,
        status_kind="error",
    )


@bp.route("/saml/{group}/sls", methods=["GET"])
def sls(group: str) -> Response:
    from chalicelib.services import single_logout

    query = bp.current_request.query_params or {}
    try:
        target = single_logout.handle(group, dict(query))
    except NotFound as exc:
        return _not_found(exc)
    except SamlRejected as rejected:
        return rejection_page(rejected)
    if target:
        return Response(body="", status_code=302, headers={"Location": target})
    return pages.message("Signed out", "You are signed out.", status_kind="notice")
