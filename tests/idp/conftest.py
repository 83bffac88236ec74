"""A python3-saml service provider to check the demo IdP against (the library the service uses)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.settings import OneLogin_Saml2_Settings

from demo_idp import DemoIdP, KeyPair, generate_keypair

SP_HOST = "127.0.0.1"
SP_PORT = 8000
SP_BASE = f"http://{SP_HOST}:{SP_PORT}"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"


@dataclass
class SP:
    """One practice group's SP, as the service would configure python3-saml for it."""

    slug: str
    settings: OneLogin_Saml2_Settings

    @property
    def entity_id(self) -> str:
        return f"{SP_BASE}/saml/{self.slug}/metadata"

    @property
    def acs_url(self) -> str:
        return f"{SP_BASE}/saml/{self.slug}/acs"

    @property
    def metadata_xml(self) -> str:
        xml = self.settings.get_sp_metadata()
        return xml.decode("utf-8") if isinstance(xml, bytes) else xml

    def request_data(self, path: str, **extra: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "https": "off",
            "http_host": f"{SP_HOST}:{SP_PORT}",
            "script_name": path,
            "get_data": {},
            "post_data": {},
        }
        data.update(extra)
        return data

    def acs_request(self, saml_response: str) -> dict[str, Any]:
        return self.request_data(
            f"/saml/{self.slug}/acs", post_data={"SAMLResponse": saml_response}
        )


def make_sp(
    idp_metadata: str,
    sp_keypair: KeyPair,
    slug: str = "demo",
    *,
    security: dict[str, Any] | None = None,
) -> SP:
    parsed = OneLogin_Saml2_IdPMetadataParser.parse(idp_metadata)
    base = f"{SP_BASE}/saml/{slug}"
    settings = {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": f"{base}/metadata",
            "assertionConsumerService": {
                "url": f"{base}/acs",
                "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
            },
            "singleLogoutService": {
                "url": f"{base}/sls",
                "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
            },
            "NameIDFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
            "x509cert": sp_keypair.cert_base64,
            "privateKey": sp_keypair.key_pem,
        },
        "idp": parsed["idp"],
        "security": {
            "wantAssertionsSigned": True,
            "wantMessagesSigned": False,
            "signatureAlgorithm": RSA_SHA256,
            "digestAlgorithm": SHA256,
            "rejectDeprecatedAlgorithm": True,
            **(security or {}),
        },
    }
    return SP(slug=slug, settings=OneLogin_Saml2_Settings(settings))


@pytest.fixture(scope="session")
def sp_keypair() -> KeyPair:
    return generate_keypair("sp.practice-sso.test")


@pytest.fixture(scope="session")
def idp_keypair() -> KeyPair:
    return generate_keypair("idp.practice-sso.test")


@pytest.fixture
def idp(idp_keypair: KeyPair):
    demo = DemoIdP.for_base_url("http://127.0.0.1:8001", keypair=idp_keypair)
    yield demo
    demo.close()


@pytest.fixture
def sp(idp: DemoIdP, sp_keypair: KeyPair) -> SP:
    """An SP that wants signed assertions, registered with ``idp``."""
    provider = make_sp(idp.metadata_xml(), sp_keypair)
    idp.add_sp_metadata(provider.metadata_xml)
    return provider
