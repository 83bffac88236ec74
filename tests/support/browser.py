"""A tiny browser over ``chalice.test.Client``: cookie jar, forms, redirects, CSRF token.

It does what a real browser does with the service's pages, and nothing clever:
- keeps the cookies the server sets (``Set-Cookie``, one string or a list of them) and sends
  them back in one ``Cookie`` header; ``Max-Age=0`` or an empty value removes a cookie;
- posts forms urlencoded;
- optionally follows 302/303 redirects to relative paths (never to another origin);
- reads the last HTML page: its forms (with hidden fields such as ``csrf_token``), links and
  labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urlsplit

REDIRECTS = (301, 302, 303, 307, 308)


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)  # name -> value (hidden and visible)
    hidden: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)  # name -> input type
    ids: dict[str, str] = field(default_factory=dict)  # name -> id attribute
    buttons: list[str] = field(default_factory=list)


@dataclass
class Link:
    href: str
    text: str
    id: str | None = None


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[Link] = []
        self.labels: dict[str, str] = {}  # for= -> label text
        self._form: Form | None = None
        self._link: Link | None = None
        self._label_for: str | None = None
        self._label_text: list[str] = []
        self._button: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._form)
        elif tag in ("input", "textarea", "select") and self._form is not None and "name" in a:
            kind = a.get("type", "text").lower() if tag == "input" else tag
            name = a["name"]
            self._form.fields[name] = a.get("value", "")
            self._form.types[name] = kind
            if "id" in a:
                self._form.ids[name] = a["id"]
            if kind == "hidden":
                self._form.hidden[name] = a.get("value", "")
        elif tag == "button":
            self._button = []
        elif tag == "a":
            self._link = Link(a.get("href", ""), "", a.get("id"))
            self.links.append(self._link)
        elif tag == "label":
            self._label_for = a.get("for")
            self._label_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "button" and self._button is not None:
            if self._form is not None:
                self._form.buttons.append(" ".join("".join(self._button).split()))
            self._button = None
        elif tag == "a":
            if self._link is not None:
                self._link.text = " ".join(self._link.text.split())
            self._link = None
        elif tag == "label" and self._label_for:
            self.labels[self._label_for] = " ".join("".join(self._label_text).split())
            self._label_for = None

    def handle_data(self, data: str) -> None:
        if self._link is not None:
            self._link.text += data
        if self._label_for is not None:
            self._label_text.append(data)
        if self._button is not None:
            self._button.append(data)


def _header(headers: dict[str, Any], name: str) -> Any:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return None


def set_cookie_headers(response: Any) -> list[str]:
    """Every ``Set-Cookie`` string of a test-client response (one string or a list)."""
    value = _header(response.headers, "Set-Cookie")
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def parse_set_cookie(header: str) -> tuple[str, str, dict[str, str]]:
    """``name``, ``value`` and lower-cased attributes (flags map to ``""``)."""
    first, *rest = [part.strip() for part in header.split(";")]
    name, _, value = first.partition("=")
    attributes: dict[str, str] = {}
    for part in rest:
        if not part:
            continue
        key, _, val = part.partition("=")
        attributes[key.strip().lower()] = val.strip()
    return name.strip(), value.strip(), attributes


class Browser:
    def __init__(self, client: Any) -> None:
        self.http = client.http
        self.cookies: dict[str, str] = {}
        self.last: Any = None
        self.history: list[tuple[str, str, int]] = []  # (method, path, status)
        self._page: _PageParser | None = None

    # -- requests -------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        body: str | bytes = b"",
        headers: dict[str, str] | None = None,
        follow: bool = False,
    ) -> Any:
        sent = dict(headers or {})
        if not any(k.lower() == "cookie" for k in sent):
            sent.update(self._cookie_header())  # an explicit Cookie header wins
        response = self.http.request(method, path, headers=sent, body=body)
        self._absorb(method, path, response)
        hops = 0
        while follow and response.status_code in REDIRECTS and hops < 10:
            location = self.location
            if not location or not location.startswith("/") or location.startswith("//"):
                break  # never leave the origin
            hops += 1
            response = self.http.request("GET", location, headers=self._cookie_header(), body=b"")
            self._absorb("GET", location, response)
        return response

    def get(self, path: str, *, headers: dict[str, str] | None = None, follow: bool = False):
        return self.request("GET", path, headers=headers, follow=follow)

    def post(
        self,
        path: str,
        fields: dict[str, str] | None = None,
        *,
        headers: dict[str, str] | None = None,
        follow: bool = False,
    ):
        sent = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        return self.request("POST", path, body=urlencode(fields or {}), headers=sent, follow=follow)

    def submit(self, form: Form, values: dict[str, str] | None = None, *, follow: bool = False):
        """Post a form read from the last page with its fields, overridden by ``values``."""
        fields = dict(form.fields)
        fields.update(values or {})
        method = form.method.upper()
        if method != "POST":
            raise AssertionError(f"only POST forms are supported, not {method}")
        return self.post(form.action or self.history[-1][1], fields, follow=follow)

    def _cookie_header(self) -> dict[str, str]:
        if not self.cookies:
            return {}
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def _absorb(self, method: str, path: str, response: Any) -> None:
        self.last = response
        self.history.append((method, path, response.status_code))
        for header in set_cookie_headers(response):
            name, value, attributes = parse_set_cookie(header)
            if value == "" or attributes.get("max-age") == "0":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        self._page = None

    # -- what the last response says -------------------------------------------------------

    @property
    def status(self) -> int:
        return self.last.status_code

    @property
    def location(self) -> str | None:
        return _header(self.last.headers, "Location")

    @property
    def text(self) -> str:
        body = self.last.body
        return body.decode("utf-8") if isinstance(body, bytes) else str(body)

    @property
    def json(self) -> Any:
        return self.last.json_body

    def header(self, name: str) -> Any:
        return _header(self.last.headers, name)

    def set_cookies(self) -> dict[str, tuple[str, dict[str, str]]]:
        """The cookies the last response set: name -> (value, attributes)."""
        result = {}
        for header in set_cookie_headers(self.last):
            name, value, attributes = parse_set_cookie(header)
            result[name] = (value, attributes)
        return result

    @property
    def page(self) -> _PageParser:
        if self._page is None:
            parser = _PageParser()
            parser.feed(self.text)
            parser.close()
            self._page = parser
        return self._page

    @property
    def forms(self) -> list[Form]:
        return self.page.forms

    def form(self, action: str) -> Form:
        for candidate in self.forms:
            if urlsplit(candidate.action).path == action:
                return candidate
        raise AssertionError(f"no form posting to {action} on the page: {self.text[:500]}")

    @property
    def links(self) -> list[Link]:
        return self.page.links

    @property
    def labels(self) -> dict[str, str]:
        return self.page.labels

    def csrf_token(self) -> str:
        for candidate in self.forms:
            if "csrf_token" in candidate.hidden:
                return candidate.hidden["csrf_token"]
        raise AssertionError("the last page has no csrf_token hidden field")
