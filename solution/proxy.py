"""Behind a reverse proxy: trust its X-Forwarded-For and -Proto only when configured."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    """Wrap the app in ProxyFix when TRUSTED_PROXIES says how many proxies stand in front."""
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:
        # Anyone can send X-Forwarded-* headers; only believe the hops we run ourselves.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
