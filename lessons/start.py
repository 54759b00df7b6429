"""`python -m lessons start N`: put the learner on a branch of their own at the start of lesson N."""

from __future__ import annotations

from pathlib import Path

from . import catalog, tags
from .git import (
    GitError,
    changed_files,
    current_branch,
    git,
    operation_in_progress,
    ref_exists,
)
from .stages import StageError


def branch_name(number: str) -> str:
    """The learner's branch for a lesson."""
    return f"kata/lesson-{number}"


def lesson_number(text: str) -> str:
    """The folder name a lesson number stands for: 03 for 3, 03 or 003; else text as it is."""
    # Not int(): it refuses digits such as "²" that str.isdigit() allows, and very long numbers.
    if text.isascii() and text.isdigit():
        return text.lstrip("0").rjust(2, "0")
    return text


def stranded_commit(root: Path) -> str | None:
    """The detached HEAD, if it holds commits of the learner's that no branch or tag keeps."""
    if current_branch(root) is not None:
        return None
    unkept = ("HEAD", "--not", "--branches", "--tags", "--remotes")
    authors = git(root, "log", "--format=%an <%ae>", *unkept).splitlines()
    # The tool's own commits can be rebuilt at any time: only the learner's need keeping.
    if all(author == tags.IDENTITY for author in authors):
        return None
    return git(root, "rev-parse", "HEAD")


def keep(root: Path, commit: str) -> str:
    """Put a branch on commit, so that switching away loses nothing; return its name."""
    name = f"kata/saved-{commit[:7]}"
    if ref_exists(root, f"refs/heads/{name}"):
        name = f"kata/saved-{commit}"
    git(root, "branch", name, commit)
    return name


def update_tags(root: Path, tag: str) -> None:
    """Build the lesson tags, or bring them up to date; keep tags that cannot be rebuilt."""
    try:
        source, results = tags.ensure_tags(root)
    except tags.TagsInTheWay:
        raise
    except (GitError, StageError) as error:
        if not tags.made_here(root, tag):
            raise
        print(f"Kept the lesson tags as they are; they could not be rebuilt: {error}")
        return
    note = source.note()
    if note:
        print(note)
    outcomes = {outcome for _, outcome in results}
    if outcomes == {"created"}:
        print("Built the lesson tags (first run in this clone).")
    elif outcomes != {"unchanged"}:
        print("The lessons changed since the tags were built: rebuilt them.")


def run(lesson: str, root: Path = catalog.ROOT) -> int:
    """Switch to a new branch at tag lesson-NN, building the tags first if they are missing."""
    number = lesson_number(lesson)
    known = [item.number for item in catalog.lessons(root)]
    if number not in known:
        print(f"There is no lesson {lesson}. The lessons are {', '.join(known)}.")
        return 2
    refusal = operation_in_progress(root) or uncommitted(root)
    if refusal:
        print(refusal)
        return 1

    tag, branch = f"lesson-{number}", branch_name(number)
    stranded, previous = stranded_commit(root), current_branch(root)
    try:
        update_tags(root, tag)
    except tags.TagsInTheWay as error:
        print(error)
        return 1
    if ref_exists(root, f"refs/heads/{branch}"):
        print(already_started(root, number))
        return 1
    saved = keep(root, stranded) if stranded else None
    try:
        git(root, "switch", "--no-guess", "-c", branch, tag)
    except GitError as error:
        print(f"Could not switch to lesson {number}: {error}")
        return 1
    print(welcome(number, known, previous, saved))
    return 0


def uncommitted(root: Path) -> str | None:
    """What to tell the learner if they have work that switching branches could disturb."""
    # New files in solution/ count too: they would follow you to the new branch, or clash there.
    changed = changed_files(root) + changed_files(root, "solution", untracked=True)
    if not changed:
        return None
    return "\n".join(
        [
            "You have work that is not committed yet, so nothing was switched:",
            *(f"  {path}" for path in sorted(set(changed))[:10]),
            "Keep it first, then run this again:",
            '  git add -A && git commit -m "My work so far"',
            "or put it aside with: git stash --include-untracked",
        ]
    )


def already_started(root: Path, number: str) -> str:
    """What to tell the learner who has a branch for this lesson already."""
    branch = branch_name(number)
    again, attempt = f"{branch}-again", 2
    while ref_exists(root, f"refs/heads/{again}"):
        again, attempt = f"{branch}-again-{attempt}", attempt + 1
    return (
        f"You already have a branch {branch}, so it was left as it is. Carry on with it:\n"
        f"  git switch {branch}\n"
        f"or start lesson {number} over, on a new branch, from the reference code:\n"
        f"  git switch -c {again} lesson-{number}"
    )


def welcome(number: str, known: list[str], previous: str | None, saved: str | None) -> str:
    """What to tell the learner on the new branch: where it starts, where their work is."""
    solved = known[: known.index(number)]
    if not solved:
        start = "the kata's skeleton, with no lesson solved yet"
    else:
        done = f"lesson {solved[0]}" if len(solved) == 1 else f"lessons {solved[0]}-{solved[-1]}"
        start = f"the kata's reference code with {done} solved, not from your own code"
    lines = [
        f"You are on a new branch, {branch_name(number)}, at the start of lesson {number}.",
        f"It starts from {start}.",
    ]
    if saved:
        lines += [
            f"Your commits from the detached HEAD are kept on a new branch, {saved}. "
            "To go back to them:",
            f"  git switch {saved}",
        ]
    elif previous:
        lines += [
            f"Your branch {previous} stays as it is. To go back to it:",
            f"  git switch {previous}",
        ]
    lesson_folder = f"lessons/{number}"
    lines += [
        "Next:",
        f"  1. Read {lesson_folder}/README.md",
        f"  2. Run  pytest {lesson_folder}",
        "  3. Edit solution/ until the tests pass. Commit as you go.",
    ]
    return "\n".join(lines)
