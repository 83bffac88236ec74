"""The project's own SAML signing helper for tests: a legitimately signed samlp:Response,
made with ``cryptography`` (key and certificate) and the ``xmlsec`` bindings (signature),
without any of the service's code.

Signatures are enveloped, exclusive-c14n (without comments), RSA-SHA256/SHA-256 by default
(``algorithm="sha1"`` gives RSA-SHA1/SHA-1 for the deprecated-algorithm test), and sit right
after the signed element's ``saml:Issuer`` as the SAML schema requires. The assertion, the
response, or both can be signed; with both, the assertion is signed first so the response
signature covers the signed assertion.

Responses from an independent SAML implementation come from elsewhere (``demo_idp``); this
module must stay independent of it.
"""

from __future__ import annotations

import base64
import copy
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import xmlsec
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from lxml import etree

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
NSMAP = {"samlp": SAMLP, "saml": SAML, "ds": DS}

SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
PASSWORD_PROTECTED = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
BASIC_ATTRNAME = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"

Algorithm = Literal["sha256", "sha1"]
_TRANSFORMS = {
    "sha256": (xmlsec.Transform.RSA_SHA256, xmlsec.Transform.SHA256),
    "sha1": (xmlsec.Transform.RSA_SHA1, xmlsec.Transform.SHA1),
}


def q(prefix: str, local: str) -> str:
    """Clark notation for ``prefix:local`` (prefixes of NSMAP)."""
    return f"{{{NSMAP[prefix]}}}{local}"


@dataclass(frozen=True)
class SigningKey:
    """An RSA key and its self-signed certificate, PEM; ``cert_b64`` is the base64 DER body on
    one line (what python3-saml's ``idp.x509cert`` and SAML metadata carry)."""

    key_pem: bytes
    cert_pem: bytes
    cert_b64: str


def generate_signing_key(
    common_name: str = "practice-sso test IdP", bits: int = 2048
) -> SigningKey:
    """A fresh RSA key with a self-signed certificate valid from yesterday for ten years."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_b64 = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    return SigningKey(key_pem=key_pem, cert_pem=cert_pem, cert_b64=cert_b64)


def new_id() -> str:
    """An xs:ID (an NCName: must not start with a digit)."""
    return "_" + uuid.uuid4().hex


def saml_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def default_attributes(name_id: str) -> dict[str, str]:
    """uid, username, firstName, lastName, email, phone for ``name_id`` (an email address)."""
    local = name_id.split("@", 1)[0]
    return {
        "uid": f"uid-{local}",
        "username": local,
        "firstName": "Uma",
        "lastName": "User",
        "email": name_id,
        "phone": "+41 44 000 00 00",
    }


def build_response(
    *,
    issuer: str,
    audience: str,
    destination: str,
    in_response_to: str | None,
    name_id: str,
    attributes: Mapping[str, str | list[str]] | None = None,
    now: datetime | None = None,
    validity: timedelta = timedelta(minutes=5),
    not_before: datetime | None = None,
    not_on_or_after: datetime | None = None,
    response_id: str | None = None,
    assertion_id: str | None = None,
    session_index: str | None = None,
    recipient: str | None = None,
) -> etree._Element:
    """An unsigned samlp:Response (lxml root element) with one saml:Assertion.

    ``destination`` is the ACS URL (Response@Destination and, unless ``recipient`` is
    given, SubjectConfirmationData@Recipient). ``in_response_to=None`` makes an
    IdP-initiated response (no InResponseTo anywhere). ``attributes`` defaults to
    :func:`default_attributes`; a list value gives several AttributeValues.
    """
    now = now or datetime.now(UTC)
    not_before = not_before or now - timedelta(minutes=1)
    not_on_or_after = not_on_or_after or now + validity
    attributes = default_attributes(name_id) if attributes is None else attributes
    response_id = response_id or new_id()
    assertion_id = assertion_id or new_id()

    response = etree.Element(q("samlp", "Response"), nsmap={"samlp": SAMLP, "saml": SAML})
    response.set("ID", response_id)
    response.set("Version", "2.0")
    response.set("IssueInstant", saml_time(now))
    response.set("Destination", destination)
    if in_response_to is not None:
        response.set("InResponseTo", in_response_to)
    etree.SubElement(response, q("saml", "Issuer")).text = issuer
    status = etree.SubElement(response, q("samlp", "Status"))
    etree.SubElement(status, q("samlp", "StatusCode")).set("Value", SUCCESS)

    assertion = etree.SubElement(response, q("saml", "Assertion"))
    assertion.set("ID", assertion_id)
    assertion.set("Version", "2.0")
    assertion.set("IssueInstant", saml_time(now))
    etree.SubElement(assertion, q("saml", "Issuer")).text = issuer

    subject = etree.SubElement(assertion, q("saml", "Subject"))
    nameid = etree.SubElement(subject, q("saml", "NameID"))
    nameid.set("Format", EMAIL_FORMAT)
    nameid.text = name_id
    confirmation = etree.SubElement(subject, q("saml", "SubjectConfirmation"))
    confirmation.set("Method", BEARER)
    data = etree.SubElement(confirmation, q("saml", "SubjectConfirmationData"))
    data.set("NotOnOrAfter", saml_time(not_on_or_after))
    data.set("Recipient", recipient if recipient is not None else destination)
    if in_response_to is not None:
        data.set("InResponseTo", in_response_to)

    conditions = etree.SubElement(assertion, q("saml", "Conditions"))
    conditions.set("NotBefore", saml_time(not_before))
    conditions.set("NotOnOrAfter", saml_time(not_on_or_after))
    restriction = etree.SubElement(conditions, q("saml", "AudienceRestriction"))
    etree.SubElement(restriction, q("saml", "Audience")).text = audience

    authn = etree.SubElement(assertion, q("saml", "AuthnStatement"))
    authn.set("AuthnInstant", saml_time(now))
    authn.set("SessionIndex", session_index or new_id())
    context = etree.SubElement(authn, q("saml", "AuthnContext"))
    etree.SubElement(context, q("saml", "AuthnContextClassRef")).text = PASSWORD_PROTECTED

    if attributes:
        statement = etree.SubElement(assertion, q("saml", "AttributeStatement"))
        for attr_name, value in attributes.items():
            attribute = etree.SubElement(statement, q("saml", "Attribute"))
            attribute.set("Name", attr_name)
            attribute.set("NameFormat", BASIC_ATTRNAME)
            for item in [value] if isinstance(value, str) else value:
                etree.SubElement(attribute, q("saml", "AttributeValue")).text = item

    etree.indent(response, space="  ")
    return response


def parse(xml: bytes | str) -> etree._Element:
    """Parse test XML keeping comments and not resolving entities (a mutation tool, not a
    validator: it must preserve exactly what an attacker would send)."""
    if isinstance(xml, str):
        xml = xml.encode()
    parser = etree.XMLParser(remove_comments=False, resolve_entities=False, no_network=True)
    return etree.fromstring(xml, parser)


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def sign_element(
    element: etree._Element, key: SigningKey, *, algorithm: Algorithm = "sha256"
) -> etree._Element:
    """Insert an enveloped ds:Signature after ``element``'s Issuer and sign it in place."""
    element_id = element.get("ID")
    if not element_id:
        raise ValueError(f"{element.tag} has no ID to reference")
    sign_method, digest_method = _TRANSFORMS[algorithm]
    signature = xmlsec.template.create(element, xmlsec.Transform.EXCL_C14N, sign_method, ns="ds")
    issuer = element.find(q("saml", "Issuer"))
    position = list(element).index(issuer) + 1 if issuer is not None else 0
    element.insert(position, signature)
    if position:
        signature.tail = element[position - 1].tail
    reference = xmlsec.template.add_reference(signature, digest_method, uri=f"#{element_id}")
    xmlsec.template.add_transform(reference, xmlsec.Transform.ENVELOPED)
    xmlsec.template.add_transform(reference, xmlsec.Transform.EXCL_C14N)
    key_info = xmlsec.template.ensure_key_info(signature)
    x509_data = xmlsec.template.add_x509_data(key_info)
    xmlsec.template.x509_data_add_certificate(x509_data)

    xmlsec.tree.add_ids(element.getroottree().getroot(), ["ID"])
    ctx = xmlsec.SignatureContext()
    signing_key = xmlsec.Key.from_memory(key.key_pem, xmlsec.KeyFormat.PEM)
    signing_key.load_cert_from_memory(key.cert_pem, xmlsec.KeyFormat.CERT_PEM)
    ctx.key = signing_key
    ctx.sign(signature)
    return signature


def sign(
    xml: bytes | str | etree._Element,
    key: SigningKey,
    *,
    sign_assertion: bool = True,
    sign_response: bool = False,
    algorithm: Algorithm = "sha256",
) -> bytes:
    """Sign the (first) saml:Assertion and/or the samlp:Response; return the XML bytes.

    An element passed in is signed in place. Existing signatures are left alone, so strip
    them first to re-sign.
    """
    if not (sign_assertion or sign_response):
        raise ValueError("sign at least the assertion or the response")
    root = xml if isinstance(xml, etree._Element) else parse(xml)
    if sign_assertion:
        assertion = root.find(f".//{q('saml', 'Assertion')}")
        if assertion is None:
            raise ValueError("no saml:Assertion to sign")
        sign_element(assertion, key, algorithm=algorithm)
    if sign_response:
        sign_element(root, key, algorithm=algorithm)
    return serialize(root)


def signed_response(
    key: SigningKey,
    *,
    sign_assertion: bool = True,
    sign_response: bool = False,
    algorithm: Algorithm = "sha256",
    **build: object,
) -> bytes:
    """:func:`build_response` (keyword arguments ``build``) then :func:`sign`."""
    root = build_response(**build)  # type: ignore[arg-type]
    return sign(
        root,
        key,
        sign_assertion=sign_assertion,
        sign_response=sign_response,
        algorithm=algorithm,
    )


def verify_signature(target: bytes | etree._Element, cert_pem: bytes) -> bool:
    """Verify one ds:Signature strictly with xmlsec (libxmlsec1, what python3-saml uses):
    ``target`` is XML bytes (its first ds:Signature in document order) or a ds:Signature
    element (verified within its own tree). The Reference is resolved by ID (first match),
    and the enveloped-signature transform drops everything inside the Signature. It says
    nothing about WHICH element a consumer then reads; that is the point of XSW."""
    if isinstance(target, etree._Element):
        signature = target
        root = signature.getroottree().getroot()
    else:
        root = parse(target)
        signature = root.find(f".//{{{DS}}}Signature")
        if signature is None:
            return False
    xmlsec.tree.add_ids(root, ["ID"])
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_memory(cert_pem, xmlsec.KeyFormat.CERT_PEM)
    try:
        ctx.verify(signature)
    except xmlsec.Error:
        return False
    return True


_DIGEST_METHODS = {
    "http://www.w3.org/2001/04/xmlenc#sha256": hashes.SHA256,
    "http://www.w3.org/2000/09/xmldsig#sha1": hashes.SHA1,
}
_SIGNATURE_METHODS = {
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": hashes.SHA256,
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1": hashes.SHA1,
}


def _naive_digest(element: etree._Element, algorithm: str) -> bytes:
    detached = copy.deepcopy(element)
    for signature in detached.findall(f"{{{DS}}}Signature"):  # "enveloped": direct child only
        if signature.tail:
            previous = signature.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + signature.tail
            else:
                detached.text = (detached.text or "") + signature.tail
        detached.remove(signature)
    c14n = etree.tostring(detached, method="c14n", exclusive=True, with_comments=False)
    digest = hashes.Hash(_DIGEST_METHODS[algorithm]())
    digest.update(c14n)
    return digest.finalize()


def naive_verify(signature: etree._Element, cert_pem: bytes) -> bool:
    """Verify ``signature`` the way the verifiers broken by XSW did: resolve the Reference
    to ANY element carrying that ID (wherever it sits, even inside the Signature), drop only
    that element's direct-child ds:Signature, compare the exc-c14n digest, then check the
    SignatureValue over SignedInfo with ``cert_pem``. True means the signed original is
    still in the document intact, i.e. the wrapping is well-formed."""
    root = signature.getroottree().getroot()
    signed_info = signature.find(f"{{{DS}}}SignedInfo")
    if signed_info is None:
        return False
    reference = signed_info.find(f"{{{DS}}}Reference")
    if reference is None or not (reference.get("URI") or "").startswith("#"):
        return False
    target_id = reference.get("URI", "")[1:]
    algorithm = reference.find(f"{{{DS}}}DigestMethod").get("Algorithm", "")
    expected = base64.b64decode("".join(reference.findtext(f"{{{DS}}}DigestValue", "").split()))
    candidates = [el for el in root.iter() if isinstance(el.tag, str) and el.get("ID") == target_id]
    if not any(_naive_digest(el, algorithm) == expected for el in candidates):
        return False
    method = signed_info.find(f"{{{DS}}}SignatureMethod").get("Algorithm", "")
    value = base64.b64decode("".join(signature.findtext(f"{{{DS}}}SignatureValue", "").split()))
    data = etree.tostring(signed_info, method="c14n", exclusive=True, with_comments=False)
    public_key = x509.load_pem_x509_certificate(cert_pem).public_key()
    try:
        public_key.verify(value, data, padding.PKCS1v15(), _SIGNATURE_METHODS[method]())
    except (InvalidSignature, KeyError, ValueError):
        return False
    return True


def b64(xml: bytes | str) -> str:
    """The HTTP-POST binding's SAMLResponse value for ``xml``."""
    if isinstance(xml, str):
        xml = xml.encode()
    return base64.b64encode(xml).decode("ascii")
