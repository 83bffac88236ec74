"""The SAML response check as one function: bytes in, a validated assertion or one typed
reason out. It reads the database not at all; the ACS service does the bookkeeping.

python3-saml (strict) does the heavy lifting: schema, signatures (against every trusted
certificate of the group), issuer, audience, destination, InResponseTo. Checks it leaves
loose are tightened here, on the verified assertion only: the group's clock skew (it allows
5 minutes), an audience that must be present, a Recipient that must equal our ACS URL
exactly, and a SubjectConfirmationData InResponseTo that must agree with the Response's.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.clock import now as utc_now
from chalicelib.models.groups import Group
from chalicelib.saml import sp_settings
from chalicelib.saml.reasons import Reason, SamlRejected

MAX_RESPONSE_BYTES = 256 * 1024
MAX_FIELD_CHARS = 256
DEPRECATED = {
    "http://www.w3.org/2000/09/xmldsig#sha1",
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    "http://www.w3.org/2000/09/xmldsig#dsa-sha1",
    "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
    "http://www.w3.org/2001/04/xmldsig-more#md5",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-md5",
    "http://www.w3.org/2001/04/xmldsig-more#hmac-md5",
}
FIELDS = ("unique_id", "username", "first_name", "last_name", "phone", "email")
DS = "http://www.w3.org/2000/09/xmldsig#"


@dataclass(frozen=True)
class ValidatedAssertion:
    subject: str
    name_id: str
    name_id_format: str | None
    assertion_id: str
    issuer: str
    in_response_to: str | None
    keep_until: datetime  # when replay protection for this assertion may lapse
    asserted: dict[str, str] = field(default_factory=dict)


def decode(saml_response: str | None) -> bytes:
    """The response XML, refusing empty, oversized and non-base64 input before any parsing."""
    if not saml_response or not saml_response.strip():
        raise SamlRejected(Reason.MISSING, "no SAMLResponse")
    if len(saml_response) > MAX_RESPONSE_BYTES * 4 // 3 + 4:
        raise SamlRejected(Reason.TOO_LARGE, f"{len(saml_response)} base64 characters")
    try:
        xml = base64.b64decode("".join(saml_response.split()), validate=True)
    except (binascii.Error, ValueError):
        raise SamlRejected(Reason.MALFORMED, "SAMLResponse is not base64") from None
    if len(xml) > MAX_RESPONSE_BYTES:
        raise SamlRejected(Reason.TOO_LARGE, f"{len(xml)} bytes")
    return xml


def _parse(xml: bytes) -> Any:
    from onelogin.saml2.xml_utils import OneLogin_Saml2_XML

    try:
        document = OneLogin_Saml2_XML.to_etree(xml)
    except Exception as exc:  # DTDForbidden, EntitiesForbidden, XMLSyntaxError ...
        raise SamlRejected(Reason.MALFORMED, f"{type(exc).__name__}: {exc}") from None
    if document.tag != "{urn:oasis:names:tc:SAML:2.0:protocol}Response":
        raise SamlRejected(Reason.MALFORMED, f"root element is {document.tag}")
    return document


def _deprecated_algorithms(document: Any) -> set[str]:
    found = set()
    for tag in ("SignatureMethod", "DigestMethod"):
        for node in document.iter(f"{{{DS}}}{tag}"):
            if node.get("Algorithm") in DEPRECATED:
                found.add(node.get("Algorithm"))
    return found


def _signing_certs(document: Any) -> set[str]:
    return {
        "".join((node.text or "").split())
        for node in document.iter(f"{{{DS}}}X509Certificate")
        if node.text
    }


VALIDATION_REASONS = {
    "STATUS_CODE_IS_NOT_SUCCESS": Reason.IDP_REFUSED,
    "WRONG_INRESPONSETO": Reason.UNSOLICITED,
    "ASSERTION_TOO_EARLY": Reason.NOT_YET_VALID,
    "ASSERTION_EXPIRED": Reason.EXPIRED,
    "SESSION_EXPIRED": Reason.EXPIRED,
    "RESPONSE_EXPIRED": Reason.EXPIRED,
    "WRONG_DESTINATION": Reason.WRONG_DESTINATION,
    "EMPTY_DESTINATION": Reason.WRONG_DESTINATION,
    "WRONG_AUDIENCE": Reason.WRONG_AUDIENCE,
    "WRONG_ISSUER": Reason.WRONG_ISSUER,
    "ISSUER_MULTIPLE_IN_RESPONSE": Reason.WRONG_ISSUER,
    "ISSUER_NOT_FOUND_IN_ASSERTION": Reason.WRONG_ISSUER,
    "NO_SIGNED_ASSERTION": Reason.UNSIGNED,
    "NO_SIGNATURE_FOUND": Reason.UNSIGNED,
    "NO_ENCRYPTED_ASSERTION": Reason.NOT_ENCRYPTED,
    "NO_NAMEID": Reason.NO_SUBJECT,
    "EMPTY_NAMEID": Reason.NO_SUBJECT,
    "DEPRECATED_SIGNATURE_METHOD": Reason.DEPRECATED_ALGORITHM,
    "DEPRECATED_DIGEST_METHOD": Reason.DEPRECATED_ALGORITHM,
}


def _code_name(code: int) -> str:
    from onelogin.saml2.errors import OneLogin_Saml2_ValidationError

    for name, value in vars(OneLogin_Saml2_ValidationError).items():
        if name.isupper() and value == code:
            return name
    return f"CODE_{code}"


def _classify(code_name: str, group: Group, document: Any, response: Any) -> Reason:
    if code_name == "INVALID_SIGNATURE":
        checked = response.decrypted_document if response.encrypted else document
        if _deprecated_algorithms(checked):
            return Reason.DEPRECATED_ALGORITHM
        trusted = set(group.idp.certificates if group.idp else [])
        embedded = _signing_certs(checked)
        if embedded and not embedded & trusted:
            return Reason.UNKNOWN_CERTIFICATE
        return Reason.BAD_SIGNATURE
    if code_name == "WRONG_SUBJECTCONFIRMATION":
        return _subject_confirmation_reason(document, group)
    return VALIDATION_REASONS.get(code_name, Reason.INVALID)


def _subject_confirmation_reason(document: Any, group: Group) -> Reason:
    """Words for a refused SubjectConfirmation (diagnostics only; it is refused anyway)."""
    from onelogin.saml2.utils import OneLogin_Saml2_Utils

    acs = sp_settings.SpUrls.for_group(group.slug).acs
    for node in document.iter("{urn:oasis:names:tc:SAML:2.0:assertion}SubjectConfirmationData"):
        expiry = node.get("NotOnOrAfter")
        if expiry and OneLogin_Saml2_Utils.parse_SAML_to_time(expiry) <= utc_now().timestamp():
            return Reason.EXPIRED
        if node.get("Recipient") and node.get("Recipient") != acs:
            return Reason.WRONG_DESTINATION
    return Reason.UNSOLICITED


def _to_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    from onelogin.saml2.utils import OneLogin_Saml2_Utils

    return datetime.fromtimestamp(OneLogin_Saml2_Utils.parse_SAML_to_time(value), tz=UTC)


def _tighter_checks(response: Any, group: Group, moment: datetime) -> datetime:
    """Checks on the verified assertion that python3-saml leaves loose; returns keep-until."""
    assert group.idp is not None
    skew = timedelta(seconds=int(group.idp.clock_skew_seconds or 0))
    latest = moment
    for conditions in response._query_assertion("/saml:Conditions"):
        not_before = _to_datetime(conditions.get("NotBefore"))
        not_after = _to_datetime(conditions.get("NotOnOrAfter"))
        if not_before and not_before > moment + skew:
            raise SamlRejected(Reason.NOT_YET_VALID, f"NotBefore {not_before.isoformat()}")
        if not_after and not_after + skew <= moment:
            raise SamlRejected(Reason.EXPIRED, f"NotOnOrAfter {not_after.isoformat()}")
        latest = max(latest, not_after or latest)
    audiences = response.get_audiences()
    if not audiences:
        raise SamlRejected(Reason.WRONG_AUDIENCE, "no Audience in the assertion")

    acs = sp_settings.SpUrls.for_group(group.slug).acs
    in_response_to = response.get_in_response_to()
    confirmations = response._query_assertion(
        "/saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData"
    )
    if not confirmations:
        raise SamlRejected(Reason.INVALID, "no SubjectConfirmationData")
    for data in confirmations:
        if data.get("Recipient") != acs:
            raise SamlRejected(Reason.WRONG_DESTINATION, f"Recipient {data.get('Recipient')!r}")
        if data.get("InResponseTo") != in_response_to:
            raise SamlRejected(
                Reason.UNSOLICITED,
                "SubjectConfirmationData InResponseTo does not match the Response",
            )
        latest = max(latest, _to_datetime(data.get("NotOnOrAfter")) or latest)
    return latest + skew + timedelta(minutes=5)


def _first(attributes: dict[str, list[str]], name: str | None) -> str:
    if not name:
        return ""
    values = attributes.get(name) or []
    value = next((v for v in values if isinstance(v, str) and v.strip()), "")
    return value.strip()[:MAX_FIELD_CHARS]


def validate_response(
    group: Group, saml_response: str | None, *, moment: datetime | None = None
) -> ValidatedAssertion:
    """Validate a base64 SAMLResponse for ``group``; raise SamlRejected with one reason."""
    if group.idp is None:
        raise SamlRejected(Reason.NOT_CONFIGURED, "no IdP configured")
    moment = moment or utc_now()
    xml = decode(saml_response)
    document = _parse(xml)
    deprecated = _deprecated_algorithms(document)
    if deprecated:
        raise SamlRejected(Reason.DEPRECATED_ALGORITHM, ", ".join(sorted(deprecated)))
    in_response_to = document.get("InResponseTo")
    if not in_response_to and not group.idp.allow_idp_initiated:
        raise SamlRejected(Reason.UNSOLICITED, "no InResponseTo and IdP-initiated login is off")

    from onelogin.saml2.errors import OneLogin_Saml2_Error, OneLogin_Saml2_ValidationError
    from onelogin.saml2.response import OneLogin_Saml2_Response

    settings = sp_settings.build(group)
    encoded = base64.b64encode(xml).decode()
    try:
        response = OneLogin_Saml2_Response(settings, encoded)
    except (OneLogin_Saml2_Error, OneLogin_Saml2_ValidationError, ValueError) as exc:
        raise SamlRejected(Reason.MALFORMED, str(exc)) from None
    except Exception as exc:  # decryption and parser errors from xmlsec/lxml
        raise SamlRejected(Reason.MALFORMED, f"{type(exc).__name__}: {exc}") from None
    request_data = sp_settings.request_data(
        f"/saml/{group.slug}/acs", post={"SAMLResponse": encoded}
    )
    try:
        response.is_valid(request_data, request_id=in_response_to, raise_exceptions=True)
    except OneLogin_Saml2_ValidationError as exc:
        reason = _classify(_code_name(exc.code), group, document, response)
        raise SamlRejected(reason, f"{_code_name(exc.code)}: {exc}") from None
    except Exception as exc:
        raise SamlRejected(Reason.INVALID, f"{type(exc).__name__}: {exc}") from None

    keep_until = _tighter_checks(response, group, moment)
    name_id = (response.get_nameid() or "").strip()
    attributes = response.get_attributes()
    mapping = group.idp.attribute_mapping
    asserted = {name: _first(attributes, getattr(mapping, name, None)) for name in FIELDS}
    subject = asserted["unique_id"] or name_id
    if not subject or len(subject) > MAX_FIELD_CHARS:
        raise SamlRejected(Reason.NO_SUBJECT, "empty or oversized subject")
    asserted["unique_id"] = subject
    assertion_id = response.get_assertion_id()
    if not assertion_id:
        raise SamlRejected(Reason.INVALID, "assertion has no ID")
    return ValidatedAssertion(
        subject=subject,
        name_id=name_id,
        name_id_format=response.get_nameid_format(),
        assertion_id=assertion_id,
        issuer=group.idp.entity_id,
        in_response_to=in_response_to,
        keep_until=keep_until,
        asserted=asserted,
    )
