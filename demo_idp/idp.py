"""A SAML 2.0 identity provider built on pysaml2, independent of the service's python3-saml.

``DemoIdP`` wraps a ``saml2.server.Server`` configured in code: the only files it writes are
its key and certificate, in a private temporary directory (pysaml2 and xmlsec1 want paths).

Responses are built by pysaml2 unsigned, then adjusted (time shifts, audience, issuer …) and
finally signed and encrypted with pysaml2's own primitives (``pre_signature_part``,
``SecurityContext.sign_statement`` / ``encrypt_assertion``, i.e. the xmlsec1 binary), in the
order pysaml2 itself uses: sign the assertion, encrypt it, sign the response.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lxml import etree
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, saml, samlp
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.s_utils import sid
from saml2.server import Server
from saml2.sigver import make_temp, pre_encrypt_assertion, pre_encryption_part, pre_signature_part
from saml2.validate import valid_instance
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from .build import (
    BINDINGS,
    DIGEST_ALGS,
    KEY_ENC_ALGS,
    NAMEID_FORMATS,
    SESSION_KEYS,
    SIGN_ALGS,
    STRONG_ALGORITHMS,
    ResponseHook,
    attribute_statement,
    class_name,
    encode_response,
    fmt,
    name_id_value,
    override,
    pem,
    resolve,
    resolve_enc,
    set_times,
)
from .keys import KeyPair, cert_base64, generate_keypair, write_keypair
from .messages import (
    AuthnRequestInfo,
    DemoIdPError,
    LogoutResult,
    PostForm,
    UnknownServiceProvider,
)
from .serialize import to_xml
from .users import DemoUser

AUTHN_CONTEXT_PPT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
MD_NS = "urn:oasis:names:tc:SAML:2.0:metadata"
METADATA_NSPAIR = {
    "md": MD_NS,
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "alg": "urn:oasis:names:tc:SAML:metadata:algsupport",
}
__all__ = [
    "AuthnRequestInfo",
    "DemoIdP",
    "DemoIdPError",
    "LogoutResult",
    "PostForm",
    "UnknownServiceProvider",
    "encode_response",
    "sp_entity_ids_in",
]


@dataclass
class _SP:
    entity_id: str
    acs: list[tuple[str, str]] = field(default_factory=list)  # (binding, location)


class DemoIdP:
    """A pysaml2 IdP with one signing key, serving any number of registered SPs."""

    def __init__(
        self,
        *,
        entity_id: str,
        sso_url: str,
        slo_url: str | None = None,
        keypair: KeyPair | None = None,
        sp_metadata: str | Iterable[str] | None = None,
        want_authn_requests_signed: bool = False,
        name: str = "Demo identity provider",
    ) -> None:
        self.entity_id = entity_id
        self.sso_url = sso_url
        self.slo_url = slo_url
        self.name = name
        self.want_authn_requests_signed = want_authn_requests_signed
        self.keypair = keypair or generate_keypair(_cn_for(entity_id))
        self._lock = threading.RLock()
        self._tmpdir = tempfile.mkdtemp(prefix="demo-idp-")
        self._finalizer = weakref.finalize(self, shutil.rmtree, self._tmpdir, True)
        self._key_path, self._cert_path = write_keypair(self.keypair, self._tmpdir)
        if isinstance(sp_metadata, str):
            sp_metadata = [sp_metadata]
        self._sp_xml: list[str] = []
        self.server = self._build_server()
        if sp_metadata:
            self.set_sp_metadata(list(sp_metadata))

    # -- construction ------------------------------------------------------------------

    @classmethod
    def for_base_url(
        cls,
        base_url: str,
        *,
        keypair: KeyPair | None = None,
        with_slo: bool = True,
        **kwargs: object,
    ) -> DemoIdP:
        """The IdP as the demo web server lays it out under ``base_url``."""
        base = base_url.rstrip("/")
        return cls(
            entity_id=f"{base}/idp/metadata",
            sso_url=f"{base}/idp/sso",
            slo_url=f"{base}/idp/slo" if with_slo else None,
            keypair=keypair,
            **kwargs,  # type: ignore[arg-type]
        )

    @classmethod
    def metadata_for(cls, base_url: str, keypair: KeyPair, *, with_slo: bool = True) -> str:
        """The metadata the demo server at ``base_url`` with ``keypair`` publishes."""
        idp = cls.for_base_url(base_url, keypair=keypair, with_slo=with_slo)
        try:
            return idp.metadata_xml()
        finally:
            idp.close()

    def close(self) -> None:
        """Delete the temporary key files (also done when the object is collected)."""
        self._finalizer()

    def _config(self) -> IdPConfig:
        xmlsec = shutil.which("xmlsec1")
        if not xmlsec:
            raise RuntimeError("pysaml2 needs the xmlsec1 binary (Debian package xmlsec1)")
        endpoints: dict[str, list[tuple[str, str]]] = {
            "single_sign_on_service": [
                (self.sso_url, BINDING_HTTP_REDIRECT),
                (self.sso_url, BINDING_HTTP_POST),
            ]
        }
        if self.slo_url:
            endpoints["single_logout_service"] = [(self.slo_url, BINDING_HTTP_REDIRECT)]
        conf = {
            "entityid": self.entity_id,
            "xmlsec_binary": xmlsec,
            "crypto_backend": "xmlsec1",
            "key_file": str(self._key_path),
            "cert_file": str(self._cert_path),
            "metadata": {"inline": list(self._sp_xml)},
            "accepted_time_diff": 120,
            "allow_unknown_attributes": True,
            "delete_tmpfiles": True,
            "service": {
                "idp": {
                    "name": self.name,
                    "endpoints": endpoints,
                    "name_id_format": list(NAMEID_FORMATS.values()),
                    "want_authn_requests_signed": self.want_authn_requests_signed,
                    "signing_algorithm": SIG_RSA_SHA256,
                    "digest_algorithm": DIGEST_SHA256,
                    "policy": {
                        "default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None}
                    },
                }
            },
        }
        config = IdPConfig()
        config.load(conf)
        return config

    def _build_server(self) -> Server:
        server = Server(config=self._config())
        self._sps = self._index_sps(server)
        return server

    def _index_sps(self, server: Server) -> dict[str, _SP]:
        sps: dict[str, _SP] = {}
        entity_ids = list(server.metadata.keys())
        for entity_id in entity_ids:
            descriptors = server.metadata[entity_id].get("spsso_descriptor")
            if not descriptors:
                continue
            acs = []
            for binding in (BINDING_HTTP_POST,):
                for srv in server.metadata.assertion_consumer_service(entity_id, binding):
                    acs.append((binding, srv["location"]))
            sps[entity_id] = _SP(entity_id=entity_id, acs=acs)
        return sps

    def add_sp_metadata(self, xml: str) -> None:
        """Register an SP from its metadata XML and rebuild the server.

        Metadata for an entity ID already registered replaces the old one.
        """
        with self._lock:
            new_ids = set(sp_entity_ids_in(xml))
            kept = [x for x in self._sp_xml if not new_ids & set(sp_entity_ids_in(x))]
            self.set_sp_metadata([*kept, xml])

    def set_sp_metadata(self, xmls: Sequence[str]) -> None:
        """Replace every registered SP at once; on bad metadata nothing changes."""
        with self._lock:
            expected = {eid for xml in xmls for eid in sp_entity_ids_in(xml)}
            previous = self._sp_xml
            self._sp_xml = list(xmls)
            try:
                server = self._build_server()
                missing = expected - set(self._sps)
                if missing:
                    raise DemoIdPError(f"pysaml2 did not load the metadata of {sorted(missing)}")
            except Exception:
                self._sp_xml = previous
                self.server = self._build_server()
                raise
            self.server = server

    @property
    def sp_entity_ids(self) -> list[str]:
        return sorted(self._sps)

    def acs_urls(self, sp_entity_id: str) -> list[str]:
        """The SP's HTTP-POST ACS locations, default first."""
        return [loc for _, loc in self._sp(sp_entity_id).acs]

    def _sp(self, sp_entity_id: str) -> _SP:
        try:
            return self._sps[sp_entity_id]
        except KeyError:
            raise UnknownServiceProvider(
                f"The service provider {sp_entity_id!r} is not registered with this "
                "identity provider."
            ) from None

    # -- metadata ------------------------------------------------------------------------

    @property
    def cert_base64(self) -> str:
        return cert_base64(self.keypair.cert_pem)

    def metadata_xml(self, valid_hours: int = 24 * 365) -> str:
        """IdP metadata: signing cert, SSO (HTTP-Redirect and HTTP-POST), SLO if configured.

        pysaml2 would advertise every algorithm the xmlsec1 binary knows (MD5, SHA-1 …);
        only the SHA-256 family is kept.
        """
        with self._lock:
            descriptor = entity_descriptor(self.server.config)
        descriptor.valid_until = fmt(dt.datetime.now(dt.UTC) + dt.timedelta(hours=valid_hours))
        if descriptor.extensions is not None:
            kept = [
                e
                for e in descriptor.extensions.extension_elements
                if e.attributes.get("Algorithm") in STRONG_ALGORITHMS
            ]
            descriptor.extensions.extension_elements = kept
            if not kept:
                descriptor.extensions = None
        valid_instance(descriptor)
        xml = descriptor.to_string(nspair=METADATA_NSPAIR)
        return xml.decode("utf-8") if isinstance(xml, bytes) else xml

    # -- requests ----------------------------------------------------------------------

    def parse_authn_request(
        self,
        saml_request: str,
        binding: str = "redirect",
        *,
        relay_state: str | None = None,
        sig_alg: str | None = None,
        signature: str | None = None,
    ) -> AuthnRequestInfo:
        """Decode, check and summarise an AuthnRequest (redirect: deflated+base64; post: base64).

        Raises ``DemoIdPError`` with a readable message when the request cannot be answered.
        """
        if not saml_request:
            raise DemoIdPError("The request has no SAMLRequest parameter.")
        binding_uri = resolve(binding, BINDINGS, "binding")
        with self._lock:
            try:
                req = self.server.parse_authn_request(
                    saml_request,
                    binding_uri,
                    relay_state=relay_state,
                    sigalg=sig_alg,
                    signature=signature,
                )
            except Exception as exc:  # pysaml2 raises many unrelated types
                issuer = self._peek_issuer(saml_request, binding_uri)
                if issuer and issuer not in self._sps:
                    self._sp(issuer)  # raises UnknownServiceProvider
                raise DemoIdPError(f"The SAMLRequest could not be read: {exc}") from exc
            if req is None or req.message is None:
                raise DemoIdPError("The SAMLRequest could not be read.")
            msg = req.message
            issuer = msg.issuer.text.strip() if msg.issuer is not None and msg.issuer.text else ""
            if not issuer:
                raise DemoIdPError("The AuthnRequest has no Issuer.")
            sp = self._sp(issuer)
            acs_url = self._pick_acs(sp, msg)
        nid_format = msg.name_id_policy.format if msg.name_id_policy is not None else None
        return AuthnRequestInfo(
            id=msg.id,
            issuer=issuer,
            acs_url=acs_url,
            name_id_format=nid_format,
            force_authn=str(msg.force_authn).lower() == "true",
            is_passive=str(msg.is_passive).lower() == "true",
            destination=msg.destination,
            signed=bool(signature) or msg.signature is not None,
        )

    def _peek_issuer(self, saml_request: str, binding_uri: str) -> str | None:
        """The Issuer of a request pysaml2 refused (to tell an unknown SP apart)."""
        try:
            xml = self.server.unravel(saml_request, binding_uri, "SAMLRequest")
            parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
            root = etree.fromstring(xml.encode("utf-8") if isinstance(xml, str) else xml, parser)
        except Exception:
            return None
        found = root.find("{urn:oasis:names:tc:SAML:2.0:assertion}Issuer")
        return found.text.strip() if found is not None and found.text else None

    @staticmethod
    def _pick_acs(sp: _SP, msg: samlp.AuthnRequest) -> str:
        locations = [loc for _, loc in sp.acs]
        if not locations:
            raise DemoIdPError(f"The service provider {sp.entity_id!r} has no HTTP-POST ACS.")
        if msg.protocol_binding and msg.protocol_binding != BINDING_HTTP_POST:
            raise DemoIdPError(
                f"Only the HTTP-POST binding is supported, not {msg.protocol_binding}."
            )
        url = msg.assertion_consumer_service_url
        if url:
            if url not in locations:
                raise DemoIdPError(
                    f"The ACS URL {url!r} of the request is not in the service provider's metadata."
                )
            return url
        index = msg.assertion_consumer_service_index
        if index is not None:
            try:
                return locations[int(index)]
            except (ValueError, IndexError):
                raise DemoIdPError(f"Unknown AssertionConsumerServiceIndex {index!r}.") from None
        return locations[0]

    # -- responses ---------------------------------------------------------------------

    def respond_to_redirect(self, url: str, user: DemoUser, **options: Any) -> PostForm:
        """Answer the SP's HTTP-Redirect login URL (its 302 Location) as ``user``.

        ``options`` go to ``create_response`` (e.g. ``sign_response=True``,
        ``clock_offset_seconds=-3600``); SP, ACS and InResponseTo come from the request.
        """
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}
        relay_state = query.get("RelayState")
        info = self.parse_authn_request(
            query.get("SAMLRequest", ""),
            "redirect",
            relay_state=relay_state,
            sig_alg=query.get("SigAlg"),
            signature=query.get("Signature"),
        )
        options.setdefault("acs_url", info.acs_url)
        options.setdefault("in_response_to", info.id)
        saml_response = self.create_response(sp_entity_id=info.issuer, user=user, **options)
        return PostForm(
            acs_url=options["acs_url"],
            saml_response=saml_response,
            relay_state=relay_state,
            request=info,
        )

    def create_response(
        self,
        *,
        sp_entity_id: str,
        user: DemoUser,
        acs_url: str | None = None,
        in_response_to: str | None = None,
        name_id_format: str = "emailAddress",
        name_id: str | None = None,
        sign_response: bool = False,
        sign_assertion: bool = True,
        encrypt_assertion: bool = False,
        encryption_cert: str | None = None,
        data_encryption_alg: str = "aes256-cbc",
        key_encryption_alg: str = "rsa-oaep-mgf1p",
        sign_alg: str = "rsa-sha256",
        digest_alg: str = "sha256",
        audience: str | Sequence[str] | None = None,
        issuer: str | None = None,
        destination: str | None = None,
        recipient: str | None = None,
        attributes: dict[str, list[str]] | None = None,
        include_uri_attributes: bool = True,
        clock_offset_seconds: float = 0,
        issue_instant: dt.datetime | None = None,
        not_before: dt.datetime | None = None,
        not_on_or_after: dt.datetime | None = None,
        lifetime_seconds: int = 300,
        session_index: str | None = None,
        customize: ResponseHook | None = None,
        as_xml: bool = False,
    ) -> str:
        """Build a Response for the HTTP-POST binding; return it base64-encoded (or as XML).

        ``acs_url`` defaults to the SP's default ACS; ``in_response_to=None`` makes an
        IdP-initiated response. ``name_id`` overrides the value chosen from ``user`` (see
        ``DemoUser``). ``audience``/``issuer``/``destination``/``recipient`` override the
        correct values. Times: every timestamp is ``now + clock_offset_seconds`` unless
        ``issue_instant``/``not_before``/``not_on_or_after`` are given; conditions and the
        subject confirmation expire ``lifetime_seconds`` after the issue instant.
        ``encrypt_assertion`` uses ``encryption_cert`` (PEM or base64), else the SP's
        encryption (or use-less) certificate, else its signing one. ``customize`` receives the
        pysaml2 ``samlp.Response`` just before signing. With ``as_xml`` the signed (and
        encrypted) XML is returned instead of its base64.
        """
        nid_format = resolve(name_id_format, NAMEID_FORMATS, "NameID format")
        sig_uri = resolve(sign_alg, SIGN_ALGS, "signature algorithm")
        digest_uri = resolve(digest_alg, DIGEST_ALGS, "digest algorithm")
        with self._lock:
            sp = self._sp(sp_entity_id)
            acs = acs_url or (sp.acs[0][1] if sp.acs else None)
            if not acs:
                raise DemoIdPError(f"No ACS URL known for {sp_entity_id!r}.")
            enc_cert = None
            if encrypt_assertion:
                enc_cert = self._encryption_cert(sp_entity_id, encryption_cert)
            nid = saml.NameID(
                format=nid_format,
                sp_name_qualifier=sp_entity_id,
                name_qualifier=self.entity_id,
                text=name_id if name_id is not None else name_id_value(user, nid_format),
            )
            response = self.server.create_authn_response(
                identity={},
                in_response_to=in_response_to,
                destination=acs,
                sp_entity_id=sp_entity_id,
                name_id=nid,
                authn={"class_ref": AUTHN_CONTEXT_PPT, "authn_auth": self.entity_id},
                sign_response=False,
                sign_assertion=False,
                encrypt_assertion=False,
            )
            if not isinstance(response, samlp.Response):
                raise DemoIdPError(f"pysaml2 did not build a response: {response!r}")
            assertion = response.assertion
            if response.in_response_to is None:
                sc_data = assertion.subject.subject_confirmation[0].subject_confirmation_data
                sc_data.in_response_to = None
            assertion.attribute_statement = [
                attribute_statement(user, attributes, include_uri_attributes)
            ]
            now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=clock_offset_seconds)
            set_times(
                response,
                issued=issue_instant or now,
                not_before=not_before,
                not_on_or_after=not_on_or_after,
                lifetime=dt.timedelta(seconds=lifetime_seconds),
                session_index=session_index or f"_session-{sid()}",
            )
            override(
                response,
                audience=audience,
                issuer=issuer,
                destination=destination,
                recipient=recipient,
            )
            if customize is not None:
                customize(response)
            xml = self._sign_and_encrypt(
                response,
                sign_response=sign_response,
                sign_assertion=sign_assertion,
                enc_cert=enc_cert,
                sig_uri=sig_uri,
                digest_uri=digest_uri,
                data_enc=resolve_enc(data_encryption_alg),
                key_enc=resolve(key_encryption_alg, KEY_ENC_ALGS, "key transport algorithm"),
            )
        return xml if as_xml else encode_response(xml)

    def _encryption_cert(self, sp_entity_id: str, given: str | None) -> str:
        """``given``, else the SP's encryption (or use-less) cert, else its signing cert.

        python3-saml publishes an encryption KeyDescriptor only when it wants encrypted
        assertions, yet decrypts with the same key whenever it gets one; pysaml2 alone would
        silently send the assertion in clear in that case.
        """
        if given:
            return cert_base64(given)
        for use in ("encryption", "signing"):
            certs = self.server.metadata.certs(sp_entity_id, "spsso", use)
            if certs:
                return cert_base64(certs[0][1])
        raise DemoIdPError(f"{sp_entity_id!r} publishes no certificate: pass encryption_cert.")

    def _sign_and_encrypt(
        self,
        response: samlp.Response,
        *,
        sign_response: bool,
        sign_assertion: bool,
        enc_cert: str | None,
        sig_uri: str,
        digest_uri: str,
        data_enc: str,
        key_enc: str,
    ) -> str:
        sec = self.server.sec
        assertion = response.assertion
        if sign_assertion:
            assertion.signature = pre_signature_part(
                assertion.id, sec.my_cert, 2, sign_alg=sig_uri, digest_alg=digest_uri
            )
        if sign_response:
            response.signature = pre_signature_part(
                response.id, sec.my_cert, 1, sign_alg=sig_uri, digest_alg=digest_uri
            )
        if enc_cert:
            response = pre_encrypt_assertion(response)
        xml = to_xml(response, self_contained_assertion=bool(enc_cert))
        if sign_assertion:
            xml = sec.sign_statement(xml, node_name=class_name(assertion), node_id=assertion.id)
        if enc_cert:
            tmp = make_temp(pem(enc_cert).encode("ascii"), decode=False, delete_tmpfiles=True)
            xml = sec.encrypt_assertion(
                xml,
                tmp.name,
                pre_encryption_part(msg_enc=data_enc, key_enc=key_enc, encrypt_cert=enc_cert),
                key_type=SESSION_KEYS[data_enc],
            )
            tmp.close()
        if sign_response:
            xml = sec.sign_statement(xml, node_name=class_name(response), node_id=response.id)
        return xml.decode("utf-8") if isinstance(xml, bytes) else xml

    # -- logout ------------------------------------------------------------------------

    def handle_logout_request(
        self,
        saml_request: str,
        *,
        relay_state: str | None = None,
        sig_alg: str | None = None,
        signature: str | None = None,
    ) -> LogoutResult:
        """Answer an HTTP-Redirect LogoutRequest with a signed HTTP-Redirect LogoutResponse."""
        if not saml_request:
            raise DemoIdPError("The request has no SAMLRequest parameter.")
        with self._lock:
            try:
                req = self.server.parse_logout_request(saml_request, BINDING_HTTP_REDIRECT)
            except Exception as exc:
                raise DemoIdPError(f"The LogoutRequest could not be read: {exc}") from exc
            msg = req.message
            issuer = msg.issuer.text.strip() if msg.issuer is not None and msg.issuer.text else ""
            self._sp(issuer)
            slo = self.server.metadata.single_logout_service(issuer, BINDING_HTTP_REDIRECT, "spsso")
            if not slo:
                raise DemoIdPError(f"{issuer!r} publishes no HTTP-Redirect single logout service.")
            destination = slo[0].get("response_location") or slo[0]["location"]
            resp = self.server.create_logout_response(msg, [BINDING_HTTP_REDIRECT], sign=False)
            resp.destination = destination
            info = self.server.apply_binding(
                BINDING_HTTP_REDIRECT,
                str(resp),
                destination,
                relay_state or "",
                response=True,
                sign=True,
                sigalg=SIG_RSA_SHA256,
            )
        location = dict(info["headers"])["Location"]
        name_id = msg.name_id.text if msg.name_id is not None else None
        return LogoutResult(redirect_url=location, sp_entity_id=issuer, name_id=name_id)


# -- helpers ------------------------------------------------------------------------------


def sp_entity_ids_in(xml: str) -> list[str]:
    """Entity IDs of the SPs described by a metadata document; DemoIdPError if none."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(xml.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        raise DemoIdPError(f"The SP metadata is not well-formed XML: {exc}") from exc
    ids = root.xpath(
        "descendant-or-self::md:EntityDescriptor[md:SPSSODescriptor]/@entityID",
        namespaces={"md": MD_NS},
    )
    if not ids:
        raise DemoIdPError("The document holds no SAML service provider metadata.")
    return [str(i) for i in ids]


def _cn_for(entity_id: str) -> str:
    host = entity_id.split("://", 1)[-1].split("/", 1)[0]
    return (host or "demo-idp")[:64]
