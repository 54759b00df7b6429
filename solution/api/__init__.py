"""The JSON API under /api: one blueprint, and one module for each resource."""

from __future__ import annotations

from flask import Blueprint, url_for

bp = Blueprint("api", __name__, url_prefix="/api")

# What GET /api/ lists: a name for each resource, and the endpoint of its URL.
LINKS = {
    "self": "api.index",
    "greetings": "api.list_greetings",
    "users": "api.create_user",
    "tokens": "api.create_token",
    "me": "api.me",
    "openapi": "api.openapi",
}


@bp.get("/")
def index() -> dict[str, dict[str, str]]:
    """Where everything in the API is: an absolute URL for each resource."""
    return {"links": {name: url_for(endpoint, _external=True) for name, endpoint in LINKS.items()}}


# The resources' routes attach to bp when their modules are imported.
from . import greetings, openapi, tokens, users  # noqa: E402, F401
