"""Builds a group's IdP settings from IdP metadata XML or from fields, with clear refusals.

The CLI uses it now and the admin API later: one place decides what a valid IdP is.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from chalicelib.errors import ServiceError
from chalicelib.models.groups import AttributeMapping, IdpSettings
from chalicelib.saml.presets import PRESETS

MAX_METADATA_BYTES = 1024 * 1024
MAX_CLOCK_SKEW = 300
NAMEID_FORMATS = {
    "unspecified": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
    "emailAddress": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    "persistent": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "transient": "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
}
PEM_RE = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.S)


class BadIdpConfig(ServiceError):
    code = "bad_idp_config"


@dataclass
class IdpFields:
    entity_id: str
    sso_url: str
    certificates: list[str]
    slo_url: str | None = None
    name_id_format: str = "unspecified"
    preset: str = "generic"
    mapping: dict[str, str] = field(default_factory=dict)
    clock_skew_seconds: int = 120
    allow_idp_initiated: bool = False
    sign_requests: bool = False
    want_encrypted_assertions: bool = False
    metadata_url: str | None = None


def normalise_certificate(text: str) -> str:
    """One base64 DER body from PEM or bare base64; refuses what is not an X.509 cert."""
    match = PEM_RE.search(text)
    body = re.sub(r"\s+", "", match.group(1) if match else text)
    try:
        der = base64.b64decode(body, validate=True)
    except ValueError:
        raise BadIdpConfig("A signing certificate is not valid base64 or PEM.") from None
    import xmlsec

    pem = "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n"
    try:
        xmlsec.Key.from_memory(pem.encode(), xmlsec.constants.KeyDataFormatCertPem)
    except xmlsec.Error:
        raise BadIdpConfig(
            "A signing certificate could not be read as an X.509 certificate."
        ) from None
    return base64.b64encode(der).decode()


def _check_url(value: str | None, what: str, *, required: bool) -> str | None:
    if not value:
        if required:
            raise BadIdpConfig(f"The IdP's {what} is missing.")
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise BadIdpConfig(f"The IdP's {what} must be an http(s) URL, not '{value}'.")
    return value.strip()


def build_idp_settings(fields: IdpFields) -> IdpSettings:
    if not fields.entity_id or not fields.entity_id.strip():
        raise BadIdpConfig("The IdP's entity ID is missing.")
    if not fields.certificates:
        raise BadIdpConfig(
            "At least one IdP signing certificate is needed: responses are only trusted "
            "when signed."
        )
    if fields.preset not in PRESETS:
        raise BadIdpConfig(f"Unknown attribute preset '{fields.preset}'; use {', '.join(PRESETS)}.")
    name_id_format = NAMEID_FORMATS.get(fields.name_id_format, fields.name_id_format)
    if name_id_format not in NAMEID_FORMATS.values():
        raise BadIdpConfig(
            f"Unknown NameID format '{fields.name_id_format}'; use {', '.join(NAMEID_FORMATS)}."
        )
    if not 0 <= fields.clock_skew_seconds <= MAX_CLOCK_SKEW:
        raise BadIdpConfig(f"Clock skew must be between 0 and {MAX_CLOCK_SKEW} seconds.")
    mapping = {**PRESETS[fields.preset], **fields.mapping}
    unknown = set(mapping) - set(PRESETS["generic"])
    if unknown:
        raise BadIdpConfig(f"Unknown mapped fields: {', '.join(sorted(unknown))}.")
    certificates = list(dict.fromkeys(normalise_certificate(c) for c in fields.certificates))
    return IdpSettings(
        entity_id=fields.entity_id.strip(),
        sso_url=_check_url(fields.sso_url, "single sign-on URL", required=True),
        slo_url=_check_url(fields.slo_url, "single logout URL", required=False),
        certificates=certificates,
        name_id_format=name_id_format,
        attribute_mapping=AttributeMapping(**{k: v or None for k, v in mapping.items()}),
        clock_skew_seconds=fields.clock_skew_seconds,
        allow_idp_initiated=fields.allow_idp_initiated,
        sign_requests=fields.sign_requests,
        want_encrypted_assertions=fields.want_encrypted_assertions,
        metadata_url=fields.metadata_url,
    )


def fields_from_metadata(xml: str | bytes, entity_id: str | None = None) -> IdpFields:
    """Entity ID, SSO/SLO URLs (HTTP-Redirect) and every signing certificate in IdP metadata."""
    from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

    raw = xml.encode() if isinstance(xml, str) else xml
    if len(raw) > MAX_METADATA_BYTES:
        raise BadIdpConfig("The IdP metadata file is larger than 1 MiB; is it the right file?")
    try:
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(raw, entity_id=entity_id)
    except Exception as exc:  # lxml, DTD/entity refusals and parser errors alike
        raise BadIdpConfig(
            "The IdP metadata could not be read as SAML metadata XML "
            f"({type(exc).__name__}). Download it again from your identity provider."
        ) from None
    idp = parsed.get("idp") or {}
    if not idp.get("entityId"):
        raise BadIdpConfig("The file has no IdP (IDPSSODescriptor) entity: is it SP metadata?")
    if not (idp.get("singleSignOnService") or {}).get("url"):
        raise BadIdpConfig(
            "The IdP metadata has no single sign-on URL with the HTTP-Redirect binding."
        )
    certs = list(idp.get("x509certMulti", {}).get("signing") or [])
    if idp.get("x509cert"):
        certs.append(idp["x509cert"])
    fields = IdpFields(
        entity_id=idp["entityId"],
        sso_url=idp["singleSignOnService"]["url"],
        slo_url=(idp.get("singleLogoutService") or {}).get("url"),
        certificates=certs,
    )
    nameid = (parsed.get("sp") or {}).get("NameIDFormat")
    if nameid in NAMEID_FORMATS.values():
        fields.name_id_format = nameid
    return fields
