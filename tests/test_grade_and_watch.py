"""`python -m lessons grade` for instructors and `python -m lessons watch` for learners."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from lessons import stages
from tests.support import ROOT, run


def learner(folder: Path, tree: str) -> Path:
    """A learner's checkout holding the solution/ of one stage."""
    stages.checkout(ROOT, tree, folder)
    return folder


@pytest.fixture(scope="module")
def graded(small_kata, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, float]:
    """grade run on a class of four: complete, stopped after lesson 01, broken, and hanging."""
    kata, trees = small_kata
    classroom = tmp_path_factory.mktemp("class")
    learner(classroom / "ada", trees[-1])
    learner(classroom / "bob", trees[1])
    broken = learner(classroom / "cy", trees[-1])
    (broken / "solution" / "__init__.py").write_text("import flaks\n", encoding="utf-8")
    hanging = learner(classroom / "dee", trees[-1])
    hang = "import time\n\n\ndef create_app(test_config=None):\n    time.sleep(600)\n"
    (hanging / "solution" / "__init__.py").write_text(hang, encoding="utf-8")
    reports = tmp_path_factory.mktemp("reports")
    started = time.monotonic()
    command = [
        sys.executable,
        "-m",
        "lessons",
        "grade",
        str(classroom),
        "--reports",
        str(reports),
        "--timeout",
        "15",
    ]
    result = run(*command, cwd=kata)
    return result.stdout, reports, time.monotonic() - started


def row(output: str, name: str) -> list[str]:
    [line] = [line for line in output.splitlines() if line.startswith(f"{name} ")]
    return line.split()


def test_grade_prints_a_row_per_learner_and_a_summary(graded):
    output, _, _ = graded
    assert row(output, "ada")[1:5] == ["4/4*", "7/7*", "16/16*", "3/3"]
    assert row(output, "bob")[1:3] == ["4/4*", "0/7"] and row(output, "bob")[4] == "1/3"
    assert "Graded 4 learner(s)" in output and "1 complete, 3 not yet" in output


def test_a_solution_that_does_not_import_costs_one_row(graded):
    output, _, _ = graded
    cy = " ".join(row(output, "cy"))
    assert cy.startswith("cy 0/4 0/7 0/16 0/3") and "no app: Importing your package solution" in cy


def test_a_solution_that_hangs_is_stopped_and_costs_one_row(graded):
    output, _, seconds = graded
    assert "stopped after 15 s" in " ".join(row(output, "dee"))
    assert seconds < 60  # the run went on without it


def test_grade_writes_junit_xml_for_every_learner(graded):
    _, reports, _ = graded
    assert sorted(path.name for path in reports.glob("*.xml")) == ["ada.xml", "bob.xml", "cy.xml"]
    cases = list(ElementTree.parse(reports / "ada.xml").iter("testcase"))
    assert len(cases) == 27 and all(not list(case) for case in cases)  # 27 tests, none failed


def test_grade_runs_the_katas_lessons_not_the_learners(small_kata, tmp_path):
    kata, trees = small_kata
    cheat = learner(tmp_path / "class" / "eve", trees[0])  # the skeleton: nothing done
    (cheat / "lessons" / "01").mkdir(parents=True)
    (cheat / "lessons" / "01" / "test_hello.py").write_text("def test_nothing():\n    pass\n")
    result = run(
        sys.executable,
        "-m",
        "lessons",
        "grade",
        str(cheat),
        "--reports",
        str(tmp_path / "r"),
        cwd=kata,
    )
    assert row(result.stdout, "eve")[1] == "0/4"


def test_grade_refuses_a_folder_without_checkouts(small_kata, tmp_path):
    kata, _ = small_kata
    result = run(sys.executable, "-m", "lessons", "grade", str(tmp_path), cwd=kata, check=False)
    assert result.returncode != 0 and "holds no solution/ folder" in result.stderr


def wait_for(log: Path, pattern: str, count: int, seconds: float = 60) -> int:
    """How many times pattern is in the log once it is there count times (or time is up)."""
    deadline = time.monotonic() + seconds
    found = 0
    while time.monotonic() < deadline:
        found = len(re.findall(pattern, log.read_text(encoding="utf-8", errors="replace")))
        if found >= count:
            break
        time.sleep(0.05)
    return found


@pytest.mark.skipif(
    sys.platform == "win32", reason="sends SIGINT, as Ctrl-C does on Linux and macOS"
)
def test_watch_runs_the_lesson_again_on_every_save_and_stops_on_ctrl_c(small_kata, tmp_path):
    kata, trees = small_kata
    work = tmp_path / "kata"
    shutil.copytree(kata, work)
    learner(work, trees[0])
    log = tmp_path / "watch.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "lessons", "watch", "1"],
            cwd=work,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        assert wait_for(log, r"Flask kata progress", 1) == 1, log.read_text()
        assert "0/4" in log.read_text()
        solved = stages.plan_from_worktree(work).patches[0][1]
        subprocess.run(
            ["git", "apply", "-"], input=solved, cwd=work, check=True, capture_output=True
        )
        assert wait_for(log, r"Flask kata progress", 2) == 2, log.read_text()
        assert wait_for(log, r"4/4\s+done", 1) == 1, log.read_text()
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert code == 0 and "Stopped watching." in log.read_text()
