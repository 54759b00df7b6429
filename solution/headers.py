"""Security headers on every response, errors included, and HSTS over HTTPS."""

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
