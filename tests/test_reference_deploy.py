"""How the reference app is served: solution/wsgi.py and solution/gunicorn.conf.py."""

from __future__ import annotations

import importlib
import runpy
import sys

import pytest
from flask import Flask
from gunicorn.config import Config
from gunicorn.util import parse_address

from solution.config import ConfigError

HELPERS = {
    "annotations",
    "os",
    "sys",
    "whole_number",
    "host",
    "port",
}  # names in gunicorn.conf.py that are no settings


@pytest.fixture
def import_wsgi(isolated, monkeypatch):
    """Import solution.wsgi afresh, as a server does; the module is forgotten afterwards."""
    monkeypatch.delitem(sys.modules, "solution.wsgi", raising=False)
    monkeypatch.delattr("solution.wsgi", raising=False)
    return lambda: importlib.import_module("solution.wsgi")


@pytest.fixture
def gunicorn_settings(isolated, kata_root, monkeypatch):
    """Run solution/gunicorn.conf.py with the given environment; return the names it sets."""

    def run(**environment: str) -> dict:
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(kata_root / "solution" / "gunicorn.conf.py"))

    return run


def test_importing_wsgi_builds_a_ready_app(import_wsgi, monkeypatch):
    monkeypatch.setenv("APP_ENV", "development")
    app = import_wsgi().app
    assert isinstance(app, Flask) and not app.testing
    assert app.config["APP_ENV"] == "development"
    response = app.test_client().get("/hello")
    assert response.status_code == 200
    assert response.get_json()["message"] == "Hello world"


@pytest.mark.parametrize("app_env", ["production", None], ids=["production", "unset"])
def test_importing_wsgi_in_production_without_a_key_fails_with_the_reason(
    import_wsgi, monkeypatch, app_env
):
    if app_env:
        monkeypatch.setenv("APP_ENV", app_env)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        import_wsgi()


def test_importing_wsgi_in_production_with_a_key_works(import_wsgi, monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("FLASK_SECRET_KEY", "0f" * 32)
    assert import_wsgi().app.config["SECRET_KEY"] == "0f" * 32


def test_gunicorn_defaults(gunicorn_settings):
    settings = gunicorn_settings()
    assert settings["bind"] == ["127.0.0.1:8000"]
    assert settings["workers"] == 2


@pytest.mark.parametrize(
    ("host", "port", "bind", "address"),
    [
        ("127.0.0.1", "0", "127.0.0.1:0", ("127.0.0.1", 0)),
        ("0.0.0.0", "8080", "0.0.0.0:8080", ("0.0.0.0", 8080)),
        ("::1", "5000", "[::1]:5000", ("::1", 5000)),
        ("::", "8000", "[::]:8000", ("::", 8000)),
        ("localhost", "9000", "localhost:9000", ("localhost", 9000)),
        ("[::1]", "5000", "[::1]:5000", ("::1", 5000)),
    ],
    ids=["loopback", "all-ipv4", "ipv6-loopback", "all-ipv6", "name", "ipv6-in-brackets"],
)
def test_gunicorn_binds_to_host_and_port(gunicorn_settings, host, port, bind, address):
    settings = gunicorn_settings(HOST=host, PORT=port)
    assert settings["bind"] == [bind]
    assert parse_address(settings["bind"][0]) == address  # as gunicorn will read it


@pytest.mark.parametrize("count", ["1", "3", "8"])
def test_gunicorn_runs_web_concurrency_workers(gunicorn_settings, count):
    assert gunicorn_settings(WEB_CONCURRENCY=count)["workers"] == int(count)


def test_gunicorn_settings_for_a_safe_start_and_stop(gunicorn_settings):
    settings = gunicorn_settings()
    assert settings["preload_app"] is True  # a bad configuration stops the master at once
    assert settings["graceful_timeout"] >= 10  # requests in flight get time to finish
    assert settings["forwarded_allow_ips"] == ""  # ProxyFix alone decides whom to trust
    assert settings["errorlog"] == "-"


def test_every_name_in_gunicorn_conf_is_a_gunicorn_setting(gunicorn_settings):
    """gunicorn ignores unknown names silently: a typo would never be noticed."""
    names = {name for name in gunicorn_settings() if not name.startswith("_")}
    assert names - HELPERS <= set(Config().settings)


def test_gunicorn_accepts_every_setting(gunicorn_settings):
    config = Config()
    for name, value in gunicorn_settings(HOST="::1", PORT="5000", WEB_CONCURRENCY="3").items():
        if name in config.settings:
            config.set(name, value)
    assert (config.address, config.workers, config.preload_app) == ([("::1", 5000)], 3, True)
    assert config.forwarded_allow_ips == []
