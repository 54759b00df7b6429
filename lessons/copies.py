"""Copies of the kata for one run of its lessons: the lessons and their fixtures, any solution/."""

from __future__ import annotations

import shutil
from pathlib import Path

# What a run of the lessons needs besides lessons/ and a solution/.
KATA_FILES = ("conftest.py", "pyproject.toml")


def lessons_copy(root: Path, destination: Path) -> Path:
    """Copy lessons/, conftest.py and pyproject.toml from root to destination (no solution/)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(root / "lessons", destination / "lessons", ignore=ignore, dirs_exist_ok=True)
    for name in KATA_FILES:
        shutil.copy2(root / name, destination / name)
    return destination
