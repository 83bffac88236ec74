"""Building blocks for responses: algorithm names, NameID values, attributes, times."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Sequence

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, saml, samlp
from saml2.s_utils import sid
from saml2.sigver import RSA_1_5, RSA_OAEP_MGF1P
from saml2.xmldsig import (
    DIGEST_SHA1,
    DIGEST_SHA256,
    DIGEST_SHA384,
    DIGEST_SHA512,
    SIG_RSA_SHA1,
    SIG_RSA_SHA256,
    SIG_RSA_SHA384,
    SIG_RSA_SHA512,
)

from .users import DemoUser

NAMEID_FORMATS = {
    "emailAddress": saml.NAMEID_FORMAT_EMAILADDRESS,
    "persistent": saml.NAMEID_FORMAT_PERSISTENT,
    "transient": saml.NAMEID_FORMAT_TRANSIENT,
    "unspecified": saml.NAMEID_FORMAT_UNSPECIFIED,
}
SIGN_ALGS = {
    "rsa-sha1": SIG_RSA_SHA1,
    "rsa-sha256": SIG_RSA_SHA256,
    "rsa-sha384": SIG_RSA_SHA384,
    "rsa-sha512": SIG_RSA_SHA512,
}
DIGEST_ALGS = {
    "sha1": DIGEST_SHA1,
    "sha256": DIGEST_SHA256,
    "sha384": DIGEST_SHA384,
    "sha512": DIGEST_SHA512,
}
_XMLENC = "http://www.w3.org/2001/04/xmlenc#"
_XMLENC11 = "http://www.w3.org/2009/xmlenc11#"
DATA_ENC_ALGS = {
    "aes128-cbc": _XMLENC + "aes128-cbc",
    "aes256-cbc": _XMLENC + "aes256-cbc",
    "aes128-gcm": _XMLENC11 + "aes128-gcm",
    "aes256-gcm": _XMLENC11 + "aes256-gcm",
    "tripledes-cbc": _XMLENC + "tripledes-cbc",
}
# xmlsec1 --session-key for each (pysaml2 always passes des-192 unless told otherwise)
SESSION_KEYS = {
    DATA_ENC_ALGS["aes128-cbc"]: "aes-128",
    DATA_ENC_ALGS["aes256-cbc"]: "aes-256",
    DATA_ENC_ALGS["aes128-gcm"]: "aes-128",
    DATA_ENC_ALGS["aes256-gcm"]: "aes-256",
    DATA_ENC_ALGS["tripledes-cbc"]: "des-192",
}
KEY_ENC_ALGS = {"rsa-oaep-mgf1p": RSA_OAEP_MGF1P, "rsa-1_5": RSA_1_5}
BINDINGS = {"redirect": BINDING_HTTP_REDIRECT, "post": BINDING_HTTP_POST}
NAME_FORMAT_BASIC = saml.NAME_FORMAT_BASIC
NAME_FORMAT_URI = saml.NAME_FORMAT_URI
SAML_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
STRONG_ALGORITHMS = frozenset(
    [SIG_RSA_SHA256, SIG_RSA_SHA384, SIG_RSA_SHA512, DIGEST_SHA256, DIGEST_SHA384, DIGEST_SHA512]
)
ResponseHook = Callable[[samlp.Response], None]


def resolve(value: str, table: dict[str, str], what: str) -> str:
    if value in table:
        return table[value]
    if value in table.values() or "://" in value or value.startswith("urn:"):
        return value
    raise ValueError(f"unknown {what}: {value!r} (known: {', '.join(table)})")


def resolve_enc(value: str) -> str:
    uri = resolve(value, DATA_ENC_ALGS, "data encryption algorithm")
    if uri not in SESSION_KEYS:
        raise ValueError(f"unsupported data encryption algorithm: {value!r}")
    return uri


def fmt(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime(SAML_TIME_FORMAT)


def encode_response(xml: str | bytes) -> str:
    """Base64 for the HTTP-POST binding's SAMLResponse field."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    return base64.b64encode(data).decode("ascii")


def pem(cert_b64: str) -> str:
    body = "\n".join(cert_b64[i : i + 64] for i in range(0, len(cert_b64), 64))
    return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"


def class_name(instance: object) -> str:
    return f"{instance.c_namespace}:{instance.c_tag}"  # type: ignore[attr-defined]


def name_id_value(user: DemoUser, nid_format: str) -> str:
    if nid_format == saml.NAMEID_FORMAT_PERSISTENT:
        return user.uid
    if nid_format == saml.NAMEID_FORMAT_TRANSIENT:
        return f"_transient-{sid()}"
    return user.name_id


def attribute_statement(
    user: DemoUser, attributes: dict[str, list[str]] | None, include_uri: bool
) -> saml.AttributeStatement:
    def attr(name: str, values: list[str], name_format: str, friendly: str = "") -> saml.Attribute:
        return saml.Attribute(
            name=name,
            name_format=name_format,
            friendly_name=friendly or None,
            attribute_value=[saml.AttributeValue(text=v) for v in values],
        )

    basic = user.basic_attributes() if attributes is None else attributes
    items = [attr(name, values, NAME_FORMAT_BASIC) for name, values in basic.items()]
    if include_uri and attributes is None:
        items += [
            attr(uri, values, NAME_FORMAT_URI, friendly)
            for uri, friendly, values in user.uri_attributes()
        ]
    for item in items:  # pysaml2 emits xsi:type only when asked
        for value in item.attribute_value:
            value.set_type("xs:string")
    return saml.AttributeStatement(attribute=items)


def set_times(
    response: samlp.Response,
    *,
    issued: dt.datetime,
    not_before: dt.datetime | None,
    not_on_or_after: dt.datetime | None,
    lifetime: dt.timedelta,
    session_index: str,
) -> None:
    assertion = response.assertion
    expires = not_on_or_after or issued + lifetime
    response.issue_instant = fmt(issued)
    assertion.issue_instant = fmt(issued)
    conditions = assertion.conditions
    conditions.not_before = fmt(not_before or issued)
    conditions.not_on_or_after = fmt(expires)
    for sc in assertion.subject.subject_confirmation:
        if sc.subject_confirmation_data is not None:
            sc.subject_confirmation_data.not_on_or_after = fmt(expires)
            sc.subject_confirmation_data.not_before = None
    for statement in assertion.authn_statement:
        statement.authn_instant = fmt(issued)
        statement.session_index = session_index
        statement.session_not_on_or_after = fmt(issued + dt.timedelta(hours=8))


def override(
    response: samlp.Response,
    *,
    audience: str | Sequence[str] | None,
    issuer: str | None,
    destination: str | None,
    recipient: str | None,
) -> None:
    assertion = response.assertion
    if audience is not None:
        audiences = [audience] if isinstance(audience, str) else list(audience)
        assertion.conditions.audience_restriction = [
            saml.AudienceRestriction(audience=[saml.Audience(text=a) for a in audiences])
        ]
    if issuer is not None:
        response.issuer.text = issuer
        assertion.issuer.text = issuer
    if destination is not None:
        response.destination = destination
    if recipient is not None:
        for sc in assertion.subject.subject_confirmation:
            sc.subject_confirmation_data.recipient = recipient
