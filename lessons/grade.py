"""`python -m lessons grade PATH...`: how far each learner got, judged by the kata's own lessons.

Each PATH is a learner's checkout (a folder with solution/ in it) or a folder of them (a class's
clones). Every learner's solution/ runs against this kata's lessons, never the learner's own
(possibly edited) tests: in a copy of its own, in a process of its own, bounded in time. A
broken or hanging solution costs its own row, never the run. One JUnit XML file per learner.

It runs the learners' code on this machine: grade in a container or a machine you trust. It
does not compare learners with one another (no plagiarism check).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory

from . import catalog, copies, isolation
from .judges import Outcomes, read_report, tests

TIMEOUT = 300  # seconds for one learner's run
PYTEST_OPTIONS = (
    "-q",
    "-p",
    "no:cacheprovider",
    "-p",
    "no:pytest_cov",
    "--hypothesis-profile=kata-verify",
    "-o",
    "junit_family=xunit1",  # the report then names each test's file, so its lesson
)
# What the kata says when solution/ gives no app at all.
NO_APP = (
    "There is no package `solution`",
    "Importing your package `solution` raised an error",
    "has no function create_app",
    "Calling solution.create_app() raised an error",
    "not a Flask app",
)


@dataclass
class Learner:
    """One learner's checkout, and what the lessons showed of it."""

    name: str
    folder: Path
    outcomes: Outcomes = field(default_factory=dict)
    note: str = ""
    seconds: float = 0.0

    def done(self, numbers: list[str]) -> list[str]:
        """The lessons whose every test passed."""
        return [
            n
            for n in numbers
            if (c := self.outcomes.get(n)) and tests(c) and c["passed"] == tests(c)
        ]


def checkouts(paths: list[Path]) -> list[Learner]:
    """The learners' checkouts among the paths: each path one, or a folder of them."""
    learners = []
    for path in paths:
        if (path / "solution").is_dir():
            learners.append(Learner(path.resolve().name, path))
            continue
        found = (
            sorted(child for child in path.iterdir() if (child / "solution").is_dir())
            if path.is_dir()
            else []
        )
        if not found:
            raise SystemExit(
                f"python -m lessons grade: {path} holds no solution/ folder, nor folders that do."
            )
        learners.extend(Learner(child.name, child) for child in found)
    names = [learner.name for learner in learners]
    for learner in learners:  # two clones called alike in different folders: tell them apart
        if names.count(learner.name) > 1:
            learner.name = f"{learner.folder.parent.name}/{learner.name}"
    return learners


def grade(root: Path, learner: Learner, workspace: Path, reports: Path, timeout: float) -> None:
    """Run the kata's lessons on the learner's solution/ in a copy of its own; note the outcomes."""
    folder = workspace / safe_name(learner.name)
    copies.lessons_copy(root, folder)
    shutil.copytree(
        learner.folder / "solution",
        folder / "solution",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    report = reports / f"{safe_name(learner.name)}.xml"
    command = [
        sys.executable,
        "-m",
        "pytest",
        *PYTEST_OPTIONS,
        "--junitxml",
        str(report),
        "lessons",
    ]
    environment = isolation.clean_environment(folder)
    environment.pop("PYTHONDONTWRITEBYTECODE")  # a learner's run is long enough for caches to pay
    environment["HYPOTHESIS_STORAGE_DIRECTORY"] = str(folder / ".hypothesis")
    started = time.perf_counter()
    try:
        process = subprocess.Popen(
            command,
            cwd=folder,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # so a timeout can stop the servers the tests started, too
        )
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_group(process)
            learner.note = f"stopped after {timeout:.0f} s: something in solution/ hangs"
    finally:
        learner.seconds = time.perf_counter() - started
    if report.is_file():
        learner.outcomes = read_report(report)
        text = report.read_text(encoding="utf-8", errors="replace")
        reason = next((clue for clue in NO_APP if clue in text), None)
        if reason and not learner.note:
            learner.note = f"no app: {reason.replace('`', '')}"
    elif not learner.note:
        learner.note = "pytest wrote no report"


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop a process and everything it started."""
    if sys.platform == "win32":
        process.kill()
    else:
        import signal

        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()


def safe_name(name: str) -> str:
    """A learner's name as a file name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "learner"


def table(learners: list[Learner], numbers: list[str]) -> list[str]:
    """The learner x lesson table: passed/total per lesson, and how many lessons are done."""
    width = max([len("learner"), *(len(learner.name) for learner in learners)])
    cells = {number: 6 for number in numbers}
    lines = ["  ".join([f"{'learner':<{width}}", *(f"{n:>{cells[n]}}" for n in numbers), "done"])]
    for learner in learners:
        row = [f"{learner.name:<{width}}"]
        done = learner.done(numbers)
        for number in numbers:
            counts = learner.outcomes.get(number)
            cell = f"{counts['passed']}/{tests(counts)}" if counts else "-"
            mark = "*" if number in done else " "
            row.append(f"{cell + mark:>{cells[number]}}")
        row.append(f"{len(done)}/{len(numbers)}" + (f"  {learner.note}" if learner.note else ""))
        lines.append("  ".join(row))
    lines.append("")
    lines.append("* the lesson is done: every test passed. - no result (see the note).")
    return lines


def run(
    paths: list[str],
    root: Path = catalog.ROOT,
    jobs: int | None = None,
    reports: str = "grades",
    timeout: float = TIMEOUT,
) -> int:
    """The `grade` command: run, print the table and a summary, write the JUnit files."""
    started = time.perf_counter()
    learners = checkouts([Path(path) for path in paths])
    numbers = [lesson.number for lesson in catalog.lessons(root)]
    report_folder = Path(reports).resolve()
    report_folder.mkdir(parents=True, exist_ok=True)
    jobs = jobs or os.cpu_count() or 2
    print(
        f"Grading {len(learners)} learner(s) against the kata's {len(numbers)} lessons, {jobs} at a time..."
    )
    with TemporaryDirectory(prefix="kata-grade-") as workspace, ThreadPoolExecutor(jobs) as pool:
        work = [
            pool.submit(grade, root, learner, Path(workspace), report_folder, timeout)
            for learner in learners
        ]
        for job in work:
            job.result()
    for line in table(learners, numbers):
        print(line)
    complete = sum(len(learner.done(numbers)) == len(numbers) for learner in learners)
    elapsed = time.perf_counter() - started
    print(
        f"Graded {len(learners)} learner(s) in {elapsed:.1f} s: {complete} complete, "
        f"{len(learners) - complete} not yet. JUnit XML per learner in {report_folder}."
    )
    return 0
