"""Security headers on every response, errors included, and HSTS over HTTPS.

JSON answers load nothing and may be framed nowhere. Pages (text/html from a template) may
load their own stylesheet and post their forms to the site: pages.page() gives them their
headers, and a view's own choice of a header is kept.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.wrappers import Response

# A JSON API has nothing to frame, embed, cache or sniff: say so to browsers and proxies.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}
# A page of the site: its own stylesheet and forms to the site itself; nothing inline, no framing.
# same-origin sends the Referer only to the site itself, where Flask-WTF checks it over HTTPS.
PAGE_HEADERS = {
    **SECURITY_HEADERS,
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "same-origin",
}
# Over HTTPS only: browsers must use HTTPS for this site for the next two years.
HSTS = "max-age=63072000; includeSubDomains"


def init_app(app: Flask) -> None:
    """Add the security headers to every response the app sends."""
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    """Set the security headers on one response (unless its view chose its own), HSTS over HTTPS."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = HSTS
    return response
