"""Serialise pysaml2 messages with stable prefixes, ready for xmlsec1.

pysaml2 prints ``ns0:``/``ns1:`` prefixes, and its "self-contained" encrypted assertion uses
``encas0:``… prefixes that differ from the enclosing response's. After decryption libxml2
folds the assertion's declarations into the in-scope ones (``encas2:`` becomes ``ns1:``), the
exclusive-c14n bytes change and python3-saml rejects the assertion's signature. Using the same
prefixes everywhere, and repeating them on the assertion to encrypt, avoids that.
"""

from __future__ import annotations

from lxml import etree
from saml2 import SamlBase

NSMAP = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "xs": "http://www.w3.org/2001/XMLSchema",
}
_ASSERTION_NSMAP = {k: v for k, v in NSMAP.items() if k != "samlp"}
_ENCRYPTED_ASSERTION = f"{{{NSMAP['saml']}}}EncryptedAssertion"
_PLACEHOLDER = "demo-idp-assertion-placeholder"


def _copy(src: etree._Element, nsmap: dict[str, str]) -> etree._Element:
    """Rebuild ``src`` under ``nsmap`` (lxml reuses in-scope prefixes for the children)."""

    def walk(node: etree._Element, parent: etree._Element | None) -> etree._Element:
        if parent is None:
            el = etree.Element(node.tag, nsmap=nsmap)
        else:
            el = etree.SubElement(parent, node.tag)
        for key, value in node.attrib.items():
            el.set(key, value)
        el.text = node.text
        el.tail = node.tail
        for child in node:
            if isinstance(child.tag, str):
                walk(child, el)
        return el

    return walk(src, None)


def to_xml(message: SamlBase, *, self_contained_assertion: bool = False) -> str:
    """``message`` as XML; with ``self_contained_assertion`` the assertion inside
    EncryptedAssertion redeclares every prefix it needs (xmlsec1 encrypts it as a fragment)."""
    root = etree.fromstring(message.to_string())
    assertion_xml = ""
    if self_contained_assertion:
        holder = root.find(f".//{_ENCRYPTED_ASSERTION}")
        if holder is None or len(holder) != 1:
            raise ValueError("expected one assertion inside EncryptedAssertion")
        assertion = holder[0]
        holder.remove(assertion)
        holder.text = _PLACEHOLDER
        assertion_xml = etree.tostring(_copy(assertion, _ASSERTION_NSMAP), encoding="unicode")
    xml = etree.tostring(_copy(root, NSMAP), encoding="unicode")
    if self_contained_assertion:
        xml = xml.replace(_PLACEHOLDER, assertion_xml, 1)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + xml
