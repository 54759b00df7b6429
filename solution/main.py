"""The greetings and the health check of Part I, as a blueprint."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from .timestamps import utc_timestamp

bp = Blueprint("main", __name__)


@bp.get("/hello")
@bp.get("/hello/<name>")
def hello(name: str | None = None) -> dict[str, str]:
    """Greet the name in the path or in ?name=, or else the world."""
    name = name or request.args.get("name") or "world"
    return {"message": f"Hello {name}", "timestamp": utc_timestamp()}


@bp.get("/health")
def health() -> dict[str, str]:
    """Tell monitors the service is up, and which service and version it is."""
    return {
        "status": "healthy",
        "timestamp": utc_timestamp(),
        "service": current_app.config["SERVICE_NAME"],
        "version": current_app.config["SERVICE_VERSION"],
    }
