"""Request ids, and one access log line for every request."""

from __future__ import annotations

import re
import time
import uuid
from urllib.parse import quote

from flask import Flask, current_app, g, request
from werkzeug.wrappers import Response

REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
# What a client sends is logged URL-encoded (a line break becomes %0A, so no line can be forged)
# and cut to this many characters, so that every line stays short and is written whole.
LOGGED_LENGTH = 500
CUT = "[...]"  # quote() encodes [ and ], so this mark cannot come from the client


def init_app(app: Flask) -> None:
    """Give each request an id and log a line for it."""
    app.before_request(start_request)
    app.after_request(finish_request)


def choose_request_id(sent: str | None) -> str:
    """The client's request id when it is a sane token, otherwise a fresh one."""
    if sent and SANE_REQUEST_ID.fullmatch(sent):
        return sent
    return uuid.uuid4().hex


def start_request() -> None:
    """Note when the request started and which id it goes by."""
    g.started = time.perf_counter()
    g.request_id = choose_request_id(request.headers.get(REQUEST_ID_HEADER))


def finish_request(response: Response) -> Response:
    """Echo the request id; log client, method, path, status, duration and id on one line."""
    # If a request failed before start_request ran, it still gets an id and a log line.
    request_id = g.get("request_id") or choose_request_id(None)
    response.headers[REQUEST_ID_HEADER] = request_id
    duration_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    current_app.logger.info(
        "%s %s %s %s %.1fms request_id=%s",
        loggable(request.remote_addr or "-"),
        loggable(request.method),
        loggable(request.path),
        response.status_code,
        duration_ms,
        request_id,
    )
    return response


def loggable(sent: str) -> str:
    """Text a client sent, safe for a log line: URL-encoded, and cut short with a mark."""
    text = quote(sent, safe="/:@!$&'()*+,;=~")
    if len(text) <= LOGGED_LENGTH:
        return text
    cut = text[:LOGGED_LENGTH]
    if "%" in cut[-2:]:  # do not leave half of a %XX behind
        cut = cut[: cut.rindex("%")]
    return cut + CUT
