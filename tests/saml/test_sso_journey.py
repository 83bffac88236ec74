"""SPEC §1 first SSO login, steps 1-4 and 6, through the HTTP routes with a pysaml2 IdP."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from chalicelib.models.audit import AuditEvent
from chalicelib.models.identities import Identity
from chalicelib.models.security import AuthnRequestRecord
from chalicelib.services import groups, linking, users
from tests.saml.conftest import ADA

CONFIRM_FIELDS = ("unique-id", "username", "first-name", "last-name", "phone", "email")


def _confirm(sso, browser):
    response = sso.login(browser)
    assert response.status_code == 303
    assert browser.location == "/saml/north/confirm"
    _value, attributes = browser.set_cookies()["pss_confirm"]
    assert "httponly" in attributes and attributes.get("samesite") == "Lax"
    browser.get("/saml/north/confirm")
    assert browser.status == 200
    return browser


def test_unknown_identity_confirms_and_waits(sso):
    browser = _confirm(sso, sso.browser())
    page = browser.text
    assert "Confirm Single Sign-on Identity" in page
    shown = {
        field: page.split(f'id="asserted-{field}">', 1)[1].split("<", 1)[0]
        for field in CONFIRM_FIELDS
    }
    assert shown == {
        "unique-id": "ada@north.example",
        "username": "ada",
        "first-name": "Ada",
        "last-name": "Lovelace",
        "phone": "+1 555 0101",
        "email": "ada@north.example",
    }
    browser.submit(browser.form("/saml/north/confirm"))
    assert browser.status == 303 and browser.location == "/saml/north/pending"
    browser.get(browser.location)
    assert "you will receive a confirmation email once your account is activated" in browser.text

    identity = Identity.get("north", "ada@north.example")
    assert identity.status == "pending" and identity.asserted.first_name == "Ada"

    # Any later SSO login with that identity shows the same message until it is linked.
    again = sso.browser()
    assert sso.login(again).status_code == 303
    assert again.location == "/saml/north/pending"
    assert [i.subject for i in linking.list_requests("north")] == ["ada@north.example"]


def test_confirmation_is_bound_server_side_and_one_time(sso):
    browser = _confirm(sso, sso.browser())
    form = browser.form("/saml/north/confirm")
    # Extra fields cannot change what is filed: the identity comes from the stored token.
    browser.submit(form, {"subject": "mallory@evil.example", "email": "mallory@evil.example"})
    assert browser.status == 303
    assert Identity.get("north", "ada@north.example").asserted.email == "ada@north.example"
    assert Identity.count("north", Identity.subject == "mallory@evil.example") == 0

    # Replaying the confirmation (token gone) files nothing new.
    browser.cookies["pss_confirm"] = form.fields.get("pss_confirm", "stale")
    browser.post("/saml/north/confirm", {"csrf_token": form.fields["csrf_token"]})
    assert browser.status == 410


def test_confirm_without_csrf_files_nothing(sso):
    browser = _confirm(sso, sso.browser())
    browser.post("/saml/north/confirm", {})
    assert browser.status == 400
    assert linking.list_requests("north") == []


def test_confirm_page_without_a_token_explains(sso):
    browser = sso.browser()
    browser.get("/saml/north/confirm")
    assert browser.status == 410
    assert "Log in with SSO" in browser.text


def _link_ada(sso) -> None:
    users.create_user(users.NewUser("north", "ada.l", "ada@north.example", "Ada", "Lovelace"))
    browser = _confirm(sso, sso.browser())
    browser.submit(browser.form("/saml/north/confirm"))
    linking.link("north", "ada@north.example", "ada.l", actor="test")


def test_linked_identity_lands_signed_in(sso):
    _link_ada(sso)
    browser = sso.browser()
    response = sso.login(browser)
    assert response.status_code == 303 and browser.location == "/home"
    _value, attributes = browser.set_cookies()["pss_session"]
    assert "httponly" in attributes and attributes.get("samesite") == "Lax"
    browser.get("/session")
    assert browser.json["user"] == "ada.l" and browser.json["method"] == "saml"
    browser.get("/home")
    assert "Ada Lovelace" in browser.text and "single sign-on" in browser.text


def test_relay_state_only_same_origin_relative(sso):
    _link_ada(sso)
    browser = sso.browser()
    sso.login(browser, next_path="/home%3Ftab%3D2")
    assert browser.location == "/home?tab=2"
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"):
        other = sso.browser()
        location = sso.start(other)
        form = sso.idp.respond_to_redirect(location, ADA)
        sso.post_acs(other, form.saml_response, evil)
        assert other.status == 303 and other.location == "/home", evil


def test_rejected_identity_sees_it_was_declined(sso):
    browser = _confirm(sso, sso.browser())
    browser.submit(browser.form("/saml/north/confirm"))
    linking.reject("north", "ada@north.example", actor="test")
    again = sso.browser()
    sso.login(again)
    assert again.location == "/saml/north/declined"
    again.get(again.location)
    assert again.status == 403 and "practice administrator" in again.text
    assert "pss_session" not in again.cookies


def test_linked_but_inactive_user_gets_no_session(sso):
    _link_ada(sso)
    user = users.get_user("ada.l")
    user.update(actions=[type(user).active.set(False)])
    browser = sso.browser()
    response = sso.login(browser)
    assert response.status_code == 403
    assert "pss_session" not in browser.cookies
    assert "practice administrator" in browser.text


def test_login_redirects_to_the_idp_and_stores_the_request(sso):
    browser = sso.browser()
    location = sso.start(browser, "/home")
    parts = urlsplit(location)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == sso.idp.sso_url
    assert "SAMLRequest" in query and query["RelayState"] == ["/home"]
    info = sso.idp.parse_authn_request(query["SAMLRequest"][0], "redirect")
    record = AuthnRequestRecord.get(AuthnRequestRecord.key(info.id))
    assert record.group_slug == "north" and record.expires_at is not None


def test_login_for_group_without_idp_says_who_can_fix_it(sso):
    groups.create_group("bare", "Bare Practice")
    browser = sso.browser()
    browser.get("/saml/bare/login")
    assert browser.status == 404 and "practice administrator" in browser.text
    browser.get("/saml/nowhere/login")
    assert browser.status == 404


def test_metadata_names_this_url_and_the_acs(sso):
    from lxml import etree

    browser = sso.browser()
    browser.get("/saml/north/metadata")
    assert browser.status == 200
    root = etree.fromstring(browser.last.body)
    ns = {"md": "urn:oasis:names:tc:SAML:2.0:metadata"}
    assert root.get("entityID") == "http://127.0.0.1:8000/saml/north/metadata"
    acs = root.find(".//md:AssertionConsumerService", ns)
    assert acs.get("Location") == "http://127.0.0.1:8000/saml/north/acs"
    assert acs.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    assert root.find(".//md:KeyDescriptor", ns) is not None
    browser.get("/saml/nowhere/metadata")
    assert browser.status == 404


def test_discovery_routes_by_username_email_and_domain(sso):
    users.create_user(users.NewUser("north", "ada.l", "ada@elsewhere.example", "Ada"))
    for identifier in ("ada.l", "ADA@elsewhere.example", "someone@north.example"):
        browser = sso.browser()
        browser.get("/login/sso")
        browser.submit(browser.form("/login/sso"), {"identifier": identifier})
        assert browser.status == 303, identifier
        assert browser.location == "/saml/north/login", identifier


def test_discovery_does_not_tell_whether_an_account_exists(sso):
    groups.create_group("bare", "Bare Practice", ["bare.example"])
    users.create_user(users.NewUser("bare", "real.person", "real@bare.example"))
    pages = []
    for identifier in ("nobody-at-all", "real.person", "ghost@nowhere.example"):
        browser = sso.browser()
        browser.get("/login/sso")
        browser.submit(browser.form("/login/sso"), {"identifier": identifier})
        pages.append((browser.status, browser.text.replace(identifier, "X").split("csrf_token")[0]))
    assert pages[0] == pages[1] == pages[2]


def test_every_acs_attempt_is_recorded_with_a_reason(sso):
    browser = sso.browser()
    sso.login(browser)
    sso.post_acs(sso.browser(), "bm90IHhtbA==")
    events = [e for e in AuditEvent.query("north") if e.event == "saml.acs"]
    reasons = sorted(e.reason for e in events)
    assert reasons == ["malformed", "not_linked"]
    good = next(e for e in events if e.reason == "not_linked")
    assert good.details["asserted_email"] == "ada@north.example"
    bad = next(e for e in events if e.reason == "malformed")
    assert "asserted_email" not in bad.details


def test_sp_metadata_is_available_before_an_idp_is_connected(sso):
    groups.create_group("fresh", "Fresh Practice")
    browser = sso.browser()
    browser.get("/saml/fresh/metadata")
    assert browser.status == 200
    assert b'entityID="http://127.0.0.1:8000/saml/fresh/metadata"' in browser.last.body
    assert b"validUntil" not in browser.last.body
    browser.get("/saml/fresh/login")
    assert browser.status == 404  # but no login until the IdP is connected


def test_an_expired_authn_request_cannot_be_answered(sso):
    from datetime import timedelta

    from chalicelib.clock import now

    browser = sso.browser()
    location = sso.start(browser)
    form = sso.idp.respond_to_redirect(location, ADA)
    record = AuthnRequestRecord.get(AuthnRequestRecord.key(form.request.id))
    record.update(actions=[AuthnRequestRecord.expires_at.set(now() - timedelta(seconds=1))])
    sso.post_acs(browser, form.saml_response)
    assert browser.status == 400 and "<code>unsolicited</code>" in browser.text


def test_a_linked_sso_login_makes_at_most_four_dynamodb_calls(sso, monkeypatch):
    """SPEC §8 target: group, identity, user, one transaction (the audit rides along)."""
    from pynamodb.connection.base import Connection

    _link_ada(sso)
    browser = sso.browser()
    location = sso.start(browser)
    form = sso.idp.respond_to_redirect(location, ADA)
    calls: list[str] = []
    original = Connection._make_api_call

    def counting(self, operation_name, operation_kwargs):
        calls.append(operation_name)
        return original(self, operation_name, operation_kwargs)

    monkeypatch.setattr(Connection, "_make_api_call", counting)
    sso.post_acs(browser, form.saml_response, form.relay_state)
    monkeypatch.undo()
    assert browser.status == 303 and browser.location == "/home"
    assert calls == ["GetItem", "GetItem", "GetItem", "TransactWriteItems"]
