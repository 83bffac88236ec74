"""HTML pages from Jinja2 templates with autoescape; imported lazily to spare cold starts."""

from __future__ import annotations

import functools
import os
from typing import Any

from chalice import Response

TEMPLATE_DIR = os.path.join(os.path.dirname(__file__), "templates")
SECURITY_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
        "form-action 'self' https: http:; frame-ancestors 'none'; base-uri 'none'"
    ),
}


@functools.lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(
    template: str,
    *,
    status: int = 200,
    set_cookies: list[str] | None = None,
    **context: Any,
) -> Response:
    html = _environment().get_template(template).render(**context)
    headers: dict[str, Any] = dict(SECURITY_HEADERS)
    if set_cookies:
        headers["Set-Cookie"] = set_cookies
    return Response(body=html, status_code=status, headers=headers)


def message(
    title: str, text: str, *, status: int = 200, who_can_fix: str | None = None, **extra: Any
) -> Response:
    """A plain page that says what happened and who can do something about it."""
    return render(
        "message.html", status=status, title=title, text=text, who_can_fix=who_can_fix, **extra
    )
