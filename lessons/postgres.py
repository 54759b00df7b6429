"""A throwaway PostgreSQL server for the kata's own tests: python -m lessons.postgres COMMAND...

Starts a server from the PostgreSQL binaries installed on the machine, in a temporary folder,
listening on a Unix socket only (no TCP port to collide with), with fsync off; runs COMMAND
with TEST_DATABASE_URL naming it; stops the server and removes the folder, whatever happens.
As root it runs the server as the `postgres` user: initdb refuses to run as root.
Standard library only.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

URL_VARIABLE = "TEST_DATABASE_URL"
USER = "kata"  # the database superuser initdb makes
DATABASE = "postgres"  # the tests make a database of their own from this one
SEARCHED = (
    "/usr/lib/postgresql/*/bin",
    "/usr/local/pgsql/bin",
    "/opt/homebrew/bin",
    "/usr/local/bin",
)


class PostgresMissing(RuntimeError):
    """There is no PostgreSQL on this machine to start."""


def binaries() -> Path:
    """The folder holding initdb and pg_ctl: on PATH, or where Debian and others put them."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    for pattern in SEARCHED:
        for folder in sorted(Path("/").glob(pattern.lstrip("/")), reverse=True):
            if (folder / "pg_ctl").is_file() and (folder / "initdb").is_file():
                return folder
    raise PostgresMissing(
        "PostgreSQL's server programs (initdb, pg_ctl) are not installed; "
        "on Debian and Ubuntu: apt install postgresql"
    )


def as_server_user(command: list[str]) -> list[str]:
    """The command run as the `postgres` user when we are root, as is."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextmanager
def server() -> Iterator[str]:
    """A running PostgreSQL server for the duration; yields its SQLAlchemy URL."""
    bin_folder = binaries()
    folder = Path(tempfile.mkdtemp(prefix="kata-postgres-"))
    data, socket_folder, log = folder / "data", folder / "socket", folder / "server.log"
    socket_folder.mkdir()
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    if root:
        shutil.chown(folder, "postgres")
        shutil.chown(socket_folder, "postgres")
    started = False
    try:
        run(
            as_server_user(
                [
                    str(bin_folder / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    USER,
                    "-A",
                    "trust",
                    "--no-sync",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ]
            )
        )
        options = (
            f"-k {socket_folder} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        run(
            as_server_user(
                [
                    str(bin_folder / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(log),
                    "-w",
                    "-t",
                    "30",
                    "-o",
                    options,
                    "start",
                ]
            )
        )
        started = True
        yield f"postgresql+psycopg://{USER}@/{DATABASE}?host={socket_folder}"
    finally:
        if started:
            stop = [
                str(bin_folder / "pg_ctl"),
                "-D",
                str(data),
                "-m",
                "immediate",
                "-w",
                "-t",
                "30",
                "stop",
            ]
            subprocess.run(as_server_user(stop), capture_output=True, timeout=60, check=False)
        shutil.rmtree(folder, ignore_errors=True)


def run(command: list[str]) -> None:
    """Run a setup command; raise with its output if it fails."""
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")


def main(argv: list[str]) -> int:
    """Run argv with TEST_DATABASE_URL naming a throwaway server (or the one already named)."""
    if not argv:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    if os.environ.get(URL_VARIABLE):  # a server is given: use it as it is
        return subprocess.run(argv, check=False).returncode
    try:
        with server() as url:
            print(f"PostgreSQL for the tests: {url}", file=sys.stderr, flush=True)
            process = subprocess.Popen(argv, env={**os.environ, URL_VARIABLE: url})
            try:
                return process.wait()
            except KeyboardInterrupt:
                process.send_signal(signal.SIGINT)
                return process.wait()
    except PostgresMissing as error:
        print(f"python -m lessons.postgres: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
