"""Hand-made SAML attack responses for the ACS tests.

Every mutation is a pure function: the XML of a legitimately signed samlp:Response in, new
XML (bytes) out. The registry :data:`ATTACKS` pairs each with a builder over a
:class:`Context` (keys, issuer, audience, ACS URL, InResponseTo, NameID), so a parametrized
test can post every attack to ``/saml/{group}/acs``::

    ctx = Context.create(issuer=..., audience=..., acs_url=..., in_response_to=request_id)
    for attack in ATTACKS.values():
        form_value = attack.saml_response(ctx)   # base64 (or deliberately broken) value
        ...  # POST SAMLResponse=form_value; expect 4xx, no session, no confirmation page

XML signature wrapping (XSW1-XSW8) follows Somorovsky et al., "On Breaking SAML: Be Whoever
You Want to Be" (USENIX Security 2012), as implemented by SAML Raider
(``helpers/XSWHelpers.java``): XSW1-2 wrap the Response signature, XSW3-8 the Assertion
signature. In each the evil copy carries :data:`ATTACKER_NAME_ID`; the original signed
element survives unchanged somewhere in the document, so its signature still verifies
for a verifier that resolves the reference to wherever the original now sits
(:func:`signing.naive_verify`), and only the SP's choice of *which* element to read
decides the outcome. (xmlsec itself, whose enveloped-signature transform drops everything
inside the Signature and whose ID lookup takes the first match, already fails XSW1, XSW6,
XSW8 and the duplicate-ID variants: see :func:`strictly_verifies`.)
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial

from lxml import etree

from tests.saml import signing
from tests.saml.signing import DS, SAML, SAMLP, Algorithm, SigningKey, q

ATTACKER_NAME_ID = "attacker@evil.example"
EVIL_RESPONSE_ID = "_evil_response_ID"
EVIL_ASSERTION_ID = "_evil_assertion_ID"
EVIL_SECOND_ASSERTION_ID = "_evil_second_assertion_ID"
COMMENT_SUFFIX = ".evil.example"
OVERSIZE_BYTES = 300 * 1024  # comfortably above the 256 KiB cap, base64 or decoded

SIGNATURE = f"{{{DS}}}Signature"
ASSERTION = f"{{{SAML}}}Assertion"
NAMEID = f"{{{SAML}}}NameID"


# --------------------------------------------------------------------------- context


@dataclass(frozen=True)
class Context:
    """What an attack needs to know to build (and, where needed, re-sign) its response.

    ``key`` is the IdP key the SP trusts; ``other_key`` a foreign key it does not.
    ``in_response_to=None`` builds IdP-initiated responses.
    """

    key: SigningKey
    other_key: SigningKey
    issuer: str = "https://idp.example.org/saml/metadata"
    audience: str = "https://sp.example.org/saml/acme/metadata"
    acs_url: str = "https://sp.example.org/saml/acme/acs"
    in_response_to: str | None = "_authnrequest-0001"
    name_id: str = "user@example.org"
    attacker_name_id: str = ATTACKER_NAME_ID
    attributes: Mapping[str, str | list[str]] | None = None
    now: datetime | None = None

    @classmethod
    def create(cls, key: SigningKey | None = None, **fields: object) -> Context:
        """A context with fresh keys (``key`` may be given: the IdP key the SP trusts)."""
        return cls(
            key=key or signing.generate_signing_key("practice-sso test IdP"),
            other_key=signing.generate_signing_key("attacker's IdP"),
            **fields,  # type: ignore[arg-type]
        )

    def with_(self, **changes: object) -> Context:
        return replace(self, **changes)  # type: ignore[arg-type]

    def tree(
        self,
        *,
        name_id: str | None = None,
        attributes: Mapping[str, str | list[str]] | None = None,
    ) -> etree._Element:
        """The unsigned Response for this context (lxml root), to mutate before signing."""
        name_id = name_id or self.name_id
        if attributes is None:
            attributes = self.attributes
        if attributes is None:
            attributes = signing.default_attributes(name_id)
        return signing.build_response(
            issuer=self.issuer,
            audience=self.audience,
            destination=self.acs_url,
            in_response_to=self.in_response_to,
            name_id=name_id,
            attributes=attributes,
            now=self.now,
        )

    def signed(
        self,
        *,
        sign_assertion: bool = True,
        sign_response: bool = False,
        algorithm: Algorithm = "sha256",
        key: SigningKey | None = None,
        name_id: str | None = None,
        attributes: Mapping[str, str | list[str]] | None = None,
    ) -> bytes:
        """A legitimately signed Response (by default: assertion signed, SHA-256)."""
        return signing.sign(
            self.tree(name_id=name_id, attributes=attributes),
            key or self.key,
            sign_assertion=sign_assertion,
            sign_response=sign_response,
            algorithm=algorithm,
        )


# --------------------------------------------------------------------------- helpers


def _remove(element: etree._Element) -> None:
    """Detach ``element`` but keep its tail text in the document (lxml would drop it, and
    that text is part of what the enclosing signature digested)."""
    parent = element.getparent()
    if parent is None:
        raise ValueError("cannot remove the root element")
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _own_signature(element: etree._Element) -> etree._Element | None:
    """The ds:Signature that is a direct child of ``element`` (an enveloped signature)."""
    return element.find(SIGNATURE)


def _require_signature(element: etree._Element, what: str) -> etree._Element:
    signature = _own_signature(element)
    if signature is None:
        raise ValueError(f"the {what} is not signed; this attack needs a signed {what}")
    return signature


def _first_assertion(root: etree._Element) -> etree._Element:
    assertion = root.find(f".//{ASSERTION}")
    if assertion is None:
        raise ValueError("no saml:Assertion")
    return assertion


def _make_evil(element: etree._Element, attacker: str) -> None:
    """SAML Raider's match-and-replace: every text equal to the victim's NameID (the NameID
    itself, an email attribute ...) becomes the attacker's."""
    nameid = element.find(f".//{NAMEID}")
    if nameid is None or not nameid.text:
        raise ValueError("no NameID to replace")
    victim = nameid.text.strip()
    for node in element.iter():
        if isinstance(node.tag, str) and node.text and node.text.strip() == victim:
            node.text = node.text.replace(victim, attacker)


def _strip_all_signatures(root: etree._Element) -> None:
    for signature in root.findall(f".//{SIGNATURE}"):
        _remove(signature)


def _evil_copy(element: etree._Element, attacker: str) -> etree._Element:
    """A deep copy with the attacker's identity and without its enveloped signature."""
    evil = copy.deepcopy(element)
    _make_evil(evil, attacker)
    signature = _own_signature(evil)
    if signature is not None:
        _remove(signature)
    evil.tail = element.tail
    return evil


# --------------------------------------------------------------------------- XSW


def xsw1(xml: bytes, attacker: str = ATTACKER_NAME_ID) -> bytes:
    """XSW1 (Response signature, enveloping): the root Response becomes the evil one
    (attacker NameID, ID ``_evil_response_ID``) and keeps the original ds:Signature; an
    unsigned copy of the original Response is appended INSIDE that ds:Signature, where the
    Reference (``#original-id``) now points."""
    root = signing.parse(xml)
    signature = _require_signature(root, "Response")
    original = copy.deepcopy(root)
    _remove(_require_signature(original, "Response"))
    _make_evil(root, attacker)
    root.set("ID", EVIL_RESPONSE_ID)
    signature.append(original)
    return signing.serialize(root)


def xsw2(xml: bytes, attacker: str = ATTACKER_NAME_ID) -> bytes:
    """XSW2 (Response signature, detached): like XSW1, but the unsigned copy of the original
    Response is inserted as a sibling just BEFORE the ds:Signature of the evil Response."""
    root = signing.parse(xml)
    signature = _require_signature(root, "Response")
    original = copy.deepcopy(root)
    _remove(_require_signature(original, "Response"))
    _make_evil(root, attacker)
    root.set("ID", EVIL_RESPONSE_ID)
    signature.addprevious(original)
    return signing.serialize(root)


def xsw3(xml: bytes, attacker: str = ATTACKER_NAME_ID) -> bytes:
    """XSW3 (Assertion signature): an unsigned evil Assertion (attacker NameID, ID
    ``_evil_assertion_ID``) inserted as a sibling BEFORE the original signed Assertion,
    which stays in place untouched."""
    root = signing.parse(xml)
    assertion = _first_assertion(root)
    _require_signature(assertion, "Assertion")
    evil = _evil_copy(assertion, attacker)
    evil.set("ID", EVIL_ASSERTION_ID)
    assertion.addprevious(evil)
    return signing.serialize(root)


def xsw4(xml: bytes, attacker: str = ATTACKER_NAME_ID) -> bytes:
    """XSW4 (Assertion signature): an unsigned evil Assertion (``_evil_assertion_ID``) is
    appended to the Response and the original signed Assertion is MOVED INSIDE it (as its
    last child)."""
    root = signing.parse(xml)
    assertion = _first_assertion(root)
    _require_signature(assertion, "Assertion")
    evil = _evil_copy(assertion, attacker)
    evil.set("ID", EVIL_ASSERTION_ID)
    assertion.getparent().append(evil)
    evil.append(assertion)  # moves the original (signature included) into the evil one
    return signing.serialize(root)


def xsw5(xml: bytes, attacker: str = ATTACKER_NAME_ID) -> bytes:
    """XSW5 (Assertion signature): the Assertion in place becomes the evil one (attacker
    NameID, ID ``_evil_assertion_ID``) but KEEPS the original ds:Signature; an unsigned
    copy of the original Assertion is appended to the Response (last child)."""
    root = signing.parse(xml)
    assertion = _first_assertion(root)
    _require_signature(assertion, "Assertion")
    original = copy.deepcopy(assertion)
    _remove(_require_signature(original, "Assertion"))
    _make_evil(assertion, attacker)
    assertion.set("ID", EVIL_ASSERTION_ID)
    original.tail = assertion.tail
    assertion.getparent().append(original)
    return signing.serialize(root)


def xsw6(xml: bytes, attacker: str = ATTACKER_NAME_ID) -> bytes:
    """XSW6 (Assertion signature): the Assertion in place becomes the evil one
    (``_evil_assertion_ID``) and keeps the original ds:Signature; an unsigned copy of the
    original Assertion is appended INSIDE that ds:Signature."""
    root = signing.parse(xml)
    assertion = _first_assertion(root)
    signature = _require_signature(assertion, "Assertion")
    original = copy.deepcopy(assertion)
    _remove(_require_signature(original, "Assertion"))
    _make_evil(assertion, attacker)
    assertion.set("ID", EVIL_ASSERTION_ID)
    original.tail = "\n"
    signature.append(original)
    return signing.serialize(root)


def xsw7(xml: bytes, attacker: str = ATTACKER_NAME_ID, *, saml_raider: bool = False) -> bytes:
    """XSW7 (Assertion signature): an Extensions element (schema: any content, lax) holding
    an unsigned evil copy of the Assertion, placed BEFORE the original signed Assertion,
    which stays in place untouched.

    Default: ``samlp:Extensions`` at its schema position (after Issuer/Signature, before
    Status), so the document still passes schema validation, and the evil copy gets ID
    ``_evil_assertion_ID`` (with duplicate IDs xmlsec resolves the first one, the evil copy,
    and the wrapping would fail trivially). ``saml_raider=True`` reproduces SAML Raider
    exactly: a namespace-less ``Extensions`` right before the Assertion, the evil copy
    keeping the original ID.
    """
    root = signing.parse(xml)
    assertion = _first_assertion(root)
    _require_signature(assertion, "Assertion")
    evil = _evil_copy(assertion, attacker)
    evil.tail = "\n"
    if saml_raider:
        extensions = etree.Element("Extensions", nsmap={})
        anchor = assertion
    else:
        evil.set("ID", EVIL_ASSERTION_ID)
        extensions = etree.Element(q("samlp", "Extensions"), nsmap={"samlp": SAMLP})
        anchor = root.find(q("samlp", "Status"))
        if anchor is None:
            raise ValueError("no samlp:Status")
    extensions.text = "\n"
    extensions.append(evil)
    previous = anchor.getprevious()
    extensions.tail = previous.tail if previous is not None else "\n"
    anchor.addprevious(extensions)
    return signing.serialize(root)


def xsw8(xml: bytes, attacker: str = ATTACKER_NAME_ID, *, saml_raider: bool = False) -> bytes:
    """XSW8 (Assertion signature): the Assertion in place becomes the evil one and keeps the
    original ds:Signature; an Object element appended INSIDE that ds:Signature holds an
    unsigned copy of the original Assertion.

    Default: a ``ds:Object`` and the evil Assertion gets ID ``_evil_assertion_ID`` (see
    :func:`xsw7`). ``saml_raider=True`` reproduces SAML Raider exactly: a namespace-less
    ``Object`` and the evil Assertion keeping the original ID.
    """
    root = signing.parse(xml)
    assertion = _first_assertion(root)
    signature = _require_signature(assertion, "Assertion")
    original = copy.deepcopy(assertion)
    _remove(_require_signature(original, "Assertion"))
    _make_evil(assertion, attacker)
    if saml_raider:
        obj = etree.SubElement(signature, "Object", nsmap={})
    else:
        assertion.set("ID", EVIL_ASSERTION_ID)
        obj = etree.SubElement(signature, f"{{{DS}}}Object")
    obj.text = "\n"
    obj.tail = "\n"
    original.tail = "\n"
    obj.append(original)
    return signing.serialize(root)


# --------------------------------------------------------------------------- comments


def split_text_with_comment(element: etree._Element, after: str) -> None:
    """``<X>after.rest</X>`` becomes ``<X>after<!---->.rest</X>`` (in place)."""
    text = element.text or ""
    if not text.startswith(after) or text == after:
        raise ValueError(f"{element.tag} text {text!r} does not extend {after!r}")
    element.text = after
    comment = etree.Comment("")
    comment.tail = text[len(after) :]
    element.insert(0, comment)


def comment_in_nameid(xml: bytes, after: str) -> bytes:
    """Comment injection AFTER signing: split the signed NameID text with an empty comment
    after ``after``. Exclusive c14n without comments drops the comment, so the signature
    stays valid; a parser that takes only the first text node reads just ``after``."""
    root = signing.parse(xml)
    for nameid in root.iter(NAMEID):
        split_text_with_comment(nameid, after)
    return signing.serialize(root)


def comment_in_attribute(xml: bytes, name: str, after: str) -> bytes:
    """Comment injection after signing in the values of Attribute ``name``."""
    root = signing.parse(xml)
    values = root.findall(f".//{{{SAML}}}Attribute[@Name='{name}']/{{{SAML}}}AttributeValue")
    if not values:
        raise ValueError(f"no attribute {name!r}")
    for value in values:
        split_text_with_comment(value, after)
    return signing.serialize(root)


def nameid_comment_injection(ctx: Context) -> bytes:
    """Comment injection BEFORE signing: the IdP signs NameID
    ``user@example.org<!---->.evil.example``; the signed (c14n) value is
    ``user@example.org.evil.example`` and an SP must never read just ``user@example.org``."""
    signed_value = ctx.name_id + COMMENT_SUFFIX
    root = ctx.tree(name_id=signed_value)
    split_text_with_comment(root.find(f".//{NAMEID}"), ctx.name_id)
    return signing.sign(root, ctx.key)


def nameid_comment_injection_post_signing(ctx: Context) -> bytes:
    """Comment injection AFTER signing (Duo, 2018): a legitimately signed response for
    ``user@example.org.evil.example`` gets ``<!---->`` inserted after ``user@example.org``;
    equivalent under exc-c14n, so the signature stays valid."""
    return comment_in_nameid(ctx.signed(name_id=ctx.name_id + COMMENT_SUFFIX), ctx.name_id)


COMMENT_INJECTED_ATTRIBUTES = ("uid", "email")


def _comment_injected_attributes(ctx: Context) -> dict[str, str]:
    """The whole signed values of the attributes :func:`attribute_comment_injection_post_signing`
    tampers with (what a correct SP reads)."""
    attributes = ctx.attributes or signing.default_attributes(ctx.name_id)
    return {name: f"{attributes[name]}{COMMENT_SUFFIX}" for name in COMMENT_INJECTED_ATTRIBUTES}


def attribute_comment_injection_post_signing(ctx: Context) -> bytes:
    """Comment injection after signing in the uid and email attribute values (the subject
    may come from an attribute rather than the NameID): signed ``uid-user.evil.example``
    becomes ``uid-user<!---->.evil.example``."""
    attributes = dict(ctx.attributes or signing.default_attributes(ctx.name_id))
    originals = {name: str(attributes[name]) for name in COMMENT_INJECTED_ATTRIBUTES}
    attributes.update(_comment_injected_attributes(ctx))
    xml = ctx.signed(attributes=attributes)
    for name, value in originals.items():
        xml = comment_in_attribute(xml, name, value)
    return xml


# --------------------------------------------------------------------------- signatures


def strip_signature(xml: bytes) -> bytes:
    """Signature exclusion: remove every ds:Signature."""
    root = signing.parse(xml)
    _strip_all_signatures(root)
    return signing.serialize(root)


def empty_signature_value(xml: bytes) -> bytes:
    """Every ds:SignatureValue emptied (a verifier that skips empty values accepts)."""
    root = signing.parse(xml)
    values = root.findall(f".//{{{DS}}}SignatureValue")
    if not values:
        raise ValueError("no SignatureValue")
    for value in values:
        value.text = ""
    return signing.serialize(root)


def resign_with_other_key(xml: bytes, other_key: SigningKey) -> bytes:
    """A foreign key's signature: drop every signature and sign the same elements (the
    assertion and/or the response) again with ``other_key``, whose own certificate goes into
    KeyInfo (an SP trusting KeyInfo instead of its configured certificate accepts)."""
    root = signing.parse(xml)
    had_response = _own_signature(root) is not None
    had_assertion = _own_signature(_first_assertion(root)) is not None
    _strip_all_signatures(root)
    return signing.sign(
        root,
        other_key,
        sign_assertion=had_assertion or not had_response,
        sign_response=had_response,
    )


def alter_attribute(xml: bytes, name: str, value: str) -> bytes:
    """After signing, set the (first) value of Attribute ``name`` to ``value``."""
    root = signing.parse(xml)
    values = root.findall(f".//{{{SAML}}}Attribute[@Name='{name}']/{{{SAML}}}AttributeValue")
    if not values:
        raise ValueError(f"no attribute {name!r}")
    values[0].text = value
    return signing.serialize(root)


def alter_nameid(xml: bytes, value: str = ATTACKER_NAME_ID) -> bytes:
    """After signing, replace the NameID text."""
    root = signing.parse(xml)
    for nameid in root.iter(NAMEID):
        for child in list(nameid):
            _remove(child)
        nameid.text = value
    return signing.serialize(root)


def add_second_assertion_unsigned(xml: bytes, attacker: str = ATTACKER_NAME_ID) -> bytes:
    """An unsigned evil Assertion (``_evil_second_assertion_ID``) appended AFTER the
    original signed one (an SP reading the last or any assertion is fooled)."""
    root = signing.parse(xml)
    assertion = _first_assertion(root)
    evil = _evil_copy(assertion, attacker)
    evil.set("ID", EVIL_SECOND_ASSERTION_ID)
    assertion.addnext(evil)
    return signing.serialize(root)


# --------------------------------------------------------------------------- parser attacks


def xxe(xml: bytes, system_id: str = "file:///etc/passwd") -> bytes:
    """XXE: a DOCTYPE declaring an external entity (``file:///etc/passwd``) used as the
    NameID text."""
    root = signing.parse(xml)
    for nameid in root.iter(NAMEID):
        nameid.text = None
        nameid.append(etree.Entity("xxe"))
    doctype = f'<!DOCTYPE samlp:Response [\n<!ENTITY xxe SYSTEM "{system_id}">\n]>'
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", doctype=doctype)


def billion_laughs(xml: bytes, depth: int = 10) -> bytes:
    """Entity expansion ("billion laughs"): ten levels of ten-fold entities in the NameID."""
    root = signing.parse(xml)
    for nameid in root.iter(NAMEID):
        nameid.text = None
        nameid.append(etree.Entity(f"lol{depth - 1}"))
    lines = ['<!ENTITY lol0 "lol">']
    for level in range(1, depth):
        lines.append(f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">')
    doctype = "<!DOCTYPE samlp:Response [\n" + "\n".join(lines) + "\n]>"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", doctype=doctype)


def garbage(size: int = 2048, seed: int = 2012) -> bytes:
    """Random bytes, reproducible (posted base64-encoded)."""
    return random.Random(seed).randbytes(size)


def empty() -> bytes:
    """Nothing at all."""
    return b""


def oversized(xml: bytes, size: int = OVERSIZE_BYTES) -> bytes:
    """The signed response padded past ``size`` bytes with a giant comment inside the
    Assertion, inserted after signing: comments are outside exc-c14n, so the signature stays
    valid and only a size cap can refuse it."""
    root = signing.parse(xml)
    assertion = _first_assertion(root)
    padding = max(size - len(xml), 0) + 1
    comment = etree.Comment(" " + "A" * padding + " ")
    assertion.append(comment)  # no tail: the assertion's signed text stays exactly the same
    out = signing.serialize(root)
    if len(out) <= size:
        raise AssertionError(f"padding failed: {len(out)} bytes")
    return out


def oversized_signed_attribute(ctx: Context, size: int = OVERSIZE_BYTES) -> bytes:
    """A legitimately signed response made large by one huge attribute value (signed, so
    nothing but a size cap can refuse it)."""
    attributes = dict(ctx.attributes or signing.default_attributes(ctx.name_id))
    attributes["lastName"] = "A" * size
    return ctx.signed(attributes=attributes)


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Attack:
    """One attack of the library.

    ``build(ctx)`` returns the XML (the decoded SAMLResponse); :meth:`saml_response` the form
    value to POST. ``expected_reason_hint`` is a human hint; ``reason_codes`` the service's
    plausible rejection reasons (``Reason`` codes of chalicelib/saml/reasons.py, as strings:
    a hint only, this library does not import the service). ``evidence(xml, ctx)`` proves
    the mutation is really there (so a test cannot pass vacuously).

    ``accepted_name_id``: None means a correct SP must refuse the response. Otherwise the
    response is legitimately signed after all (comment injection) and a strict SP may
    accept it, but then only with exactly this NameID (the whole signed value) and, where
    given, ``accepted_attributes`` (the whole signed values of the tampered attributes).
    """

    name: str
    build: Callable[[Context], bytes]
    expected_reason_hint: str
    reason_codes: tuple[str, ...]
    evidence: Callable[[bytes, Context], bool]
    description: str = ""
    accepted_name_id: Callable[[Context], str] | None = None
    accepted_attributes: Callable[[Context], dict[str, str]] | None = None
    form_value: Callable[[Context], str] | None = field(default=None, repr=False)

    def saml_response(self, ctx: Context) -> str:
        """The SAMLResponse form value: base64 of :attr:`build` unless overridden."""
        if self.form_value is not None:
            return self.form_value(ctx)
        return signing.b64(self.build(ctx))


def wrapped_signature_verifies(xml: bytes, ctx: Context) -> bool:
    """XSW evidence: the attacker's NameID is present AND every ds:Signature still verifies
    for a naive verifier (:func:`signing.naive_verify`): the signed original survived the
    wrapping intact, only its position changed."""
    if ctx.attacker_name_id.encode() not in xml:
        return False
    signatures = list(signing.parse(xml).iter(SIGNATURE))
    return bool(signatures) and all(signing.naive_verify(s, ctx.key.cert_pem) for s in signatures)


def strictly_verifies(xml: bytes, ctx: Context) -> bool:
    """Every ds:Signature verifies with xmlsec (ID lookup: first match; a correct enveloped
    transform). False for wrappings that put the original inside the Signature."""
    signatures = list(signing.parse(xml).iter(SIGNATURE))
    return bool(signatures) and all(
        signing.verify_signature(s, ctx.key.cert_pem) for s in signatures
    )


def naive_name_id(xml: bytes) -> str | None:
    """What a naive SP reads: the first NameID in document order."""
    nameid = signing.parse(xml).find(f".//{NAMEID}")
    return None if nameid is None else "".join(nameid.itertext())


def _first_signature_verifies(xml: bytes, ctx: Context) -> bool:
    return signing.verify_signature(xml, ctx.key.cert_pem)


def _all_signatures_fail(xml: bytes, ctx: Context) -> bool:
    signatures = list(signing.parse(xml).iter(SIGNATURE))
    return bool(signatures) and not any(
        signing.verify_signature(s, ctx.key.cert_pem) for s in signatures
    )


def _xsw_attack(name: str, mutate: Callable[[bytes], bytes], base: str) -> Attack:
    if base == "response":
        kwargs = {"sign_assertion": False, "sign_response": True}
    elif base == "both":
        kwargs = {"sign_assertion": True, "sign_response": True}
    else:
        kwargs = {"sign_assertion": True, "sign_response": False}
    return Attack(
        name=name,
        build=lambda ctx: mutate(ctx.signed(**kwargs)),  # type: ignore[arg-type]
        expected_reason_hint="signature wrapping: extra or moved Response/Assertion",
        reason_codes=("invalid", "bad_signature", "malformed", "unsigned"),
        evidence=wrapped_signature_verifies,
        description=(getattr(mutate, "func", mutate).__doc__ or "").strip()
        + f" (input signed: {base})",
    )


def _sig_count(xml: bytes) -> int:
    return len(list(signing.parse(xml).iter(SIGNATURE)))


def _registry() -> dict[str, Attack]:
    attacks = [
        _xsw_attack("xsw1", xsw1, "response"),
        _xsw_attack("xsw2", xsw2, "response"),
        _xsw_attack("xsw1_both_signed", xsw1, "both"),
        _xsw_attack("xsw2_both_signed", xsw2, "both"),
        _xsw_attack("xsw3", xsw3, "assertion"),
        _xsw_attack("xsw4", xsw4, "assertion"),
        _xsw_attack("xsw5", xsw5, "assertion"),
        _xsw_attack("xsw6", xsw6, "assertion"),
        _xsw_attack("xsw7", xsw7, "assertion"),
        _xsw_attack("xsw8", xsw8, "assertion"),
        _xsw_attack("xsw7_saml_raider", partial(xsw7, saml_raider=True), "assertion"),
        _xsw_attack("xsw8_saml_raider", partial(xsw8, saml_raider=True), "assertion"),
        Attack(
            name="nameid_comment_injection",
            build=nameid_comment_injection,
            expected_reason_hint="accepted only as the whole signed NameID",
            reason_codes=(),
            evidence=lambda xml, ctx: b"<!---->" in xml and _first_signature_verifies(xml, ctx),
            description=(nameid_comment_injection.__doc__ or "").strip(),
            accepted_name_id=lambda ctx: ctx.name_id + COMMENT_SUFFIX,
        ),
        Attack(
            name="nameid_comment_injection_post_signing",
            build=nameid_comment_injection_post_signing,
            expected_reason_hint="accepted only as the whole signed NameID",
            reason_codes=(),
            evidence=lambda xml, ctx: b"<!---->" in xml and _first_signature_verifies(xml, ctx),
            description=(nameid_comment_injection_post_signing.__doc__ or "").strip(),
            accepted_name_id=lambda ctx: ctx.name_id + COMMENT_SUFFIX,
        ),
        Attack(
            name="attribute_comment_injection_post_signing",
            build=attribute_comment_injection_post_signing,
            expected_reason_hint="accepted only with the whole signed attribute values",
            reason_codes=(),
            evidence=lambda xml, ctx: (
                xml.count(b"<!---->") == 2 and _first_signature_verifies(xml, ctx)
            ),
            description=(attribute_comment_injection_post_signing.__doc__ or "").strip(),
            accepted_name_id=lambda ctx: ctx.name_id,
            accepted_attributes=_comment_injected_attributes,
        ),
        Attack(
            name="strip_signature",
            build=lambda ctx: strip_signature(ctx.signed(sign_response=True)),
            expected_reason_hint="no signature",
            reason_codes=("unsigned", "invalid"),
            evidence=lambda xml, ctx: b"Signature" not in xml and b"Assertion" in xml,
            description=(strip_signature.__doc__ or "").strip(),
        ),
        Attack(
            name="assertion_unsigned_response_signed",
            build=lambda ctx: ctx.signed(sign_assertion=False, sign_response=True),
            expected_reason_hint="assertion not signed (only the Response is)",
            reason_codes=("unsigned",),
            evidence=lambda xml, ctx: (
                _sig_count(xml) == 1 and _own_signature(signing.parse(xml)) is not None
            ),
            description="A legitimately signed Response whose Assertion is not signed.",
        ),
        Attack(
            name="empty_signature_value",
            build=lambda ctx: empty_signature_value(ctx.signed()),
            expected_reason_hint="signature invalid",
            reason_codes=("bad_signature", "invalid", "malformed"),
            evidence=lambda xml, ctx: (
                b"<ds:SignatureValue/>" in xml or b"<ds:SignatureValue></ds:SignatureValue>" in xml
            ),
            description=(empty_signature_value.__doc__ or "").strip(),
        ),
        Attack(
            name="foreign_key_signature",
            build=lambda ctx: resign_with_other_key(ctx.signed(), ctx.other_key),
            expected_reason_hint="signed by an untrusted key",
            reason_codes=("bad_signature", "unknown_certificate", "invalid"),
            evidence=lambda xml, ctx: (
                _all_signatures_fail(xml, ctx)
                and signing.verify_signature(xml, ctx.other_key.cert_pem)
            ),
            description=(resign_with_other_key.__doc__ or "").strip(),
        ),
        Attack(
            name="foreign_key_signature_attacker_nameid",
            build=lambda ctx: resign_with_other_key(
                alter_nameid(ctx.signed(), ctx.attacker_name_id), ctx.other_key
            ),
            expected_reason_hint="attacker identity signed by an untrusted key",
            reason_codes=("bad_signature", "unknown_certificate", "invalid"),
            evidence=lambda xml, ctx: (
                ctx.attacker_name_id.encode() in xml
                and _all_signatures_fail(xml, ctx)
                and signing.verify_signature(xml, ctx.other_key.cert_pem)
            ),
            description="The attacker's NameID, signed by the attacker's own key.",
        ),
        Attack(
            name="alter_attribute",
            build=lambda ctx: alter_attribute(ctx.signed(), "email", ctx.attacker_name_id),
            expected_reason_hint="signature invalid (digest mismatch)",
            reason_codes=("bad_signature", "invalid"),
            evidence=lambda xml, ctx: (
                ctx.attacker_name_id.encode() in xml and _all_signatures_fail(xml, ctx)
            ),
            description=(alter_attribute.__doc__ or "").strip(),
        ),
        Attack(
            name="alter_nameid",
            build=lambda ctx: alter_nameid(ctx.signed(), ctx.attacker_name_id),
            expected_reason_hint="signature invalid (digest mismatch)",
            reason_codes=("bad_signature", "invalid"),
            evidence=lambda xml, ctx: (
                naive_name_id(xml) == ctx.attacker_name_id and _all_signatures_fail(xml, ctx)
            ),
            description=(alter_nameid.__doc__ or "").strip(),
        ),
        Attack(
            name="add_second_assertion_unsigned",
            build=lambda ctx: add_second_assertion_unsigned(ctx.signed(), ctx.attacker_name_id),
            expected_reason_hint="more than one assertion",
            reason_codes=("invalid", "malformed"),
            evidence=lambda xml, ctx: (
                xml.count(b"<saml:Assertion ") == 2
                and ctx.attacker_name_id.encode() in xml
                and _first_signature_verifies(xml, ctx)
            ),
            description=(add_second_assertion_unsigned.__doc__ or "").strip(),
        ),
        Attack(
            name="sha1_signed",
            build=lambda ctx: ctx.signed(sign_response=True, algorithm="sha1"),
            expected_reason_hint="deprecated algorithm (RSA-SHA1 / SHA-1)",
            reason_codes=("deprecated_algorithm",),
            evidence=lambda xml, ctx: (
                b"xmldsig#rsa-sha1" in xml
                and b"xmldsig#sha1" in xml
                and _first_signature_verifies(xml, ctx)
            ),
            description="Legitimately signed (response and assertion) with RSA-SHA1/SHA-1.",
        ),
        Attack(
            name="xxe",
            build=lambda ctx: xxe(ctx.signed()),
            expected_reason_hint="DTD / external entity refused",
            reason_codes=("malformed",),
            evidence=lambda xml, ctx: b"<!ENTITY xxe SYSTEM" in xml and b"&xxe;" in xml,
            description=(xxe.__doc__ or "").strip(),
        ),
        Attack(
            name="billion_laughs",
            build=lambda ctx: billion_laughs(ctx.signed()),
            expected_reason_hint="DTD / entity expansion refused",
            reason_codes=("malformed",),
            evidence=lambda xml, ctx: b"<!ENTITY lol9" in xml and b"&lol9;" in xml,
            description=(billion_laughs.__doc__ or "").strip(),
        ),
        Attack(
            name="garbage",
            build=lambda ctx: garbage(),
            expected_reason_hint="not XML",
            reason_codes=("malformed",),
            evidence=lambda xml, ctx: len(xml) > 0 and not xml.lstrip().startswith(b"<"),
            description=(garbage.__doc__ or "").strip(),
        ),
        Attack(
            name="not_base64",
            build=lambda ctx: b"",
            expected_reason_hint="SAMLResponse is not base64",
            reason_codes=("malformed",),
            evidence=lambda xml, ctx: True,
            description="A SAMLResponse form value that is not base64 at all.",
            form_value=lambda ctx: "%%% this is <not> base64 %%%",
        ),
        Attack(
            name="empty",
            build=lambda ctx: empty(),
            expected_reason_hint="empty SAMLResponse",
            reason_codes=("missing", "malformed"),
            evidence=lambda xml, ctx: xml == b"",
            description=(empty.__doc__ or "").strip(),
        ),
        Attack(
            name="oversized_comment",
            build=lambda ctx: oversized(ctx.signed()),
            expected_reason_hint="larger than 256 KiB",
            reason_codes=("too_large",),
            evidence=lambda xml, ctx: len(xml) > 256 * 1024 and _first_signature_verifies(xml, ctx),
            description=(oversized.__doc__ or "").strip(),
        ),
        Attack(
            name="oversized_signed_attribute",
            build=oversized_signed_attribute,
            expected_reason_hint="larger than 256 KiB",
            reason_codes=("too_large",),
            evidence=lambda xml, ctx: len(xml) > 256 * 1024 and _first_signature_verifies(xml, ctx),
            description=(oversized_signed_attribute.__doc__ or "").strip(),
        ),
    ]
    return {attack.name: attack for attack in attacks}


ATTACKS: dict[str, Attack] = _registry()
XSW_NAMES = tuple(name for name in ATTACKS if name.startswith("xsw"))
