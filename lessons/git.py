"""Run git as a subprocess, the same way on every machine."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

# Settings that would otherwise make results depend on the user's git config.
NEUTRAL_CONFIG = (
    "-c",
    "core.autocrlf=false",
    "-c",
    "core.safecrlf=false",
    "-c",
    "apply.whitespace=nowarn",
    "-c",
    "commit.gpgSign=false",
    "-c",
    "i18n.commitEncoding=UTF-8",
    "-c",
    "diff.noprefix=false",
    "-c",
    "diff.mnemonicPrefix=false",
)


class GitError(RuntimeError):
    """A git command failed; the message says which and why."""


def git(
    repo: Path,
    *args: str,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
) -> str:
    """Run `git args` in repo and return its output, stripped; raise GitError on failure."""
    return git_bytes(repo, *args, input=input, env=env).decode("utf-8", "replace").strip()


def git_bytes(
    repo: Path,
    *args: str,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
) -> bytes:
    """Run `git args` in repo and return its raw output; raise GitError on failure."""
    try:
        result = subprocess.run(
            ["git", *NEUTRAL_CONFIG, *args],
            cwd=repo,
            input=input,
            capture_output=True,
            env={**os.environ, "LC_ALL": "C", **(env or {})},
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH: install git first.") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise GitError(f"git {' '.join(args)} failed: {message}")
    return result.stdout


def ref_exists(repo: Path, ref: str) -> bool:
    """Tell whether ref names a commit in repo."""
    try:
        git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except GitError:
        return False
    return True


def changed_files(repo: Path, *paths: str, untracked: bool = False) -> list[str]:
    """List files under paths whose changes are not committed; new files too if untracked."""
    new_files = "--untracked-files=all" if untracked else "--untracked-files=no"
    output = git_bytes(repo, "status", "--porcelain", "-z", new_files, "--", *paths)
    entries = output.decode("utf-8", "replace").split("\0")
    # Each entry is "XY path"; a rename is followed by an entry holding the old path.
    return [entry[3:] for entry in entries if len(entry) > 3 and entry[2] == " "]


def untracked_files(repo: Path, *paths: str) -> list[str]:
    """List files under paths that git does not track, ignored ones included."""
    # Without --exclude-standard, ls-files --others lists ignored files too, such as .env.
    output = git_bytes(repo, "ls-files", "--others", "-z", "--", *paths)
    return [name for name in output.decode("utf-8", "replace").split("\0") if name]


def current_branch(repo: Path) -> str | None:
    """The branch checked out in repo, or None on a detached HEAD."""
    try:
        return git(repo, "symbolic-ref", "--quiet", "--short", "HEAD")
    except GitError:
        return None


# What git leaves in its folder while an operation waits for you, and the command it belongs to.
OPERATIONS = (
    ("rebase-merge", "rebase"),
    ("rebase-apply", "rebase"),
    ("MERGE_HEAD", "merge"),
    ("CHERRY_PICK_HEAD", "cherry-pick"),
    ("REVERT_HEAD", "revert"),
)


def operation_in_progress(repo: Path) -> str | None:
    """What to tell the user if a merge, rebase, cherry-pick or revert waits to be finished."""
    asked = [word for name, _ in OPERATIONS for word in ("--git-path", name)]
    places = git(repo, "rev-parse", *asked).splitlines()
    for (_, command), place in zip(OPERATIONS, places, strict=True):
        if (repo / place).exists():
            return (
                f"git is in the middle of a {command}, so nothing was changed.\n"
                "Finish it: fix each file `git status` lists as conflicted, `git add` it, then\n"
                f"  git {command} --continue\n"
                f"or give it up and go back to where you were before the {command}:\n"
                f"  git {command} --abort\n"
                "Then run this again."
            )
    return None


@contextmanager
def scratch_index(repo: Path) -> Iterator[dict[str, str]]:
    """Yield the environment for git commands that work in a throwaway index."""
    with TemporaryDirectory(prefix="kata-index-") as folder:
        yield {"GIT_INDEX_FILE": str(Path(folder) / "index")}
