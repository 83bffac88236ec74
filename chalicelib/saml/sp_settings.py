"""One settings builder for python3-saml, per practice group (strict, SHA-256, signed
assertions required). Every SAML route asks it for the group's settings and URLs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chalicelib.config import settings
from chalicelib.models.groups import Group, IdpSettings
from chalicelib.saml.reasons import Reason, SamlRejected

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"


@dataclass(frozen=True)
class SpUrls:
    entity_id: str
    acs: str
    sls: str
    login: str

    @classmethod
    def for_group(cls, slug: str) -> SpUrls:
        base = f"{settings().public_base_url}/saml/{slug}"
        return cls(f"{base}/metadata", f"{base}/acs", f"{base}/sls", f"{base}/login")


def _pem_body(pem: str) -> str:
    return "".join(line for line in pem.strip().splitlines() if "-----" not in line)


# Stands in for a group's IdP before one is connected, so the SP metadata can be downloaded
# first (the IdP admin needs it to set the application up); never used to validate anything.
_NO_IDP = IdpSettings(entity_id="urn:practice-sso:no-idp-yet", sso_url="https://invalid.")


def settings_dict(
    group: Group, *, with_keys: bool = True, require_idp: bool = True
) -> dict[str, Any]:
    if group.idp is None and require_idp:
        raise SamlRejected(Reason.NOT_CONFIGURED, f"group {group.slug} has no IdP")
    idp = group.idp or _NO_IDP
    urls = SpUrls.for_group(group.slug)
    sp: dict[str, Any] = {
        "entityId": urls.entity_id,
        "assertionConsumerService": {
            "url": urls.acs,
            "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
        },
        "NameIDFormat": idp.name_id_format,
    }
    if idp.slo_url:
        sp["singleLogoutService"] = {
            "url": urls.sls,
            "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
        }
    if with_keys:
        from chalicelib.services.secrets import sp_key_pair

        pair = sp_key_pair()
        sp["x509cert"] = _pem_body(pair.certificate)
        sp["privateKey"] = pair.private_key
    idp_data: dict[str, Any] = {
        "entityId": idp.entity_id,
        "singleSignOnService": {
            "url": idp.sso_url,
            "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
        },
        "x509certMulti": {"signing": list(idp.certificates)},
    }
    if idp.slo_url:
        idp_data["singleLogoutService"] = {
            "url": idp.slo_url,
            "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
        }
    return {
        "strict": True,
        "debug": False,
        "sp": sp,
        "idp": idp_data,
        "security": {
            "authnRequestsSigned": bool(idp.sign_requests),
            "logoutRequestSigned": bool(idp.sign_requests),
            "logoutResponseSigned": bool(idp.sign_requests),
            "wantAssertionsSigned": True,
            "wantMessagesSigned": False,
            "wantAssertionsEncrypted": bool(idp.want_encrypted_assertions),
            "wantNameId": True,
            "wantAttributeStatement": False,
            "rejectDeprecatedAlgorithm": True,
            "signatureAlgorithm": RSA_SHA256,
            "digestAlgorithm": SHA256,
            "requestedAuthnContext": False,
            "allowRepeatAttributeName": True,
            "signMetadata": False,
            # No validUntil: IdPs that honour it would stop trusting a metadata file they
            # imported once; the entity ID and URLs are stable for the group's lifetime.
            "metadataValidUntil": "",
            "wantXMLValidation": True,
        },
    }


def build(group: Group, *, with_keys: bool = True, require_idp: bool = True):
    from onelogin.saml2.settings import OneLogin_Saml2_Settings

    return OneLogin_Saml2_Settings(
        settings_dict(group, with_keys=with_keys, require_idp=require_idp),
        sp_validation_only=not require_idp,
    )


def request_data(
    path: str, *, get: dict[str, str] | None = None, post: dict[str, str] | None = None
) -> dict[str, Any]:
    """python3-saml's view of the current request, built from the configured public URL
    (never the Host header), so Destination and Recipient checks compare against it."""
    base = urlsplit(settings().public_base_url)
    https = base.scheme == "https"
    return {
        "https": "on" if https else "off",
        "http_host": base.netloc,  # host[:port], exactly as configured
        "script_name": base.path.rstrip("/") + path,
        "get_data": dict(get or {}),
        "post_data": dict(post or {}),
    }
