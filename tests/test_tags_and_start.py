"""The lesson tags are reproducible, and `start` never loses a learner's work."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from lessons import catalog
from tests.support import git, lessons_tool

NUMBERS = [lesson.number for lesson in catalog.lessons()]
TAGS = [f"lesson-{number}" for number in NUMBERS] + ["complete"]


def tag_ids(repo: Path) -> dict[str, str]:
    return {tag: git(repo, "rev-parse", f"refs/tags/{tag}") for tag in TAGS}


def test_two_clones_build_identical_tags_and_a_rerun_changes_nothing(clone):
    first, second = clone("first"), clone("second")
    lessons_tool(first, "tags")
    lessons_tool(second, "tags")
    assert tag_ids(first) == tag_ids(second)
    rerun = lessons_tool(first, "tags").stdout
    assert rerun.count("unchanged") == len(TAGS), rerun
    assert tag_ids(first) == tag_ids(second)


def test_tags_form_one_linear_history_ending_at_mains_tree(clone):
    repo = clone()
    lessons_tool(repo, "tags")
    history = git(repo, "rev-list", "--reverse", "complete").splitlines()
    assert [git(repo, "rev-parse", tag) for tag in TAGS] == history
    assert git(repo, "rev-parse", "complete^{tree}") == git(repo, "rev-parse", "main^{tree}")
    for tag in TAGS:
        # Only solution/ differs from main at any stage.
        changed = git(repo, "diff", "--name-only", tag, "main").splitlines()
        assert all(path.startswith("solution/") for path in changed), (tag, changed)
    skeleton = git(
        repo, "ls-tree", "-r", "--name-only", "lesson-01", "--", "solution/"
    ).splitlines()
    assert skeleton == ["solution/__init__.py"]


def test_each_step_between_tags_is_that_lessons_reference_patch(clone):
    repo = clone()
    lessons_tool(repo, "tags")
    for number, before, after in zip(NUMBERS, TAGS[:-1], TAGS[1:], strict=True):
        step = git(repo, "diff", "--full-index", before, after, "--", "solution/")
        patch = (repo / "lessons" / number / "reference.patch").read_text(encoding="utf-8")
        assert step + "\n" == patch, number


def test_start_builds_the_tags_in_a_fresh_clone_and_makes_a_branch(clone):
    repo = clone()
    result = lessons_tool(repo, "start", "3")
    assert "kata/lesson-03" in result.stdout and "pytest lessons/03" in result.stdout
    assert git(repo, "branch", "--show-current") == "kata/lesson-03"
    assert git(repo, "rev-parse", "HEAD") == git(repo, "rev-parse", "lesson-03")


def test_start_refuses_to_touch_uncommitted_work(clone):
    repo = clone()
    work = repo / "solution" / "__init__.py"
    work.write_text(work.read_text(encoding="utf-8") + "\n# my unsaved idea\n", encoding="utf-8")
    result = lessons_tool(repo, "start", "2", check=False)
    assert result.returncode == 1
    assert "git stash" in result.stdout and "git commit" in result.stdout
    assert git(repo, "branch", "--show-current") == "main"
    assert work.read_text(encoding="utf-8").endswith("# my unsaved idea\n")


def test_start_keeps_an_existing_lesson_branch_as_it_is(clone):
    repo = clone()
    lessons_tool(repo, "start", "1")
    (repo / "solution" / "notes.py").write_text('"""My notes."""\n', encoding="utf-8")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "My lesson 01 work")
    mine = git(repo, "rev-parse", "HEAD")
    git(repo, "switch", "--quiet", "main")
    result = lessons_tool(repo, "start", "01", check=False)
    assert result.returncode == 1 and "git switch kata/lesson-01" in result.stdout
    assert git(repo, "rev-parse", "kata/lesson-01") == mine


@pytest.mark.parametrize("lesson", ["99", "three", "\u00b2", "9" * 5000])
def test_start_rejects_an_unknown_lesson(clone, lesson):
    result = lessons_tool(clone(), "start", lesson, check=False)
    assert result.returncode == 2, result.stderr
    assert f"There is no lesson {lesson}. The lessons are 01, " in result.stdout


def test_an_output_that_cannot_show_the_lesson_given_still_gets_the_answer(clone, monkeypatch):
    monkeypatch.setenv("PYTHONIOENCODING", "ascii")  # as a Windows pipe in a legacy code page
    result = lessons_tool(clone(), "start", "\u0663", check=False)  # ARABIC-INDIC DIGIT THREE
    assert result.returncode == 2, result.stderr
    assert "There is no lesson \\u0663." in result.stdout


def test_rewrite_from_the_staged_history_reproduces_the_patches(clone):
    repo = clone()
    lessons_tool(repo, "tags")
    git(repo, "switch", "--quiet", "-c", "edit", "complete")
    git(repo, "switch", "--quiet", "main")
    lessons_tool(repo, "rewrite", "edit")
    assert git(repo, "status", "--porcelain") == ""


def test_rewrite_takes_an_edited_stage_back_into_the_patches(clone):
    repo = clone()
    lessons_tool(repo, "tags")
    # A maintainer edits lesson 06's reference step and replays the later ones on top.
    git(repo, "switch", "--quiet", "-c", "edit", "lesson-07")
    logs = repo / "solution" / "logs.py"
    text = logs.read_text(encoding="utf-8").replace(
        "Log times like the API's", "Log times as the API does"
    )
    logs.write_text(text, encoding="utf-8")
    git(repo, "commit", "--quiet", "--all", "--amend", "--no-edit")
    git(repo, "cherry-pick", "lesson-07..complete")
    git(repo, "switch", "--quiet", "main")
    lessons_tool(repo, "rewrite", "edit")
    changed = sorted(line.split()[-1] for line in git(repo, "status", "--porcelain").splitlines())
    # No later step touches logs.py, so only lesson 06's patch and the file itself change.
    assert changed == ["lessons/06/reference.patch", "solution/logs.py"]
    assert "Log times as the API does" in logs.read_text(encoding="utf-8")


def test_rewrite_refuses_to_overwrite_uncommitted_changes(clone):
    repo = clone()
    lessons_tool(repo, "tags")
    git(repo, "branch", "edit", "complete")
    patch = repo / "lessons" / "01" / "reference.patch"
    patch.write_text(patch.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    result = lessons_tool(repo, "rewrite", "edit", check=False)
    assert result.returncode == 1 and "lessons/01/reference.patch" in result.stdout


def test_tags_can_be_built_from_a_learner_branch(clone):
    repo = clone()
    lessons_tool(repo, "start", "1")
    work = repo / "solution" / "__init__.py"
    work.write_text('"""Work in progress."""\n', encoding="utf-8")
    git(repo, "commit", "--quiet", "--all", "-m", "My lesson 01 work")
    result = lessons_tool(repo, "tags")
    assert result.stdout.count("unchanged") == len(TAGS), result.stdout
    assert git(repo, "rev-parse", "complete^{tree}") == git(repo, "rev-parse", "main^{tree}")


def test_start_refuses_to_carry_new_files_in_solution_along(clone):
    repo = clone()
    (repo / "solution" / "notes.py").write_text('"""Not committed yet."""\n', encoding="utf-8")
    result = lessons_tool(repo, "start", "2", check=False)
    assert result.returncode == 1 and "solution/notes.py" in result.stdout
    assert "git stash --include-untracked" in result.stdout
    assert git(repo, "branch", "--show-current") == "main"


def test_start_rebuilds_tags_that_main_has_moved_past(clone):
    repo = clone()
    lessons_tool(repo, "tags")
    readme = repo / "README.md"
    readme.write_text(
        readme.read_text(encoding="utf-8") + "\nA maintainer's update.\n", encoding="utf-8"
    )
    git(repo, "commit", "--quiet", "--all", "-m", "Update the README")
    result = lessons_tool(repo, "start", "2")
    assert "rebuilt them" in result.stdout
    assert git(repo, "rev-parse", "complete^{tree}") == git(repo, "rev-parse", "main^{tree}")


def suggested_commands(output: str) -> list[list[str]]:
    """The git commands a message tells the learner to run, one per indented line."""
    return [shlex.split(line) for line in output.splitlines() if line.startswith("  git ")]


def test_start_refuses_to_move_a_learners_own_lesson_tag(clone):
    repo = clone()
    git(repo, "commit", "--quiet", "--allow-empty", "-m", "Where I got to")
    git(repo, "tag", "lesson-03")
    mine = git(repo, "rev-parse", "lesson-03")
    result = lessons_tool(repo, "start", "3", check=False)
    assert result.returncode == 1, result.stdout
    assert "lesson-03" in result.stdout and "nothing was changed" in result.stdout
    assert git(repo, "rev-parse", "lesson-03") == mine
    assert git(repo, "tag", "--list") == "lesson-03"
    assert git(repo, "branch", "--show-current") == "main"
    # The advice works: rename the tag, and start goes ahead.
    for command in suggested_commands(result.stdout):
        git(repo, *command[1:])
    assert git(repo, "rev-parse", "my-lesson-03") == mine
    lessons_tool(repo, "start", "3")
    assert git(repo, "rev-parse", "HEAD") != mine


def test_tags_refuses_to_move_an_annotated_complete_tag(clone):
    repo = clone()
    lessons_tool(repo, "tags")
    before = tag_ids(repo)
    git(repo, "tag", "--delete", "complete")
    git(repo, "tag", "--annotate", "-m", "My finished kata", "complete", "lesson-07")
    annotated = git(repo, "rev-parse", "refs/tags/complete")
    result = lessons_tool(repo, "tags", check=False)
    assert result.returncode == 1 and "complete" in result.stdout, result.stdout
    assert git(repo, "rev-parse", "refs/tags/complete") == annotated
    assert {tag: ref for tag, ref in tag_ids(repo).items() if tag != "complete"} == {
        tag: ref for tag, ref in before.items() if tag != "complete"
    }


def test_start_keeps_commits_made_on_a_detached_head_on_a_branch(clone):
    repo = clone()
    lessons_tool(repo, "tags")
    git(repo, "switch", "--quiet", "--detach", "lesson-02")
    (repo / "solution" / "notes.py").write_text('"""My notes."""\n', encoding="utf-8")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "Lesson 02 work, on no branch")
    mine = git(repo, "rev-parse", "HEAD")
    result = lessons_tool(repo, "start", "3")
    saved = f"kata/saved-{mine[:7]}"
    assert git(repo, "rev-parse", f"refs/heads/{saved}") == mine
    assert saved in result.stdout and f"git switch {saved}" in result.stdout
    assert git(repo, "branch", "--show-current") == "kata/lesson-03"


def test_start_from_a_detached_head_without_commits_of_its_own_saves_nothing(clone):
    repo = clone()
    lessons_tool(repo, "tags")
    old_stage = git(repo, "rev-parse", "lesson-02")
    readme = repo / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nAn update.\n", encoding="utf-8")
    git(repo, "commit", "--quiet", "--all", "-m", "Update the README")
    lessons_tool(repo, "tags")
    # The tool's own commit, left behind by the rebuilt tags, is no work of the learner's.
    git(repo, "switch", "--quiet", "--detach", old_stage)
    result = lessons_tool(repo, "start", "3")
    assert "saved" not in result.stdout
    assert git(repo, "branch", "--list", "kata/saved-*") == ""
    assert git(repo, "branch", "--show-current") == "kata/lesson-03"


def test_start_works_after_committing_to_main_as_the_tool_advised(clone):
    reference = clone("reference")
    lessons_tool(reference, "tags")
    repo = clone()
    work = repo / "solution" / "__init__.py"
    work.write_text(work.read_text(encoding="utf-8") + "\n# my first idea\n", encoding="utf-8")
    refused = lessons_tool(repo, "start", "3", check=False)
    assert 'git add -A && git commit -m "My work so far"' in refused.stdout
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "My work so far")
    mine = git(repo, "rev-parse", "main")
    result = lessons_tool(repo, "start", "3")
    assert git(repo, "branch", "--show-current") == "kata/lesson-03"
    assert tag_ids(repo) == tag_ids(reference)
    assert git(repo, "rev-parse", "main") == mine
    assert "That commit stays on main" in result.stdout, result.stdout
    rerun = lessons_tool(repo, "tags").stdout
    assert rerun.count("unchanged") == len(TAGS), rerun


def test_tags_still_refuse_a_main_whose_lessons_no_longer_end_at_its_solution(clone):
    repo = clone()
    patch = repo / "lessons" / "07" / "reference.patch"
    lines = patch.read_text(encoding="utf-8").splitlines(keepends=True)
    added = next(i for i, line in enumerate(lines) if line.startswith("+# "))
    lines[added] = lines[added].rstrip("\n") + " (edited)\n"
    patch.write_text("".join(lines), encoding="utf-8")
    git(repo, "commit", "--quiet", "--all", "-m", "Edit lesson 07's step, but not solution/")
    result = lessons_tool(repo, "tags", check=False)
    assert result.returncode == 1 and "python -m lessons verify" in result.stderr, result
    assert git(repo, "tag", "--list") == ""


def test_start_says_where_the_branch_starts_and_where_earlier_work_stays(clone):
    repo = clone()
    first = lessons_tool(repo, "start", "1").stdout
    assert "no lesson solved yet" in first, first
    assert "main stays as it is" in first and "git switch main" in first, first
    git(repo, "commit", "--quiet", "--allow-empty", "-m", "My lesson 01 work")
    result = lessons_tool(repo, "start", "3").stdout
    assert "reference code" in result and "lessons 01-02 solved" in result, result
    assert "kata/lesson-01 stays as it is" in result, result
    assert "git switch kata/lesson-01" in result, result


def test_rewrite_refuses_while_files_git_does_not_track_would_be_deleted(clone):
    repo = clone()
    lessons_tool(repo, "tags")
    git(repo, "branch", "edit", "complete")
    secrets = repo / "solution" / ".env"  # ignored by .gitignore
    secrets.write_text("FLASK_SECRET_KEY=mine\n", encoding="utf-8")
    notes = repo / "lessons" / "skeleton" / "notes.txt"
    notes.write_text("My notes.\n", encoding="utf-8")
    cache = repo / "solution" / "__pycache__"
    cache.mkdir()
    (cache / "app.cpython-312.pyc").write_bytes(b"bytecode")
    result = lessons_tool(repo, "rewrite", "edit", check=False)
    assert result.returncode == 1, result.stdout
    assert "solution/.env" in result.stdout and "lessons/skeleton/notes.txt" in result.stdout
    assert "__pycache__" not in result.stdout  # bytecode caches are disposable
    assert secrets.read_text(encoding="utf-8") == "FLASK_SECRET_KEY=mine\n"
    assert notes.is_file()
    secrets.unlink()
    notes.unlink()
    lessons_tool(repo, "rewrite", "edit")
    assert git(repo, "status", "--porcelain") == ""


def test_rewrite_deletes_the_files_a_stage_no_longer_has_and_their_caches(clone):
    repo = clone()
    lessons_tool(repo, "tags")
    git(repo, "switch", "--quiet", "-c", "edit", "complete")
    git(repo, "rm", "--quiet", "solution/wsgi.py")
    git(repo, "commit", "--quiet", "--amend", "--no-edit")
    git(repo, "switch", "--quiet", "main")
    cache = repo / "solution" / "__pycache__"
    cache.mkdir()
    (cache / "wsgi.cpython-312.pyc").write_bytes(b"bytecode")
    lessons_tool(repo, "rewrite", "edit")
    assert not (repo / "solution" / "wsgi.py").exists() and not cache.exists()
    changed = sorted(line.split()[-1] for line in git(repo, "status", "--porcelain").splitlines())
    assert changed == [f"lessons/{NUMBERS[-1]}/reference.patch", "solution/wsgi.py"]


def test_rewrite_refuses_a_learners_branch(clone):
    repo = clone()
    lessons_tool(repo, "start", "7")
    work = repo / "solution" / "__init__.py"
    work.write_text(work.read_text(encoding="utf-8") + "\n# my lesson 07 work\n", encoding="utf-8")
    git(repo, "commit", "--quiet", "--all", "-m", "My lesson 07 work")
    git(repo, "switch", "--quiet", "main")
    result = lessons_tool(repo, "rewrite", "kata/lesson-07", check=False)
    assert result.returncode == 1, result.stdout
    assert "git switch -c edit complete" in result.stdout, result.stdout
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""


def test_rewrite_refuses_a_branch_whose_commits_are_not_the_stages(clone):
    repo = clone()
    lessons_tool(repo, "tags")
    # The last stage's commit replaced by one of the learner's own.
    git(repo, "switch", "--quiet", "-c", "mine", "complete~1")
    (repo / "solution" / "serve.py").write_text('"""My way to serve it."""\n', encoding="utf-8")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "My own commit, not a stage")
    git(repo, "switch", "--quiet", "main")
    result = lessons_tool(repo, "rewrite", "mine", check=False)
    assert result.returncode == 1, result.stdout
    assert (
        "My own commit, not a stage" in result.stdout and f"lesson {NUMBERS[-1]}" in result.stdout
    )
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""


def test_rewrite_takes_a_new_lesson_added_on_top_of_complete(clone):
    repo = clone()
    lessons_tool(repo, "tags")
    git(repo, "switch", "--quiet", "-c", "edit", "complete")
    (repo / "solution" / "extra.py").write_text('"""A new lesson\'s step."""\n', encoding="utf-8")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "Reference step for a new lesson")
    git(repo, "switch", "--quiet", "main")
    result = lessons_tool(repo, "rewrite", "edit")
    following = f"{int(NUMBERS[-1]) + 1:02d}"
    assert f"new lesson {following}" in result.stdout, result.stdout
    assert "solution/extra.py" in (repo / "lessons" / following / "reference.patch").read_text(
        "utf-8"
    )


@pytest.mark.parametrize("operation", ["merge", "rebase", "cherry-pick"])
def test_start_waits_for_a_merge_or_rebase_to_be_finished(clone, operation):
    repo = clone()
    lessons_tool(repo, "start", "1")
    work = repo / "solution" / "__init__.py"
    work.write_text('"""My own start."""\n\nVERSION = 1\n', encoding="utf-8")
    git(repo, "commit", "--quiet", "--all", "-m", "My lesson 01 work")
    # lesson-02 holds lesson 01's reference step, which changes the same lines.
    conflicted = git(repo, operation, "lesson-02", check=False)
    assert "CONFLICT" in conflicted, conflicted
    result = lessons_tool(repo, "start", "3", check=False)
    assert result.returncode == 1, result.stdout
    assert f"git {operation} --abort" in result.stdout
    assert f"git {operation} --continue" in result.stdout
    assert "git add -A && git commit" not in result.stdout
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") in ("kata/lesson-01", "HEAD")
    assert "<<<<<<<" in work.read_text(encoding="utf-8")
    git(repo, operation, "--abort")
    assert work.read_text(encoding="utf-8") == '"""My own start."""\n\nVERSION = 1\n'


def test_rewrite_waits_for_a_rebase_to_be_finished(clone):
    repo = clone()
    lessons_tool(repo, "tags")
    git(repo, "switch", "--quiet", "-c", "edit", "complete")
    # A maintainer's rebase of the stages, stopped half way (here by a failing --exec).
    git(repo, "rebase", "--quiet", "--exec", "false", "lesson-06", check=False)
    assert (repo / ".git" / "rebase-merge").is_dir()
    result = lessons_tool(repo, "rewrite", "edit", check=False)
    assert result.returncode == 1 and "git rebase --abort" in result.stdout, result.stdout
    assert git(repo, "status", "--porcelain") == ""


def test_start_suggests_commands_that_work_when_the_lesson_branch_exists(clone):
    repo = clone()
    lessons_tool(repo, "start", "2")
    git(repo, "switch", "--quiet", "main")
    # As in a new clone of a fork: a pushed branch comes along, the lesson tags do not.
    git(repo, "tag", "--delete", *TAGS)
    made = []
    for _ in range(2):
        result = lessons_tool(repo, "start", "2", check=False)
        assert result.returncode == 1, result.stdout
        commands = suggested_commands(result.stdout)
        assert ["git", "switch", "kata/lesson-02"] in commands, result.stdout
        again = next(command for command in commands if "-c" in command)
        git(repo, *again[1:])
        made.append(git(repo, "branch", "--show-current"))
        git(repo, "switch", "--quiet", "main")
    assert len(set(made)) == 2
    assert {git(repo, "rev-parse", name) for name in made} == {git(repo, "rev-parse", "lesson-02")}
