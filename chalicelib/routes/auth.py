"""Password sign-in, the signed-in home page, sign-out and the session endpoint."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.config import settings
from chalicelib.errors import ServiceError
from chalicelib.services import groups, password_login, sessions, users
from chalicelib.web import pages
from chalicelib.web.guard import csrf_for_form, csrf_ok, session_token, signed_in
from chalicelib.web.http import (
    clear_cookie,
    client_ip,
    form,
    json_response,
    redirect,
    safe_next,
    set_cookie,
)

bp = Blueprint(__name__)
FORM_EXPIRED = "This form has expired or was sent from another site. Please try again."


def _login_page(
    status: int = 200,
    error: str | None = None,
    username: str = "",
    show_sso: bool = False,
    next_target: str | None = None,
) -> Response:
    request = bp.current_request
    token, new_cookies = csrf_for_form(request)
    query = request.query_params or {}
    # A failed POST keeps the form's own ``next``, so a second try still lands there.
    wanted = next_target if next_target is not None else query.get("next")
    return pages.render(
        "login.html",
        status=status,
        set_cookies=new_cookies,
        csrf_token=token,
        error=error,
        username=username,
        show_sso=show_sso,
        next=safe_next(wanted, ""),
    )


@bp.route("/", methods=["GET"])
def index() -> Response:
    return redirect("/login")


@bp.route("/login", methods=["GET"])
def login_form() -> Response:
    return _login_page()


@bp.route("/login", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def login_submit() -> Response:
    request = bp.current_request
    fields = form(request)
    username = fields.get("username", "")
    if not csrf_ok(request, fields):
        return _login_page(400, FORM_EXPIRED, username, next_target=fields.get("next"))
    try:
        result = password_login.sign_in(username, fields.get("password", ""), client_ip(request))
    except ServiceError as exc:
        show_sso = exc.code in ("forbidden", "wrong_credentials")
        return _login_page(
            exc.status, exc.message, username, show_sso, next_target=fields.get("next")
        )
    cookie = set_cookie(sessions.COOKIE_NAME, result.token, max_age=settings().session_hours * 3600)
    return redirect(safe_next(fields.get("next"), settings().home_url), [cookie])


@bp.route("/logout", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def logout() -> Response:
    request = bp.current_request
    if not csrf_ok(request, form(request)):
        return pages.message("Sign-out not completed", FORM_EXPIRED, status=400)
    sessions.revoke(session_token(request))
    return redirect("/login", [clear_cookie(sessions.COOKIE_NAME)])


@bp.route("/home", methods=["GET"])
def home() -> Response:
    request = bp.current_request
    who = signed_in(request)
    if who is None:
        return redirect("/login?next=/home")
    token, new_cookies = csrf_for_form(request)
    return pages.render(
        "home.html",
        set_cookies=new_cookies,
        csrf_token=token,
        signed_in=who,
        user=users.get_user(who.username),
        group=groups.get_group(who.group_slug),
    )


@bp.route("/session", methods=["GET"])
def session_info() -> Response:
    who = signed_in(bp.current_request)
    if who is None:
        return json_response({"error": "not signed in"}, 401)
    return json_response(who.as_json())
