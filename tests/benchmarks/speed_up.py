"""Lesson 07's measured speed-up (an alternative variant), written out where it can be served.

The variant lives as a patch over lesson 07's end state; these helpers build that solution/
as `python -m lessons verify` does, for the benchmarks and tests/test_speed_up_variant.py.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from lessons import stages

ROOT = Path(__file__).resolve().parents[2]
PATCH = Path("tests/variants/07/alternative-measured-speed-up.patch")
LESSON = "07"


def write_speed_up(folder: Path, root: Path = ROOT) -> Path:
    """Write lesson 07's end state with the speed-up applied to folder/solution/; return folder."""
    plan = stages.plan_from_worktree(root)
    trees = stages.build(root, plan)
    end_of_lesson = trees[plan.numbers.index(LESSON) + 1]
    tree = stages.apply(root, end_of_lesson, (root / PATCH).read_bytes(), PATCH.as_posix())
    stages.checkout(root, tree, folder)
    return folder


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
