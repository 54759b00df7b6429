"""Build the learner's app from solution/, or explain in one message why it cannot be built."""

from __future__ import annotations

import importlib
import inspect
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "solution"

# Errors a newcomer meets often, and what to do about each.
KNOWN_ERRORS = {
    "overwriting an existing endpoint function": (
        "two views share one function name, so Flask sees the same endpoint twice: give each\n"
        "       view its own name, or stack both @app.get lines on one view (lessons/03/README.md, step 1)."
    ),
}


class SetupFailure(Exception):
    """What a test needs from the learner's app is not there yet; the message says what to do.

    Raised while a test is set up, it is reported as that test failing, not as an error.
    """


class LearnerAppError(SetupFailure):
    """solution/ could not give an app; the message says why and what to try."""


def factory() -> Callable[..., Any]:
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
    create_app: object = getattr(module, "create_app", None)
    if not callable(create_app):
        raise LearnerAppError(
            "Your package `solution` has no function create_app() yet.\n"
            "  Try: define create_app() in solution/__init__.py and make it return a Flask app\n"
            "       (lessons/01/README.md, step 1)."
        )
    return create_app


def build(create_app: Callable[..., Any], config: dict[str, Any]) -> Flask:
    """Call the learner's create_app with config (or, before lesson 05, apply it afterwards)."""
    takes_config = takes_an_argument(create_app)
    try:
        app = create_app(config) if takes_config else create_app()
    except Exception as error:
        raise LearnerAppError(
            f"Calling solution.create_app() raised an error, so no app could be built.\n\n"
            f"{learner_traceback(error)}\n"
            f"  Try: {tip_for(error)}"
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


def takes_an_argument(create_app: Callable[..., Any]) -> bool:
    """Whether create_app can be called with one positional argument (test_config)."""
    try:
        parameters = inspect.signature(create_app).parameters.values()
    except (TypeError, ValueError):
        return False
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return any(p.kind in kinds or p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters)


def tip_for(error: BaseException) -> str:
    """What to try for an error raised while building the app."""
    for clue, tip in KNOWN_ERRORS.items():
        if clue in str(error):
            return tip
    return "fix the line shown above, then run the tests again."


def learner_traceback(error: BaseException) -> str:
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


def _import_failure(error: BaseException) -> str:
    return (
        "Importing your package `solution` raised an error, so no app could be built.\n\n"
        f"{learner_traceback(error)}\n"
        "  Try: fix the line shown above, then run the tests again."
    )
