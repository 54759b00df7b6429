"""Run pytest many times over, each run in a copy of the kata of its own, some at a time.

On Linux and macOS every run is a fork of this process, after it has imported what every run
needs (pytest, Flask, SQLAlchemy, hypothesis, ...): a run then starts in a fraction of the
second a fresh interpreter takes to import them, which is most of a short run's time. The
solution/ and lessons/ under test are never imported here, so each run imports its own. Where
there is no fork, or if warming up fails, every run is a fresh `python -m pytest`.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

# What a run of the lessons imports anyway; importing a name that is missing is no error.
WARM = (
    "pytest",
    "_pytest.junitxml",
    "_pytest.pytester",
    "hypothesis",
    "hypothesis.extra.pytestplugin",
    "pytest_flask.plugin",
    "flask",
    "flask.testing",
    "werkzeug.test",
    "jinja2",
    "click",
    "dotenv",
    "sqlalchemy",
    "sqlalchemy.orm",
    "sqlalchemy.dialects.sqlite",
    "flask_sqlalchemy",
    "flask_login",
    "flask_wtf",
    "wtforms",
    "psycopg",
    "openapi_core",
    "openapi_spec_validator",
)
# Modules each run must import from its own copy of the kata.
OWN = ("lessons", "solution", "conftest")


@dataclass
class Run:
    """One pytest run: its arguments, where it runs, its environment, and what became of it."""

    arguments: list[str]
    folder: Path
    environment: dict[str, str]
    timeout: float
    code: int | None = None  # None: it did not finish in time
    output: str = ""
    seconds: float = 0.0


def can_fork() -> bool:
    """Whether runs can be forks of this process (POSIX), warm with what they import."""
    return hasattr(os, "fork") and os.environ.get("KATA_VERIFY_FORK", "1") != "0"


def warm_up() -> None:
    """Import once, here, what every run would import by itself."""
    for name in WARM:
        try:
            importlib.import_module(name)
        except Exception:  # a package this kata does not use yet, or one that is broken
            continue


def run_all(runs: list[Run], jobs: int) -> None:
    """Run them all, jobs at a time, the first ones first."""
    if can_fork():
        warm_up()
        forked(runs, jobs)
    else:
        with ThreadPoolExecutor(jobs) as pool:
            list(pool.map(fresh, runs))


def fresh(run: Run) -> None:
    """One run in a fresh interpreter."""
    command = [sys.executable, "-m", "pytest", *run.arguments]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            cwd=run.folder,
            env=run.environment,
            capture_output=True,
            text=True,
            timeout=run.timeout,
        )
        run.code, run.output = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired:
        run.code = None
    run.seconds = time.perf_counter() - started


def forked(runs: list[Run], jobs: int) -> None:
    """Fork a child for each run, at most jobs at a time; stop those that take too long."""
    waiting = list(runs)
    running: dict[int, tuple[Run, float]] = {}
    while waiting or running:
        while waiting and len(running) < jobs:
            run = waiting.pop(0)
            running[start(run)] = (run, time.perf_counter())
        time.sleep(0.01)
        for pid, (run, started) in list(running.items()):
            done, status = os.waitpid(pid, os.WNOHANG)
            elapsed = time.perf_counter() - started
            if done == 0 and elapsed <= run.timeout:
                continue
            if done == 0:  # too long: stop it, and whatever it started
                kill_group(pid)
                os.waitpid(pid, 0)
            else:
                run.code = os.waitstatus_to_exitcode(status)
            run.seconds = elapsed
            log = run.folder / "pytest-output.txt"
            run.output = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
            del running[pid]


def kill_group(pid: int) -> None:
    """Stop a child and its process group."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def start(run: Run) -> int:
    """Fork the child that runs pytest in run.folder; return its pid."""
    pid = os.fork()
    if pid:
        return pid
    code = 3
    try:
        os.setpgid(0, 0)  # its own group, so a timeout can stop the servers it starts too
        output = os.open(run.folder / "pytest-output.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.chdir(run.folder)
        os.environ.clear()
        os.environ.update(run.environment)
        for name in list(sys.modules):
            if name.split(".")[0] in OWN:
                del sys.modules[name]
        # This kata's own folder leaves the path: the run imports the copy's lessons/ and solution/.
        kata = Path(__file__).resolve().parent.parent
        sys.path[:] = [
            str(run.folder),
            *(entry for entry in sys.path if entry and Path(entry).resolve() != kata),
        ]
        sys.argv = ["pytest", *run.arguments]
        import pytest

        code = int(pytest.main(run.arguments))
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
