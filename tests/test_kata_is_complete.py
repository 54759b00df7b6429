"""The kata's parts agree: lesson folders, their READMEs, CHECKLIST.md, the variants and the README."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from configparser import ConfigParser

import pytest

from lessons import catalog
from lessons.__main__ import parser
from tests.support import ROOT

LESSONS = catalog.lessons()
SECTIONS = [
    "Goal",
    "What you will learn",
    "Background",
    "Steps",
    "Run the tests",
    "Hints",
    "Compare with the reference",
    "Checklist",
]


def sections(markdown: str) -> list[str]:
    return re.findall(r"^## (.+)$", markdown, re.M)


def checklist(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("- [ ] ")]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.number)
def test_each_lesson_folder_is_complete(lesson):
    readme = (lesson.folder / "README.md").read_text(encoding="utf-8")
    assert readme.startswith(f"# Lesson {lesson.number} — "), "the README starts with its title"
    assert sections(readme) == SECTIONS
    assert list(lesson.folder.glob("test_*.py")), "at least one test file"
    assert lesson.patch.read_text(encoding="utf-8").startswith("diff --git a/solution/")
    assert f"pytest lessons/{lesson.number}" in readme


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.number)
def test_each_lesson_names_its_reference_step(lesson):
    readme = (lesson.folder / "README.md").read_text(encoding="utf-8")
    numbers = [item.number for item in LESSONS]
    after = numbers.index(lesson.number) + 1
    end = f"lesson-{numbers[after]}" if after < len(numbers) else "complete"
    assert f"git diff lesson-{lesson.number} {end} -- solution/" in readme


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.number)
def test_each_lesson_has_two_mistakes_and_an_alternative(lesson):
    variants = [variant for variant in catalog.variants() if variant.lesson == lesson.number]
    mistakes = [variant for variant in variants if variant.is_mistake]
    assert len(mistakes) >= 2 and len(variants) - len(mistakes) >= 1, [v.name for v in variants]
    for variant in variants:
        text = variant.path.read_text(encoding="utf-8")
        assert variant.path.name.startswith(("mistake-", "alternative-")), variant.name
        prose = text.split("diff --git", 1)[0].strip()
        assert prose, f"{variant.name} starts with a few lines that say what it shows"


def test_checklist_mirrors_every_lessons_readme():
    text = (ROOT / "CHECKLIST.md").read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.M)[1:]
    in_checklist = {part.splitlines()[0]: checklist(part) for part in parts}
    in_readmes = {}
    for lesson in LESSONS:
        readme = (lesson.folder / "README.md").read_text(encoding="utf-8")
        title = readme.splitlines()[0].removeprefix("# ")
        in_readmes[title] = checklist(readme.split("## Checklist", 1)[1])
    assert in_checklist == in_readmes
    assert all(in_readmes.values())


def readme_commands() -> list[str]:
    """Every command line inside the README's code blocks and inline code."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```\n(.*?)```", text, re.S)
    inline = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    lines = [line.strip() for block in blocks for line in block.splitlines()] + inline
    starts = ("python ", "pytest", "tox", "flask ", "gunicorn ", "git ")
    return [line for line in lines if line.startswith(starts)]


def test_the_readme_commands_name_things_that_exist():
    tox = ConfigParser()
    tox.read(ROOT / "tox.ini")
    environments = {name.removeprefix("testenv:") for name in tox.sections()}
    environments |= {name.strip() for name in tox["tox"]["env_list"].split(",")}
    commands = readme_commands()
    assert "python -m lessons start 1" in commands and "pytest lessons/01" in commands
    for command in commands:
        words = shlex.split(command.replace("lessons/NN", "lessons/01"))
        if words[:3] == ["python", "-m", "lessons"]:
            parser().parse_args(words[3:])  # exits with an error if the subcommand is unknown
        elif words[:4] == ["python", "-m", "pip", "install"]:
            assert (ROOT / words[-1]).is_file(), command
        elif words[0] == "pytest":
            assert all((ROOT / word).exists() for word in words[1:] if not word.startswith("-")), (
                command
            )
        elif words[0] == "tox" and "-e" in words:
            assert words[words.index("-e") + 1] in environments, command
        elif words[0] == "gunicorn":
            assert (ROOT / words[words.index("-c") + 1]).is_file() and (
                ROOT / "solution/wsgi.py"
            ).is_file()


def test_flask_knows_the_app_the_readme_runs():
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "solution", "routes"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "", "FLASK_SKIP_DOTENV": "1", "PYTHON_DOTENV_DISABLED": "1"},
    )
    assert result.returncode == 0 and "/hello" in result.stdout and "/health" in result.stdout, (
        result.stderr
    )


def test_the_test_counts_the_readmes_quote_are_the_real_ones():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "lessons",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    counts: dict[str, int] = {}
    for line in result.stdout.splitlines():
        number = catalog.lesson_of(line)
        if number:
            counts[number] = counts.get(number, 0) + 1
    for lesson in LESSONS:
        readme = (lesson.folder / "README.md").read_text(encoding="utf-8")
        for quoted in re.findall(
            rf"{lesson.number}\s+{re.escape(lesson.title)}\s+\d+/(\d+)", readme
        ):
            assert int(quoted) == counts[lesson.number], (
                lesson.number,
                quoted,
                counts[lesson.number],
            )
