"""Lesson 07's measured speed-up (an alternative variant), written out where it can be served.

The variant lives as a patch over lesson 07's end state; these helpers build that solution/
as `python -m lessons verify` does, and the reference's own at the same stage to compare it
with, for the benchmarks and tests/test_speed_up_variant.py.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from lessons import catalog, stages

ROOT = Path(__file__).resolve().parents[2]
PATCH = Path("tests/variants/07/alternative-measured-speed-up.patch")
LESSON = "07"


def end_of_lesson(root: Path = ROOT) -> str:
    """The tree id of the reference's solution/ at the end of lesson 07."""
    plan = stages.plan_from_worktree(root)
    return stages.build(root, plan)[plan.numbers.index(LESSON) + 1]


def write_reference(folder: Path, root: Path = ROOT) -> Path:
    """Write the reference's solution/ at the end of lesson 07 to folder/solution/; return folder."""
    stages.checkout(root, end_of_lesson(root), folder)
    return folder


def write_speed_up(folder: Path, root: Path = ROOT) -> Path:
    """Write lesson 07's end state with the speed-up applied to folder/solution/; return folder."""
    patch = (root / PATCH).read_bytes()
    tree = stages.apply(root, end_of_lesson(root), patch, PATCH.as_posix())
    stages.checkout(root, tree, folder)
    return folder


def solution_is_end_of_lesson(root: Path = ROOT) -> bool:
    """Whether solution/ is the reference at the end of lesson 07 (no later lesson yet)."""
    return stages.tree_of(root, catalog.files(root / "solution")) == end_of_lesson(root)


def import_speed_up(folder: Path, name: str = "speed_up_solution") -> ModuleType:
    """Import folder/solution/ as the package name, beside the reference's own `solution`."""
    spec = importlib.util.spec_from_file_location(
        name,
        folder / "solution" / "__init__.py",
        submodule_search_locations=[str(folder / "solution")],
    )
    assert spec is not None and spec.loader is not None, folder
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package  # before it runs: its relative imports look for it there
    spec.loader.exec_module(package)
    return package
