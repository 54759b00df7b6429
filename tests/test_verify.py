"""`python -m lessons verify` passes on the kata, and its judges catch each kind of breach."""

from __future__ import annotations

import re
import sys
from collections import Counter

import pytest

from lessons import catalog, judges, stages, verify
from tests.support import ROOT, run


def test_verify_passes_on_the_kata():
    result = run(sys.executable, "-m", "lessons", "verify", cwd=ROOT, check=False, timeout=1200)
    assert result.returncode == 0, result.stdout + result.stderr
    checks = len(catalog.lessons()) + 1 + len(catalog.variants()) + 1
    assert f"verify: all {checks} checks passed" in result.stdout, result.stdout
    assert not re.search(r"^\s+FAIL", result.stdout, re.M)


def test_a_lesson_that_passes_before_its_step_is_a_breach():
    judge = judges.red("03", every_test=True)
    assert judge({"03": Counter(failed=14, passed=1)}) == [
        "every test of lesson 03 should fail: 1 passed, 14 failed"
    ]
    assert judge({"03": Counter(failed=15)}) == []


def test_errors_and_skips_are_not_failures():
    judge = judges.red("04", every_test=True)
    assert judge({"04": Counter(failed=6, error=1)})
    assert judges.red("04", every_test=False)({"04": Counter(skipped=7)})
    assert judges.all_pass(["07"])({"07": Counter(passed=4, skipped=2)})


def test_a_lesson_with_no_tests_is_neither_green_nor_red():
    assert judges.all_pass(["01"])({}) == ["lesson 01 should pass: no tests ran"]
    assert judges.red("02", every_test=False)({}) == ["lesson 02 should fail: no tests ran"]


def test_a_mistake_needs_only_one_failing_test():
    assert judges.red("05", every_test=False)({"05": Counter(passed=10, failed=1)}) == []


def test_the_summary_folds_green_lessons_together():
    outcomes = {"01": Counter(passed=4), "02": Counter(passed=7), "03": Counter(failed=15)}
    assert judges.summarize(outcomes, ["01", "02", "03"]) == "01-02: 11 passed; 03: 15 failed"


def test_the_plan_has_one_run_per_stage_and_per_variant():
    checks, last = verify.plan_checks(ROOT, ROOT)
    numbers = [lesson.number for lesson in catalog.lessons()]
    labels = [check.label for check in checks]
    assert labels[: len(numbers) + 1] == [
        *(f"stage {stage} (lesson-{number})" for stage, number in enumerate(numbers)),
        f"stage {len(numbers)} (complete)",
    ]
    assert labels[len(numbers) + 1 :] == [variant.name for variant in catalog.variants()]
    assert last == stages.build(ROOT, stages.plan_from_worktree(ROOT))[-1]


def test_junit_reports_are_counted_per_lesson(tmp_path):
    report = tmp_path / "report.xml"
    report.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase file="lessons/01/test_hello.py" name="a"/>'
        '<testcase file="lessons/01/test_hello.py" name="b"><failure message="x">'
        "  Expected: y</failure></testcase>"
        '<testcase file="lessons/02/test_json.py" name="c"><error message="y"/></testcase>'
        '<testcase file="lessons/07/test_serving.py" name="d"><skipped message="z"/></testcase>'
        '<testcase file="tests/test_other.py" name="e"/>'
        "</testsuite></testsuites>",
        encoding="utf-8",
    )
    assert judges.read_report(report) == {
        "01": Counter(passed=1, failed=1),
        "02": Counter(error=1),
        "07": Counter(skipped=1),
    }


def test_a_failure_without_a_learner_facing_message_is_a_breach(tmp_path):
    report = tmp_path / "report.xml"
    report.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase file="lessons/06/test_request_log.py" name="a"><failure message="AttributeError: '
        "'list' object has no attribute 'strip'\">Traceback ...</failure></testcase>"
        "</testsuite></testsuites>",
        encoding="utf-8",
    )
    outcomes = judges.read_report(report)
    assert outcomes["06"]["unexplained"] == 1
    assert judges.red("06", every_test=False)(outcomes) == [
        "1 failure(s) of lesson 06 without a learner-facing message (Expected: ...)"
    ]


def test_a_test_marked_holds_early_must_pass_before_its_lesson(tmp_path):
    report = tmp_path / "report.xml"
    early = '<properties><property name="holds_early" value="guards Part I"/></properties>'
    report.write_text(
        '<testsuites><testsuite name="pytest">'
        f'<testcase file="lessons/08/test_blueprints.py" name="a">{early}</testcase>'
        '<testcase file="lessons/08/test_blueprints.py" name="b"><failure message="x">'
        "  Expected: y</failure></testcase>"
        "</testsuite></testsuites>",
        encoding="utf-8",
    )
    outcomes = judges.read_report(report)
    assert judges.red("08", every_test=True)(outcomes) == []
    outcomes["08"]["early failed"] = 1
    assert judges.red("08", every_test=True)(outcomes) == [
        "1 test(s) of lesson 08 marked holds_early did not pass"
    ]


def test_a_patch_that_does_not_apply_names_its_lesson():
    broken = b"diff --git a/solution/nope.py b/solution/nope.py\n--- a/solution/nope.py\n"
    broken += b"+++ b/solution/nope.py\n@@ -1 +1 @@\n-old\n+new\n"
    plan = stages.Plan({"__init__.py": b'"""Skeleton."""\n'}, [("01", broken)])
    with pytest.raises(stages.StageError, match="lessons/01/reference.patch does not apply"):
        stages.build(ROOT, plan)
