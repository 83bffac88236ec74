"""Reading requests and building responses, kept apart from the routes that use them."""

from __future__ import annotations

import json
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

from chalice import Response

from chalicelib.config import settings

MAX_FORM_BYTES = 512 * 1024


def cookies(request: Any) -> dict[str, str]:
    raw = (request.headers or {}).get("cookie", "")
    jar = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def form(request: Any) -> dict[str, str]:
    """The first value of each field of a urlencoded POST body ({} when it is not one)."""
    body = request.raw_body or b""
    if len(body) > MAX_FORM_BYTES:
        return {}
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {key: values[0] for key, values in parsed.items()}


def client_ip(request: Any) -> str:
    identity = (request.context or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "unknown")


def set_cookie(name: str, value: str, *, max_age: int | None = None) -> str:
    parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if settings().cookie_secure:
        parts.append("Secure")
    return "; ".join(parts)


def clear_cookie(name: str) -> str:
    return set_cookie(name, "", max_age=0)


def safe_next(target: str | None, default: str) -> str:
    """A same-origin relative path, or ``default``: never an open redirect (SPEC §4 item 6)."""
    if not target or len(target) > 2048:
        return default
    if any(ch in target for ch in "\\\r\n\t") or not target.startswith("/"):
        return default
    if target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def redirect(location: str, set_cookies: list[str] | None = None) -> Response:
    headers: dict[str, Any] = {"Location": location, "Cache-Control": "no-store"}
    if set_cookies:
        headers["Set-Cookie"] = set_cookies
    return Response(body="", status_code=303, headers=headers)


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(
        body=json.dumps(payload),
        status_code=status,
        headers={"Content-Type": "application/json", "Cache-Control": "no-store"},
    )
