"""Request ids, security headers and the access log, for every response, as WSGI middleware.

Lesson 06 does this with Flask hooks. Here one WSGI layer does it instead: it costs far less
per request than three hooks, Flask's proxies and its Headers object (see the README's
Performance section), and it also sees the responses Flask builds on its own, such as a 500.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from flask import Flask

from . import logs

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

# A JSON API has nothing to frame, embed, cache or sniff: say so to browsers and proxies.
SECURITY_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
    ("Cache-Control", "no-store"),
]
SECURITY_HEADER_NAMES = {name.lower() for name, _ in SECURITY_HEADERS}
# Over HTTPS only: browsers must use HTTPS for this site for the next two years.
STRICT_TRANSPORT_SECURITY = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")

# Characters a path may keep in the log; the rest is %-encoded, line breaks included.
PATH_SAFE = "/:@!$&'()*+,;=~"
PLAIN_PATH = re.compile(r"[A-Za-z0-9/._~-]*")  # needs no encoding: most paths, cheaply
PLAIN_ADDRESS = re.compile(r"[0-9A-Fa-f:.]+|-")  # an IPv4 or IPv6 address


def init_app(app: Flask) -> None:
    """Wrap the app's WSGI callable in the middleware, logging to the app's logger."""
    app.wsgi_app = RequestMiddleware(app.wsgi_app, app.logger)  # type: ignore[method-assign]


def choose_request_id(sent: str | None) -> str:
    """The client's request id when it is a sane token, otherwise a fresh one."""
    if sent and SANE_REQUEST_ID.fullmatch(sent):
        return sent
    return secrets.token_hex(16)


class RequestMiddleware:
    """Wraps a WSGI app: ids each request, adds the security headers, logs one line."""

    def __init__(self, app: WSGIApplication, logger: logging.Logger) -> None:
        self.app = app
        self.logger = logger

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve one request through the wrapped app."""
        started = time.perf_counter()
        request_id = choose_request_id(environ.get("HTTP_X_REQUEST_ID"))
        status = "500"  # what the log says if the app raises instead of answering

        def start(status_line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            nonlocal status
            status = status_line[:3]
            if SECURITY_HEADER_NAMES.isdisjoint(name.lower() for name, _ in headers):
                headers.extend(SECURITY_HEADERS)
            else:  # a view set some of them itself: add only the others
                present = {name.lower() for name, _ in headers}
                headers.extend(pair for pair in SECURITY_HEADERS if pair[0].lower() not in present)
            if environ["wsgi.url_scheme"] == "https":
                headers.append(STRICT_TRANSPORT_SECURITY)
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status_line, headers, exc_info)

        try:
            return self.app(environ, start)
        finally:
            if self.logger.isEnabledFor(logging.INFO):
                self.log(environ, status, time.perf_counter() - started, request_id)

    def log(self, environ: WSGIEnvironment, status: str, seconds: float, request_id: str) -> None:
        """Log the request's one line at INFO: client, method, path, status, duration, id."""
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "") or "/"
        if not PLAIN_PATH.fullmatch(path):
            # WSGI paths are UTF-8 bytes decoded as Latin-1: encode them back the same way.
            path = quote(path, PATH_SAFE, "latin-1")
        # Behind a trusted proxy the address comes from X-Forwarded-For: encode it as well.
        client = environ.get("REMOTE_ADDR") or "-"
        if not PLAIN_ADDRESS.fullmatch(client):
            client = quote(client, ":.[]", "latin-1")
        method = environ["REQUEST_METHOD"]
        logs.info(
            self.logger,
            f"{client} {method} {path} {status} {seconds * 1000:.1f}ms request_id={request_id}",
        )
