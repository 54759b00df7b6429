"""Build solution/ at every stage: the skeleton, then each lesson's reference.patch in turn.

Stages are built as git trees in a throwaway index, so they come out the same on every
machine and never touch the work tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import catalog
from .git import GitError, git, git_bytes, scratch_index

PREFIX = "solution/"


class StageError(RuntimeError):
    """A stage cannot be built, for example because a patch does not apply."""


@dataclass(frozen=True)
class Plan:
    """What the stages are made of: the skeleton's files and the patches, in lesson order."""

    skeleton: dict[str, bytes]
    patches: list[tuple[str, bytes]]

    @property
    def numbers(self) -> list[str]:
        """The lesson numbers, in order."""
        return [number for number, _ in self.patches]


def plan_from_worktree(root: Path) -> Plan:
    """The plan as the files in the work tree hold it, uncommitted changes included."""
    patches = [(lesson.number, lesson.patch.read_bytes()) for lesson in catalog.lessons(root)]
    return Plan(catalog.skeleton(root), patches)


def plan_from_commit(repo: Path, ref: str) -> Plan:
    """The plan as commit ref holds it."""
    skeleton = {}
    listing = git(repo, "ls-tree", "-r", "--name-only", ref, "--", "lessons/skeleton/")
    for path in listing.splitlines():
        if "__pycache__/" not in path:
            relative = path.removeprefix("lessons/skeleton/")
            skeleton[relative] = git_bytes(repo, "cat-file", "blob", f"{ref}:{path}")
    patches = []
    for entry in git(repo, "ls-tree", "--name-only", ref, "--", "lessons/").splitlines():
        number = entry.removeprefix("lessons/")
        if catalog.LESSON_FOLDER.fullmatch(number):
            patch = git_bytes(repo, "cat-file", "blob", f"{ref}:{entry}/reference.patch")
            patches.append((number, patch))
    return Plan(skeleton, patches)


def build(repo: Path, plan: Plan) -> list[str]:
    """Return the tree id of solution/ at stage 0 (the skeleton) and after each patch."""
    if not plan.skeleton:
        raise StageError("lessons/skeleton/ is empty: stage 0 needs at least one file.")
    trees = [tree_of(repo, plan.skeleton)]
    with scratch_index(repo) as env:
        git(repo, "read-tree", f"--prefix={PREFIX}", trees[0], env=env)
        for number, patch in plan.patches:
            _apply(repo, patch, f"lessons/{number}/reference.patch", env)
            trees.append(git(repo, "write-tree", f"--prefix={PREFIX}", env=env))
    return trees


def tree_of(repo: Path, files: dict[str, bytes]) -> str:
    """The tree id of solution/ holding these files (by path inside solution/)."""
    with scratch_index(repo) as env:
        for path, data in files.items():
            blob = git(repo, "hash-object", "-w", "--stdin", input=data)
            entry = f"100644,{blob},{PREFIX}{path}"
            git(repo, "update-index", "--add", "--cacheinfo", entry, env=env)
        return git(repo, "write-tree", f"--prefix={PREFIX}", env=env)


def apply(repo: Path, tree: str, patch: bytes, label: str, three_way: bool = False) -> str:
    """Return the tree id of solution/ after applying patch over the solution/ tree given.

    With three_way, a patch made against an older version of the files is merged in, using
    the blobs its index lines name, as long as the changes do not overlap.
    """
    with scratch_index(repo) as env:
        git(repo, "read-tree", f"--prefix={PREFIX}", tree, env=env)
        _apply(repo, patch, label, env, ("--3way",) if three_way else ())
        return git(repo, "write-tree", f"--prefix={PREFIX}", env=env)


def diff(repo: Path, before: str, after: str) -> bytes:
    """The change between two solution/ trees, in the form the kata's patches keep."""
    prefixes = (f"--src-prefix=a/{PREFIX}", f"--dst-prefix=b/{PREFIX}")
    return git_bytes(
        repo, "diff-tree", "-p", "--full-index", "--no-renames", *prefixes, before, after
    )


def checkout(repo: Path, tree: str, destination: Path) -> None:
    """Write the solution/ tree given into destination/solution/."""
    with scratch_index(repo) as env:
        git(repo, "read-tree", f"--prefix={PREFIX}", tree, env=env)
        git(repo, "checkout-index", "--all", f"--prefix={destination.as_posix()}/", env=env)


def with_solution(repo: Path, commit_tree: str, solution_tree: str) -> str:
    """Return the tree id of commit_tree with its solution/ replaced by solution_tree."""
    with scratch_index(repo) as env:
        git(repo, "read-tree", commit_tree, env=env)
        # -f: the throwaway index owes the work tree nothing, whatever branch is checked out.
        git(repo, "rm", "-r", "--cached", "-f", "--quiet", "--ignore-unmatch", "solution", env=env)
        git(repo, "read-tree", f"--prefix={PREFIX}", solution_tree, env=env)
        return git(repo, "write-tree", env=env)


def _apply(
    repo: Path, patch: bytes, label: str, env: dict[str, str], options: tuple[str, ...] = ()
) -> None:
    try:
        git(repo, "apply", "--cached", "--whitespace=nowarn", *options, "-", input=patch, env=env)
    except GitError as error:
        raise StageError(f"{label} does not apply: {error}") from None
