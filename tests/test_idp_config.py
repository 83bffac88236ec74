"""IdP settings from metadata XML or fields: what is kept, and clear refusals for bad input."""

from __future__ import annotations

import pytest

from chalicelib.saml.idp_config import (
    BadIdpConfig,
    IdpFields,
    build_idp_settings,
    fields_from_metadata,
)
from demo_idp.idp import DemoIdP
from demo_idp.keys import generate_keypair


@pytest.fixture(scope="module")
def keys():
    return generate_keypair("idp one"), generate_keypair("idp two")


def _metadata_with(certs: list[str]) -> str:
    descriptors = "".join(
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f"{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        for cert in certs
    )
    return (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example/meta">'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f"{descriptors}"
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
        'Location="https://idp.example/sso"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


def test_metadata_import_keeps_every_signing_certificate(keys):
    one, two = keys
    settings = build_idp_settings(
        fields_from_metadata(_metadata_with([one.cert_base64, two.cert_base64]))
    )
    assert settings.entity_id == "https://idp.example/meta"
    assert settings.sso_url == "https://idp.example/sso"
    assert settings.certificates == [one.cert_base64, two.cert_base64]
    assert settings.allow_idp_initiated is False and settings.clock_skew_seconds == 120


def test_pysaml2_metadata_imports_with_slo(keys):
    idp = DemoIdP.for_base_url("https://idp.demo.example", keypair=keys[0])
    fields = fields_from_metadata(idp.metadata_xml())
    assert fields.entity_id == "https://idp.demo.example/idp/metadata"
    assert fields.slo_url == "https://idp.demo.example/idp/slo"
    assert fields.certificates
    idp.close()


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("not xml at all", "could not be read as SAML metadata"),
        (
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">&e;'
            "</md:EntityDescriptor>",
            "could not be read as SAML metadata",
        ),
        (
            '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x">'
            "<md:SPSSODescriptor "
            'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/>'
            "</md:EntityDescriptor>",
            "is it SP metadata",
        ),
        ("<x>" + "a" * (1024 * 1024) + "</x>", "larger than 1 MiB"),
    ],
    ids=["garbage", "xxe", "sp-metadata", "huge"],
)
def test_bad_metadata_is_refused_in_words(xml, message):
    with pytest.raises(BadIdpConfig, match=message):
        fields_from_metadata(xml)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"certificates": []}, "At least one IdP signing certificate"),
        ({"certificates": ["bm90IGEgY2VydA=="]}, "could not be read as an X.509"),
        ({"sso_url": "ftp://idp.example/sso"}, "must be an http"),
        ({"entity_id": " "}, "entity ID is missing"),
        ({"preset": "ldap"}, "Unknown attribute preset"),
        ({"name_id_format": "kerberos"}, "Unknown NameID format"),
        ({"clock_skew_seconds": 301}, "between 0 and 300"),
        ({"mapping": {"shoe_size": "x"}}, "Unknown mapped fields"),
    ],
)
def test_bad_fields_are_refused_in_words(keys, changes, message):
    fields = IdpFields(
        entity_id="https://idp.example/meta",
        sso_url="https://idp.example/sso",
        certificates=[keys[0].cert_pem],
    )
    for name, value in changes.items():
        setattr(fields, name, value)
    with pytest.raises(BadIdpConfig, match=message):
        build_idp_settings(fields)


def test_presets_fill_the_attribute_mapping(keys):
    fields = IdpFields(
        entity_id="https://sts.windows.net/tenant/",
        sso_url="https://login.microsoftonline.com/tenant/saml2",
        certificates=[keys[0].cert_pem],
        preset="entra",
        mapping={"phone": "telephoneNumber"},
    )
    mapping = build_idp_settings(fields).attribute_mapping
    assert mapping.unique_id == "http://schemas.microsoft.com/identity/claims/objectidentifier"
    assert mapping.email.endswith("/claims/emailaddress")
    assert mapping.phone == "telephoneNumber"
