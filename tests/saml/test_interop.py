"""Responses produced by an independent SAML implementation (pysaml2, via demo_idp) are
accepted in the shapes real IdPs send them.
"""

from __future__ import annotations

import pytest

from chalicelib.models.identities import Identity
from chalicelib.services import groups
from demo_idp.idp import DemoIdP
from tests.saml.conftest import ADA, IDP_BASE, SsoWorld, idp_keys, make_group


@pytest.mark.parametrize(
    "options",
    [
        {"sign_assertion": True, "sign_response": False},
        {"sign_assertion": True, "sign_response": True},
        {"sign_assertion": True, "encrypt_assertion": True},
        {"sign_assertion": True, "sign_response": True, "encrypt_assertion": True},
    ],
    ids=["signed-assertion", "signed-response-and-assertion", "encrypted", "encrypted-signed-both"],
)
def test_signed_and_encrypted_shapes_are_accepted(sso, options):
    from chalicelib.services.secrets import sp_key_pair

    if options.get("encrypt_assertion"):
        # An IdP may encrypt to the SP certificate even when the group does not require it.
        options = {**options, "encryption_cert": sp_key_pair().certificate}
    browser = sso.browser()
    response = sso.login(browser, **options)
    assert response.status_code == 303, browser.text
    assert browser.location == "/saml/north/confirm"


def test_email_address_name_id_is_the_subject(sso):
    sso.login(sso.browser(), name_id_format="emailAddress")
    browser = sso.browser()
    sso.login(browser, name_id_format="emailAddress")
    browser.get("/saml/north/confirm")
    assert 'id="asserted-unique-id">ada@north.example<' in browser.text


def test_persistent_name_id_is_the_subject(sso):
    browser = sso.browser()
    sso.login(browser, name_id_format="persistent")
    browser.get("/saml/north/confirm")
    assert f'id="asserted-unique-id">{ADA.uid}<' in browser.text
    browser.submit(browser.form("/saml/north/confirm"))
    assert Identity.get("north", ADA.uid).status == "pending"


def test_unique_id_can_come_from_an_attribute(client):
    idp = DemoIdP.for_base_url(IDP_BASE, keypair=idp_keys())
    make_group(client, "west", idp, mapping={"unique_id": "uid"})
    world = SsoWorld(client, idp, "west")
    browser = world.browser()
    world.login(browser, name_id_format="emailAddress")
    browser.get("/saml/west/confirm")
    assert f'id="asserted-unique-id">{ADA.uid}<' in browser.text


def test_idp_initiated_only_when_enabled(client):
    idp = DemoIdP.for_base_url(IDP_BASE, keypair=idp_keys())
    make_group(client, "east", idp)
    world = SsoWorld(client, idp, "east")
    acs = "http://127.0.0.1:8000/saml/east/acs"
    sp = "http://127.0.0.1:8000/saml/east/metadata"

    refused = world.browser()
    unsolicited = idp.create_response(sp_entity_id=sp, user=ADA, acs_url=acs, in_response_to=None)
    world.post_acs(refused, unsolicited)
    assert refused.status == 400 and "did not ask for this sign-in" in refused.text

    group = groups.get_group("east")
    group.idp.allow_idp_initiated = True
    group.save()
    accepted = world.browser()
    fresh = idp.create_response(sp_entity_id=sp, user=ADA, acs_url=acs, in_response_to=None)
    world.post_acs(accepted, fresh)
    assert accepted.status == 303 and accepted.location == "/saml/east/confirm"
    # Replay protection still holds for IdP-initiated responses.
    again = world.browser()
    world.post_acs(again, fresh)
    assert again.status == 400 and "already used" in again.text


def test_certificate_rollover_accepts_either_trusted_key(client):
    old_idp = DemoIdP.for_base_url(IDP_BASE, keypair=idp_keys("old"))
    make_group(client, "roll", old_idp)
    new_idp = DemoIdP.for_base_url(IDP_BASE, keypair=idp_keys("new"))
    from chalicelib.saml.idp_config import build_idp_settings, fields_from_metadata

    fields = fields_from_metadata(old_idp.metadata_xml())
    fields.certificates.append(new_idp.keypair.cert_pem)
    groups.set_idp("roll", build_idp_settings(fields))
    metadata = client.http.get("/saml/roll/metadata").body.decode()
    new_idp.add_sp_metadata(metadata)
    for idp in (old_idp, new_idp):
        world = SsoWorld(client, idp, "roll")
        browser = world.browser()
        assert world.login(browser).status_code == 303, browser.text


def test_group_requiring_encryption_publishes_the_key_and_refuses_plaintext(client):
    idp = DemoIdP.for_base_url(IDP_BASE, keypair=idp_keys())
    make_group(client, "crypt", idp, want_encrypted_assertions=True)
    metadata = client.http.get("/saml/crypt/metadata").body.decode()
    assert 'use="encryption"' in metadata
    world = SsoWorld(client, idp, "crypt")
    encrypted = world.browser()
    assert world.login(encrypted, encrypt_assertion=True).status_code == 303
    plain = world.browser()
    assert world.login(plain, encrypt_assertion=False).status_code == 400
    assert "encrypted" in plain.text and "pss_confirm" not in plain.cookies


def test_entra_preset_reads_the_object_identifier_claim(client):
    idp = DemoIdP.for_base_url(IDP_BASE, keypair=idp_keys())
    make_group(client, "entra", idp, preset="entra")
    world = SsoWorld(client, idp, "entra")
    browser = world.browser()
    oid = "http://schemas.microsoft.com/identity/claims/objectidentifier"
    given = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
    world.login(
        browser,
        attributes={oid: ["8c2f5a51-0000-4000-8000-00000000abcd"], given: ["Ada"]},
    )
    browser.get("/saml/entra/confirm")
    assert 'id="asserted-unique-id">8c2f5a51-0000-4000-8000-00000000abcd<' in browser.text
    assert 'id="asserted-first-name">Ada<' in browser.text


def test_signed_authn_requests_are_verified_by_the_idp(client):
    idp = DemoIdP.for_base_url(IDP_BASE, keypair=idp_keys(), want_authn_requests_signed=True)
    make_group(client, "signs", idp, sign_requests=True)
    world = SsoWorld(client, idp, "signs")
    browser = world.browser()
    location = world.start(browser)
    assert "Signature=" in location and "SigAlg=" in location
    form = idp.respond_to_redirect(location, ADA)
    assert form.request.signed
    assert world.post_acs(browser, form.saml_response).status_code == 303
