"""GET /saml/{group}/sls: an IdP's signed LogoutRequest ends the person's sessions here."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from saml2 import BINDING_HTTP_REDIRECT
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.xmldsig import SIG_RSA_SHA256

from chalicelib.services import groups, linking, users
from tests.saml.conftest import ADA

SLS = "http://127.0.0.1:8000/saml/north/sls"


def _signed_in_ada(sso):
    users.create_user(users.NewUser("north", "ada.l", "ada@north.example", "Ada", "Lovelace"))
    browser = sso.browser()
    sso.login(browser)
    browser.get("/saml/north/confirm")
    browser.submit(browser.form("/saml/north/confirm"))
    linking.link("north", "ada@north.example", "ada.l", actor="test")
    signed_in = sso.browser()
    sso.login(signed_in)
    signed_in.get("/session")
    assert signed_in.status == 200
    return signed_in


def _logout_request(sso, *, sign: bool) -> dict[str, str]:
    server = sso.idp.server
    _request_id, request = server.create_logout_request(
        SLS,
        "http://127.0.0.1:8000/saml/north/metadata",
        name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=ADA.email),
        reason="urn:oasis:names:tc:SAML:2.0:logout:user",
        sign=False,
    )
    info = server.apply_binding(
        BINDING_HTTP_REDIRECT, str(request), SLS, "", sign=sign, sigalg=SIG_RSA_SHA256
    )
    location = dict(info["headers"])["Location"]
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _get(browser, query):
    from urllib.parse import urlencode

    return browser.get(f"/saml/north/sls?{urlencode(query)}")


def test_signed_logout_request_revokes_sessions_and_answers(sso):
    signed_in = _signed_in_ada(sso)
    response = _get(sso.browser(), _logout_request(sso, sign=True))
    assert response.status_code == 302
    answer = urlsplit(dict(response.headers)["Location"])
    assert answer.path == "/idp/slo" and "SAMLResponse" in parse_qs(answer.query)
    signed_in.get("/session")
    assert signed_in.status == 401


def test_unsigned_logout_request_is_refused(sso):
    signed_in = _signed_in_ada(sso)
    browser = sso.browser()
    _get(browser, _logout_request(sso, sign=False))
    assert browser.status == 400 and "<code>unsigned</code>" in browser.text
    signed_in.get("/session")
    assert signed_in.status == 200


def test_no_slo_without_an_idp_slo_url(sso):
    group = groups.get_group("north")
    group.idp.slo_url = None
    group.save()
    browser = sso.browser()
    browser.get("/saml/north/sls?SAMLRequest=x")
    assert browser.status == 404
