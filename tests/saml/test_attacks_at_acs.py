"""SPEC §4 item 5 at the real ACS: every hand-mutated attack from tests/saml/attacks.py,
aimed at a group whose linked victim is ``user@example.org``. None may sign anyone in; the
ones python3-saml accepts by design (comments, which c14n leaves out of the signature) may
only ever yield the whole signed value, never the victim.
"""

from __future__ import annotations

import base64
import functools
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree

from chalicelib.models.audit import AuditEvent
from chalicelib.models.identities import AssertedAttributes
from chalicelib.saml.idp_config import IdpFields, build_idp_settings
from chalicelib.services import groups, linking, users
from tests.saml.attacks import ATTACKS, Context
from tests.saml.signing import generate_signing_key
from tests.support.browser import Browser

GROUP = "acme"
ISSUER = "https://idp.example.org/saml/metadata"
BASE = "http://127.0.0.1:8000/saml/acme"
VICTIM = "user@example.org"


@functools.lru_cache(maxsize=1)
def trusted_key():
    return generate_signing_key("acme IdP")


@functools.lru_cache(maxsize=1)
def foreign_key():
    return generate_signing_key("attacker's IdP")


@pytest.fixture
def acme(client):
    groups.create_group(GROUP, "Acme Practice")
    fields = IdpFields(
        entity_id=ISSUER,
        sso_url="https://idp.example.org/saml/sso",
        certificates=[trusted_key().cert_pem.decode()],
    )
    groups.set_idp(GROUP, build_idp_settings(fields))
    users.create_user(users.NewUser(GROUP, "victim", VICTIM, "Vic", "Tim"))
    linking.create_pending(GROUP, VICTIM, AssertedAttributes(unique_id=VICTIM, email=VICTIM))
    linking.link(GROUP, VICTIM, "victim", actor="test")
    return client


def context_for(browser: Browser) -> Context:
    """A fresh login at the ACS's group: the attack answers this outstanding request."""
    browser.get(f"/saml/{GROUP}/login")
    query = parse_qs(urlsplit(browser.location).query)
    xml = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15)
    request_id = etree.fromstring(xml).get("ID")
    return Context(
        key=trusted_key(),
        other_key=foreign_key(),
        issuer=ISSUER,
        audience=f"{BASE}/metadata",
        acs_url=f"{BASE}/acs",
        in_response_to=request_id,
    )


def test_the_unmutated_response_signs_the_victim_in(acme):
    """Without this, every refusal below would prove nothing."""
    browser = Browser(acme)
    ctx = context_for(browser)
    browser.post(f"/saml/{GROUP}/acs", {"SAMLResponse": base64.b64encode(ctx.signed()).decode()})
    assert browser.status == 303 and browser.location == "/home"
    browser.get("/session")
    assert browser.json["user"] == "victim"


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_never_signs_anyone_in(acme, name):
    attack = ATTACKS[name]
    browser = Browser(acme)
    ctx = context_for(browser)
    built = attack.build(ctx)
    assert attack.evidence(built, ctx), "the attack must really be in the document"
    response = browser.post(f"/saml/{GROUP}/acs", {"SAMLResponse": attack.saml_response(ctx)})

    assert response.status_code < 500
    assert "Traceback" not in browser.text
    if attack.accepted_name_id is None:
        assert 400 <= response.status_code < 500, browser.text[:300]
        assert "pss_session" not in browser.cookies
        assert "pss_confirm" not in browser.cookies
        assert "Who can fix this" in browser.text
        return
    if response.status_code >= 400:
        return  # refusing is always allowed
    expected = attack.accepted_name_id(ctx)
    assert ctx.attacker_name_id not in browser.text
    if expected == VICTIM:
        # Comments only inside attributes: it is still the victim's own signed identity, and
        # the attribute values are read whole (the subject could come from one of them).
        assert browser.location == "/home"
        event = next(
            e for e in AuditEvent.query(GROUP, scan_index_forward=False) if e.event == "saml.acs"
        )
        whole = attack.accepted_attributes(ctx)
        assert event.details["asserted_email"] == whole["email"]
        return
    # Accepted only as the whole signed value: an unknown identity, never the victim.
    assert "pss_session" not in browser.cookies
    assert response.status_code == 303 and browser.location == f"/saml/{GROUP}/confirm"
    browser.get(browser.location)
    shown = browser.text.split('id="asserted-unique-id">', 1)[1].split("<", 1)[0]
    assert shown == expected and shown != VICTIM


def test_subject_from_a_comment_injected_attribute_is_read_whole(client):
    """When the unique ID comes from an attribute, a comment inside it cannot shorten it."""
    groups.create_group(GROUP, "Acme Practice")
    fields = IdpFields(
        entity_id=ISSUER,
        sso_url="https://idp.example.org/saml/sso",
        certificates=[trusted_key().cert_pem.decode()],
        mapping={"unique_id": "uid"},
    )
    groups.set_idp(GROUP, build_idp_settings(fields))
    attack = ATTACKS["attribute_comment_injection_post_signing"]
    browser = Browser(client)
    ctx = context_for(browser)
    browser.post(f"/saml/{GROUP}/acs", {"SAMLResponse": attack.saml_response(ctx)})
    assert browser.status == 303
    browser.get(browser.location)
    shown = browser.text.split('id="asserted-unique-id">', 1)[1].split("<", 1)[0]
    assert shown == attack.accepted_attributes(ctx)["uid"]
