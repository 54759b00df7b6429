"""The kata's Flask app: a small JSON service, grown one lesson at a time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, request

from . import config, errors, headers, logs, proxy, request_log
from .timestamps import utc_timestamp


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure a new app; test_config overrides every other setting."""
    app = Flask(__name__)
    config.load(app, test_config)
    logs.init_app(app)
    errors.init_app(app)
    headers.init_app(app)
    request_log.init_app(app)
    proxy.init_app(app)

    @app.get("/hello")
    @app.get("/hello/<name>")
    def hello(name: str | None = None) -> dict[str, str]:
        """Greet the name in the path or in ?name=, or else the world."""
        name = name or request.args.get("name") or "world"
        return {"message": f"Hello {name}", "timestamp": utc_timestamp()}

    @app.get("/health")
    def health() -> dict[str, str]:
        """Tell monitors the service is up, and which service and version it is."""
        return {
            "status": "healthy",
            "timestamp": utc_timestamp(),
            "service": app.config["SERVICE_NAME"],
            "version": app.config["SERVICE_VERSION"],
        }

    return app
