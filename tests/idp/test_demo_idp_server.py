"""The demo IdP's web pages, driven over real HTTP on 127.0.0.1 (no other network)."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.response import OneLogin_Saml2_Response

from demo_idp import load_keypair, load_or_create_keypair
from demo_idp.server import RunningServer, start_in_thread

from .conftest import SP, make_sp

ROOT = Path(__file__).resolve().parents[2]


class Forms(HTMLParser):
    """Collects forms (action, method, fields), radio buttons, labels, buttons, headings."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self.radios: list[dict[str, str]] = []
        self.labels: dict[str, str] = {}
        self.buttons: list[str] = []
        self.h1: list[str] = []
        self.scripts = 0
        self._label_for: str | None = None
        self._in: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action"), "method": a.get("method"), "fields": {}})
        elif tag == "input" and self.forms:
            if a.get("type") == "radio":
                self.radios.append(a)
            elif a.get("name"):
                self.forms[-1]["fields"][a["name"]] = a.get("value", "")
        elif tag == "label":
            self._label_for = a.get("for")
            self.labels[self._label_for or ""] = ""
        elif tag in ("button", "h1"):
            self._in = tag
            (self.buttons if tag == "button" else self.h1).append("")
        elif tag == "script":
            self.scripts += 1

    def handle_endtag(self, tag):
        if tag == "label":
            self._label_for = None
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._label_for is not None:
            self.labels[self._label_for] += data
        if self._in == "button":
            self.buttons[-1] += data
        elif self._in == "h1":
            self.h1[-1] += data


def fetch(url: str, data: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    body = urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MetadataServer:
    """Serves one SP's metadata XML, like the service's /saml/{group}/metadata."""

    def __init__(self, port: int, xml: str) -> None:
        payload = xml.encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def stack(tmp_path, sp_keypair):
    """A running demo IdP whose SP metadata URL does not answer until ``start_sp()``."""
    md_port = free_port()
    md_url = f"http://127.0.0.1:{md_port}/saml/demo/metadata"
    running = start_in_thread(
        keypair=load_or_create_keypair(tmp_path / "idp-keys"),
        sp_metadata_urls=[md_url],
        fetch_timeout=2,
    )
    sp = make_sp(running.idp.metadata_xml(), sp_keypair)
    servers: list[MetadataServer] = []

    def start_sp() -> None:
        servers.append(MetadataServer(md_port, sp.metadata_xml))

    yield running, sp, start_sp
    running.stop()
    for server in servers:
        server.stop()


def login_url(sp: SP, relay_state: str = "/home") -> tuple[str, str]:
    auth = OneLogin_Saml2_Auth(sp.request_data("/saml/demo/login"), old_settings=sp.settings)
    url = auth.login(return_to=relay_state)
    return url, auth.get_last_request_id()


def validate(sp: SP, saml_response: str, request_id: str | None) -> OneLogin_Saml2_Response:
    response = OneLogin_Saml2_Response(sp.settings, saml_response)
    response.is_valid(sp.acs_request(saml_response), request_id, raise_exceptions=True)
    return response


def test_sp_initiated_journey(stack):
    running, sp, start_sp = stack
    url, request_id = login_url(sp)
    assert url.startswith(f"{running.base_url}/idp/sso?")

    # The SP is not up yet: a readable 400, and the IdP keeps trying.
    status, _, html = fetch(url)
    assert status == 400
    assert "could not be fetched" in html and "Traceback" not in html

    start_sp()
    status, headers, html = fetch(url)
    assert status == 200, html
    assert "nonce-" in headers["Content-Security-Policy"]
    page = Forms(html)
    assert page.h1 == ["Demo identity provider"]
    assert "stands in" in html
    assert page.buttons == ["Sign in"]
    assert len(page.radios) == 4
    for radio in page.radios:  # every choice has a label
        assert page.labels[radio["id"]].strip()
    assert "Ada Lovelace" in page.labels[page.radios[0]["id"]]
    (form,) = page.forms
    assert form["method"] == "post" and form["action"] == "/idp/sso/continue"

    status, _, html = fetch(running.base_url + form["action"], form["fields"])  # nobody chosen
    assert status == 400 and "choose the person" in html
    status, _, html = fetch(running.base_url + form["action"], {**form["fields"], "user": "dr.ada"})
    assert status == 200, html
    post = Forms(html)
    (form2,) = post.forms
    assert form2["action"] == sp.acs_url and form2["method"] == "post"
    assert form2["fields"]["RelayState"] == "/home"
    assert post.buttons == ["Continue"] and post.scripts == 1
    response = validate(sp, form2["fields"]["SAMLResponse"], request_id)
    assert response.get_nameid() == "ada.lovelace@demo-clinic.example"
    assert response.get_attributes()["username"] == ["dr.ada"]

    # The login page's token is single use.
    status, _, html = fetch(running.base_url + form["action"], {**form["fields"], "user": "dr.ada"})
    assert status == 400 and "expired" in html


def test_bad_requests_get_readable_pages(stack):
    running, _sp, start_sp = stack
    start_sp()
    status, _, html = fetch(f"{running.base_url}/idp/sso")
    assert status == 400 and "SAMLRequest" in html
    status, _, html = fetch(f"{running.base_url}/idp/sso?SAMLRequest=%3Cscript%3E")
    assert status == 400 and "<script>" not in html and "could not be read" in html
    status, _, _ = fetch(f"{running.base_url}/nowhere")
    assert status == 404
    status, _, html = fetch(
        f"{running.base_url}/idp/sso/continue", {"token": "x", "user": "dr.ada"}
    )
    assert status == 400


def test_metadata_route(stack, tmp_path):
    running, _, _ = stack
    status, headers, xml = fetch(f"{running.base_url}/idp/metadata")
    assert status == 200 and headers["Content-Type"].startswith("application/xml")
    parsed = OneLogin_Saml2_IdPMetadataParser.parse(xml)["idp"]
    assert parsed["entityId"] == f"{running.base_url}/idp/metadata"
    assert parsed["x509cert"] == load_keypair(tmp_path / "idp-keys").cert_base64


def test_idp_initiated_route(stack):
    running, sp, start_sp = stack
    start_sp()
    status, _, html = fetch(f"{running.base_url}/")
    assert status == 200 and sp.entity_id in html
    query = urlencode({"sp": sp.entity_id, "user": "nurse.grace", "RelayState": "/home"})
    status, _, html = fetch(f"{running.base_url}/idp/initiate?{query}")
    assert status == 200, html
    (form,) = Forms(html).forms
    assert form["action"] == sp.acs_url
    response = validate(sp, form["fields"]["SAMLResponse"], None)
    assert response.get_nameid() == "grace.hopper@demo-clinic.example"
    status, _, _ = fetch(f"{running.base_url}/idp/initiate?sp=urn:nobody")
    assert status == 400


def test_single_logout_route(tmp_path, sp_keypair):
    with start_in_thread(keypair=load_or_create_keypair(tmp_path)) as running:
        assert isinstance(running, RunningServer)
        sp = make_sp(running.idp.metadata_xml(), sp_keypair, security={"wantMessagesSigned": True})
        running.idp.add_sp_metadata(sp.metadata_xml)
        auth = OneLogin_Saml2_Auth(sp.request_data("/saml/demo/logout"), old_settings=sp.settings)
        url = auth.logout(return_to="/bye", name_id="ada.lovelace@demo-clinic.example")
        status, headers, _ = fetch(url)
        assert status == 302
        location = urlsplit(headers["Location"])
        assert location.path == "/saml/demo/sls"
        get_data = {k: v[0] for k, v in parse_qs(location.query).items()}
        sls = OneLogin_Saml2_Auth(
            sp.request_data("/saml/demo/sls", get_data=get_data), old_settings=sp.settings
        )
        sls.process_slo(keep_local_session=True, request_id=auth.get_last_request_id())
        assert sls.get_errors() == []


def run_cli(*args: str) -> str:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    out = subprocess.run(
        [sys.executable, "-m", "demo_idp", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return out.stdout


def test_cli_prints_metadata_and_cert_from_key_dir(tmp_path):
    keys = tmp_path / "keys"
    xml = run_cli("--print-metadata", "--key-dir", str(keys), "--base-url", "http://127.0.0.1:8123")
    cert = run_cli("--print-cert", "--key-dir", str(keys)).strip()
    parsed = OneLogin_Saml2_IdPMetadataParser.parse(xml)["idp"]
    assert parsed["entityId"] == "http://127.0.0.1:8123/idp/metadata"
    assert parsed["x509cert"] == cert == load_keypair(keys).cert_base64
