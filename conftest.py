"""Fixtures for the lessons: your app, a test client and a CLI runner.

Also two kindnesses: if solution/ cannot give an app, each test fails with one clear hint
instead of a wall of errors, and a run over the lessons ends with your progress.
"""

from __future__ import annotations

import importlib
import inspect
import os
import textwrap
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from hypothesis import Phase, settings

pytest.register_assert_rewrite("lessons.feedback")

from lessons import catalog, progress  # noqa: E402

ROOT = Path(__file__).resolve().parent
PACKAGE = "solution"

# Lessons stay fast: fewer examples than hypothesis's default, and no deadline (speed is
# measured by the benchmarks, never by a timed assertion).
# The explain phase would add "These lines were always and only run by failing test cases",
# which tells a newcomer nothing.
PHASES = tuple(phase for phase in Phase if phase is not Phase.explain)
settings.register_profile("kata", max_examples=50, deadline=None, phases=PHASES)
# `python -m lessons verify` proves red and green at every stage, dozens of runs: fewer examples.
settings.register_profile(
    "kata-verify", max_examples=20, deadline=None, database=None, phases=PHASES
)
settings.load_profile("kata")

# Settings from the learner's own machine that must not reach an app under test.
OUTSIDE_SETTINGS = (
    "APP_ENV",
    "SECRET_KEY",
    "LOG_LEVEL",
    "HOST",
    "PORT",
    "WEB_CONCURRENCY",
    "FORWARDED_ALLOW_IPS",
    "GUNICORN_CMD_ARGS",
)


class LearnerAppError(Exception):
    """solution/ could not give an app; the message says why and what to try."""


def learner_factory() -> Callable[..., Any]:
    """Import solution and return its create_app, or explain why that is not possible."""
    try:
        module = importlib.import_module(PACKAGE)
    except ModuleNotFoundError as error:
        if error.name != PACKAGE:
            raise LearnerAppError(_import_failure(error)) from None
        raise LearnerAppError(
            "There is no package `solution` to test.\n"
            "  Try: run pytest from the kata's top folder (the one with README.md), and check that\n"
            "       solution/__init__.py exists there. `git status` shows what changed."
        ) from None
    except Exception as error:
        raise LearnerAppError(_import_failure(error)) from None
    factory = getattr(module, "create_app", None)
    if not callable(factory):
        raise LearnerAppError(
            "Your package `solution` has no function create_app() yet.\n"
            "  Try: define create_app() in solution/__init__.py and make it return a Flask app\n"
            "       (lessons/01/README.md, step 1)."
        )
    return factory


def build_app(factory: Callable[..., Any], config: dict[str, Any]) -> Flask:
    """Call the learner's create_app with config (or, before lesson 05, apply it afterwards)."""
    takes_config = _takes_an_argument(factory)
    try:
        app = factory(config) if takes_config else factory()
    except Exception as error:
        raise LearnerAppError(
            f"Calling solution.create_app() raised an error, so no app could be built.\n\n"
            f"{_learner_traceback(error)}\n"
            f"  Try: {_tip_for(error)}"
        ) from None
    if not isinstance(app, Flask):
        raise LearnerAppError(
            f"solution.create_app() returned {app!r}, not a Flask app.\n"
            "  Try: create the app with `app = Flask(__name__)` and end create_app() with "
            "`return app`."
        )
    if not takes_config:
        app.config.update(config)
    return app


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Keep your machine out of the tests: no outside FLASK_* settings, no .env, a temporary folder."""
    for name in list(os.environ):
        if name.startswith("FLASK_") or name in OUTSIDE_SETTINGS:
            monkeypatch.delenv(name)
    monkeypatch.setenv("PYTHON_DOTENV_DISABLED", "1")
    monkeypatch.chdir(tmp_path)
    instance = str(tmp_path / "instance")
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: instance)
    before = dict(os.environ)
    yield tmp_path
    # load_dotenv() adds variables to os.environ; take them away again.
    os.environ.clear()
    os.environ.update(before)


@pytest.fixture
def create_app(isolated: Path) -> Callable[..., Any]:
    """Your solution.create_app, to call the way a test needs."""
    return learner_factory()


@pytest.fixture
def make_app(create_app: Callable[..., Any]) -> Callable[..., Flask]:
    """Build your app in testing mode, with extra settings: make_app({"LOG_LEVEL": "DEBUG"})."""
    return lambda config=None: build_app(create_app, {"TESTING": True, **(config or {})})


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """A fresh app for each test, in testing mode. pytest-flask's `client` uses it."""
    return make_app()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """Run your app's `flask` commands without a terminal."""
    return app.test_cli_runner()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    """Report "solution/ gave no app" as this test failing, with just the hint."""
    report = yield
    if call.excinfo is not None and call.excinfo.errisinstance(LearnerAppError):
        # The test itself is fine; the app it needs is not there yet: that is a failure
        # for the learner to fix, not an error in the test.
        report.when = "call"
        report.longrepr = str(call.excinfo.value)
        report.user_properties.append(("kata", "no app"))
    return report


def pytest_configure(config: pytest.Config) -> None:
    """Track the lessons' results for the progress table."""
    config.pluginmanager.register(ProgressTracker(), "kata-progress")


class ProgressTracker:
    """Collects each lesson test's outcome and prints the progress table at the end."""

    def __init__(self) -> None:
        self.collected: dict[str, list[str]] = {}
        self.outcome: dict[str, str] = {}
        self.messages: dict[str, str] = {}

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Remember which lesson tests this run holds."""
        for item in session.items:
            number = catalog.lesson_of(item.nodeid)
            if number:
                self.collected.setdefault(number, []).append(item.nodeid)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep the worst outcome of each test's setup, call and teardown."""
        if catalog.lesson_of(report.nodeid) is None:
            return
        if report.failed:
            if self.outcome.get(report.nodeid) != "failed":
                message = _failure_message(report)
                if ("kata", "no app") in report.user_properties:
                    message = f"Your app could not be built, so every test fails until this is fixed.\n{message}"
                self.messages[report.nodeid] = message
            self.outcome[report.nodeid] = "failed"
        elif report.skipped:
            self.outcome.setdefault(report.nodeid, "skipped")
        elif report.when == "call":
            self.outcome.setdefault(report.nodeid, "passed")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print each lesson's passed/total, the lesson you are on and its first hint."""
        if not self.collected or not self.outcome:
            return
        rows = []
        for lesson in catalog.lessons(ROOT):
            nodeids = self.collected.get(lesson.number)
            if not nodeids:
                continue
            row = progress.LessonProgress(lesson.number, lesson.title, total=len(nodeids))
            for nodeid in nodeids:
                outcome = self.outcome.get(nodeid)
                row.passed += outcome == "passed"
                row.skipped += outcome == "skipped"
                if outcome == "failed" and row.first_failure is None:
                    row.first_failure = (nodeid, self.messages.get(nodeid, ""))
            rows.append(row)
        numbers = [lesson.number for lesson in catalog.lessons(ROOT)]
        terminalreporter.section("Flask kata progress")
        for line in progress.render(rows, numbers):
            terminalreporter.write_line(line)


def _failure_message(report: pytest.TestReport) -> str:
    """The learner-facing part of a failure: the assertion's message, without pytest's noise."""
    longrepr = report.longrepr
    crash = getattr(longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(longrepr)
    text = text.removeprefix("AssertionError: ").removeprefix("Failed: ")
    kept = []
    for line in text.splitlines():
        if line.startswith("assert "):
            break
        kept.append(line)
    return textwrap.dedent("\n".join(kept)).strip("\n")


# Errors a newcomer meets often, and what to do about each.
KNOWN_ERRORS = {
    "overwriting an existing endpoint function": (
        "two views share one function name, so Flask sees the same endpoint twice: give each\n"
        "       view its own name, or stack both @app.get lines on one view (lessons/03/README.md, step 1)."
    ),
}


def _tip_for(error: BaseException) -> str:
    """What to try for an error raised while building the app."""
    for clue, tip in KNOWN_ERRORS.items():
        if clue in str(error):
            return tip
    return "fix the line shown above, then run the tests again."


def _takes_an_argument(factory: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return False
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return any(p.kind in kinds or p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters)


def _import_failure(error: BaseException) -> str:
    return (
        "Importing your package `solution` raised an error, so no app could be built.\n\n"
        f"{_learner_traceback(error)}\n"
        "  Try: fix the line shown above, then run the tests again."
    )


def _learner_traceback(error: BaseException) -> str:
    """The exception, with only the lines of the traceback that are in solution/."""
    folder = str(ROOT / PACKAGE)
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename.startswith(folder)
    ]
    lines = traceback.format_list(frames)
    lines += traceback.format_exception_only(type(error), error)
    return "".join(f"  {line}" for line in "".join(lines).splitlines(keepends=True))


@pytest.fixture
def kata_root(request: pytest.FixtureRequest) -> Path:
    """The kata's top folder: the one that holds solution/ and lessons/."""
    return request.config.rootpath


@pytest.fixture
def process_env(isolated: Path, kata_root: Path) -> dict[str, str]:
    """Environment for a server or `flask` command started by a test: isolated like the app."""
    return {
        **os.environ,
        "PYTHONPATH": str(kata_root),
        "FLASK_SKIP_DOTENV": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
