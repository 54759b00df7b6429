"""`python -m lessons rewrite BRANCH`: take the reference steps back from an edited staged history.

A maintainer builds the tags, branches from `complete`, edits stages with an interactive
rebase (or adds a commit for a new lesson), then runs this command. Commit i of the
branch's first-parent history, counting from its root, is stage i: the skeleton is read
from the root commit, lessons/NN/reference.patch from the diff of solution/ between
stage NN-1 and stage NN, and solution/ from the tip.

The branch must start with the stage commits `tags` made, edited or not (a rebase keeps
their author and message); commits after the last stage are new lessons. rewrite deletes
only files that git tracks, and bytecode caches.
"""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath

from . import catalog, stages, tags
from .git import (
    GitError,
    changed_files,
    git,
    git_bytes,
    operation_in_progress,
    ref_exists,
    untracked_files,
)

WRITTEN = ("solution", "lessons/skeleton", "lessons/*/reference.patch", "tests/variants")
EXCLUDED = (":!solution", ":!lessons/skeleton", ":!lessons/*/reference.patch", ":!tests/variants")
DIFF_OPTIONS = (
    "diff",
    "--no-color",
    "--no-ext-diff",
    "--no-renames",
    "--full-index",
    "--src-prefix=a/",
    "--dst-prefix=b/",
)
MAINTAINER_FLOW = """\
rewrite is for maintainers: it takes the reference steps back from an edited copy of the
history that `python -m lessons tags` builds. To change a reference step:
  python -m lessons tags
  git switch -c edit complete
  git rebase -i lesson-01
  python -m lessons rewrite edit
To add a lesson, add one commit on top of complete instead of the rebase. Working through
the lessons, you never need rewrite: commit your work on your own branch."""


def stage_commits(repo: Path, branch: str) -> list[str]:
    """The branch's first-parent history from its root: commit i is stage i."""
    return git(repo, "rev-list", "--first-parent", "--reverse", branch).splitlines()


def not_staged(repo: Path, branch: str, known: list[str]) -> str | None:
    """Why branch is not an edited copy of the lesson tags' history, or None if it is one."""
    if git(repo, "rev-parse", "--symbolic-full-name", branch).startswith("refs/heads/kata/"):
        return f"{branch} is a learner's branch: `python -m lessons start` makes those."
    log = ("log", "--first-parent", "--reverse", "--format=%h%x00%an <%ae>%x00%s", branch)
    history = [line.split("\0") for line in git(repo, *log).splitlines()]
    if len(history) - 1 < len(known):
        return (
            f"{branch} has {len(history)} commits from its root, but the kata has {len(known)} "
            f"lessons and so needs {len(known) + 1}, one per stage."
        )
    for stage, (commit, author, subject) in enumerate(history[: len(known) + 1]):
        # Rebasing and amending keep a commit's author and message: an edited stage has both.
        if author != tags.IDENTITY or not subject.startswith(tags.stage_subject(stage, known)):
            what = f"lesson {known[stage - 1]}'s reference step" if stage else "the skeleton"
            return (
                f"{branch} is not made of the stages: commit {stage} from its root, "
                f'{commit} "{subject}" by {author}, should be {what}, a commit by '
                f'{tags.IDENTITY} whose message starts "{tags.stage_subject(stage, known)}", '
                "as `python -m lessons tags` made it (its files edited or not)."
            )
    return None


def reference_patch(repo: Path, before: str, after: str) -> bytes:
    """The change to solution/ from one stage to the next, in the form reference.patch keeps."""
    return git_bytes(repo, *DIFF_OPTIONS, before, after, "--", "solution/")


def untracked(repo: Path) -> list[str]:
    """Files that rewrite would delete or overwrite and git could not give back."""
    return [name for name in untracked_files(repo, *WRITTEN) if not _disposable(name)]


def clear(repo: Path, destination: str) -> None:
    """Delete what rewrite may delete: the files git tracks under destination, and caches."""
    listing = git_bytes(repo, "ls-files", "-z", "--", destination).decode("utf-8", "replace")
    for name in filter(None, listing.split("\0")):
        (repo / name).unlink(missing_ok=True)
    folder = repo / destination
    for cache in list(folder.rglob("__pycache__")):
        shutil.rmtree(cache)
    for stray in list(folder.rglob("*.pyc")):
        stray.unlink()
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def write_tree(repo: Path, commit: str, source: str, destination: str) -> None:
    """Make the folder destination hold source/ as commit holds it."""
    clear(repo, destination)
    for path in git(repo, "ls-tree", "-r", "--name-only", commit, "--", f"{source}/").splitlines():
        target = repo / destination / path.removeprefix(f"{source}/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(git_bytes(repo, "cat-file", "blob", f"{commit}:{path}"))


def run(branch: str, root: Path = catalog.ROOT) -> int:
    """The `rewrite` command."""
    repo = root
    if not ref_exists(repo, branch):
        print(f"There is no branch or commit {branch!r}.")
        return 2
    waiting = operation_in_progress(repo)
    if waiting:
        print(waiting)
        return 1
    known = [lesson.number for lesson in catalog.lessons(root)]
    problem = not_staged(repo, branch, known)
    if problem:
        print(f"{problem}\nSo rewrite left everything as it is.\n{MAINTAINER_FLOW}")
        return 1
    dirty = changed_files(repo, *WRITTEN)
    if dirty:
        print(
            "These files have uncommitted changes and would be overwritten; commit or stash them:"
        )
        print("\n".join(f"  {path}" for path in dirty))
        return 1
    unknown = untracked(repo)
    if unknown:
        print(
            "git does not track these files, and rewrite would delete or overwrite them, "
            "so nothing was changed:"
        )
        print("\n".join(f"  {path}" for path in unknown))
        print(
            "Move them out of solution/, lessons/ and tests/variants/ (or commit them), "
            "then run this again."
        )
        return 1
    commits = stage_commits(repo, branch)

    write_tree(repo, commits[0], "solution", "lessons/skeleton")
    for stage in range(1, len(commits)):
        number = f"{stage:02d}"
        folder = root / "lessons" / number
        folder.mkdir(exist_ok=True)
        patch = reference_patch(repo, commits[stage - 1], commits[stage])
        (folder / "reference.patch").write_bytes(patch)
        if number not in known:
            print(f"  new lesson {number}: wrote its reference.patch; add its README.md and tests.")
    write_tree(repo, commits[-1], "solution", "solution")

    refreshed, stuck = refresh_variants(root)
    for name in refreshed:
        print(f"  variant {name}: rebased onto the new stage.")
    for name in stuck:
        print(f"  variant {name}: no longer applies; redo it by hand over the new stage.")
    others = _other_differences(repo, commits[-1])
    print(
        f"Rewrote lessons/skeleton/, {len(commits) - 1} reference.patch files and solution/ from {branch}."
    )
    if others:
        print("The tip of the branch also differs here (not copied; take what you meant to keep):")
        print("\n".join(f"  {path}    git checkout {branch} -- {path}" for path in others))
    print("Next: python -m lessons verify, then commit, then python -m lessons tags.")
    return 0


def refresh_variants(root: Path) -> tuple[list[str], list[str]]:
    """Rebase each variant patch onto its new stage; return those rebased and those stuck."""
    plan = stages.plan_from_worktree(root)
    trees = stages.build(root, plan)
    refreshed, stuck = [], []
    for variant in catalog.variants(root):
        if variant.lesson not in plan.numbers:
            continue
        base = trees[plan.numbers.index(variant.lesson) + 1]
        text = variant.path.read_bytes()
        try:
            stages.apply(root, base, text, variant.name)
            continue
        except stages.StageError:
            pass
        try:
            tree = stages.apply(root, base, text, variant.name, three_way=True)
        except stages.StageError:
            stuck.append(variant.name)
            continue
        prose = text[: text.find(b"diff --git")]
        variant.path.write_bytes(prose + stages.diff(root, base, tree))
        refreshed.append(variant.name)
    return refreshed, stuck


def _disposable(name: str) -> bool:
    # Python writes bytecode caches again whenever it needs them: deleting them loses nothing,
    # and a stale one left in a folder whose sources are gone could still be imported.
    return "__pycache__" in PurePosixPath(name).parts or name.endswith(".pyc")


def _other_differences(repo: Path, commit: str) -> list[str]:
    try:
        names = git(repo, "diff", "--name-only", commit, "--", ".", *EXCLUDED)
    except GitError:
        return []
    return names.splitlines()
