"""The few static files the pages need, served by the service itself (no CDN)."""

from __future__ import annotations

import os

from chalice import Blueprint, Response

bp = Blueprint(__name__)
STATIC_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static")
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@bp.route("/static/{name}", methods=["GET"])
def static_file(name: str) -> Response:
    ext = os.path.splitext(name)[1]
    path = os.path.join(STATIC_DIR, name)
    if ext not in TYPES or os.path.basename(name) != name or not os.path.isfile(path):
        return Response(body="Not found", status_code=404, headers={"Content-Type": "text/plain"})
    with open(path, encoding="utf-8") as handle:
        body = handle.read()
    return Response(
        body=body,
        headers={"Content-Type": TYPES[ext], "Cache-Control": "public, max-age=3600"},
    )
