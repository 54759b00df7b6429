"""Behind a reverse proxy: trust its X-Forwarded-For and -Proto only when configured."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import ConfigError


def init_app(app: Flask) -> None:
    """Wrap the app in ProxyFix when TRUSTED_PROXIES says how many proxies stand in front."""
    proxies = trusted_proxies(app.config["TRUSTED_PROXIES"])
    if proxies:
        # Anyone can send X-Forwarded-* headers; only believe the hops we run ourselves.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]


def trusted_proxies(setting: object) -> int:
    """The number of proxies TRUSTED_PROXIES counts: a whole number, 0 or more (text too, "1")."""
    if isinstance(setting, str) and setting.isascii() and setting.isdigit():
        return int(setting)
    if type(setting) is int and setting >= 0:
        return setting
    raise ConfigError(
        f"TRUSTED_PROXIES must be a whole number of proxies, 0 or more, but it is {setting!r}."
    )
