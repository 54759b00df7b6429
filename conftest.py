"""Fixtures for the lessons: your app, a test client and a CLI runner.

Every test gets a fresh app, built in a temporary folder without your FLASK_* variables or .env.
The friendly failures and the progress table come from lessons/plugin.py.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from lessons import isolation, learner


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Keep your machine out of the tests: no outside settings, no .env, a temporary folder."""
    isolation.isolate(monkeypatch, tmp_path)
    before = dict(os.environ)
    yield tmp_path
    # load_dotenv() adds variables to os.environ; take them away again.
    os.environ.clear()
    os.environ.update(before)


@pytest.fixture
def create_app(isolated: Path) -> Callable[..., Any]:
    """Your solution.create_app, to call the way a test needs."""
    return learner.factory()


@pytest.fixture
def make_app(create_app: Callable[..., Any]) -> Callable[..., Flask]:
    """Build your app in testing mode, with extra settings: make_app({"LOG_LEVEL": "DEBUG"})."""
    return lambda config=None: learner.build(create_app, {"TESTING": True, **(config or {})})


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """A fresh app for each test, in testing mode. pytest-flask's `client` uses it."""
    return make_app()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """Run your app's `flask` commands without a terminal."""
    return app.test_cli_runner()


@pytest.fixture
def kata_root(request: pytest.FixtureRequest) -> Path:
    """The kata's top folder: the one that holds solution/ and lessons/."""
    return request.config.rootpath


@pytest.fixture
def process_env(isolated: Path, kata_root: Path) -> dict[str, str]:
    """The environment for a server or `flask` command a test starts: isolated like the app."""
    return isolation.clean_environment(kata_root)
