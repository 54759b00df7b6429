"""The reference app's settings and its trust in reverse proxies, beyond what the lessons ask."""

from __future__ import annotations

import logging

import pytest
from flask import request

from solution.config import DEFAULTS, ConfigError

REAL_KEY = "0f" * 32
PROXY = "192.0.2.10"


def test_defaults_are_the_documented_ones(create_app):
    config = create_app().config
    assert config["APP_ENV"] == "development"
    assert config["SECRET_KEY"] == "dev"
    assert (config["SERVICE_NAME"], config["SERVICE_VERSION"]) == (
        "flask-hello-world-tutorial",
        "1.0.0",
    )
    assert (config["LOG_LEVEL"], config["TRUSTED_PROXIES"]) == ("INFO", 0)


def test_one_apps_settings_never_leak_into_the_next(create_app):
    create_app({"SERVICE_NAME": "kata-one", "LOG_LEVEL": "DEBUG"})
    assert create_app().config["SERVICE_NAME"] == "flask-hello-world-tutorial"
    assert DEFAULTS["SERVICE_NAME"] == "flask-hello-world-tutorial"


@pytest.mark.parametrize(
    ("setting", "level"),
    [("debug", logging.DEBUG), ("Warning", logging.WARNING), ("ERROR", logging.ERROR)],
)
def test_log_level_takes_any_case(create_app, app_logger, setting, level):
    app = create_app({"LOG_LEVEL": setting})
    assert app.logger.getEffectiveLevel() == level


def test_log_level_comes_from_flask_log_level(create_app, app_logger, monkeypatch):
    monkeypatch.setenv("FLASK_LOG_LEVEL", "warning")
    assert create_app().logger.level == logging.WARNING


def test_an_unknown_log_level_stops_the_app_with_its_name(create_app, app_logger):
    with pytest.raises(ConfigError, match="LOG_LEVEL .* 'loud'"):
        create_app({"LOG_LEVEL": "loud"})


@pytest.mark.parametrize("key", [None, "", "dev"], ids=["none", "empty", "development-key"])
def test_production_refuses_a_secret_key_that_is_no_secret(create_app, monkeypatch, key):
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY") as refused:
        create_app({"SECRET_KEY": key})
    assert "FLASK_SECRET_KEY" in str(refused.value)


def test_the_refusal_is_a_runtime_error_so_gunicorn_prints_just_the_message():
    """gunicorn's runner prints a RuntimeError from loading the app as one line, no traceback."""
    assert issubclass(ConfigError, RuntimeError)


@pytest.mark.parametrize(
    ("environment", "test_config"),
    [
        ({"APP_ENV": "production"}, None),
        ({"FLASK_APP_ENV": "production"}, None),
        ({}, {"APP_ENV": "production"}),
    ],
    ids=["APP_ENV", "FLASK_APP_ENV", "test_config"],
)
def test_production_may_be_asked_for_in_any_layer(
    create_app, monkeypatch, environment, test_config
):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError):
        create_app(test_config)


def test_production_takes_the_key_from_test_config(create_app, monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    app = create_app({"SECRET_KEY": REAL_KEY, "TESTING": True})
    assert app.config["APP_ENV"] == "production"
    assert app.test_client().get("/health").status_code == 200


def test_the_refusal_never_shows_a_key(create_app, monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("FLASK_SECRET_KEY", "dev")
    with pytest.raises(ConfigError) as refused:
        create_app()
    assert "'dev'" not in str(refused.value) and '"dev"' not in str(refused.value)


def test_development_accepts_no_secret_key_at_all(create_app):
    app = create_app({"SECRET_KEY": None, "TESTING": True})
    assert app.test_client().get("/hello").status_code == 200


# Behind reverse proxies: ProxyFix trusts the last TRUSTED_PROXIES hops, and only for
# X-Forwarded-For and X-Forwarded-Proto.


def where(app, headers):
    """What the app believes about the request: client address, scheme, host and root."""

    @app.get("/kata/where")
    def where_view():
        return {
            "client": request.remote_addr,
            "scheme": request.scheme,
            "host": request.host,
            "root": request.script_root,
        }

    response = app.test_client().get(
        "/kata/where", headers=headers, environ_base={"REMOTE_ADDR": PROXY}
    )
    return response, response.get_json()


CHAIN = {
    "X-Forwarded-For": "198.51.100.1, 203.0.113.7, 203.0.113.8",
    "X-Forwarded-Proto": "http, https, https",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Port": "8443",
    "X-Forwarded-Prefix": "/evil",
}


def test_trusted_proxies_counts_hops_from_the_right(make_app):
    response, seen = where(make_app({"TRUSTED_PROXIES": 2}), CHAIN)
    assert (seen["client"], seen["scheme"]) == ("203.0.113.7", "https")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_trusted_proxies_never_trusts_host_port_or_prefix(make_app):
    _, seen = where(make_app({"TRUSTED_PROXIES": 1}), CHAIN)
    assert (seen["host"], seen["root"]) == ("localhost", "")


def test_no_trusted_proxies_means_the_address_that_connected(make_app):
    response, seen = where(make_app(), CHAIN)
    assert (seen["client"], seen["scheme"], seen["host"]) == (PROXY, "http", "localhost")
    assert "Strict-Transport-Security" not in response.headers


def test_trusted_proxies_comes_from_the_environment(create_app, monkeypatch):
    monkeypatch.setenv("FLASK_TRUSTED_PROXIES", "1")
    _, seen = where(create_app({"TESTING": True}), CHAIN)
    assert seen["client"] == "203.0.113.8"


def test_trusted_proxies_may_be_given_as_text(make_app):
    """A .env or a platform may hand the number over as a string."""
    _, seen = where(make_app({"TRUSTED_PROXIES": "1"}), CHAIN)
    assert seen["client"] == "203.0.113.8"


def test_a_shorter_chain_than_trusted_is_ignored(make_app):
    _, seen = where(make_app({"TRUSTED_PROXIES": 2}), {"X-Forwarded-For": "203.0.113.7"})
    assert seen["client"] == PROXY


@pytest.mark.parametrize("value", ["Production", "PRODUCTION"])
def test_production_is_production_in_any_case(create_app, monkeypatch, value):
    monkeypatch.setenv("APP_ENV", value)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_a_secret_key_read_as_a_number_stops_the_app_with_how_to_quote_it(create_app, monkeypatch):
    monkeypatch.setenv("FLASK_SECRET_KEY", "12345")  # from_prefixed_env reads it as JSON: an int
    with pytest.raises(ConfigError, match="SECRET_KEY must be text") as refused:
        create_app()
    assert """FLASK_SECRET_KEY='"12345"'""" in str(refused.value)


def test_a_quoted_number_is_a_secret_key_like_any_other(create_app, monkeypatch):
    monkeypatch.setenv("FLASK_SECRET_KEY", '"12345"')
    assert create_app().config["SECRET_KEY"] == "12345"


def test_log_level_may_be_a_number(create_app, app_logger, monkeypatch):
    monkeypatch.setenv("FLASK_LOG_LEVEL", "10")
    assert create_app().logger.level == logging.DEBUG
