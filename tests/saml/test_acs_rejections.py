"""SPEC §4 items 1-5: responses an attacker (or a misconfigured IdP) sends, produced by the
independent pysaml2 IdP. Each must end with a 4xx page that names a reason, and no session
and no confirmation page.
"""

from __future__ import annotations

import base64

import pytest

from demo_idp.idp import DemoIdP
from tests.saml.conftest import ADA, IDP_BASE, SsoWorld, idp_keys, make_group


def assert_refused(browser, response, *, reason: str | tuple[str, ...], status: int = 400) -> None:
    assert response.status_code == status, browser.text[:400]
    assert "pss_session" not in browser.cookies
    assert "pss_confirm" not in browser.cookies
    assert "Who can fix this" in browser.text
    reasons = (reason,) if isinstance(reason, str) else reason
    assert any(f"<code>{r}</code>" in browser.text for r in reasons), browser.text[-300:]
    assert "Traceback" not in browser.text


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"clock_offset_seconds": -3600}, "expired"),
        ({"clock_offset_seconds": 3600}, "not_yet_valid"),
        # python3-saml alone tolerates 5 minutes; the group's 2-minute skew does not.
        ({"clock_offset_seconds": 200}, "not_yet_valid"),
        ({"audience": "https://other-service.example/sp"}, "wrong_audience"),
        ({"recipient": "https://evil.example/saml/north/acs"}, "wrong_destination"),
        ({"destination": "https://evil.example/saml/north/acs"}, "wrong_destination"),
        ({"issuer": "https://idp.other.example/metadata"}, "wrong_issuer"),
        ({"in_response_to": "id-this-service-never-issued"}, "unsolicited"),
        ({"sign_assertion": False, "sign_response": True}, "unsigned"),
        ({"sign_assertion": False, "sign_response": False}, "unsigned"),
        ({"sign_alg": "rsa-sha1", "digest_alg": "sha1"}, "deprecated_algorithm"),
        ({"digest_alg": "sha1"}, "deprecated_algorithm"),
    ],
)
def test_bad_responses_are_refused(sso, options, reason):
    browser = sso.browser()
    assert_refused(browser, sso.login(browser, **options), reason=reason)


def test_small_clock_difference_within_skew_is_accepted(sso):
    browser = sso.browser()
    assert sso.login(browser, clock_offset_seconds=60).status_code == 303


def test_missing_in_response_to_is_refused_when_idp_initiated_is_off(sso):
    browser = sso.browser()
    response = sso.idp.create_response(
        sp_entity_id="http://127.0.0.1:8000/saml/north/metadata", user=ADA, in_response_to=None
    )
    assert_refused(browser, sso.post_acs(browser, response), reason="unsolicited")


def test_the_same_response_twice_is_a_replay(sso):
    first = sso.browser()
    location = sso.start(first)
    form = sso.idp.respond_to_redirect(location, ADA)
    assert sso.post_acs(first, form.saml_response, form.relay_state).status_code == 303
    second = sso.browser()
    assert_refused(second, sso.post_acs(second, form.saml_response), reason="replay")


def test_replay_of_an_idp_initiated_assertion(client):
    idp = DemoIdP.for_base_url(IDP_BASE, keypair=idp_keys())
    make_group(client, "open", idp, allow_idp_initiated=True)
    world = SsoWorld(client, idp, "open")
    response = idp.create_response(
        sp_entity_id="http://127.0.0.1:8000/saml/open/metadata", user=ADA, in_response_to=None
    )
    assert world.post_acs(world.browser(), response).status_code == 303
    again = world.browser()
    assert_refused(again, world.post_acs(again, response), reason="replay")


def test_an_answered_request_cannot_be_answered_again(sso):
    browser = sso.browser()
    location = sso.start(browser)
    first = sso.idp.respond_to_redirect(location, ADA)
    second = sso.idp.respond_to_redirect(location, ADA)  # fresh assertion, same request
    assert sso.post_acs(browser, first.saml_response).status_code == 303
    other = sso.browser()
    assert_refused(other, sso.post_acs(other, second.saml_response), reason="unsolicited")


def test_response_for_another_group_is_refused(client):
    idp = DemoIdP.for_base_url(IDP_BASE, keypair=idp_keys())
    make_group(client, "alpha", idp)
    make_group(client, "beta", idp)  # same IdP, same signing key: only the group differs
    alpha, beta = SsoWorld(client, idp, "alpha"), SsoWorld(client, idp, "beta")
    browser = alpha.browser()
    form = idp.respond_to_redirect(alpha.start(browser), ADA)
    thief = beta.browser()
    elsewhere = ("wrong_destination", "wrong_audience")
    assert_refused(thief, beta.post_acs(thief, form.saml_response), reason=elsewhere)
    # Even when the attacker also starts a login at beta, alpha's assertion stays alpha's.
    beta.start(thief)
    assert_refused(thief, beta.post_acs(thief, form.saml_response), reason=elsewhere)
    # And the legitimate owner can still use it at alpha.
    assert alpha.post_acs(browser, form.saml_response).status_code == 303


def test_signature_by_another_key_is_refused(sso):
    impostor = DemoIdP.for_base_url(IDP_BASE, keypair=idp_keys("impostor"))
    impostor.add_sp_metadata(sso.client.http.get("/saml/north/metadata").body.decode())
    browser = sso.browser()
    form = impostor.respond_to_redirect(sso.start(browser), ADA)
    assert_refused(browser, sso.post_acs(browser, form.saml_response), reason="unknown_certificate")


@pytest.mark.parametrize(
    ("payload", "reason", "status"),
    [
        ("", "missing", 400),
        ("   ", "missing", 400),
        ("%%%not-base64%%%", "malformed", 400),
        (base64.b64encode(b"\x00\xff" * 64).decode(), "malformed", 400),
        (base64.b64encode(b"<html>not saml</html>").decode(), "malformed", 400),
        (base64.b64encode(b"A" * (300 * 1024)).decode(), "too_large", 413),
    ],
    ids=["empty", "blank", "not-base64", "binary", "wrong-xml", "oversized"],
)
def test_garbage_is_refused_before_parsing(sso, payload, reason, status):
    browser = sso.browser()
    assert_refused(browser, sso.post_acs(browser, payload), reason=reason, status=status)


SAMLP = b'xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"'


def test_xxe_and_entity_expansion_are_refused(sso):
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&x;</samlp:Response>'
    )
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(8)
        )
        + b"]><samlp:Response "
        + SAMLP
        + b">&i;</samlp:Response>"
    )
    for xml in (xxe, laughs):
        browser = sso.browser()
        response = sso.post_acs(browser, base64.b64encode(xml).decode())
        assert_refused(browser, response, reason="malformed")
        assert "root:" not in browser.text


def test_acs_with_no_form_body_is_a_clear_4xx(sso):
    browser = sso.browser()
    response = browser.request(
        "POST",
        "/saml/north/acs",
        body=b"",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400 and "Start again" in browser.text


def test_a_replay_is_recorded_with_what_the_idp_asserted(sso):
    from chalicelib.models.audit import AuditEvent

    first = sso.browser()
    form = sso.idp.respond_to_redirect(sso.start(first), ADA)
    sso.post_acs(first, form.saml_response)
    sso.post_acs(sso.browser(), form.saml_response)
    replay = next(e for e in AuditEvent.query("north") if e.reason == "replay")
    assert replay.outcome == "failure"
    assert replay.details["subject"] == ADA.email
    assert replay.details["asserted_last_name"] == "Lovelace"
