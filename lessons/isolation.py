"""Keep the learner's machine out of the tests: outside settings, .env files, the current folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask

# Settings from the machine that would change what an app or gunicorn does. FLASK_* too.
OUTSIDE_SETTINGS = (
    "APP_ENV",
    "SECRET_KEY",
    "LOG_LEVEL",
    "DATABASE_URL",
    "HOST",
    "PORT",
    "WEB_CONCURRENCY",
    "FORWARDED_ALLOW_IPS",
    "GUNICORN_CMD_ARGS",
)


def outside_settings(environ: dict[str, str] | os._Environ[str]) -> list[str]:
    """The names in environ that would reach an app under test from outside."""
    return [name for name in environ if name.startswith("FLASK_") or name in OUTSIDE_SETTINGS]


def isolate(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """No outside settings, no .env, folder as the current folder and the instance folder."""
    for name in outside_settings(os.environ):
        monkeypatch.delenv(name)
    monkeypatch.setenv("PYTHON_DOTENV_DISABLED", "1")
    monkeypatch.chdir(folder)
    instance = str(folder / "instance")
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: instance)


def clean_environment(root: Path) -> dict[str, str]:
    """The environment for a process a test starts: isolated, with the kata importable."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in outside_settings(os.environ)
    }
    return {
        **environment,
        "PYTHON_DOTENV_DISABLED": "1",
        "PYTHONPATH": str(root),
        "FLASK_SKIP_DOTENV": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
