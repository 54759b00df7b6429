"""python -m lessons [status | start N | watch [N] | tags | verify | rewrite BRANCH | grade PATH...]"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys

from . import catalog, grade, rewrite, start, tags, verify, watch
from .git import GitError
from .stages import StageError


def status() -> int:
    """Run every lesson's tests quietly; the progress table is printed at the end."""
    command = [sys.executable, "-m", "pytest", "lessons", "-q", "--tb=no", "--no-header", "-rN"]
    return subprocess.run(command, cwd=catalog.ROOT, check=False).returncode


def parser() -> argparse.ArgumentParser:
    """The command line: one subcommand per job."""
    main = argparse.ArgumentParser(
        prog="python -m lessons", description="Work through the Flask kata, one lesson at a time."
    )
    commands = main.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("status", help="show your progress through the lessons (the default)")
    begin = commands.add_parser("start", help="start lesson N on a branch of your own")
    begin.add_argument("lesson", help="the lesson number, such as 3 or 03")
    look = commands.add_parser(
        "watch", help="run a lesson's tests again whenever you save a file in solution/"
    )
    look.add_argument(
        "lesson", nargs="?", help="the lesson number (default: your branch's lesson, or all)"
    )
    commands.add_parser(
        "tags", help="build the lesson-NN and complete tags from main (start does this for you)"
    )
    check = commands.add_parser(
        "verify", help="prove every lesson is red before and green after (maintainers)"
    )
    check.add_argument(
        "--jobs", type=int, default=None, help="pytest runs at a time (default: one per core)"
    )
    take = commands.add_parser(
        "rewrite",
        help="rewrite reference.patch files and solution/ from an edited staged branch (maintainers)",
    )
    take.add_argument("branch", help="a branch made from the tag `complete`, with stages edited")
    mark = commands.add_parser(
        "grade",
        help="run the kata's lessons on learners' checkouts and print a table (instructors)",
    )
    mark.add_argument("paths", nargs="+", help="learners' checkouts, or folders of them")
    mark.add_argument(
        "--jobs", type=int, default=None, help="learners at a time (default: one per core)"
    )
    mark.add_argument(
        "--reports", default="grades", help="folder for the JUnit XML files (default: grades)"
    )
    mark.add_argument(
        "--timeout",
        type=float,
        default=grade.TIMEOUT,
        help=f"seconds per learner (default: {grade.TIMEOUT})",
    )
    return main


def main(argv: list[str] | None = None) -> int:
    """Run the command given on the command line."""
    for stream in (sys.stdout, sys.stderr):
        # A console or pipe that cannot show a character gets an escape, not a traceback.
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    arguments = parser().parse_args(argv)
    too_old = catalog.python_too_old()
    if too_old and arguments.command not in ("start", "tags", "rewrite"):
        # These run the tests: on an older Python every run would fail for the same reason.
        print(f"python -m lessons: {too_old}", file=sys.stderr)
        return 2
    try:
        if arguments.command == "start":
            return start.run(arguments.lesson)
        if arguments.command == "tags":
            return tags.run()
        if arguments.command == "verify":
            return verify.run(jobs=arguments.jobs)
        if arguments.command == "rewrite":
            return rewrite.run(arguments.branch)
        if arguments.command == "watch":
            return watch.run(arguments.lesson)
        if arguments.command == "grade":
            return grade.run(
                arguments.paths,
                jobs=arguments.jobs,
                reports=arguments.reports,
                timeout=arguments.timeout,
            )
        return status()
    except (GitError, StageError) as error:
        print(f"python -m lessons: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
