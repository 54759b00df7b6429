"""The kata's pytest plugin (registered in pyproject.toml): kind failures and the progress table.

- When solution/ cannot give an app, each test fails with one clear hint, not a wall of errors.
- A deprecated call in solution/ fails the test that made it, with a message, not a warning.
- A run over the lessons ends with the learner's progress and the next step.
- Tests marked `holds_early` must pass before their lesson too; `verify` reads the mark.
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.register_assert_rewrite("lessons.feedback", "lessons.servers", "lessons.guestbook")

from hypothesis import Phase, settings  # noqa: E402

from lessons import catalog, progress  # noqa: E402
from lessons.feedback import explain  # noqa: E402
from lessons.learner import LearnerAppError, SetupFailure  # noqa: E402

EARLY = "holds_early"

# Lessons stay fast: fewer examples than hypothesis's default, and no deadline (speed is
# measured by the benchmarks, never by a timed assertion). The explain phase would add "These
# lines were always and only run by failing test cases", which tells a newcomer nothing.
PHASES = tuple(phase for phase in Phase if phase is not Phase.explain)
settings.register_profile("kata", max_examples=50, deadline=None, phases=PHASES)
# `python -m lessons verify` proves red and green at every stage, dozens of runs: fewer examples.
settings.register_profile(
    "kata-verify", max_examples=10, deadline=None, database=None, phases=PHASES
)
settings.load_profile("kata")


def pytest_configure(config: pytest.Config) -> None:
    """Refuse an old Python in one line; register the mark and the progress table."""
    too_old = catalog.python_too_old()
    if too_old:
        raise pytest.UsageError(too_old)
    config.addinivalue_line(
        "markers", f"{EARLY}(reason): the test passes before its lesson too, for the reason given"
    )
    config.pluginmanager.register(ProgressTracker(config.rootpath), "kata-progress")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Note the holds_early mark where verify can read it: in the JUnit report."""
    for item in items:
        mark = item.get_closest_marker(EARLY)
        if mark is not None:
            reason = mark.kwargs.get("reason") or (mark.args[0] if mark.args else "")
            item.user_properties.append((EARLY, str(reason)))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    """Fail the test whose setup made a deprecated call in solution/ (an import, say)."""
    return (yield from _no_deprecated_calls(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail the test whose requests made a deprecated call in solution/."""
    return (yield from _no_deprecated_calls(item))


def _no_deprecated_calls(item: pytest.Item) -> Iterator[None]:
    solution = str(item.config.rootpath / "solution")
    caught: list[warnings.WarningMessage] = []
    ours: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DeprecationWarning)
            yield
    finally:
        for warning in caught:
            if issubclass(warning.category, DeprecationWarning) and warning.filename.startswith(
                solution
            ):
                ours.append(warning)
            else:  # everything else goes on to pytest's own warnings summary
                warnings.warn_explicit(
                    warning.message, warning.category, warning.filename, warning.lineno
                )
    if ours:
        first = ours[0]
        where = Path(first.filename).relative_to(item.config.rootpath).as_posix()
        pytest.fail(
            explain(
                expected="no deprecated calls in solution/: the kata teaches today's Python and Flask",
                got=f"{first.category.__name__}: {first.message} ({where}, line {first.lineno})",
                tip="use what the warning suggests instead; for datetime.utcnow(), "
                "datetime.now(UTC) (from datetime import UTC, datetime)",
            ),
            pytrace=False,
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Report "solution/ gave no app" (or no database yet) as this test failing, with the hint."""
    report = yield
    if call.excinfo is not None and call.excinfo.errisinstance(SetupFailure):
        # The test itself is fine; what it needs from the app is not there yet: that is a
        # failure for the learner to fix, not an error in the test.
        report.when = "call"
        report.longrepr = str(call.excinfo.value)
        if call.excinfo.errisinstance(LearnerAppError):
            report.user_properties.append(("kata", "no app"))
    return report


class ProgressTracker:
    """Collects each lesson test's outcome and prints the progress table at the end."""

    def __init__(self, root: Path) -> None:
        self.root = root
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
                message = failure_message(report)
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
        lessons = catalog.lessons(self.root)
        rows = []
        for lesson in lessons:
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
        terminalreporter.section("Flask kata progress")
        for line in progress.render(rows, [lesson.number for lesson in lessons]):
            terminalreporter.write_line(line)


def failure_message(report: pytest.TestReport) -> str:
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
