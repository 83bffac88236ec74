"""The journeys of SPEC §1 in a real browser, against the real local stack (SPEC §6).

One stack and one Chromium serve the whole module (see conftest.py); every test starts
from a fresh browser context, so no cookie leaks from one journey into the next. Each
test uses its own demo person, so the tests do not depend on each other's order.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser

GROUP = "demo-clinic"
PENDING_TEXT = (
    "Thank you. Your administrator has been told; you will receive a confirmation email "
    "once your account is activated."
)
AUTO_SUBMIT_MS = 10_000


def _on(base: str, path: str):
    """A URL predicate: exactly ``base`` + ``path`` (query string ignored)."""
    return lambda url: url.split("?", 1)[0] == base + path


def _no_stack_trace(page: Page) -> None:
    body = page.content()
    for marker in ("Traceback", 'File "', "chalice.app", "Internal Server Error"):
        assert marker not in body, f"{marker!r} on {page.url}"


def sso_to_idp(page: Page, stack, identifier: str) -> None:
    """Sign-in page → Log in with SSO → identifier → Continue: ends on the demo IdP."""
    page.goto(f"{stack.app_url}/login")
    page.locator("#sso-link").click()
    page.wait_for_url(_on(stack.app_url, "/login/sso"))
    page.get_by_label("Username or work email").fill(identifier)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: url.startswith(stack.idp_url))
    expect(page.get_by_role("heading", name="Demo identity provider")).to_be_visible()


def idp_sign_in_as(page: Page, stack, person: str) -> None:
    """On the demo IdP: pick ``person``, Sign in, and come back to the service's ACS.

    The IdP's post page submits itself with a script; if the browser is still there after
    a while, press its Continue button as a person without JavaScript would.
    """
    page.get_by_label(person, exact=True).check()
    page.get_by_role("button", name="Sign in").click()
    try:
        page.wait_for_url(lambda url: url.startswith(stack.app_url), timeout=AUTO_SUBMIT_MS)
    except PlaywrightTimeout:
        print(f"the demo IdP's post page did not submit itself ({page.url}); pressing Continue")
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(lambda url: url.startswith(stack.app_url))


def sso_login(page: Page, stack, identifier: str, person: str) -> None:
    sso_to_idp(page, stack, identifier)
    idp_sign_in_as(page, stack, person)


def expect_confirm_page(page: Page, stack, first: str, last: str, email: str) -> None:
    page.wait_for_url(_on(stack.app_url, f"/saml/{GROUP}/confirm"))
    expect(page.get_by_role("heading", name="Confirm Single Sign-on Identity")).to_be_visible()
    expect(page.locator("#asserted-email")).to_have_text(email)
    expect(page.locator("#asserted-first-name")).to_have_text(first)
    expect(page.locator("#asserted-last-name")).to_have_text(last)
    expect(page.locator("#asserted-unique-id")).not_to_be_empty()


def confirm_and_expect_pending(page: Page, stack) -> None:
    page.get_by_role("button", name="Confirm").click()
    expect_pending(page, stack)


def expect_pending(page: Page, stack) -> None:
    page.wait_for_url(_on(stack.app_url, f"/saml/{GROUP}/pending"))
    expect(page.get_by_role("status")).to_contain_text(PENDING_TEXT)


def _session(page: Page, stack):
    """GET /session with the context's cookies (``page.request`` shares the cookie jar)."""
    return page.request.get(f"{stack.app_url}/session")


# -- 1. password ---------------------------------------------------------------------------


def test_password_sign_in_and_sign_out(stack, page, page_errors):
    page.goto(f"{stack.app_url}/login")
    expect(page).to_have_title(re.compile("Sign in"))
    username = page.get_by_label("Username", exact=True)
    password = page.get_by_label("Password", exact=True)
    # get_by_label resolves through <label for=…>: the inputs are the ones it names.
    expect(username).to_have_attribute("id", "username")
    expect(password).to_have_attribute("id", "password")
    expect(password).to_have_attribute("type", "password")

    username.fill("demo.admin")
    password.fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(_on(stack.app_url, "/home"))
    expect(page.get_by_role("heading", name="You are signed in")).to_be_visible()
    expect(page.locator("#who-name")).to_have_text("Dana Admin")
    expect(page.locator("#who-group")).to_have_text("Demo Clinic")
    expect(page.locator("#who-method")).to_have_text("password")
    signed_in = _session(page, stack)
    assert signed_in.status == 200
    assert signed_in.json()["user"] == "demo.admin"
    assert all(c["httpOnly"] for c in page.context.cookies())

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(_on(stack.app_url, "/login"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert _session(page, stack).status == 401
    # And the home page no longer opens: it sends the browser back to sign in.
    page.goto(f"{stack.app_url}/home")
    page.wait_for_url(_on(stack.app_url, "/login"))
    assert page_errors.unexpected() == []


# -- 2. first SSO login -----------------------------------------------------------------------


def test_first_sso_login_confirms_and_stays_pending(stack, page, page_errors):
    sso_to_idp(page, stack, "nurse.grace")
    assert page.url.startswith(f"{stack.idp_url}/idp/sso?")
    assert "SAMLRequest=" in page.url
    idp_sign_in_as(page, stack, "Grace Hopper")
    expect_confirm_page(page, stack, "Grace", "Hopper", "grace.hopper@demo-clinic.example")
    expect(page.locator("#asserted-username")).to_have_text("nurse.grace")
    expect(page.locator("#asserted-phone")).to_have_text("+1-202-555-0102")
    # Nobody is signed in by an unlinked identity.
    assert _session(page, stack).status == 401

    confirm_and_expect_pending(page, stack)
    _no_stack_trace(page)
    assert _session(page, stack).status == 401

    # Any later SSO login with the same identity shows the same message.
    sso_login(page, stack, "nurse.grace", "Grace Hopper")
    expect_pending(page, stack)
    assert _session(page, stack).status == 401
    assert page_errors.unexpected() == []


# -- 3. linked user -------------------------------------------------------------------------


def test_linked_identity_signs_in_with_sso(stack, new_page, page_errors):
    first = new_page()
    sso_login(first, stack, "dr.ada", "Ada Lovelace")
    expect_confirm_page(first, stack, "Ada", "Lovelace", "ada.lovelace@demo-clinic.example")
    subject = first.locator("#asserted-unique-id").inner_text().strip()
    confirm_and_expect_pending(first, stack)

    listed = stack.cli("sso", "requests", GROUP, "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    ada = [r for r in rows if r["asserted"]["email"] == "ada.lovelace@demo-clinic.example"]
    assert len(ada) == 1, rows
    assert ada[0]["status"] == "pending"
    assert ada[0]["subject"] == subject
    assert "dr.ada" in ada[0]["suggested_users"]

    linked = stack.cli("sso", "link", GROUP, subject, "dr.ada")
    assert linked.returncode == 0, linked.stderr

    page = new_page()  # a fresh context: nothing left over from the confirmation
    sso_login(page, stack, "dr.ada", "Ada Lovelace")
    page.wait_for_url(_on(stack.app_url, "/home"))
    expect(page.locator("#who-method")).to_have_text("single sign-on")
    expect(page.locator("#who-username")).to_have_text("dr.ada")
    expect(page.locator("#who-name")).to_have_text("Ada Lovelace")
    expect(page.locator("#who-group")).to_have_text("Demo Clinic")
    session = _session(page, stack)
    assert session.status == 200
    assert session.json()["user"] == "dr.ada"
    assert session.json()["method"] == "saml"
    assert page_errors.unexpected() == []


# -- 4. keyboard and errors -------------------------------------------------------------------


def _focused(page: Page) -> dict:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            return {tag: el.tagName, id: el.id, type: el.getAttribute('type') || '',
                    text: (el.innerText || '').trim()};
        }"""
    )


def test_login_page_keyboard_order_and_error_alert(stack, page, page_errors):
    page.goto(f"{stack.app_url}/login")
    # The username field has autofocus: "the start" of the keyboard journey is there.
    expect(page.get_by_label("Username", exact=True)).to_be_focused()
    assert _focused(page)["id"] == "username"
    page.keyboard.press("Tab")
    assert _focused(page)["id"] == "password"
    page.keyboard.press("Tab")
    button = _focused(page)
    assert (button["tag"], button["type"], button["text"]) == ("BUTTON", "submit", "Sign in")
    page.keyboard.press("Tab")
    assert _focused(page)["id"] == "sso-link"
    # Backwards, the only stop before the username is the header's "Practice sign-in" link.
    for expected in ("BUTTON", "password", "username"):
        page.keyboard.press("Shift+Tab")
        now = _focused(page)
        assert expected in (now["tag"], now["id"]), now
    page.keyboard.press("Shift+Tab")
    brand = _focused(page)
    assert (brand["tag"], brand["text"]) == ("A", "Practice sign-in")

    # The same by keyboard only: type, Tab, type, Enter.
    page.get_by_label("Username", exact=True).focus()
    page.keyboard.type("demo.admin")
    page.keyboard.press("Tab")
    page.keyboard.type("not-the-password")
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url == f"{stack.app_url}/login"
    ) as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 401
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("do not match an account")
    expect(page.get_by_label("Username", exact=True)).to_have_attribute(
        "aria-describedby", "login-error"
    )
    expect(page.get_by_label("Username", exact=True)).to_have_value("demo.admin")
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    _no_stack_trace(page)
    assert _session(page, stack).status == 401
    # Chromium logs every 4xx page load as a console error; this one was meant to be a 401.
    assert (
        page_errors.unexpected(
            "status of 401 (Unauthorized) @ {'url': '" + stack.app_url + "/login'"
        )
        == []
    )


# -- 5. screenshot -------------------------------------------------------------------------


def test_confirm_page_screenshot(stack, page, page_errors, tmp_path):
    # Discovery by work email (the group's verified domain), not by username.
    sso_login(page, stack, "alan.turing@demo-clinic.example", "Alan Turing")
    expect_confirm_page(page, stack, "Alan", "Turing", "alan.turing@demo-clinic.example")
    shot = tmp_path / "confirm-page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 5_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"confirm page screenshot: {shot}")
    # The stylesheet loaded (the page is not bare HTML).
    assert page.evaluate("() => document.styleSheets.length") >= 1
    assert page_errors.unexpected() == []
