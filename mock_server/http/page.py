"""The page at /_mock/ui: static files shipped in the package (mock_server/http/ui/), no build
step, nothing from elsewhere. It calls the control API only, with the admin token if it asks."""

from __future__ import annotations

from functools import cache
from importlib import resources

from starlette.responses import Response

ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "ui.js": "text/javascript; charset=utf-8",
    "ui.css": "text/css; charset=utf-8",
}
# The page has buttons that change the mock: no other site may frame it (clickjacking), and it
# loads and calls nothing but its own origin.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",  # a newer mock on the same port serves its own page
}
# The page learns from its own markup whether to ask for the token before its first call, so
# it never shows the user (or the console) a refused request.
_OPEN, _TOKEN = b'data-auth="open"', b'data-auth="token"'


@cache
def asset(name: str) -> bytes:
    return (resources.files("mock_server.http") / "ui" / name).read_bytes()


def page_response(name: str, token_required: bool) -> Response:
    body = asset(name)
    if name == "index.html" and token_required:
        body = body.replace(_OPEN, _TOKEN, 1)
    return Response(body, media_type=ASSETS[name], headers=HEADERS)
