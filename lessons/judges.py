"""What a run of the lessons showed, read from its JUnit report, and the judges of verify's checks.

A failure is "explained" when its message speaks to the learner: the `Expected:` of
lessons/feedback.py, or the one hint of an app that could not be built (`Try:`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from . import catalog

KINDS = ("passed", "failed", "error", "skipped")
EARLY = "holds_early"  # the mark of a test that passes before its lesson too (lessons/plugin.py)
EXPLAINED = ("Expected:", "  Try:")

# lesson number -> counts of each kind, plus "early" (marked tests), "early failed" (marked
# tests that did not pass) and "unexplained" (failures without a learner-facing message)
Outcomes = dict[str, Counter[str]]
Judge = Callable[[Outcomes], list[str]]


def read_report(report: Path) -> Outcomes:
    """Count the outcomes in a JUnit XML report, per lesson."""
    outcomes: Outcomes = {}
    for case in ElementTree.parse(report).iter("testcase"):
        number = catalog.lesson_of(case.get("file", ""))
        if number is None:
            continue
        counts = outcomes.setdefault(number, Counter())
        children = {child.tag: child for child in case}
        if "failure" in children:
            kind = "failed"
            failure = children["failure"]
            text = f"{failure.get('message', '')}\n{failure.text or ''}"
            counts["unexplained"] += not any(mark in text for mark in EXPLAINED)
        elif "error" in children:
            kind = "error"
        elif "skipped" in children:
            kind = "skipped"
        else:
            kind = "passed"
        counts[kind] += 1
        names = {prop.get("name") for prop in case.iter("property")}
        if EARLY in names:
            counts["early"] += 1
            counts["early failed"] += kind != "passed"
    return outcomes


def tests(counts: Counter[str]) -> int:
    """How many tests the counts are of."""
    return sum(counts[kind] for kind in KINDS)


def describe(counts: Counter[str]) -> str:
    """Counts as text, such as '4 passed, 1 failed'."""
    if not tests(counts):
        return "no tests ran"
    return ", ".join(f"{counts[kind]} {kind}" for kind in KINDS if counts[kind])


def all_pass(numbers: list[str]) -> Judge:
    """Every test of these lessons passes."""

    def judge(outcomes: Outcomes) -> list[str]:
        problems = []
        for number in numbers:
            counts = outcomes.get(number, Counter())
            if counts["passed"] == 0 or counts["passed"] != tests(counts):
                problems.append(f"lesson {number} should pass: {describe(counts)}")
        return problems

    return judge


def red(number: str, every_test: bool) -> Judge:
    """Lesson number fails, each failure with a learner-facing message: every test, or at least one.

    With every_test, the tests marked holds_early are the exception: they must pass.
    """

    def judge(outcomes: Outcomes) -> list[str]:
        counts = outcomes.get(number, Counter())
        if counts["failed"] == 0:
            return [f"lesson {number} should fail: {describe(counts)}"]
        problems = []
        if every_test and counts["failed"] != tests(counts) - counts["early"]:
            problems.append(f"every test of lesson {number} should fail: {describe(counts)}")
        if every_test and counts["early failed"]:
            problems.append(
                f"{counts['early failed']} test(s) of lesson {number} marked {EARLY} did not pass"
            )
        if counts["unexplained"]:
            problems.append(
                f"{counts['unexplained']} failure(s) of lesson {number} without a learner-facing "
                "message (Expected: ...)"
            )
        return problems

    return judge


def both(*judges: Judge) -> Judge:
    """All of the judges' problems."""
    return lambda outcomes: [problem for judge in judges for problem in judge(outcomes)]


def span(numbers: list[str]) -> str:
    """Lesson numbers as a range, such as 01-06."""
    return numbers[0] if len(numbers) == 1 else f"{numbers[0]}-{numbers[-1]}"


def summarize(outcomes: Outcomes, numbers: list[str]) -> str:
    """What a run showed, lessons that fully passed folded together: '01-06: 68 passed; 07: 6 failed'."""
    green: list[str] = []
    for number in numbers:
        if all_pass([number])(outcomes):
            break
        green.append(number)
    parts = [f"{span(green)}: {sum(outcomes[n]['passed'] for n in green)} passed"] if green else []
    parts += [f"{n}: {describe(outcomes.get(n, Counter()))}" for n in numbers if n not in green]
    return "; ".join(parts)
