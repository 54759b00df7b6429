"""The kata's Flask app: a small JSON service, grown one lesson at a time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from . import (
    api,
    auth,
    commands,
    config,
    db,
    errors,
    forms,
    headers,
    logs,
    main,
    pages,
    proxy,
    request_log,
)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure a new app; test_config overrides every other setting."""
    app = Flask(__name__)
    config.load(app, test_config)
    logs.init_app(app)
    db.init_app(app)
    commands.init_app(app)
    # Error handlers, hooks and middleware belong to the app, so they cover every blueprint.
    errors.init_app(app)
    headers.init_app(app)
    request_log.init_app(app)  # first of the before_request hooks: every request gets its id
    auth.init_app(app)
    forms.init_app(app)  # CSRFProtect's check runs before each view, after the request's id
    proxy.init_app(app)
    app.register_blueprint(main.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(auth.bp)
    return app
