"""Interop: responses from the pysaml2 demo IdP, validated by python3-saml in strict mode."""

from __future__ import annotations

import base64
import os
import re
import stat
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.response import OneLogin_Saml2_Response

from demo_idp import (
    DEMO_USERS,
    DemoIdP,
    DemoIdPError,
    DemoUser,
    UnknownServiceProvider,
    cert_base64,
    generate_keypair,
    load_or_create_keypair,
    load_users,
)

from .conftest import SP, make_sp

ADA = DEMO_USERS[0]
NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
}
EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"


def validate(sp: SP, saml_response: str, request_id: str | None) -> OneLogin_Saml2_Response:
    response = OneLogin_Saml2_Response(sp.settings, saml_response)
    response.is_valid(sp.acs_request(saml_response), request_id, raise_exceptions=True)
    return response


def is_valid(sp: SP, saml_response: str, request_id: str | None) -> tuple[bool, str | None]:
    response = OneLogin_Saml2_Response(sp.settings, saml_response)
    ok = response.is_valid(sp.acs_request(saml_response), request_id)
    return ok, response.get_error()


def sp_login(sp: SP, relay_state: str = "/home") -> tuple[str, dict[str, str]]:
    """What the service does at /saml/{group}/login: the request id and the redirect's query."""
    auth = OneLogin_Saml2_Auth(sp.request_data(f"/saml/{sp.slug}/login"), old_settings=sp.settings)
    url = auth.login(return_to=relay_state)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    return auth.get_last_request_id(), query


# -- keys ---------------------------------------------------------------------------------


def test_keypair_files_and_single_line_cert(tmp_path):
    first = load_or_create_keypair(tmp_path / "keys")
    again = load_or_create_keypair(tmp_path / "keys")
    assert first == again
    assert "BEGIN PRIVATE KEY" in first.key_pem
    assert stat.S_IMODE(os.stat(tmp_path / "keys" / "idp-key.pem").st_mode) == 0o600
    line = first.cert_base64
    assert "\n" not in line and "BEGIN" not in line
    assert base64.b64decode(line)[:1] == b"\x30"  # DER SEQUENCE
    assert cert_base64(first.cert_pem) == line


# -- metadata -----------------------------------------------------------------------------


def test_metadata_parses_with_python3_saml(idp: DemoIdP, idp_keypair):
    xml = idp.metadata_xml()
    parsed = OneLogin_Saml2_IdPMetadataParser.parse(xml)["idp"]
    assert parsed["entityId"] == "http://127.0.0.1:8001/idp/metadata"
    assert parsed["singleSignOnService"]["url"] == "http://127.0.0.1:8001/idp/sso"
    assert parsed["singleLogoutService"]["url"] == "http://127.0.0.1:8001/idp/slo"
    assert parsed["x509cert"] == idp_keypair.cert_base64
    doc = etree.fromstring(xml.encode())
    bindings = doc.xpath("//md:SingleSignOnService/@Binding", namespaces=NS)
    assert set(bindings) == {
        "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
        "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
    }
    algs = " ".join(doc.xpath("//md:Extensions/*/@Algorithm", namespaces=NS))
    assert "sha1" not in algs and "md5" not in algs


def test_metadata_for_matches_a_running_idp(tmp_path):
    kp = load_or_create_keypair(tmp_path)
    xml = DemoIdP.metadata_for("http://127.0.0.1:9999/", kp)
    parsed = OneLogin_Saml2_IdPMetadataParser.parse(xml)["idp"]
    assert parsed["entityId"] == "http://127.0.0.1:9999/idp/metadata"
    assert parsed["x509cert"] == kp.cert_base64


def test_metadata_without_slo():
    idp = DemoIdP(entity_id="urn:test:idp", sso_url="http://idp.test/sso")
    try:
        assert "SingleLogoutService" not in idp.metadata_xml()
    finally:
        idp.close()


# -- AuthnRequest -------------------------------------------------------------------------


def test_parse_python3_saml_authn_request(idp: DemoIdP, sp: SP):
    request_id, query = sp_login(sp)
    info = idp.parse_authn_request(query["SAMLRequest"], relay_state=query["RelayState"])
    assert info.id == request_id
    assert info.issuer == info.sp_entity_id == sp.entity_id
    assert info.acs_url == sp.acs_url
    assert info.destination == idp.sso_url
    assert not info.signed
    assert query["RelayState"] == "/home"


def test_signed_authn_request_required_and_verified(idp_keypair, sp_keypair):
    idp = DemoIdP.for_base_url(
        "http://127.0.0.1:8001", keypair=idp_keypair, want_authn_requests_signed=True
    )
    try:
        signing_sp = make_sp(idp.metadata_xml(), sp_keypair, security={"authnRequestsSigned": True})
        idp.add_sp_metadata(signing_sp.metadata_xml)
        request_id, q = sp_login(signing_sp)
        info = idp.parse_authn_request(
            q["SAMLRequest"],
            relay_state=q["RelayState"],
            sig_alg=q["SigAlg"],
            signature=q["Signature"],
        )
        assert info.id == request_id and info.signed
        with pytest.raises(DemoIdPError):
            idp.parse_authn_request(q["SAMLRequest"], relay_state=q["RelayState"])
        with pytest.raises(DemoIdPError):  # RelayState changed after signing
            idp.parse_authn_request(
                q["SAMLRequest"], relay_state="/evil", sig_alg=q["SigAlg"], signature=q["Signature"]
            )
        stranger = make_sp(
            idp.metadata_xml(), sp_keypair, slug="x", security={"authnRequestsSigned": True}
        )
        _, q = sp_login(stranger)
        with pytest.raises(UnknownServiceProvider):
            idp.parse_authn_request(q["SAMLRequest"], sig_alg=q["SigAlg"], signature=q["Signature"])
    finally:
        idp.close()


def test_unreadable_and_unknown_requests(idp: DemoIdP, sp_keypair):
    with pytest.raises(DemoIdPError):
        idp.parse_authn_request("")
    with pytest.raises(DemoIdPError):
        idp.parse_authn_request("bm90IHNhbWw=")
    stranger = make_sp(idp.metadata_xml(), sp_keypair, slug="stranger")
    _, query = sp_login(stranger)
    with pytest.raises(UnknownServiceProvider):
        idp.parse_authn_request(query["SAMLRequest"])


# -- responses accepted by python3-saml ---------------------------------------------------


def test_signed_assertion_only(idp: DemoIdP, sp: SP):
    request_id, query = sp_login(sp)
    info = idp.parse_authn_request(query["SAMLRequest"])
    b64 = idp.create_response(
        sp_entity_id=info.issuer, acs_url=info.acs_url, in_response_to=info.id, user=ADA
    )
    doc = etree.fromstring(base64.b64decode(b64))
    assert doc.xpath("count(/samlp:Response/ds:Signature)", namespaces=NS) == 0
    assert doc.xpath("count(/samlp:Response/saml:Assertion/ds:Signature)", namespaces=NS) == 1
    response = validate(sp, b64, request_id)
    assert response.get_nameid() == ADA.email
    assert response.get_nameid_format() == EMAIL
    attrs = response.get_attributes()
    assert attrs["uid"] == [ADA.uid]
    assert attrs["username"] == ["dr.ada"]
    assert attrs["firstName"] == ["Ada"] and attrs["lastName"] == ["Lovelace"]
    assert attrs["email"] == [ADA.email] and attrs["phone"] == [ADA.phone]
    assert attrs["urn:oid:0.9.2342.19200300.100.1.3"] == [ADA.email]
    assert response.get_session_index()


def test_signed_response_and_assertion(idp: DemoIdP, sp: SP):
    request_id, _ = sp_login(sp)
    b64 = idp.create_response(
        sp_entity_id=sp.entity_id,
        in_response_to=request_id,
        user=ADA,
        sign_response=True,
        sign_assertion=True,
    )
    doc = etree.fromstring(base64.b64decode(b64))
    assert doc.xpath("count(/samlp:Response/ds:Signature)", namespaces=NS) == 1
    assert doc.xpath("count(//saml:Assertion/ds:Signature)", namespaces=NS) == 1
    validate(sp, b64, request_id)


def test_response_signed_but_assertion_not_is_refused(idp: DemoIdP, sp: SP):
    request_id, _ = sp_login(sp)
    b64 = idp.create_response(
        sp_entity_id=sp.entity_id,
        in_response_to=request_id,
        user=ADA,
        sign_response=True,
        sign_assertion=False,
    )
    ok, error = is_valid(sp, b64, request_id)
    assert not ok and "Assertion" in error


@pytest.mark.parametrize("data_alg", ["aes256-cbc", "aes128-gcm"])
def test_encrypted_assertion(idp: DemoIdP, idp_keypair, sp_keypair, data_alg):
    enc_sp = make_sp(
        idp.metadata_xml(), sp_keypair, slug="secret", security={"wantAssertionsEncrypted": True}
    )
    idp.add_sp_metadata(enc_sp.metadata_xml)
    request_id, _ = sp_login(enc_sp)
    xml = idp.create_response(
        sp_entity_id=enc_sp.entity_id,
        in_response_to=request_id,
        user=ADA,
        sign_response=True,
        encrypt_assertion=True,
        data_encryption_alg=data_alg,
        as_xml=True,
    )
    assert "EncryptedAssertion" in xml and "Lovelace" not in xml
    response = validate(enc_sp, base64.b64encode(xml.encode()).decode(), request_id)
    assert response.get_attributes()["lastName"] == ["Lovelace"]


def test_encryption_certificate_choice(idp: DemoIdP, sp: SP, sp_keypair):
    # This SP's metadata carries a signing key only: it is used for encryption too.
    b64 = idp.create_response(sp_entity_id=sp.entity_id, user=ADA, encrypt_assertion=True)
    assert b"EncryptedAssertion" in base64.b64decode(b64)
    validate(sp, b64, None)
    # An SP metadata without any certificate: encryption needs an explicit one.
    bare = make_sp(idp.metadata_xml(), sp_keypair, slug="bare")
    bare_xml = re.sub(r"<md:KeyDescriptor.*?</md:KeyDescriptor>", "", bare.metadata_xml, flags=re.S)
    idp.add_sp_metadata(bare_xml)
    with pytest.raises(DemoIdPError):
        idp.create_response(sp_entity_id=bare.entity_id, user=ADA, encrypt_assertion=True)
    request_id, _ = sp_login(sp)
    b64 = idp.create_response(
        sp_entity_id=sp.entity_id,
        in_response_to=request_id,
        user=ADA,
        encrypt_assertion=True,
        encryption_cert=sp_keypair.cert_pem,
    )
    assert b"EncryptedAssertion" in base64.b64decode(b64)
    validate(sp, b64, request_id)


@pytest.mark.parametrize(
    ("fmt", "expected_format", "value"),
    [
        ("emailAddress", EMAIL, lambda u: u.email),
        ("persistent", PERSISTENT, lambda u: u.uid),
    ],
)
def test_name_id_formats(idp: DemoIdP, sp: SP, fmt, expected_format, value):
    user = DEMO_USERS[1]
    request_id, _ = sp_login(sp)
    b64 = idp.create_response(
        sp_entity_id=sp.entity_id, in_response_to=request_id, user=user, name_id_format=fmt
    )
    response = validate(sp, b64, request_id)
    assert response.get_nameid_format() == expected_format
    assert response.get_nameid() == value(user)


def test_idp_initiated(idp: DemoIdP, sp: SP):
    b64 = idp.create_response(sp_entity_id=sp.entity_id, in_response_to=None, user=ADA)
    xml = base64.b64decode(b64).decode()
    assert "InResponseTo" not in xml
    response = validate(sp, b64, None)
    assert response.get_nameid() == ADA.email


def test_several_sps(idp: DemoIdP, sp: SP, sp_keypair):
    other = make_sp(idp.metadata_xml(), generate_keypair("other"), slug="other-clinic")
    idp.add_sp_metadata(other.metadata_xml)
    assert set(idp.sp_entity_ids) == {sp.entity_id, other.entity_id}
    assert idp.acs_urls(other.entity_id) == [other.acs_url]
    rid, _ = sp_login(other)
    for_other = idp.create_response(sp_entity_id=other.entity_id, in_response_to=rid, user=ADA)
    validate(other, for_other, rid)
    # A response for group "other-clinic" posted to group "demo"'s ACS is refused.
    assert not is_valid(sp, for_other, None)[0]


def test_custom_users_and_attributes(idp: DemoIdP, sp: SP, tmp_path):
    users_file = tmp_path / "users.json"
    users_file.write_text(
        '[{"username": "x", "first_name": "Xi", "last_name": "Yu", "email": "xi@ex.test",'
        ' "uid": "u-1", "extra_attributes": {"groups": ["a", "b"]}}]'
    )
    (user,) = load_users(users_file)
    assert user.name_id == "xi@ex.test" and user.uid == "u-1"
    b64 = idp.create_response(sp_entity_id=sp.entity_id, user=user)
    attrs = validate(sp, b64, None).get_attributes()
    assert attrs["groups"] == ["a", "b"] and "phone" not in attrs
    b64 = idp.create_response(
        sp_entity_id=sp.entity_id, user=user, attributes={"employeeNumber": ["42"]}
    )
    assert validate(sp, b64, None).get_attributes() == {"employeeNumber": ["42"]}


# -- responses python3-saml must refuse (the knobs the service's security tests use) -------


@pytest.mark.parametrize(
    ("options", "error_fragment"),
    [
        ({"clock_offset_seconds": -3600}, "expired"),
        ({"clock_offset_seconds": 3600}, "not yet valid"),
        ({"audience": "http://127.0.0.1:8000/saml/other/metadata"}, "audience"),
        ({"issuer": "http://evil.test/idp"}, "issuer"),
        ({"destination": "http://127.0.0.1:8000/saml/other/acs"}, "received at"),
        ({"recipient": "http://127.0.0.1:8000/saml/other/acs"}, "SubjectConfirmation"),
        ({"sign_alg": "rsa-sha1", "digest_alg": "sha1"}, "deprecated"),
    ],
)
def test_invalid_responses_are_refused(idp: DemoIdP, sp: SP, options, error_fragment):
    request_id, _ = sp_login(sp)
    b64 = idp.create_response(
        sp_entity_id=sp.entity_id, in_response_to=request_id, user=ADA, **options
    )
    ok, error = is_valid(sp, b64, request_id)
    assert not ok
    assert error_fragment.lower() in (error or "").lower()


def test_wrong_in_response_to_is_refused(idp: DemoIdP, sp: SP):
    request_id, _ = sp_login(sp)
    b64 = idp.create_response(sp_entity_id=sp.entity_id, in_response_to="_other", user=ADA)
    assert not is_valid(sp, b64, request_id)[0]


def test_foreign_key_is_refused(sp: SP):
    impostor = DemoIdP.for_base_url("http://127.0.0.1:8001")  # same entity ID, other key
    try:
        impostor.add_sp_metadata(sp.metadata_xml)
        b64 = impostor.create_response(sp_entity_id=sp.entity_id, user=ADA, sign_response=True)
        assert not is_valid(sp, b64, None)[0]
    finally:
        impostor.close()


def test_altered_attribute_breaks_the_signature(idp: DemoIdP, sp: SP):
    xml = idp.create_response(sp_entity_id=sp.entity_id, user=ADA, as_xml=True)
    tampered = xml.replace(">Lovelace<", ">Byron<", 1)
    assert tampered != xml
    assert not is_valid(sp, base64.b64encode(tampered.encode()).decode(), None)[0]


def test_customize_hook_runs_before_signing(idp: DemoIdP, sp: SP):
    def rename(response):
        response.assertion.subject.name_id.text = "someone.else@demo-clinic.example"

    b64 = idp.create_response(sp_entity_id=sp.entity_id, user=ADA, customize=rename)
    assert validate(sp, b64, None).get_nameid() == "someone.else@demo-clinic.example"


def test_explicit_user_fields():
    user = DemoUser(username="u", first_name="A", last_name="B", email="a@b.test", name_id="nid")
    assert user.name_id == "nid" and user.uid and user.display_name == "A B"
    assert "phone" not in user.basic_attributes()


# -- single logout ------------------------------------------------------------------------


def test_single_logout_round_trip(idp: DemoIdP, sp_keypair):
    slo_sp = make_sp(
        idp.metadata_xml(),
        sp_keypair,
        slug="slo",
        security={"logoutRequestSigned": True, "wantMessagesSigned": True},
    )
    idp.add_sp_metadata(slo_sp.metadata_xml)
    auth = OneLogin_Saml2_Auth(
        slo_sp.request_data("/saml/slo/logout"), old_settings=slo_sp.settings
    )
    url = auth.logout(return_to="/bye", name_id=ADA.email, session_index="_s1")
    q = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    result = idp.handle_logout_request(
        q["SAMLRequest"], relay_state=q["RelayState"], sig_alg=q["SigAlg"], signature=q["Signature"]
    )
    assert result.sp_entity_id == slo_sp.entity_id and result.name_id == ADA.email
    back = urlsplit(result.redirect_url)
    assert f"{back.scheme}://{back.netloc}{back.path}" == "http://127.0.0.1:8000/saml/slo/sls"
    get_data = {k: v[0] for k, v in parse_qs(back.query).items()}
    assert get_data["RelayState"] == "/bye"
    sls = OneLogin_Saml2_Auth(
        slo_sp.request_data("/saml/slo/sls", get_data=get_data, query_string=back.query),
        old_settings=slo_sp.settings,
    )
    sls.process_slo(keep_local_session=True, request_id=auth.get_last_request_id())
    assert sls.get_errors() == [], sls.get_last_error_reason()


def test_respond_to_redirect(idp: DemoIdP, sp: SP):
    auth = OneLogin_Saml2_Auth(sp.request_data("/saml/demo/login"), old_settings=sp.settings)
    location = auth.login(return_to="/home")
    form = idp.respond_to_redirect(location, ADA, sign_response=True)
    assert form.acs_url == sp.acs_url and form.relay_state == "/home"
    assert form.request.id == auth.get_last_request_id()
    assert set(form.form_data()) == {"SAMLResponse", "RelayState"}
    validate(sp, form.saml_response, auth.get_last_request_id())


def test_bad_sp_metadata_is_refused_and_rolled_back(idp: DemoIdP, sp: SP):
    with pytest.raises(DemoIdPError):
        idp.add_sp_metadata("<not-metadata/>")
    assert idp.sp_entity_ids == [sp.entity_id]
    with pytest.raises(DemoIdPError):
        idp.add_sp_metadata("<<<")
    idp.add_sp_metadata(sp.metadata_xml)  # re-registering replaces, never duplicates
    assert idp.sp_entity_ids == [sp.entity_id]
