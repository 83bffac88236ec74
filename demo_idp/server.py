"""The demo IdP as a tiny WSGI web site (stdlib ``wsgiref`` with one thread per request).

Routes (paths follow the IdP's URLs; with ``DemoIdP.for_base_url`` they are):

- ``GET /``                    index: metadata link, IdP-initiated sign-in form
- ``GET /idp/metadata``        IdP metadata XML
- ``GET|POST /idp/sso``        AuthnRequest (HTTP-Redirect or HTTP-POST) → login page
- ``POST /idp/sso/continue``   chosen person → auto-submitting form posting SAMLResponse to the ACS
- ``GET /idp/initiate``        IdP-initiated: ``?sp=<entity id>&user=<username>[&RelayState=…]``
- ``GET /idp/slo``             LogoutRequest (HTTP-Redirect) → LogoutResponse back to the SP

SP metadata given by URL is fetched lazily, at the first request that needs it, and again
whenever a request names an SP not known yet (so the IdP may start before the service).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from . import pages
from .idp import DemoIdP, DemoIdPError, UnknownServiceProvider
from .keys import KeyPair
from .users import DEMO_USERS, DemoUser, find_user

logger = logging.getLogger("demo_idp")

StartResponse = Callable[..., Any]
MAX_BODY = 256 * 1024
PENDING_TTL = 15 * 60
MAX_PENDING = 1000


@dataclass
class PendingLogin:
    sp_entity_id: str
    acs_url: str | None
    in_response_to: str | None
    relay_state: str | None
    name_id_format: str | None
    created: float = field(default_factory=time.monotonic)


@dataclass
class _Reply:
    status: str
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)


class SPMetadataSource:
    """SP metadata from URLs, fetched on demand and retried until each URL answers."""

    def __init__(
        self, urls: Iterable[str], static: Iterable[str] = (), timeout: float = 5.0
    ) -> None:
        self.urls = list(urls)
        self.static = list(static)
        self.timeout = timeout
        self.fetched: dict[str, str] = {}
        self.errors: dict[str, str] = {}
        self._lock = threading.Lock()

    def _fetch(self, url: str) -> str:
        with urllib.request.urlopen(url, timeout=self.timeout) as resp:
            return resp.read(MAX_BODY).decode("utf-8")

    def refresh(self, idp: DemoIdP, *, force: bool = False) -> bool:
        """Fetch missing (or, with ``force``, all) URLs; reload ``idp`` if anything changed."""
        with self._lock:
            changed = False
            for url in self.urls:
                if url in self.fetched and not force:
                    continue
                try:
                    xml = self._fetch(url)
                except Exception as exc:  # URLError, timeouts, refused connections …
                    self.errors[url] = str(exc)
                    logger.warning("SP metadata %s not available yet: %s", url, exc)
                    continue
                if self.fetched.get(url) == xml:
                    self.errors.pop(url, None)
                    continue
                previous = self.fetched.get(url)
                self.fetched[url] = xml
                try:
                    idp.set_sp_metadata([*self.static, *self.fetched.values()])
                except Exception as exc:  # pysaml2 refused the metadata
                    self._restore(url, previous)
                    idp.set_sp_metadata([*self.static, *self.fetched.values()])
                    self.errors[url] = f"unusable metadata: {exc}"
                    logger.warning("SP metadata %s unusable: %s", url, exc)
                    continue
                self.errors.pop(url, None)
                changed = True
            return changed

    def _restore(self, url: str, previous: str | None) -> None:
        if previous is None:
            self.fetched.pop(url, None)
        else:
            self.fetched[url] = previous


class DemoIdPApp:
    """WSGI application around a ``DemoIdP``."""

    def __init__(
        self,
        idp: DemoIdP,
        users: Sequence[DemoUser] = DEMO_USERS,
        *,
        sp_metadata_urls: Iterable[str] = (),
        default_name_id_format: str = "emailAddress",
        sign_response: bool = True,
        sign_assertion: bool = True,
        encrypt_assertion: bool = False,
        fetch_timeout: float = 5.0,
    ) -> None:
        self.idp = idp
        self.base_url = idp.entity_id.rsplit("/idp/", 1)[0]
        self.users = list(users)
        self.sources = SPMetadataSource(sp_metadata_urls, timeout=fetch_timeout)
        self.default_name_id_format = default_name_id_format
        self.sign_response = sign_response
        self.sign_assertion = sign_assertion
        self.encrypt_assertion = encrypt_assertion
        self._pending: dict[str, PendingLogin] = {}
        self._lock = threading.Lock()
        self.metadata_path = urlsplit(idp.entity_id).path
        self.sso_path = urlsplit(idp.sso_url).path
        self.continue_path = self.sso_path.rstrip("/") + "/continue"
        self.initiate_path = self.sso_path.rstrip("/").rsplit("/", 1)[0] + "/initiate"
        self.slo_path = urlsplit(idp.slo_url).path if idp.slo_url else None

    # -- WSGI --------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        nonce = secrets.token_urlsafe(16)
        try:
            reply = self._dispatch(environ, nonce)
        except Exception:  # never a stack trace on the page
            logger.exception("demo IdP error")
            reply = self._error(
                "500 Internal Server Error",
                "Something went wrong",
                "The demo IdP failed; see its log.",
                nonce,
            )
        headers = [
            ("Content-Type", reply.content_type),
            ("Content-Length", str(len(reply.body))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
        ]
        if reply.content_type.startswith("text/html"):
            headers += [
                (
                    "Content-Security-Policy",
                    f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
                    "form-action http: https:; frame-ancestors 'none'; base-uri 'none'",
                ),
                ("X-Frame-Options", "DENY"),
            ]
        start_response(reply.status, headers + reply.headers)
        if environ.get("REQUEST_METHOD", "GET").upper() == "HEAD":
            return iter([b""])
        return iter([reply.body])

    def _dispatch(self, environ: dict[str, Any], nonce: str) -> _Reply:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "/") or "/"
        query = _params(environ.get("QUERY_STRING", ""))
        if method == "HEAD":
            method = "GET"
        if path == self.metadata_path and method == "GET":
            return _Reply(
                "200 OK", self.idp.metadata_xml().encode("utf-8"), "application/xml; charset=utf-8"
            )
        if path == self.sso_path and method in ("GET", "POST"):
            params = query if method == "GET" else _form(environ)
            return self._sso(params, "redirect" if method == "GET" else "post", nonce)
        if path == self.continue_path and method == "POST":
            return self._continue(_form(environ), nonce)
        if path == self.initiate_path and method == "GET":
            return self._initiate(query, nonce)
        if self.slo_path and path == self.slo_path and method == "GET":
            return self._slo(query, nonce)
        if path in ("/", "") and method == "GET":
            self.sources.refresh(self.idp)
            html = pages.index_page(
                metadata_url=self.idp.entity_id,
                initiate_action=self.initiate_path,
                sps=self.idp.sp_entity_ids,
                users=self.users,
                nonce=nonce,
            )
            return _Reply("200 OK", html.encode("utf-8"))
        if path in (
            self.sso_path,
            self.continue_path,
            self.initiate_path,
            self.metadata_path,
            self.slo_path,
        ):
            return self._error(
                "405 Method Not Allowed", "Method not allowed", f"{method} is not used here.", nonce
            )
        return self._error("404 Not Found", "Not found", f"There is no page at {path}.", nonce)

    # -- routes ------------------------------------------------------------------------

    def _with_sp_retry(self, action: Callable[[], Any]) -> Any:
        self.sources.refresh(self.idp)
        try:
            return action()
        except UnknownServiceProvider:
            if not self.sources.urls:
                raise
            self.sources.refresh(self.idp, force=True)
            return action()

    def _sso(self, params: dict[str, str], binding: str, nonce: str) -> _Reply:
        saml_request = params.get("SAMLRequest", "")
        if not saml_request:
            return self._error(
                "400 Bad Request",
                "No sign-in request",
                "This address expects a SAML AuthnRequest (SAMLRequest parameter) "
                "from an application.",
                nonce,
            )
        try:
            info = self._with_sp_retry(
                lambda: self.idp.parse_authn_request(
                    saml_request,
                    binding,
                    relay_state=params.get("RelayState"),
                    sig_alg=params.get("SigAlg"),
                    signature=params.get("Signature"),
                )
            )
        except UnknownServiceProvider as exc:
            return self._error(
                "400 Bad Request", "Unknown application", self._unknown_sp_message(exc), nonce
            )
        except DemoIdPError as exc:
            return self._error("400 Bad Request", "Invalid sign-in request", str(exc), nonce)
        pending = PendingLogin(
            sp_entity_id=info.issuer,
            acs_url=info.acs_url,
            in_response_to=info.id,
            relay_state=params.get("RelayState"),
            name_id_format=info.name_id_format,
        )
        return self._login_page(pending, nonce)

    def _initiate(self, query: dict[str, str], nonce: str) -> _Reply:
        self.sources.refresh(self.idp)
        sp = query.get("sp") or (
            self.idp.sp_entity_ids[0] if len(self.idp.sp_entity_ids) == 1 else ""
        )
        if not sp:
            return self._error(
                "400 Bad Request",
                "Which application?",
                "Give the application's entity ID as ?sp=…",
                nonce,
            )
        try:
            self._with_sp_retry(lambda: self.idp.acs_urls(sp))
        except UnknownServiceProvider as exc:
            return self._error(
                "400 Bad Request", "Unknown application", self._unknown_sp_message(exc), nonce
            )
        pending = PendingLogin(
            sp_entity_id=sp,
            acs_url=None,
            in_response_to=None,
            relay_state=query.get("RelayState"),
            name_id_format=None,
        )
        username = query.get("user")
        if username:
            user = find_user(self.users, username)
            if user is None:
                return self._error(
                    "400 Bad Request",
                    "Unknown person",
                    f"No demo user is called {username!r}.",
                    nonce,
                )
            return self._respond(pending, user, nonce)
        return self._login_page(pending, nonce)

    def _continue(self, form: dict[str, str], nonce: str) -> _Reply:
        token = form.get("token", "")
        user = find_user(self.users, form.get("user", ""))
        with self._lock:
            pending = self._pending.get(token)
            if pending is not None and user is not None:
                del self._pending[token]  # single use, once a person was chosen
        if pending is None or time.monotonic() - pending.created > PENDING_TTL:
            return self._error(
                "400 Bad Request",
                "Sign-in expired",
                "This sign-in page has expired or was already used.",
                nonce,
            )
        if user is None:
            return self._error(
                "400 Bad Request",
                "Nobody chosen",
                "Go back, choose the person to sign in as, and press Sign in.",
                nonce,
            )
        return self._respond(pending, user, nonce)

    def _slo(self, query: dict[str, str], nonce: str) -> _Reply:
        if not query.get("SAMLRequest"):
            body = pages.page(
                "Signed out", f"<h1>{pages.TITLE}</h1><p>You are signed out.</p>", nonce
            )
            return _Reply("200 OK", body.encode("utf-8"))
        try:
            result = self._with_sp_retry(
                lambda: self.idp.handle_logout_request(
                    query["SAMLRequest"],
                    relay_state=query.get("RelayState"),
                    sig_alg=query.get("SigAlg"),
                    signature=query.get("Signature"),
                )
            )
        except DemoIdPError as exc:
            return self._error("400 Bad Request", "Invalid logout request", str(exc), nonce)
        return _Reply("302 Found", b"", headers=[("Location", result.redirect_url)])

    # -- helpers -----------------------------------------------------------------------

    def _login_page(self, pending: PendingLogin, nonce: str) -> _Reply:
        token = secrets.token_urlsafe(24)
        with self._lock:
            now = time.monotonic()
            for key in [k for k, v in self._pending.items() if now - v.created > PENDING_TTL]:
                del self._pending[key]
            while len(self._pending) >= MAX_PENDING:
                self._pending.pop(next(iter(self._pending)))
            self._pending[token] = pending
        html = pages.login_page(
            action=self.continue_path,
            token=token,
            sp_entity_id=pending.sp_entity_id,
            users=self.users,
            nonce=nonce,
        )
        return _Reply("200 OK", html.encode("utf-8"))

    def _respond(self, pending: PendingLogin, user: DemoUser, nonce: str) -> _Reply:
        nid_format = _short_format(pending.name_id_format) or self.default_name_id_format
        try:
            acs = pending.acs_url or self.idp.acs_urls(pending.sp_entity_id)[0]
            saml_response = self.idp.create_response(
                sp_entity_id=pending.sp_entity_id,
                acs_url=acs,
                in_response_to=pending.in_response_to,
                user=user,
                name_id_format=nid_format,
                sign_response=self.sign_response,
                sign_assertion=self.sign_assertion,
                encrypt_assertion=self.encrypt_assertion,
            )
        except (DemoIdPError, IndexError) as exc:
            message = str(exc) if isinstance(exc, DemoIdPError) else "The application has no ACS."
            return self._error("400 Bad Request", "Cannot answer", message, nonce)
        logger.info("%s signed in to %s", user.username, pending.sp_entity_id)
        html = pages.post_page(
            acs_url=acs,
            saml_response=saml_response,
            relay_state=pending.relay_state,
            user=user,
            nonce=nonce,
        )
        return _Reply("200 OK", html.encode("utf-8"))

    def _unknown_sp_message(self, exc: Exception) -> str:
        msg = str(exc)
        if self.sources.errors:
            msg += " Its metadata could not be fetched: " + "; ".join(
                f"{url}: {err}" for url, err in self.sources.errors.items()
            )
        return msg

    @staticmethod
    def _error(status: str, title: str, message: str, nonce: str) -> _Reply:
        return _Reply(status, pages.error_page(title, message, nonce).encode("utf-8"))


def _short_format(uri: str | None) -> str | None:
    """emailAddress/persistent/transient from a NameIDPolicy; None for unspecified/absent."""
    if not uri:
        return None
    short = uri.rsplit(":", 1)[-1]
    return short if short in ("emailAddress", "persistent", "transient") else None


def _params(qs: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(qs, keep_blank_values=True).items()}


def _form(environ: dict[str, Any]) -> dict[str, str]:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        return {}
    body = environ["wsgi.input"].read(min(length, MAX_BODY))
    return _params(body.decode("utf-8", "replace"))


# -- running -------------------------------------------------------------------------------


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _LogHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        logger.info("%s %s", self.address_string(), format % args)


@dataclass
class RunningServer:
    """A demo IdP served from a background thread (for tests and scripts)."""

    server: ThreadingWSGIServer
    thread: threading.Thread
    app: DemoIdPApp
    base_url: str

    @property
    def idp(self) -> DemoIdP:
        return self.app.idp

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        self.app.idp.close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def create_server(
    host: str = "127.0.0.1",
    port: int = 8001,
    *,
    base_url: str | None = None,
    keypair: KeyPair | None = None,
    users: Sequence[DemoUser] = DEMO_USERS,
    sp_metadata_urls: Iterable[str] = (),
    sp_metadata: Iterable[str] = (),
    want_authn_requests_signed: bool = False,
    **app_options: Any,
) -> tuple[ThreadingWSGIServer, DemoIdPApp]:
    """Bind ``host:port`` (0 = any free port) and build the app; ``base_url`` defaults to it."""
    server = make_server(
        host, port, _not_ready, server_class=ThreadingWSGIServer, handler_class=_LogHandler
    )
    bound_port = server.server_address[1]
    base = (base_url or f"http://{host}:{bound_port}").rstrip("/")
    idp = DemoIdP.for_base_url(
        base,
        keypair=keypair,
        sp_metadata=list(sp_metadata),
        want_authn_requests_signed=want_authn_requests_signed,
    )
    app = DemoIdPApp(idp, users, sp_metadata_urls=sp_metadata_urls, **app_options)
    app.sources.static = list(sp_metadata)
    app.base_url = base
    server.set_app(app)
    return server, app


def start_in_thread(host: str = "127.0.0.1", port: int = 0, **kwargs: Any) -> RunningServer:
    """Start the demo IdP in a daemon thread; ``stop()`` it when done."""
    server, app = create_server(host, port, **kwargs)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="demo-idp", daemon=True
    )
    thread.start()
    return RunningServer(server=server, thread=thread, app=app, base_url=app.base_url)


def _not_ready(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]
