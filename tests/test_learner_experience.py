"""What a learner sees: one clear failure per test when solution/ gives no app, and the progress table."""

from __future__ import annotations

import re
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lessons import catalog, copies, progress, stages
from tests.support import ROOT, run

LESSON_01_TESTS = len(
    re.findall(r"^def test_", (ROOT / "lessons/01/test_hello.py").read_text(), re.M)
)
BROKEN_SOLUTIONS = {
    "no package": (None, "There is no package `solution`"),
    "skeleton": ('"""Nothing yet."""\n', "has no function create_app() yet"),
    "syntax error": ("def create_app(:\n    pass\n", "SyntaxError"),
    "missing import": ("import flaks\n", "ModuleNotFoundError: No module named 'flaks'"),
    "returns nothing": ("def create_app():\n    app = 1\n", "returned None, not a Flask app"),
    "raises": ("def create_app():\n    raise ValueError('no config')\n", "ValueError: no config"),
}


def kata_with(folder: Path, solution: str | None) -> Path:
    """A copy of the lessons and their fixtures, with solution/__init__.py as given."""
    copies.lessons_copy(ROOT, folder)
    if solution is not None:
        (folder / "solution").mkdir()
        (folder / "solution" / "__init__.py").write_text(solution, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def broken_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """pytest's output on lesson 01 for each broken solution, the runs side by side."""

    katas = [
        kata_with(tmp_path_factory.mktemp("broken"), code) for code, _ in BROKEN_SOLUTIONS.values()
    ]

    def attempt(kata: Path) -> str:
        command = (sys.executable, "-m", "pytest", "lessons/01", "-p", "no:cacheprovider")
        result = run(*command, cwd=kata, check=False)
        return f"exit code {result.returncode}\n{result.stdout}"

    with ThreadPoolExecutor() as pool:
        return dict(zip(BROKEN_SOLUTIONS, pool.map(attempt, katas), strict=True))


@pytest.mark.parametrize("case", BROKEN_SOLUTIONS)
def test_a_broken_solution_fails_every_test_with_one_hint(broken_runs, case):
    hint = BROKEN_SOLUTIONS[case][1]
    output = broken_runs[case]
    assert output.startswith("exit code 1\n"), output
    assert f"{LESSON_01_TESTS} failed" in output.splitlines()[-1], output
    assert "error" not in output.splitlines()[-1], output
    assert hint in output, output
    assert re.search(rf"01\s+Hello, Flask\s+0/{LESSON_01_TESTS}\s+<- you are here", output), output
    assert "Read lessons/01/README.md, then run: pytest lessons/01" in output


def test_the_progress_table_shows_where_the_learner_is():
    rows = [
        progress.LessonProgress("01", "Hello, Flask", total=4, passed=4),
        progress.LessonProgress(
            "02", "Speaking JSON", total=6, passed=2, first_failure=("t::x", "Expected: JSON")
        ),
        progress.LessonProgress("03", "Routes and parameters", total=5),
    ]
    lines = progress.render(rows, ["01", "02", "03"])
    assert re.search(r"01\s+Hello, Flask\s+4/4\s+done", lines[0])
    assert re.search(r"02\s+Speaking JSON\s+2/6\s+<- you are here", lines[1])
    assert lines[2].rstrip().endswith("0/5")
    assert "You are on lesson 02: Speaking JSON." in lines
    assert "    Expected: JSON" in lines


def test_skipped_tests_never_count_as_done():
    row = progress.LessonProgress("07", "Ship it", total=6, passed=4, skipped=2)
    lines = progress.render([row], ["07"])
    assert "done" not in lines[0] and "(2 skipped)" in lines[0]
    assert any("skipped" in line and "not done" in line for line in lines)


def test_after_the_last_lesson_the_kata_is_complete():
    rows = [progress.LessonProgress(n, f"Lesson {n}", total=1, passed=1) for n in ("01", "02")]
    assert (
        progress.render(rows, ["01", "02"])[-1]
        == "Every lesson passes. The kata is complete: well done!"
    )


def test_a_green_lesson_points_at_the_next_one():
    numbers = [lesson.number for lesson in catalog.lessons()]
    lines = progress.render(
        [progress.LessonProgress("01", "Hello, Flask", total=4, passed=4)], numbers
    )
    assert lines[-1] == "Read lessons/02/README.md, then run: pytest lessons/02"


def test_status_runs_every_lesson_and_prints_the_table(small_kata, tmp_path):
    kata, trees = small_kata
    kata = Path(shutil.copytree(kata, tmp_path / "kata"))
    stages.checkout(ROOT, trees[-1], kata)
    result = run(sys.executable, "-m", "lessons", cwd=kata, check=False)
    assert "Flask kata progress" in result.stdout and result.returncode == 0
    assert "Every lesson passes. The kata is complete: well done!" in result.stdout
    for lesson in catalog.lessons(kata):
        assert re.search(
            rf"{lesson.number}\s+{re.escape(lesson.title)}\s+\d+/\d+", result.stdout
        ), result.stdout


def test_an_older_python_is_refused_in_one_line(monkeypatch):
    """Lesson 02's check of datetime.utcnow() means nothing before 3.12: the kata says so."""
    import pytest as pytest_module

    from lessons import plugin

    monkeypatch.setattr(sys, "version_info", (3, 11, 7, "final", 0))
    with pytest_module.raises(pytest_module.UsageError) as refused:
        plugin.pytest_configure(None)  # refused before the config is looked at
    assert "needs Python 3.12 or newer, and this is Python 3.11.7" in str(refused.value)


@pytest.mark.parametrize("command", [[], ["verify"], ["grade", "class"], ["watch", "1"]])
def test_the_tool_refuses_to_run_tests_on_an_older_python_once(monkeypatch, capsys, command):
    """grade would otherwise print a class of failed learners, and verify 144 failed runs."""
    from lessons import __main__ as tool

    monkeypatch.setattr(sys, "version_info", (3, 11, 7, "final", 0))

    def runs_the_tests(*args, **kwargs):
        pytest.fail("the tool ran the tests on Python 3.11")

    monkeypatch.setattr(tool, "status", runs_the_tests)
    for module in (tool.verify, tool.grade, tool.watch):
        monkeypatch.setattr(module, "run", runs_the_tests)
    assert tool.main(command) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1, err
    assert "needs Python 3.12 or newer, and this is Python 3.11.7" in err


def test_a_deprecated_call_in_solution_fails_its_test_with_a_message(small_kata, tmp_path):
    kata, trees = small_kata
    kata = Path(shutil.copytree(kata, tmp_path / "kata"))
    stages.checkout(ROOT, trees[2], kata)  # lessons 01 and 02 solved
    stamps = kata / "solution" / "timestamps.py"
    stamps.write_text(
        '"""Timestamps."""\n\nfrom datetime import datetime\n\n\ndef utc_timestamp() -> str:\n'
        '    """The time now, the old way."""\n'
        '    return datetime.utcnow().isoformat(timespec="milliseconds") + "Z"\n',
        encoding="utf-8",
    )
    result = run(
        sys.executable,
        "-m",
        "pytest",
        "lessons/02",
        "-p",
        "no:cacheprovider",
        cwd=kata,
        check=False,
    )
    assert result.returncode == 1, result.stdout
    assert "Expected: no deprecated calls in solution/" in result.stdout, result.stdout
    assert "datetime.datetime.utcnow() is deprecated" in result.stdout
    assert "solution/timestamps.py, line 8" in result.stdout
    assert "warnings summary" not in result.stdout  # a failure of its own test, not a warning
