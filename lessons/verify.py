"""`python -m lessons verify`: prove the kata is sound.

For every stage S, lessons 1..S pass and every test of lesson S+1 fails; the last stage
passes everything and equals solution/; every mistake makes its lesson fail; every
alternative passes all lessons so far. The checks run in parallel, one pytest each.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory

from . import catalog, copies, runner, stages
from .judges import Judge, all_pass, both, read_report, red, span, summarize

TIMEOUT = 180  # seconds for one pytest run; a hung run is a failed check
PYTEST_OPTIONS = (
    "-q",
    "-p",
    "no:cacheprovider",
    "-p",
    "no:benchmark",
    "-p",
    "no:pytest_cov",
    "--hypothesis-profile=kata-verify",
)


@dataclass
class Check:
    """One pytest run over one version of solution/, and what it must show."""

    label: str
    expected: str
    tree: str
    lessons: list[str]
    judge: Judge
    options: tuple[str, ...] = ()
    problems: list[str] = field(default_factory=list)
    summary: str = ""
    seconds: float = 0.0


def plan_checks(root: Path, repo: Path) -> tuple[list[Check], str]:
    """Every check verify runs, and the tree id of the last stage."""
    plan = stages.plan_from_worktree(root)
    trees = stages.build(repo, plan)
    numbers = plan.numbers
    checks = []
    for stage, tree in enumerate(trees):
        done, upcoming = numbers[:stage], numbers[stage : stage + 1]
        tag = f"lesson-{upcoming[0]}" if upcoming else "complete"
        expected = ", ".join(
            [*([f"{span(done)} green"] if done else []), *(f"{n} red" for n in upcoming)]
        )
        judges = [all_pass(done), *(red(n, every_test=True) for n in upcoming)]
        checks.append(
            Check(f"stage {stage} ({tag})", expected, tree, done + upcoming, both(*judges))
        )
    for variant in catalog.variants(root):
        if variant.lesson not in numbers:
            continue
        stage = numbers.index(variant.lesson) + 1
        try:
            tree = stages.apply(repo, trees[stage], variant.path.read_bytes(), str(variant.path))
        except stages.StageError as error:
            broken = Check(variant.name, "to apply", trees[stage], [], lambda outcomes: [])
            broken.problems.append(f"{error} (redo it over the lesson's end state)")
            checks.append(broken)
            continue
        if variant.is_mistake:
            judge = red(variant.lesson, every_test=False)
            # One failing test is all a mistake has to show, so pytest may stop there.
            check = Check(
                variant.name, f"{variant.lesson} red", tree, [variant.lesson], judge, ("-x",)
            )
        else:
            so_far = numbers[:stage]
            check = Check(variant.name, f"{span(so_far)} green", tree, so_far, all_pass(so_far))
        checks.append(check)
    return checks, trees[-1]


def prepare(root: Path, repo: Path, check: Check, workspace: Path) -> runner.Run:
    """A copy of the kata with the check's solution/, and the pytest run to make in it."""
    folder = workspace / check.label.replace("/", "-").replace(" ", "-").replace("(", "").replace(
        ")", ""
    )
    copies.lessons_copy(root, folder)
    stages.checkout(repo, check.tree, folder)
    arguments = [
        *PYTEST_OPTIONS,
        *check.options,
        "--junitxml",
        str(folder / "report.xml"),
        "-o",
        "junit_family=xunit1",
        *(f"lessons/{number}" for number in check.lessons),
    ]
    # Bytecode caching stays on: pytest rewrites the asserts of every plugin it loads (hypothesis
    # is large) and would redo that in every run without its cache.
    environment = {**os.environ}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    # Share hypothesis's cache (its Unicode tables take a second to build) between the runs.
    environment.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(root / ".hypothesis"))
    return runner.Run(arguments, folder, environment, TIMEOUT)


def judge(check: Check, run: runner.Run) -> None:
    """What the run showed, and whether it is what the check expects."""
    check.seconds = run.seconds
    report = run.folder / "report.xml"
    if run.code is None:
        check.problems.append(f"pytest did not finish within {TIMEOUT} s")
        return
    if run.code not in (0, 1) or not report.is_file():
        tail = "\n".join(run.output.strip().splitlines()[-15:])
        check.problems.append(f"pytest exited with code {run.code}:\n{tail}")
        return
    outcomes = read_report(report)
    check.summary = summarize(outcomes, check.lessons)
    check.problems.extend(check.judge(outcomes))


def run(root: Path = catalog.ROOT, jobs: int | None = None) -> int:
    """The `verify` command: run every check, print a table, exit 1 on any breach."""
    started = time.perf_counter()
    repo = root
    try:
        checks, last_tree = plan_checks(root, repo)
    except stages.StageError as error:
        print(f"verify: {error}")
        return 1
    jobs = jobs or os.cpu_count() or 2
    print(f"Verifying {len(checks)} runs of the lessons, {jobs} at a time...")
    with TemporaryDirectory(prefix="kata-verify-") as workspace:
        # The longest runs (the most lessons) go first so that the last ones finish together.
        ordered = sorted(
            (c for c in checks if not c.problems), key=lambda check: -len(check.lessons)
        )
        runs = [prepare(root, repo, check, Path(workspace)) for check in ordered]
        runner.run_all(runs, jobs)
        for check, run in zip(ordered, runs, strict=True):
            judge(check, run)

    same = stages.tree_of(repo, catalog.files(root / "solution")) == last_tree
    width = max(len(check.label) for check in checks)
    for check in checks:
        status = "FAIL" if check.problems else "ok"
        timing = f"{check.seconds:4.1f}s"
        print(
            f"  {status:<4} {timing}  {check.label:<{width}}  expect {check.expected:<20} got {check.summary}"
        )
        for problem in check.problems:
            print(f"          {problem}")
    print(
        f"  {'ok' if same else 'FAIL':<4}        solution/ equals the last stage (skeleton + every reference.patch)"
    )
    failures = sum(bool(check.problems) for check in checks) + (not same)
    elapsed = time.perf_counter() - started
    if failures:
        print(f"verify: {failures} check(s) failed ({elapsed:.1f} s).")
        return 1
    print(f"verify: all {len(checks) + 1} checks passed in {elapsed:.1f} s.")
    return 0
