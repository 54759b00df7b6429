"""Fixtures for the kata's own tests: throwaway copies of the kata, and the app's shared logger."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from lessons import catalog, copies, stages
from tests.support import ROOT, copy_kata, git

SMALL = ["01", "02", "03"]  # a kata of three lessons keeps the tests of the tool quick


@pytest.fixture(scope="session")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding the kata as it stands now, committed on main."""
    repo = copy_kata(tmp_path_factory.mktemp("origin"))
    git(repo, "init", "--quiet")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "The kata as it stands in the work tree")
    return repo


@pytest.fixture
def clone(origin: Path, tmp_path: Path) -> Callable[[str], Path]:
    """Make a fresh clone of origin, as a learner gets one: no lesson tags yet."""

    def make(name: str = "clone") -> Path:
        target = tmp_path / name
        git(tmp_path, "clone", "--quiet", "--no-tags", str(origin), str(target))
        return target

    return make


@pytest.fixture
def app_logger() -> Iterator[logging.Logger]:
    """The "solution" logger that every app in the process shares, restored after the test."""
    logger = logging.getLogger("solution")
    saved = (logger.handlers[:], logger.filters[:], logger.level, logger.propagate)
    yield logger
    logger.handlers[:], logger.filters[:], logger.level, logger.propagate = saved


@pytest.fixture
def bare_logging() -> Callable[[], AbstractContextManager[None]]:
    """Within `with bare_logging():`, the root logger has no handlers, as in a server process.

    Use it inside the test body: pytest adds and removes its own root handlers around each
    phase of a test, so a fixture that emptied the root logger would restore stale ones.
    """

    @contextmanager
    def bare() -> Iterator[None]:
        saved = logging.root.handlers[:]
        logging.root.handlers.clear()
        try:
            yield
        finally:
            logging.root.handlers[:] = saved

    return bare


@pytest.fixture(scope="session")
def small_kata(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A copy of the kata with its first three lessons only, and its stages' solution/ trees."""
    kata = tmp_path_factory.mktemp("small-kata")
    copies.lessons_copy(ROOT, kata)
    for lesson in catalog.lessons(kata):
        if lesson.number not in SMALL:
            shutil.rmtree(lesson.folder)
    trees = stages.build(ROOT, stages.plan_from_worktree(kata))
    return kata, trees
