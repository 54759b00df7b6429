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

from lessons import databases, isolation, learner
from lessons.feedback import explain


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


@pytest.fixture(scope="session")
def run_database() -> Iterator[str | None]:
    """This run's own PostgreSQL database when TEST_DATABASE_URL names a server, else None."""
    with databases.run_database() as url:
        yield url


@pytest.fixture
def database_uri(tmp_path: Path, run_database: str | None) -> Iterator[str]:
    """A fresh, empty database for this test: a SQLite file in its folder, or PostgreSQL."""
    uri = databases.fresh_uri(tmp_path, run_database)
    yield uri
    databases.empty(uri)


@pytest.fixture
def make_app(create_app: Callable[..., Any], database_uri: str) -> Iterator[Callable[..., Flask]]:
    """Build your app in testing mode, with extra settings: make_app({"LOG_LEVEL": "DEBUG"}).

    Every app gets this test's own database and a cheap password hash (lessons/09/README.md).
    """
    apps: list[Flask] = []

    def make(config: dict[str, Any] | None = None) -> Flask:
        settings = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_uri}
        settings["PASSWORD_HASH_METHOD"] = databases.CHEAP_HASH
        apps.append(learner.build(create_app, {**settings, **(config or {})}))
        return apps[-1]

    yield make
    for app in apps:
        databases.dispose(app)  # close its connections, so the next test's database is fresh


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """A fresh app for each test, in testing mode. pytest-flask's `client` uses it."""
    return make_app()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """Run your app's `flask` commands without a terminal."""
    return app.test_cli_runner()


@pytest.fixture
def guestbook(app: Flask, runner: FlaskCliRunner) -> Flask:
    """Your app with its tables made by `flask init-db`, as lessons/09/README.md says."""
    result = runner.invoke(args=["init-db"])
    if result.exit_code != 0:
        raise learner.SetupFailure(
            explain(
                expected="`flask init-db` to create the tables and exit with code 0",
                got=(result.output.strip() or repr(result.exception))[-600:],
                tip="add the init-db command (lessons/09/README.md, step 3); the test gives your app "
                "its database in SQLALCHEMY_DATABASE_URI",
            )
        )
    return app


@pytest.fixture(autouse=True)
def _push_request_context() -> None:
    """No request context around the tests (pytest-flask would push one): each request then runs
    in its own context, as under a real server, and nothing carries over from one to the next."""


@pytest.fixture
def kata_root(request: pytest.FixtureRequest) -> Path:
    """The kata's top folder: the one that holds solution/ and lessons/."""
    return request.config.rootpath


@pytest.fixture
def process_env(isolated: Path, kata_root: Path) -> dict[str, str]:
    """The environment for a server or `flask` command a test starts: isolated like the app."""
    return isolation.clean_environment(kata_root)
