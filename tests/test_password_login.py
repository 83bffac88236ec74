"""Password sign-in over HTTP, as a browser (and an attacker) sees it: SPEC §1, §4 items 6, 7,
10, 12 and 13.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

import pytest

from chalicelib.clock import now
from chalicelib.models import Group, RateCounter, User
from chalicelib.services import password_login, rate_limit
from chalicelib.web import http
from tests.support import PASSWORD, add_user, alert_text, audit_events, seed_alpha, sign_in
from tests.support.browser import Browser

EVIL_NEXT = [
    "https://evil.example/",
    "//evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    "\\\\evil.example",
    "/\t/evil.example",
    "https:/evil.example",
]


@pytest.fixture
def alpha(aws):
    seed_alpha()


@pytest.fixture
def browser(client, alpha):
    return Browser(client)


@pytest.fixture
def frozen_window(monkeypatch):
    """Pin rate limiting one minute into a 15-minute window, so the test never straddles two."""
    seconds = int(rate_limit.WINDOW.total_seconds())
    start = int(now().timestamp()) // seconds * seconds
    pinned = datetime.fromtimestamp(start + 60, tz=now().tzinfo)
    monkeypatch.setattr(rate_limit, "now", lambda: pinned)
    return pinned


def _login_events(group_slug: str) -> list:
    return audit_events(group_slug, "login.password")


# -- the page ---------------------------------------------------------------------------------


def test_login_page_has_labelled_fields_csrf_and_an_sso_link(browser):
    browser.get("/login")

    assert browser.status == 200
    form = browser.form("/login")
    assert form.method == "post"
    assert form.types["username"] == "text"
    assert form.types["password"] == "password"
    assert browser.labels[form.ids["username"]] == "Username"
    assert browser.labels[form.ids["password"]] == "Password"
    assert len(form.hidden["csrf_token"]) > 20
    assert any(link.text == "Log in with SSO" for link in browser.links)
    # The CSRF cookie that the hidden token is bound to.
    value, attributes = browser.set_cookies()["pss_csrf"]
    assert value and "httponly" in attributes and attributes["samesite"] == "Lax"
    assert browser.header("X-Frame-Options") == "DENY"


# -- signing in -------------------------------------------------------------------------------


def test_good_credentials_land_on_home_with_a_session_cookie(browser):
    sign_in(browser, "alice", PASSWORD)

    assert browser.status == 303
    assert browser.location == "/home"
    value, attributes = browser.set_cookies()["pss_session"]
    assert len(value) >= 32
    assert "httponly" in attributes
    assert attributes["samesite"] == "Lax"
    assert attributes["path"] == "/"
    assert "secure" not in attributes  # stage local is plain http on 127.0.0.1
    assert int(attributes["max-age"]) == 8 * 3600

    browser.get("/home")
    assert browser.status == 200
    assert "Alice Smith" in browser.text
    assert "Alpha Practice" in browser.text
    sign_out = browser.form("/logout")
    assert sign_out.buttons == ["Sign out"]
    assert sign_out.hidden["csrf_token"]

    browser.get("/session")
    assert browser.status == 200
    info = browser.json
    assert {k: info[k] for k in ("user", "group", "role", "method")} == {
        "user": "alice",
        "group": "alpha",
        "role": "staff",
        "method": "password",
    }
    expires = datetime.fromisoformat(info["expires_at"])
    assert timedelta(hours=7, minutes=59) < expires - now() <= timedelta(hours=8)

    success = [e for e in _login_events("alpha") if e.outcome == "success"]
    assert [(e.actor, e.client_ip) for e in success] == [("alice", "127.0.0.1")]


def test_username_is_case_and_space_insensitive(browser):
    sign_in(browser, "  ALICE ", PASSWORD, follow=True)

    assert browser.history[-2:] == [
        ("POST", "/login", 303),
        ("GET", "/home", 200),
    ]
    assert "Alice Smith" in browser.text


def test_home_without_a_session_sends_to_sign_in(browser):
    browser.get("/home")
    assert browser.status == 303
    assert browser.location == "/login?next=/home"
    browser.get("/home", follow=True)
    assert browser.status == 200
    assert browser.form("/login").hidden["next"] == "/home"
    browser.get("/session")
    assert browser.status == 401
    assert browser.json == {"error": "not signed in"}


@pytest.mark.parametrize("secure", ["true", "false"])
def test_cookie_secure_setting_adds_the_secure_flag(monkeypatch, secure):
    monkeypatch.setenv("COOKIE_SECURE", secure)
    header = http.set_cookie("pss_session", "abc", max_age=60)
    flags = [part.strip() for part in header.split(";")]
    assert ("Secure" in flags) is (secure == "true")
    assert "HttpOnly" in flags and "SameSite=Lax" in flags


# -- wrong credentials ------------------------------------------------------------------------


def test_wrong_password_and_unknown_user_get_the_same_answer(browser, monkeypatch):
    import argon2

    verifications = []
    real_verify = argon2.PasswordHasher.verify

    def counting_verify(self, stored, password):
        verifications.append(stored)
        return real_verify(self, stored, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting_verify)

    sign_in(browser, "alice", "not the password at all")
    wrong_password = (browser.status, alert_text(browser.text), "pss_session" in browser.cookies)
    sign_in(browser, "nobody-here", "not the password at all")
    unknown_user = (browser.status, alert_text(browser.text), "pss_session" in browser.cookies)

    assert wrong_password == unknown_user
    assert wrong_password[0] == 401
    assert wrong_password[1].startswith("That username and password do not match an account.")
    assert wrong_password[2] is False
    # Both paths spend one Argon2 verification: same timing class.
    assert len(verifications) == 2

    [bad] = _login_events("alpha")
    assert (bad.outcome, bad.reason, bad.client_ip) == ("failure", "bad_password", "127.0.0.1")
    [unknown] = _login_events("-")
    assert (unknown.outcome, unknown.reason) == ("failure", "unknown_user")
    assert unknown.details["username"] == "nobody-here"


def test_a_typed_username_is_escaped_on_the_page(browser):
    sign_in(browser, "<script>alert(1)</script>", "whatever it is")
    assert browser.status == 401
    assert "<script>alert(1)</script>" not in browser.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in browser.text


def test_inactive_user_is_refused_with_the_same_answer(browser):
    User.get("alice").update(actions=[User.active.set(False)])

    sign_in(browser, "alice", PASSWORD)

    assert browser.status == 401
    assert alert_text(browser.text).startswith("That username and password do not match")
    assert "pss_session" not in browser.cookies
    [event] = _login_events("alpha")
    assert (event.outcome, event.reason) == ("failure", "inactive_user")


# -- CSRF -------------------------------------------------------------------------------------


def test_login_without_a_valid_csrf_token_is_refused(browser):
    browser.get("/login")
    good_token = browser.csrf_token()
    attempts = [
        {"username": "alice", "password": PASSWORD},  # no token at all
        {"username": "alice", "password": PASSWORD, "csrf_token": "forged"},
        {"username": "alice", "password": PASSWORD, "csrf_token": good_token[:-2] + "xx"},
    ]
    for fields in attempts:
        browser.post("/login", fields)
        assert browser.status == 400, fields
        assert "This form has expired or was sent from another site" in browser.text
        assert "pss_session" not in browser.cookies

    # A genuine token sent with another browser's cookie: it is bound to the cookie it was
    # issued with, and a cross-site form can neither read nor set that cookie.
    browser.post(
        "/login",
        {"username": "alice", "password": PASSWORD, "csrf_token": good_token},
        headers={"Cookie": "pss_csrf=someone-elses-cookie-value"},
    )
    assert browser.status == 400
    assert "pss_session" not in browser.cookies
    assert not _login_events("alpha")  # never reached the password check


# -- rate limits ------------------------------------------------------------------------------


def test_five_failures_lock_that_user_even_with_the_right_password(client, alpha, frozen_window):
    add_user("alpha", "bob", "bob@alpha.example")
    browser = Browser(client)
    for _ in range(rate_limit.MAX_PER_USER):
        sign_in(browser, "alice", "guessing again and again")
        assert browser.status == 401

    sign_in(browser, "alice", PASSWORD)

    assert browser.status == 429
    assert "Wait 14 minutes and try again" in alert_text(browser.text)
    assert "pss_session" not in browser.cookies
    limited = [e for e in _login_events("-") if e.reason == "rate_limited"]
    assert [(e.outcome, e.details["username"]) for e in limited] == [("denied", "alice")]

    # Per user: someone else at the same address still signs in.
    other = Browser(client)
    sign_in(other, "bob", PASSWORD)
    assert other.status == 303


def _rate_counters() -> list[RateCounter]:
    return [item for item in RateCounter.scan() if item.pk.startswith("rl#")]


def test_signing_in_does_not_use_up_the_budget(alpha, frozen_window):
    # Every attempt is counted before the password check (so parallel guesses cannot slip
    # past the limit); a successful one gives its count back: a practice behind one address,
    # or a person signing in many times, is never locked out by success.
    for _ in range(rate_limit.MAX_PER_USER + 1):
        assert password_login.sign_in("alice", PASSWORD, "127.0.0.1").signed_in
    assert {c.count for c in _rate_counters()} == {0}

    with pytest.raises(password_login.WrongCredentials):
        password_login.sign_in("alice", "one wrong guess", "127.0.0.1")
    assert sorted(c.count for c in _rate_counters()) == [1, 1]  # this user, this address


@pytest.fixture
def cheap_unknown_user_hash(monkeypatch):
    """Unknown usernames are checked against a dummy hash; make that one cheap, since this
    test is about counting 20 failures, not about Argon2's cost (tested elsewhere)."""
    from argon2 import PasswordHasher

    from chalicelib.services import passwords

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    dummy = cheap.hash("dummy")
    monkeypatch.setattr(passwords, "_hasher", lambda: cheap)
    monkeypatch.setattr(passwords, "_dummy_hash", lambda: dummy)


def test_twenty_failures_from_one_address_lock_every_username(
    browser, frozen_window, cheap_unknown_user_hash
):
    for n in range(rate_limit.MAX_PER_ADDRESS):
        sign_in(browser, f"stranger{n}", "guessing across many names")
        assert browser.status == 401, n

    sign_in(browser, "alice", PASSWORD)

    assert browser.status == 429
    assert "Wait 14 minutes" in alert_text(browser.text)
    assert "pss_session" not in browser.cookies
    # Per address: the same person from another address is not held back.
    result = password_login.sign_in("alice", PASSWORD, "10.9.8.7")
    assert result.signed_in.username == "alice"


# -- sign-out ---------------------------------------------------------------------------------


def test_sign_out_revokes_the_session_at_once(browser):
    sign_in(browser, "alice", PASSWORD)
    stolen = browser.cookies["pss_session"]
    browser.get("/home")

    browser.submit(browser.form("/logout"))

    assert browser.status == 303
    assert browser.location == "/login"
    value, attributes = browser.set_cookies()["pss_session"]
    assert value == "" and attributes["max-age"] == "0"
    # A copy of the old cookie (kept by an attacker) no longer works either.
    browser.get("/session", headers={"Cookie": f"pss_session={stolen}"})
    assert browser.status == 401
    browser.get("/home", headers={"Cookie": f"pss_session={stolen}"})
    assert browser.status == 303 and browser.location.startswith("/login")


def test_sign_out_needs_the_csrf_token(browser):
    sign_in(browser, "alice", PASSWORD)

    browser.post("/logout", {})

    assert browser.status == 400
    browser.get("/session")
    assert browser.status == 200  # a cross-site form cannot sign people out


# -- force SSO --------------------------------------------------------------------------------


def test_force_sso_refuses_password_login_and_ends_password_sessions(browser, client):
    sign_in(browser, "alice", PASSWORD)
    browser.get("/session")
    assert browser.status == 200

    Group.get("alpha").update(actions=[Group.force_sso.set(True)])

    browser.get("/session")
    assert browser.status == 401  # the existing password session stops at once

    newcomer = Browser(client)
    sign_in(newcomer, "alice", PASSWORD)
    assert newcomer.status == 403
    message = alert_text(newcomer.text)
    assert "Log in with SSO" in message
    assert "single sign-on only" in message
    assert "pss_session" not in newcomer.cookies
    refused = [e for e in _login_events("alpha") if e.reason == "force_sso"]
    assert [(e.outcome, e.details["username"]) for e in refused] == [("denied", "alice")]


# -- next -------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["/home", "/session?x=1", "/saml/alpha/login"])
def test_safe_next_keeps_same_origin_paths(target):
    assert http.safe_next(target, "/default") == target


@pytest.mark.parametrize("target", [*EVIL_NEXT, "", None, "home", "/" + "a" * 3000])
def test_safe_next_refuses_anything_else(target):
    assert http.safe_next(target, "/default") == "/default"


def test_login_form_carries_a_safe_next_and_honours_it(browser):
    sign_in(browser, "alice", PASSWORD, next_path="/session")
    assert browser.status == 303
    assert browser.location == "/session"


def test_login_form_drops_a_foreign_next(browser):
    for target in EVIL_NEXT:
        browser.get("/login?next=" + quote(target, safe=""))
        assert "next" not in browser.form("/login").hidden, target
        # A hand-made form that posts the foreign next anyway still lands at home.
        browser.post(
            "/login",
            {
                "username": "alice",
                "password": PASSWORD,
                "next": target,
                "csrf_token": browser.csrf_token(),
            },
        )
        assert browser.status == 303, target
        assert browser.location == "/home", target


def test_next_survives_a_mistyped_password(browser):
    sign_in(browser, "alice", "mistyped password", next_path="/session")
    assert browser.status == 401
    assert browser.form("/login").hidden.get("next") == "/session"

    browser.submit(browser.form("/login"), {"username": "alice", "password": PASSWORD})

    assert browser.status == 303
    assert browser.location == "/session"
