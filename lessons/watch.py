"""`python -m lessons watch [N]`: run a lesson's tests again whenever a file in solution/ is saved.

Lesson N, or the lesson of the branch you are on (kata/lesson-NN), or else every lesson. It looks
at the files' modification times twice a second (no extra package needed), and stops on Ctrl-C.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from . import catalog
from .git import GitError, git

POLL_SECONDS = 0.5
BRANCH = re.compile(r"kata/lesson-(\d\d)\b")


def snapshot(folder: Path) -> dict[str, float]:
    """The modification time of every file under folder (caches left out)."""
    times = {}
    if folder.is_dir():
        for path in folder.rglob("*"):
            if (
                path.is_file()
                and "__pycache__" not in path.parts
                and path.suffix not in (".pyc", ".swp")
            ):
                try:
                    times[str(path)] = path.stat().st_mtime
                except OSError:  # saved and moved away between listing and looking
                    continue
    return times


def current_lesson(root: Path) -> str | None:
    """The lesson of the branch you are on, if it is one of the kata's lesson branches."""
    try:
        branch = git(root, "branch", "--show-current")
    except GitError:
        return None
    found = BRANCH.match(branch)
    return found[1] if found else None


def run_tests(root: Path, target: str) -> int:
    """One run of the lesson's tests, with the usual failures and progress table."""
    print(f"\n--- {time.strftime('%H:%M:%S')}  pytest {target}", flush=True)
    return subprocess.run(
        [sys.executable, "-m", "pytest", target, "-q"], cwd=root, check=False
    ).returncode


def run(lesson: str | None = None, root: Path = catalog.ROOT, poll: float = POLL_SECONDS) -> int:
    """The `watch` command."""
    known = [item.number for item in catalog.lessons(root)]
    number = lesson if lesson is None else lesson.zfill(2)
    if number is not None and number not in known:
        print(f"There is no lesson {lesson}. The lessons are {', '.join(known)}.")
        return 2
    number = number or current_lesson(root)
    target = f"lessons/{number}" if number else "lessons"
    print(f"Watching solution/: the tests of {target} run again whenever you save. Ctrl-C stops.")
    try:
        seen = snapshot(root / "solution")
        run_tests(root, target)
        while True:
            time.sleep(poll)
            now = snapshot(root / "solution")
            if now != seen:
                time.sleep(poll / 2)  # an editor may write a file in two steps
                seen = snapshot(root / "solution")
                run_tests(root, target)
    except KeyboardInterrupt:
        print("\nStopped watching.")
        return 0
