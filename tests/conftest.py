"""Fixtures for the kata's own tests: throwaway copies of the kata as git repositories."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import copy_kata, git


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
