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
# The messages of the commits the tool makes (see stage_subject), and only those.
MESSAGE = re.compile(r"(Start of lesson \d+|Reference step for lesson \d+): .+|Skeleton")


class TagsInTheWay(GitError):
    """Tags of the learner's own hold names the tool needs; nothing was changed."""


class NotLastStage(GitError):
    """solution/ on a commit is not the last stage that its lesson files build."""

    def __init__(self, ref: str, last_stage: str) -> None:
        super().__init__(
            f"solution/ on {ref} is not the last stage (the skeleton with every reference.patch "
            "applied). Run `python -m lessons verify` to see where they differ."
        )
        self.last_stage = last_stage


@dataclass(frozen=True)
class Source:
    """Where the tags come from: a branch, and the commit on it whose lessons they hold."""

    ref: str
    commit: str
    since: int = 0  # commits on ref after commit, when solution/ on ref has moved on

    def note(self) -> str | None:
        """What to tell the learner when the tags do not come from the tip of the branch."""
        if not self.since:
            return None
        ref, base = self.ref, self.commit[:7]
        commits = "1 commit" if self.since == 1 else f"{self.since} commits"
        if self.since == 1:
            kept = f"That commit stays on {ref} as it is."
        else:
            kept = f"Those commits stay on {ref} as they are."
        return (
            f"solution/ on {ref} is not the reference app: {ref} has {commits} since {base}, "
            f"the last commit where it was.\n{kept} "
            f"The lesson tags hold the reference code from {base}."
        )


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
        raise NotLastStage(ref, trees[-1])
    return tags


def stage_subject(stage: int, numbers: list[str]) -> str:
    """How the message of the tool's commit for a stage begins; the lesson's title follows."""
    if not numbers:
        return "Skeleton"
    if stage == 0:
        return f"Start of lesson {numbers[0]}: "
    return f"Reference step for lesson {numbers[stage - 1]}: "


def plan(repo: Path) -> tuple[Source, list[Tag]]:
    """The tags to build: from the source branch, or from before a learner's commits on it."""
    ref = source_ref(repo)
    try:
        return Source(ref, git(repo, "rev-parse", f"{ref}^{{commit}}")), plan_tags(repo, ref)
    except NotLastStage as error:
        # A learner who committed solution/ on main must still be able to start a lesson.
        for base in _reference_commits(repo, ref, error.last_stage):
            try:
                tags = plan_tags(repo, base)
            except (NotLastStage, stages.StageError):
                continue
            since = int(git(repo, "rev-list", "--count", f"{base}..{ref}"))
            return Source(ref, base, since), tags
        raise GitError(
            f"{error}\nIf you committed changes to lessons/ yourself, list them with "
            f"`git log --oneline {ref} -- lessons` and undo each with `git revert COMMIT` "
            "(COMMIT is the id the list shows), then run this again."
        ) from None


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


def ensure_tags(repo: Path) -> tuple[Source, list[tuple[Tag, str]]]:
    """Build the tags and write them; return where they came from and what happened to each."""
    source, tags = plan(repo)
    return source, write_tags(repo, tags)


def run(root: Path = catalog.ROOT) -> int:
    """The `tags` command: rebuild the tags and print them."""
    try:
        source, results = ensure_tags(root)
    except TagsInTheWay as error:
        print(error)
        return 1
    note = source.note()
    if note:
        print(note)
    where = f"{source.ref} at {source.commit[:7]}" if note else source.ref
    print(f"Lesson tags built from {where}:")
    for tag, outcome in results:
        print(f"  {tag.name:<10} {tag.commit[:12]}  {outcome:<9} {tag.title}")
    return 0


def _reference_commits(repo: Path, ref: str, last_stage: str) -> list[str]:
    """The commits before ref whose solution/ is last_stage, newest first."""
    commits = git(repo, "rev-list", ref).splitlines()[1:]
    asked = "".join(f"{commit}:solution\n" for commit in commits).encode()
    held = git(repo, "cat-file", "--batch-check=%(objectname)", input=asked).splitlines()
    return [commit for commit, tree in zip(commits, held, strict=True) if tree == last_stage]


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
    message = stage_subject(stage, numbers)
    if numbers:
        message += titles[numbers[stage - 1] if stage else numbers[0]]
    date = f"@{EPOCH + 60 * stage} +0000"
    env = {**AUTHOR, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    parents = ["-p", parent] if parent else []
    return git(repo, "commit-tree", "--no-gpg-sign", tree, *parents, "-m", message, env=env)
