"""Keep the learner's machine out of the tests: outside settings, .env files, the current folder.

Standard library only at import time: the lessons tool (grade) uses it too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

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


def outside_settings(environ: Mapping[str, str]) -> list[str]:
    """The names in environ that would reach an app under test from outside."""
    return [name for name in environ if name.startswith("FLASK_") or name in OUTSIDE_SETTINGS]


def isolate(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """No outside settings, no .env, folder as the current folder and the instance folder."""
    from flask import Flask

    for name in outside_settings(os.environ):
        monkeypatch.delenv(name)
    monkeypatch.setenv("PYTHON_DOTENV_DISABLED", "1")
    monkeypatch.chdir(folder)
    instance = str(folder / "instance")
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: instance)


def clean_environment(root: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a process a test starts: isolated, with the kata at root importable."""
    environ = os.environ if environ is None else environ
    outside = set(outside_settings(environ))
    return {
        **{name: value for name, value in environ.items() if name not in outside},
        "PYTHON_DOTENV_DISABLED": "1",
        "PYTHONPATH": str(root),
        "FLASK_SKIP_DOTENV": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
