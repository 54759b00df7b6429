"""Every HTTP error answers in JSON, keeping its status code and headers; browsers get a page.

A client that prefers HTML, outside /api, gets an error page; everyone else gets JSON, as in
Part I. The API always answers JSON.
"""

from __future__ import annotations

from flask import Flask, json, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from .headers import PAGE_HEADERS
from .timestamps import utc_timestamp


def init_app(app: Flask) -> None:
    """Answer every HTTP error, 500s from unhandled exceptions included, with JSON or a page."""
    app.register_error_handler(HTTPException, handle_http_error)


def handle_http_error(error: HTTPException) -> Response:
    """Turn an HTTP error into JSON or a page; its headers (such as Allow on a 405) are kept."""
    response = error.get_response()
    if wants_a_page():
        response.data = render_template("error.html", error=error)
        response.content_type = "text/html; charset=utf-8"
        response.headers.update(PAGE_HEADERS)
        return response
    body = {
        "status": error.code,
        "error": error.name,
        "message": error.description,
        "path": request.path,
        "method": request.method,
        "timestamp": utc_timestamp(),
    }
    if errors := getattr(error, "errors", None):  # what is wrong in the request, field by field
        body["errors"] = errors
    response.data = json.dumps(body)
    response.content_type = "application/json"
    return response


def wants_a_page() -> bool:
    """A browser outside the API: it prefers text/html to JSON (*/* alone means JSON)."""
    if request.path == "/api" or request.path.startswith("/api/"):
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"
