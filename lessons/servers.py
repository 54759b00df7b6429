"""Real servers for the tests: gunicorn started as the README starts it, on 127.0.0.1, always stopped."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

STARTUP_SECONDS = 20
LISTENING = re.compile(r"Listening at: http://(\S+):(\d+)")
BOOTING = r"Booting worker with pid: (\d+)"


def production(env: Mapping[str, str]) -> dict[str, str]:
    """The environment of a production start: APP_ENV=production and a real secret key."""
    return {**env, "APP_ENV": "production", "FLASK_SECRET_KEY": secrets.token_hex(32)}


class Server:
    """A server process started by a test, and what it has printed so far."""

    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process, self.log = process, log
        self.host, self.port = "127.0.0.1", 0  # port 0: not listening (yet)

    def output(self) -> str:
        """Everything the server has printed, stdout and stderr together."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def tail(self, lines: int = 12) -> str:
        """The last lines the server printed, or its exit code when it printed nothing."""
        text = "\n".join(self.output().strip().splitlines()[-lines:])
        return text or f"no output; exit code {self.process.poll()}"

    def wait_for(
        self, pattern: str, count: int = 1, seconds: float = STARTUP_SECONDS
    ) -> list[re.Match[str]]:
        """The matches of pattern once there are count of them, the process ends, or time is up."""
        deadline = time.monotonic() + seconds
        while True:
            matches = list(re.finditer(pattern, self.output()))
            if (
                len(matches) >= count
                or time.monotonic() > deadline
                or self.process.poll() is not None
            ):
                return list(re.finditer(pattern, self.output()))
            time.sleep(0.01)

    def url(self, path: str) -> str:
        """The full URL of path on this server."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{path}"

    def get(
        self, path: str, headers: Mapping[str, str] | None = None, timeout: float = 10
    ) -> tuple[int, dict[str, str], bytes]:
        """GET path; return the status, the headers and the body, error statuses included."""
        request = urllib.request.Request(self.url(path), headers=dict(headers or {}))
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def stop(self) -> int | None:
        """SIGTERM, as platforms stop servers; kill it if it will not stop. Return the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait(timeout=15)


def start(command: list[str], env: Mapping[str, str], folder: Path, name: str = "server") -> Server:
    """Start command in folder, its output going to a log file there."""
    log = folder / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=folder, env=dict(env), stdout=output, stderr=subprocess.STDOUT
        )
    return Server(process, log)


def gunicorn_command(root: Path, app: str = "solution.wsgi:app", *options: str) -> list[str]:
    """The README's production command, with no control socket left behind."""
    config = root / "solution" / "gunicorn.conf.py"
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(config),
        "--no-control-socket",
        *options,
        app,
    ]


@contextmanager
def gunicorn(
    root: Path,
    env: Mapping[str, str],
    folder: Path,
    app: str = "solution.wsgi:app",
    *options: str,
    **settings: str,
) -> Iterator[Server]:
    """gunicorn on 127.0.0.1 and a port the kernel picks (PORT=0); server.port stays 0 if it never listens."""
    environment = {"HOST": "127.0.0.1", "PORT": "0", **env, **settings}
    # Wrapper apps a test writes into folder are importable, next to the kata.
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(folder), env.get("PYTHONPATH", "")])
    )
    server = start(gunicorn_command(root, app, *options), environment, folder, "gunicorn")
    try:
        listening = server.wait_for(LISTENING.pattern)
        if listening:
            server.host, server.port = listening[-1][1].strip("[]"), int(listening[-1][2])
        yield server
    finally:
        server.stop()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
