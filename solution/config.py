"""Settings: defaults here, then FLASK_* environment variables (.env fills gaps), then test_config."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from dotenv import find_dotenv, load_dotenv
from flask import Flask

DEVELOPMENT_SECRET_KEY = "dev"

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": DEVELOPMENT_SECRET_KEY,
    "SERVICE_NAME": "flask-hello-world-tutorial",
    "SERVICE_VERSION": "1.0.0",
    "LOG_LEVEL": "INFO",
    "TRUSTED_PROXIES": 0,
}


class ConfigError(RuntimeError):
    """A setting is missing or unsafe, so the app refuses to start."""


def load(app: Flask, test_config: Mapping[str, Any] | None = None) -> None:
    """Fill app.config from the defaults, the environment and .env, then test_config."""
    # Like the flask command: the first .env from the current folder upwards fills in
    # variables the environment lacks, and never overrides one it has.
    load_dotenv(find_dotenv(usecwd=True))
    app.config.from_mapping(DEFAULTS, APP_ENV=os.environ.get("APP_ENV", "development"))
    app.config.from_prefixed_env()
    if test_config is not None:
        app.config.update(test_config)
    check(app.config)


def check(config: Mapping[str, Any]) -> None:
    """Refuse to run with a SECRET_KEY that is not text, or in production without a real one."""
    secret = config.get("SECRET_KEY")
    if secret is not None and not isinstance(secret, str | bytes):
        # from_prefixed_env() reads values as JSON: FLASK_SECRET_KEY=12345 gives a number.
        raise ConfigError(
            f"SECRET_KEY must be text, but it is the {type(secret).__name__} {secret!r}. "
            """Quote it for JSON in the environment, such as FLASK_SECRET_KEY='"12345"'."""
        )
    production = str(config["APP_ENV"]).lower() == "production"
    if production and secret in (None, "", DEVELOPMENT_SECRET_KEY):
        raise ConfigError(
            "APP_ENV is production, but SECRET_KEY is not set to a real secret. "
            "Set the environment variable FLASK_SECRET_KEY to a long random value, such as "
            'the output of: python -c "import secrets; print(secrets.token_hex())"'
        )
