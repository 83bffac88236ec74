"""The attack library is real: checked against python3-saml (strict) as a stand-in SP.

1. The unmutated responses of the signing helper ARE valid, so a rejection proves something.
2. Every attack's mutation is really there (its evidence holds), so no test passes vacuously;
   XSW documents keep the original signature verifiable and fool a naive consumer.
3. python3-saml 1.16 refuses every attack, or (comment injection, size) accepts it reading
   only the whole signed values, never the victim's bare NameID nor the attacker's.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import pytest
from lxml import etree
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings

from tests.saml import attacks, signing
from tests.saml.attacks import ATTACKER_NAME_ID, ATTACKS, XSW_NAMES, Attack, Context

# The brief's request_data carries server_port, which python3-saml 1.16 deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:The server_port key:DeprecationWarning")

HOST = "sp.example.org"
ACS_PATH = "/saml/acme/acs"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SIZE_CAP = 256 * 1024

# What python3-saml 1.16 (strict) does with each attack: the error it rejects with, or
# ACCEPTED (then only whole signed values may come out; see test_python3_saml_...).
ACCEPTED = "ACCEPTED"
COUNT = "SAML Response must contain 1 assertion"
EXPECTED_PYTHON3_SAML = {
    **dict.fromkeys(XSW_NAMES, COUNT),
    "nameid_comment_injection": ACCEPTED,
    "nameid_comment_injection_post_signing": ACCEPTED,
    "attribute_comment_injection_post_signing": ACCEPTED,
    "strip_signature": "The Assertion of the Response is not signed",
    "assertion_unsigned_response_signed": "The Assertion of the Response is not signed",
    "empty_signature_value": "Signature validation failed",
    "foreign_key_signature": "Signature validation failed",
    "foreign_key_signature_attacker_nameid": "Signature validation failed",
    "alter_attribute": "Signature validation failed",
    "alter_nameid": "Signature validation failed",
    "add_second_assertion_unsigned": COUNT,
    "sha1_signed": "Deprecated signature algorithm",
    "xxe": "DTDForbidden",
    "billion_laughs": "XMLSyntaxError",  # libxml2's amplification limit fires first
    "garbage": "XMLSyntaxError",
    "not_base64": "Error",  # binascii.Error from the constructor's b64decode
    "empty": "XMLSyntaxError",
    # python3-saml has no size cap: the service's 256 KiB check is the only defence.
    "oversized_comment": ACCEPTED,
    "oversized_signed_attribute": ACCEPTED,
}

# With python3-saml's assertion count check disabled (defence in depth): what still stops
# each wrapping. None: accepted, but reading the signed original (asserted below).
EXPECTED_WITHOUT_COUNT_CHECK = {
    "xsw1": "Found an invalid Signed Element",
    "xsw2": "Found an invalid Signed Element",
    "xsw1_both_signed": "Found an invalid Signed Element",
    "xsw2_both_signed": "Found an invalid Signed Element",
    "xsw3": None,
    "xsw4": "Unexpected number of Assertion signatures",
    "xsw5": "Found an invalid Signed Element",
    "xsw6": "Found an invalid Signed Element",
    "xsw7": None,
    "xsw8": "Found an invalid Signed Element",
    "xsw7_saml_raider": "Not match the saml-schema-protocol-2.0.xsd",
    "xsw8_saml_raider": "Not match the saml-schema-protocol-2.0.xsd",
    "add_second_assertion_unsigned": None,
}


@pytest.fixture(scope="module")
def ctx() -> Context:
    return Context.create(
        issuer="https://idp.example.org/saml/metadata",
        audience=f"https://{HOST}/saml/acme/metadata",
        acs_url=f"https://{HOST}{ACS_PATH}",
        in_response_to="_authnrequest-7f3c",
        name_id="user@example.org",
    )


def sp_settings(ctx: Context) -> OneLogin_Saml2_Settings:
    return OneLogin_Saml2_Settings(
        {
            "strict": True,
            "debug": False,
            "sp": {
                "entityId": ctx.audience,
                "assertionConsumerService": {
                    "url": ctx.acs_url,
                    "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
                },
            },
            "idp": {
                "entityId": ctx.issuer,
                "singleSignOnService": {
                    "url": "https://idp.example.org/saml/sso",
                    "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
                },
                "x509cert": ctx.key.cert_b64,
            },
            "security": {
                "wantAssertionsSigned": True,
                "rejectDeprecatedAlgorithm": True,
                "signatureAlgorithm": RSA_SHA256,
                "digestAlgorithm": SHA256,
            },
        },
        sp_validation_only=True,
    )


@dataclass
class Outcome:
    valid: bool
    error: str = ""
    name_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


def python3_saml(ctx: Context, saml_response: str) -> Outcome:
    """What python3-saml makes of a SAMLResponse form value; a constructor exception (the
    parser refusing a DTD, garbage, bad base64) counts as a rejection."""
    request_data = {
        "https": "on",
        "http_host": HOST,
        "script_name": ACS_PATH,
        "server_port": "443",
        "post_data": {"SAMLResponse": saml_response},
    }
    try:
        response = OneLogin_Saml2_Response(sp_settings(ctx), saml_response)
    except Exception as exc:
        return Outcome(False, f"{type(exc).__name__}: {exc}")
    if not response.is_valid(request_data, ctx.in_response_to):
        return Outcome(False, response.get_error() or "")
    return Outcome(True, "", response.get_nameid(), response.get_attributes())


# --------------------------------------------------------------------------- the baseline


@pytest.mark.parametrize(
    ("sign_assertion", "sign_response", "idp_initiated"),
    [(True, False, False), (True, True, False), (True, False, True)],
    ids=["assertion_signed", "response_and_assertion_signed", "idp_initiated"],
)
def test_unmutated_signed_response_is_valid(ctx, sign_assertion, sign_response, idp_initiated):
    if idp_initiated:
        ctx = ctx.with_(in_response_to=None)
    xml = ctx.signed(sign_assertion=sign_assertion, sign_response=sign_response)
    assert (b"InResponseTo" in xml) is not idp_initiated
    outcome = python3_saml(ctx, signing.b64(xml))
    assert outcome.valid, outcome.error
    assert outcome.name_id == ctx.name_id
    assert outcome.attributes == {
        name: [value] for name, value in signing.default_attributes(ctx.name_id).items()
    }


def test_signing_helper_shape(ctx):
    xml = ctx.signed(sign_response=True)
    root = signing.parse(xml)
    assertion = root.find(attacks.ASSERTION)
    for element in (root, assertion):
        assert element[0].tag == signing.q("saml", "Issuer")
        assert element[1].tag == attacks.SIGNATURE  # right after the Issuer
        reference = element[1].find(f"{{{signing.DS}}}SignedInfo/{{{signing.DS}}}Reference")
        assert reference.get("URI") == f"#{element.get('ID')}"
    assert RSA_SHA256.encode() in xml and SHA256.encode() in xml
    assert b"xmldsig#sha1" not in xml
    assert attacks.strictly_verifies(xml, ctx)
    assert all(signing.naive_verify(s, ctx.key.cert_pem) for s in root.iter(attacks.SIGNATURE))
    # cert_b64 is the one-line DER body of cert_pem
    assert "\n" not in ctx.key.cert_b64
    pem_body = b"".join(ctx.key.cert_pem.strip().splitlines()[1:-1])
    assert base64.b64decode(ctx.key.cert_b64) == base64.b64decode(pem_body)
    assert signing.b64(xml) == base64.b64encode(xml).decode()


def test_other_key_is_not_trusted(ctx):
    xml = ctx.signed(key=ctx.other_key)
    assert signing.verify_signature(xml, ctx.other_key.cert_pem)
    assert not signing.verify_signature(xml, ctx.key.cert_pem)
    assert not python3_saml(ctx, signing.b64(xml)).valid


# --------------------------------------------------------------------------- the registry


def test_registry_covers_the_brief():
    required = {f"xsw{n}" for n in range(1, 9)} | {
        "nameid_comment_injection",
        "nameid_comment_injection_post_signing",
        "strip_signature",
        "empty_signature_value",
        "foreign_key_signature",
        "alter_attribute",
        "alter_nameid",
        "add_second_assertion_unsigned",
        "sha1_signed",
        "xxe",
        "billion_laughs",
        "garbage",
        "empty",
        "oversized_comment",
    }
    assert required <= set(ATTACKS)
    assert set(EXPECTED_PYTHON3_SAML) == set(ATTACKS)
    for attack in ATTACKS.values():
        assert attack.description and attack.expected_reason_hint, attack.name


@pytest.mark.parametrize("attack", list(ATTACKS.values()), ids=list(ATTACKS))
def test_attack_is_really_mutated(ctx, attack: Attack):
    xml = attack.build(ctx)
    assert attack.evidence(xml, ctx), f"{attack.name}: mutation not found"
    if xml.startswith(b"<?xml"):
        assert xml != ctx.signed()


@pytest.mark.parametrize("name", XSW_NAMES)
def test_xsw_keeps_the_signed_original_and_fools_a_naive_consumer(ctx, name):
    """The wrapping is well-formed: the attacker's NameID is in the document, the original
    signed element is intact (naive verification passes), and where xmlsec itself still
    verifies every signature, a naive consumer reads the attacker."""
    xml = ATTACKS[name].build(ctx)
    assert attacks.wrapped_signature_verifies(xml, ctx)
    root = signing.parse(xml)
    nameids = ["".join(n.itertext()) for n in root.iter(attacks.NAMEID)]
    assert ATTACKER_NAME_ID in nameids and ctx.name_id in nameids
    if attacks.strictly_verifies(xml, ctx):
        first_in_document = attacks.naive_name_id(xml)
        own_assertion = root.find(f"{attacks.ASSERTION}/{{{signing.SAML}}}Subject/{attacks.NAMEID}")
        naive_reads = {first_in_document, own_assertion.text if own_assertion is not None else None}
        assert ATTACKER_NAME_ID in naive_reads, name


def test_xsw_strict_xmlsec_verification_matrix(ctx):
    """xmlsec's own verdict (ID lookup + a correct enveloped-signature transform): wrappings
    that put the original INSIDE the Signature, or duplicate its ID, fail cryptographically;
    the others verify, and only the SP's choice of element stops them."""
    verdict = {name: attacks.strictly_verifies(ATTACKS[name].build(ctx), ctx) for name in XSW_NAMES}
    assert verdict == {
        "xsw1": False,  # original inside the Signature: excluded by the enveloped transform
        "xsw2": True,
        "xsw1_both_signed": False,
        "xsw2_both_signed": False,  # the evil Response's altered Assertion breaks its own sig
        "xsw3": True,
        "xsw4": True,
        "xsw5": True,
        "xsw6": False,
        "xsw7": True,
        "xsw8": False,
        "xsw7_saml_raider": False,  # duplicate ID: xmlsec resolves the evil copy first
        "xsw8_saml_raider": False,
    }


def test_mutations_refuse_the_wrong_input(ctx):
    with pytest.raises(ValueError, match="Response is not signed"):
        attacks.xsw1(ctx.signed())
    with pytest.raises(ValueError, match="Assertion is not signed"):
        attacks.xsw3(ctx.signed(sign_assertion=False, sign_response=True))


def test_comment_injection_variants_are_equivalent_under_c14n(ctx):
    pre = signing.parse(attacks.nameid_comment_injection(ctx))
    post = signing.parse(attacks.nameid_comment_injection_post_signing(ctx))
    for root in (pre, post):
        nameid = root.find(f".//{attacks.NAMEID}")
        assert nameid.text == ctx.name_id
        assert isinstance(nameid[0], etree._Comment)
        assert nameid[0].tail == attacks.COMMENT_SUFFIX
        c14n = etree.tostring(nameid, method="c14n", exclusive=True, with_comments=False)
        assert c14n.endswith(f">{ctx.name_id}{attacks.COMMENT_SUFFIX}</saml:NameID>".encode())


# --------------------------------------------------------------------------- python3-saml


@pytest.mark.parametrize("attack", list(ATTACKS.values()), ids=list(ATTACKS))
def test_python3_saml_refuses_or_reads_only_signed_values(ctx, attack: Attack):
    outcome = python3_saml(ctx, attack.saml_response(ctx))
    expected = EXPECTED_PYTHON3_SAML[attack.name]
    if expected != ACCEPTED:
        assert not outcome.valid, f"{attack.name} accepted as {outcome.name_id!r}"
        assert expected in outcome.error
        return
    assert outcome.valid, outcome.error
    assert outcome.name_id != ATTACKER_NAME_ID
    if attack.accepted_name_id is None:
        # Legitimately signed and only too big: the size cap must refuse it, not python3-saml.
        assert len(attack.build(ctx)) > SIZE_CAP
        assert outcome.name_id == ctx.name_id
        return
    assert outcome.name_id == attack.accepted_name_id(ctx)
    if attack.accepted_name_id(ctx) != ctx.name_id:
        assert outcome.name_id != ctx.name_id  # never the truncated victim value
    for name, value in (
        attack.accepted_attributes(ctx) if attack.accepted_attributes else {}
    ).items():
        assert outcome.attributes[name] == [value]


@pytest.mark.parametrize("name", list(EXPECTED_WITHOUT_COUNT_CHECK))
def test_python3_saml_without_its_assertion_count_check(ctx, name, monkeypatch):
    """Defence in depth: even with python3-saml's "exactly one assertion" check switched
    off, no wrapping makes it read the attacker: it is refused later, or python3-saml reads
    the assertion the signature references (the signed original)."""
    monkeypatch.setattr(OneLogin_Saml2_Response, "validate_num_assertions", lambda self: True)
    outcome = python3_saml(ctx, ATTACKS[name].saml_response(ctx))
    expected = EXPECTED_WITHOUT_COUNT_CHECK[name]
    if expected is None:
        assert outcome.valid, outcome.error
        assert outcome.name_id == ctx.name_id
        assert outcome.attributes["email"] == [ctx.name_id]
    else:
        assert not outcome.valid
        assert expected in outcome.error
