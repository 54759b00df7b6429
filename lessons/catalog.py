"""Where the lessons, the skeleton and the variant patches live, what they are called, and the
Python they need."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OLDEST_PYTHON = (3, 12)  # the seeds' floor, and what tox checks (with 3.13)
LESSON_FOLDER = re.compile(r"\d\d")
TITLE = re.compile(r"#\s*Lesson\s+\d+\s*[-:\u2014\u2013]+\s*(?P<title>.+)")


@dataclass(frozen=True)
class Lesson:
    """One lesson folder: lessons/NN with its README, tests and reference.patch."""

    folder: Path

    @property
    def number(self) -> str:
        """The lesson's two-digit number, as in its folder name."""
        return self.folder.name

    @property
    def title(self) -> str:
        """The title from the README's first heading, or the number if there is none."""
        readme = self.folder / "README.md"
        if readme.is_file():
            with readme.open(encoding="utf-8") as text:
                match = TITLE.match(text.readline().strip())
            if match:
                return match["title"].strip()
        return f"Lesson {self.number}"

    @property
    def patch(self) -> Path:
        """The reference step: the change to solution/ that makes this lesson pass."""
        return self.folder / "reference.patch"


@dataclass(frozen=True)
class Variant:
    """A small patch over a lesson's end state: a plausible mistake or a correct alternative."""

    lesson: str
    path: Path

    @property
    def is_mistake(self) -> bool:
        """Mistakes must make their lesson fail; alternatives must pass every lesson so far."""
        return self.path.name.startswith("mistake-")

    @property
    def name(self) -> str:
        """A short label such as 01/mistake-route-at-root."""
        return f"{self.lesson}/{self.path.stem}"


def lessons(root: Path = ROOT) -> list[Lesson]:
    """Every lesson folder under root/lessons, in order."""
    folder = root / "lessons"
    found = [
        path for path in folder.iterdir() if path.is_dir() and LESSON_FOLDER.fullmatch(path.name)
    ]
    return [Lesson(path) for path in sorted(found)]


def variants(root: Path = ROOT) -> list[Variant]:
    """Every mistake and alternative patch under root/tests/variants, in lesson order."""
    folder = root / "tests" / "variants"
    if not folder.is_dir():
        return []
    return [
        Variant(path.parent.name, path)
        for path in sorted(folder.glob("*/*.patch"))
        if LESSON_FOLDER.fullmatch(path.parent.name)
    ]


def skeleton(root: Path = ROOT) -> dict[str, bytes]:
    """The files of solution/ at stage 0, by path inside solution/."""
    return files(root / "lessons" / "skeleton")


def files(folder: Path) -> dict[str, bytes]:
    """The files under folder (bytecode caches left out), by their path inside it."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def lesson_of(nodeid: str) -> str | None:
    """The lesson number of a test id such as lessons/03/test_routes.py::test_x, if any."""
    parts = nodeid.replace("\\", "/").split("/")
    if len(parts) > 2 and parts[0] == "lessons" and LESSON_FOLDER.fullmatch(parts[1]):
        return parts[1]
    return None


def python_too_old() -> str | None:
    """Why this Python cannot run the lessons, in one line; None when it can."""
    if sys.version_info[:2] >= OLDEST_PYTHON:
        return None
    oldest, found = ".".join(map(str, OLDEST_PYTHON)), ".".join(map(str, sys.version_info[:3]))
    return (
        f"The kata needs Python {oldest} or newer, and this is Python {found}. Make the virtual "
        "environment with a newer Python (README.md, Quick start), then install again."
    )
