"""Settings: defaults here, then FLASK_* environment variables (.env fills gaps), then test_config."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from dotenv import find_dotenv, load_dotenv
from flask import Flask

DEVELOPMENT_SECRET_KEY = "dev"
ENVIRONMENTS = ("development", "production")
SHORTEST_SECRET_KEY = 32  # characters: what secrets.token_hex(16) gives

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": DEVELOPMENT_SECRET_KEY,
    "SERVICE_NAME": "flask-hello-world-tutorial",
    "SERVICE_VERSION": "1.0.0",
    "LOG_LEVEL": "INFO",
    "TRUSTED_PROXIES": 0,
    # A relative SQLite path is in the instance folder: instance/guestbook.sqlite3
    "SQLALCHEMY_DATABASE_URI": "sqlite:///guestbook.sqlite3",
    # Werkzeug's default; tests may choose a cheaper one, such as "pbkdf2:sha256:1000".
    "PASSWORD_HASH_METHOD": "scrypt",
    # Requests may carry at most 16 KiB: a larger one is refused with 413 before it is read.
    "MAX_CONTENT_LENGTH": 16 * 1024,
    "TOKEN_TTL": 3600,  # seconds an API token works
    # The session cookie: never read by scripts (HttpOnly, Flask's default), never sent along
    # with another site's forms or scripts (SameSite=Lax); over HTTPS only in production, below.
    "SESSION_COOKIE_SAMESITE": "Lax",
}


class ConfigError(RuntimeError):
    """A setting is missing or unsafe, so the app refuses to start."""


def load(app: Flask, test_config: Mapping[str, Any] | None = None) -> None:
    """Fill app.config from the defaults, the environment and .env, then test_config."""
    read_dotenv()
    app.config.from_mapping(DEFAULTS)
    if database := os.environ.get("DATABASE_URL"):  # what hosting platforms set
        app.config["SQLALCHEMY_DATABASE_URI"] = database_url(database)
    app.config.from_prefixed_env()
    # The APP_ENV variable names the deployment. It is read after from_prefixed_env(), so that
    # a FLASK_APP_ENV (in the environment or in .env) can never turn production back.
    app.config["APP_ENV"] = os.environ.get("APP_ENV", app.config.get("APP_ENV", "development"))
    app.config["SESSION_COOKIE_SECURE"] = str(app.config["APP_ENV"]).lower() == "production"
    if test_config is not None:
        app.config.update(test_config)
    check(app.config)


def database_url(url: str) -> str:
    """A DATABASE_URL for SQLAlchemy: PostgreSQL through psycopg 3, as postgresql+psycopg://."""
    scheme, separator, rest = url.partition("://")
    if scheme in ("postgres", "postgresql") and separator:
        return f"postgresql+psycopg://{rest}"
    return url


def read_dotenv() -> None:
    """Like the flask command: the first .env from the current folder upwards fills in gaps."""
    path = find_dotenv(usecwd=True)
    try:
        # override=False (the default): a variable the environment has always wins.
        load_dotenv(path)
    except UnicodeDecodeError:
        raise ConfigError(f"The .env file {path} is not UTF-8 text: save it as UTF-8.") from None


def check(config: Mapping[str, Any]) -> None:
    """Refuse an unknown APP_ENV, a SECRET_KEY that is not text, or production without a real key."""
    environment = config["APP_ENV"]
    if not isinstance(environment, str) or environment.lower() not in ENVIRONMENTS:
        raise ConfigError(f"APP_ENV must be development or production, but it is {environment!r}.")
    secret = config.get("SECRET_KEY")
    if secret is not None and not isinstance(secret, str | bytes):
        # from_prefixed_env() reads values as JSON: FLASK_SECRET_KEY=12345 gives a number.
        raise ConfigError(
            f"SECRET_KEY must be text, but it was read as {type(secret).__name__}. Quote it for "
            """JSON in the environment, such as FLASK_SECRET_KEY='"12345"'."""
        )
    ttl = config.get("TOKEN_TTL")
    if type(ttl) is not int or ttl < 1:
        raise ConfigError(
            f"TOKEN_TTL must be a whole number of seconds, 1 or more, but it is {ttl!r}."
        )
    if environment.lower() == "production" and not is_real_secret(secret):
        raise ConfigError(
            "APP_ENV is production, but SECRET_KEY is not set to a real secret (at least "
            f"{SHORTEST_SECRET_KEY} characters, not the development key). Set the environment "
            "variable FLASK_SECRET_KEY to a long random value, such as the output of: "
            'python -c "import secrets; print(secrets.token_hex())"'
        )


def is_real_secret(secret: str | bytes | None) -> bool:
    """Whether secret could sign production sessions: long, and not the development key."""
    if secret is None:
        return False
    text = secret.decode("utf-8", "replace") if isinstance(secret, bytes) else secret
    return len(text.strip()) >= SHORTEST_SECRET_KEY and text != DEVELOPMENT_SECRET_KEY
