"""`python -m lessons tags`: one commit per stage, tagged lesson-NN and complete.

The commits are reproducible: fixed author, dates and messages, so the same content gives
the same commit ids on every machine and every run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from . import catalog, stages
from .git import GitError, git, ref_exists

AUTHOR = {
    "GIT_AUTHOR_NAME": "Flask TDD Kata",
    "GIT_AUTHOR_EMAIL": "kata@flask-tdd-kata.invalid",
    "GIT_COMMITTER_NAME": "Flask TDD Kata",
    "GIT_COMMITTER_EMAIL": "kata@flask-tdd-kata.invalid",
}
IDENTITY = f"{AUTHOR['GIT_AUTHOR_NAME']} <{AUTHOR['GIT_AUTHOR_EMAIL']}>"
EPOCH = 1767225600  # 2026-01-01T00:00:00Z; stage N is dated N minutes later.
COMPLETE = "complete"
MESSAGE = re.compile(r"(Start of lesson \d+|Reference step for lesson \d+): .+|Skeleton")


class TagsInTheWay(GitError):
    """Tags of the learner's own hold names the tool needs; nothing was changed."""


@dataclass(frozen=True)
class Tag:
    """A tag the tool makes, and the commit it should point at."""

    name: str
    commit: str
    title: str


def source_ref(repo: Path) -> str:
    """The branch the tags are built from: main, or origin/main in a clone without it."""
    for ref in ("main", "origin/main"):
        if ref_exists(repo, ref):
            return ref
    raise GitError("there is no branch main (or origin/main) to build the lesson tags from.")


def plan_tags(repo: Path, ref: str) -> list[Tag]:
    """Build the staged history from ref and return the tags for it, without writing refs."""
    plan = stages.plan_from_commit(repo, ref)
    trees = stages.build(repo, plan)
    main_tree = git(repo, "rev-parse", f"{ref}^{{tree}}")
    titles = _titles(repo, ref, plan.numbers)
    tags, parent = [], None
    for stage, solution_tree in enumerate(trees):
        tree = stages.with_solution(repo, main_tree, solution_tree)
        parent = _commit(repo, tree, parent, stage, plan.numbers, titles)
        if stage < len(plan.numbers):
            number = plan.numbers[stage]
            tags.append(Tag(f"lesson-{number}", parent, titles[number]))
        else:
            tags.append(Tag(COMPLETE, parent, "every lesson solved"))
    if git(repo, "rev-parse", f"{parent}^{{tree}}") != main_tree:
        raise GitError(
            f"solution/ on {ref} is not the last stage (the skeleton with every reference.patch "
            "applied). Run `python -m lessons verify` to see where they differ."
        )
    return tags


def write_tags(repo: Path, tags: list[Tag]) -> list[tuple[Tag, str]]:
    """Point each tag at its commit; return each tag with what happened to it."""
    existing = _existing_tags(repo)
    theirs = [tag.name for tag in tags if tag.name in existing and not made_here(repo, tag.name)]
    if theirs:
        raise TagsInTheWay(_in_the_way(theirs))
    results = []
    for tag in tags:
        old = existing.get(tag.name, "")
        if old == tag.commit:
            results.append((tag, "unchanged"))
            continue
        git(repo, "update-ref", f"refs/tags/{tag.name}", tag.commit)
        results.append((tag, "moved" if old else "created"))
    return results


def made_here(repo: Path, name: str) -> bool:
    """Whether tag name is one this tool wrote: lightweight, on a commit of its own making."""
    ref = f"refs/tags/{name}"
    try:
        if git(repo, "cat-file", "-t", ref) != "commit":
            return False  # an annotated tag, or a tag on a tree or blob: someone else's
        details = git(repo, "log", "-1", "--format=%an <%ae>%x00%cn <%ce>%x00%B", ref)
    except GitError:
        return False
    author, committer, message = details.split("\0", 2)
    return author == committer == IDENTITY and MESSAGE.fullmatch(message.strip()) is not None


def ensure_tags(repo: Path) -> tuple[str, list[tuple[Tag, str]]]:
    """Build the tags from the source branch and write them; return the branch and the tags."""
    ref = source_ref(repo)
    return ref, write_tags(repo, plan_tags(repo, ref))


def run(root: Path = catalog.ROOT) -> int:
    """The `tags` command: rebuild the tags and print them."""
    try:
        ref, results = ensure_tags(root)
    except TagsInTheWay as error:
        print(error)
        return 1
    print(f"Lesson tags built from {ref}:")
    for tag, outcome in results:
        print(f"  {tag.name:<10} {tag.commit[:12]}  {outcome:<9} {tag.title}")
    return 0


def _existing_tags(repo: Path) -> dict[str, str]:
    listing = git(repo, "for-each-ref", "--format=%(refname:strip=2) %(objectname)", "refs/tags/")
    return dict(line.split(" ", 1) for line in listing.splitlines())


def _in_the_way(names: list[str]) -> str:
    mine = ", ".join(names)
    lines = [
        f"Your own tags hold names the lesson tags need, so nothing was changed: {mine}.",
        "python -m lessons did not make them, and it never moves a tag of yours.",
        "Rename each of them (the new name points where the old one did), then run this again:",
    ]
    for name in names:
        lines += [f"  git tag my-{name} {name}", f"  git tag -d {name}"]
    return "\n".join(lines)


def _titles(repo: Path, ref: str, numbers: list[str]) -> dict[str, str]:
    titles = {}
    for number in numbers:
        try:
            first_line = git(repo, "show", f"{ref}:lessons/{number}/README.md").splitlines()[0]
        except (GitError, IndexError):
            first_line = ""
        match = catalog.TITLE.match(first_line)
        titles[number] = match["title"].strip() if match else f"Lesson {number}"
    return titles


def _commit(
    repo: Path,
    tree: str,
    parent: str | None,
    stage: int,
    numbers: list[str],
    titles: dict[str, str],
) -> str:
    if stage == 0:
        message = f"Start of lesson {numbers[0]}: {titles[numbers[0]]}" if numbers else "Skeleton"
    else:
        done = numbers[stage - 1]
        message = f"Reference step for lesson {done}: {titles[done]}"
    date = f"@{EPOCH + 60 * stage} +0000"
    env = {**AUTHOR, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    parents = ["-p", parent] if parent else []
    return git(repo, "commit-tree", "--no-gpg-sign", tree, *parents, "-m", message, env=env)
