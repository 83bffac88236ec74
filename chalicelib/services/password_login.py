"""Password sign-in: one answer for every wrong credential, rate limits, force-SSO refusal."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.errors import Forbidden, ServiceError, TooManyAttempts
from chalicelib.models.groups import Group
from chalicelib.services import audit, passwords, rate_limit, sessions, users

WRONG_CREDENTIALS = (
    "That username and password do not match an account. Check both and try again, "
    "or use Log in with SSO if your practice signs you in through its identity provider."
)
FORCE_SSO = (
    "Your practice group signs you in with single sign-on only. Choose Log in with SSO to continue."
)


class WrongCredentials(ServiceError):
    status = 401
    code = "wrong_credentials"


@dataclass(frozen=True)
class PasswordLogin:
    token: str
    signed_in: sessions.SignedIn


def _fail(reason: str, username: str, client_ip: str, group_slug: str | None) -> None:
    # Already counted by rate_limit.reserve, before the password was checked.
    audit.record(
        "login.password",
        "failure",
        group_slug=group_slug,
        reason=reason,
        client_ip=client_ip,
        username=username[:128],
    )
    raise WrongCredentials(WRONG_CREDENTIALS)


def sign_in(username: str, password: str, client_ip: str) -> PasswordLogin:
    username = username.strip().lower()[:128]
    budget = rate_limit.reserve(username, client_ip)
    if budget.blocked:
        audit.record(
            "login.password",
            "denied",
            reason="rate_limited",
            client_ip=client_ip,
            username=username,
        )
        raise TooManyAttempts(
            "Too many unsuccessful sign-in attempts. Wait "
            f"{budget.minutes_left} minute{'s' if budget.minutes_left != 1 else ''} and try again, "
            "or ask your practice administrator for help."
        )
    user = users.find_user(username) if username else None
    matches = passwords.verify_password(user.password_hash if user else None, password)
    if user is None:
        _fail("unknown_user", username, client_ip, None)
    assert user is not None
    if not user.password_hash:
        _fail("no_password", username, client_ip, user.group_slug)
    if not matches:
        _fail("bad_password", username, client_ip, user.group_slug)
    if not user.active:
        _fail("inactive_user", username, client_ip, user.group_slug)
    group = Group.get(user.group_slug)
    if group.force_sso:
        rate_limit.release(budget)  # the right password: not a guess
        audit.record(
            "login.password",
            "denied",
            group_slug=user.group_slug,
            reason="force_sso",
            client_ip=client_ip,
            username=username,
        )
        raise Forbidden(FORCE_SSO)
    rate_limit.release(budget)
    token, item = sessions.create_session(user, "password")
    audit.record(
        "login.password",
        "success",
        group_slug=user.group_slug,
        actor=username,
        client_ip=client_ip,
    )
    return PasswordLogin(token, sessions.SignedIn.from_session(item))
