"""Every HTTP error answers in JSON, keeping its status code and headers."""

from __future__ import annotations

from flask import Flask, json, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from .timestamps import utc_timestamp


def init_app(app: Flask) -> None:
    """Answer every HTTP error, 500s from unhandled exceptions included, with JSON."""
    app.register_error_handler(HTTPException, json_error)


def json_error(error: HTTPException) -> Response:
    """Turn an HTTP error into JSON; its headers (such as Allow on a 405) are kept."""
    response = error.get_response()
    response.data = json.dumps(
        {
            "status": error.code,
            "error": error.name,
            "message": error.description,
            "path": request.path,
            "method": request.method,
            "timestamp": utc_timestamp(),
        }
    )
    response.content_type = "application/json"
    return response
