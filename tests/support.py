"""Helpers for the kata's own tests: run commands, and copy the kata into a git repository."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lessons.contract import HSTS, SECURITY_HEADERS  # noqa: F401 (the kata's own tests use them)

ROOT = Path(__file__).resolve().parent.parent
FRESH_ID = re.compile(r"[0-9a-f]{32}")  # the reference's own request ids: uuid.uuid4().hex

IDENTITY = {
    "GIT_AUTHOR_NAME": "Kata Tests",
    "GIT_AUTHOR_EMAIL": "tests@flask-tdd-kata.invalid",
    "GIT_COMMITTER_NAME": "Kata Tests",
    "GIT_COMMITTER_EMAIL": "tests@flask-tdd-kata.invalid",
}


def run(
    *command: str | Path, cwd: Path, check: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a command without a shell and return what it printed."""
    environment = {**os.environ, **IDENTITY}
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, command))} failed:\n{result.stdout}\n{result.stderr}"
        )
    return result


def git(repo: Path, *args: str, check: bool = True) -> str:
    """Run git in repo and return its output, stripped."""
    return run("git", "-c", "init.defaultBranch=main", *args, cwd=repo, check=check).stdout.strip()


def lessons_tool(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `python -m lessons args` in repo, as a learner or maintainer would."""
    return run(sys.executable, "-m", "lessons", *args, cwd=repo, check=check)


def copy_kata(destination: Path) -> Path:
    """Copy the kata as git sees it (tracked files, and new files not ignored) to destination."""
    listing = git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    for name in filter(None, listing.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


# CI sets this: there, a real part that is missing is a failure, never a skip.
REQUIRE_REAL_PARTS = "KATA_REQUIRE_REAL_PARTS"


def require(program: str, *candidates: str) -> str:
    """The path of a program the test needs; skip with the reason when it is missing (fail in CI)."""
    found = shutil.which(program) or next(
        (path for path in candidates if Path(path).is_file()), None
    )
    if found:
        return found
    reason = (
        f"{program} is not installed (Debian and Ubuntu: apt install {program}); CI installs it"
    )
    if os.environ.get(REQUIRE_REAL_PARTS):
        pytest.fail(f"{reason}, and {REQUIRE_REAL_PARTS} says it must be here", pytrace=False)
    pytest.skip(reason)
