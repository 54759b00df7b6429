"""Lesson 07: gunicorn serves the app from solution/gunicorn.conf.py and shuts down gracefully."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from lessons.feedback import explain

README = "lessons/07/README.md"
STARTUP_SECONDS = 20
LISTENING = re.compile(r"Listening at: \S+")

pytestmark = pytest.mark.skipif(
    sys.platform == "win32",
    reason="gunicorn runs on Linux and macOS; on Windows, run lesson 07 in WSL",
)

# A WSGI wrapper around your app that adds one slow URL, so a test can keep a request in
# flight while it stops the server. Everything else goes straight to your app.
SLOW_APP = """
import time
from pathlib import Path

from solution.wsgi import app as your_app

HERE = Path(__file__).parent


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/kata/slow":
        (HERE / "started").touch()
        deadline = time.monotonic() + 10
        while not (HERE / "release").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        environ["PATH_INFO"] = "/hello"
    return your_app(environ, start_response)
"""


class Server:
    """A gunicorn process started by a test, and what it has logged so far."""

    def __init__(self, process: subprocess.Popen, log: Path) -> None:
        self.process, self.log, self.port = process, log, 0

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(
        self, pattern: str, count: int = 1, seconds: float = STARTUP_SECONDS
    ) -> re.Match | None:
        """Wait until the log holds pattern count times (or the process ends); return the last match."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            matches = list(re.finditer(pattern, self.output()))
            if len(matches) >= count:
                return matches[-1]
            if self.process.poll() is not None:
                return None
            time.sleep(0.02)
        return None

    def get(self, path: str, timeout: float = 10):
        with urllib.request.urlopen(
            f"http://127.0.0.1:{self.port}{path}", timeout=timeout
        ) as response:
            return response.status, dict(response.headers), response.read()


@contextmanager
def gunicorn(kata_root: Path, env: dict[str, str], folder: Path, app: str = "solution.wsgi:app"):
    """Start gunicorn as the README says, on 127.0.0.1 and a port the test picked; always stop it."""
    config = kata_root / "solution" / "gunicorn.conf.py"
    # --log-level debug only makes the master report its worker count once all have started.
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(config),
        "--no-control-socket",
        "--log-level",
        "debug",
        app,
    ]
    port = free_port()
    env = {
        **env,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PYTHONPATH": os.pathsep.join([str(folder), env["PYTHONPATH"]]),
    }
    log = folder / "gunicorn.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=folder, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    server = Server(process, log)
    try:
        match = server.wait_for(LISTENING.pattern)
        listening = match[0] if match else None
        assert listening == f"Listening at: http://127.0.0.1:{port}", explain(
            expected=f"`gunicorn -c solution/gunicorn.conf.py {app}` with HOST=127.0.0.1 and PORT={port} to listen "
            f"at http://127.0.0.1:{port}",
            got=listening
            or "\n".join(server.output().splitlines()[-12:])
            or f"no output; exit code {process.poll()}",
            tip=startup_tip(server.output()),
        )
        server.port = port
        yield server
    finally:
        stop(process)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    """Stop gunicorn gracefully (its workers with it), or kill it if it will not stop."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait(timeout=10)


def startup_tip(output: str) -> str:
    """What to try when gunicorn did not start, judging by what it printed."""
    if "gunicorn.conf.py' doesn't exist" in output:
        return f"create solution/gunicorn.conf.py ({README}, step 2)"
    if "No module named 'solution.wsgi'" in output:
        return f"create solution/wsgi.py with `app = create_app()` in it ({README}, step 1)"
    return f"build bind from the HOST and PORT variables in solution/gunicorn.conf.py ({README}, step 2)"


def test_gunicorn_serves_the_app_with_web_concurrency_workers(kata_root, process_env, isolated):
    env = {**process_env, "WEB_CONCURRENCY": "2"}
    with gunicorn(kata_root, env, isolated) as server:
        started = server.wait_for(r"\[DEBUG\] (\d+) workers", seconds=10)
        status, headers, body = server.get("/hello")
        assert status == 200 and json.loads(body).get("message") == "Hello world", explain(
            expected="GET /hello through gunicorn to answer 200 with the greeting",
            got=f"{status} {body[:200]!r}",
            tip=f"solution/wsgi.py must hold `app = create_app()` ({README}, step 1)",
        )
        assert headers.get("X-Content-Type-Options") == "nosniff", explain(
            expected="the same headers as in tests",
            got=str(headers),
            tip="serve the app from create_app(), unchanged",
        )
        claimed = urllib.request.Request(
            f"http://127.0.0.1:{server.port}/hello", headers={"X-Forwarded-Proto": "https"}
        )
        with urllib.request.urlopen(claimed, timeout=10) as response:
            hsts = response.headers.get("Strict-Transport-Security")
        assert hsts is None, explain(
            expected="gunicorn to ignore X-Forwarded-Proto from a client: no Strict-Transport-Security over plain HTTP",
            got=f"Strict-Transport-Security: {hsts!r}",
            tip='gunicorn trusts that header from 127.0.0.1 by default: set forwarded_allow_ips = "" in '
            f"gunicorn.conf.py and let ProxyFix decide ({README}, step 2). If you did, your app trusts "
            "the header itself: ProxyFix only when TRUSTED_PROXIES > 0, HSTS only when request.is_secure",
        )
        workers = started[1] if started else "no count of"
        assert workers == "2", explain(
            expected="2 workers when WEB_CONCURRENCY=2",
            got=f"{workers} workers",
            tip='read the count in gunicorn.conf.py: workers = int(os.environ.get("WEB_CONCURRENCY", 2)) '
            f"({README}, step 2)",
        )


def test_sigterm_lets_a_request_in_flight_finish(kata_root, process_env, isolated):
    (isolated / "kata_slow_app.py").write_text(SLOW_APP, encoding="utf-8")
    env = {**process_env, "WEB_CONCURRENCY": "1"}
    with gunicorn(kata_root, env, isolated, app="kata_slow_app:app") as server:
        outcome: dict = {}

        def slow_request():
            try:
                outcome["status"] = server.get("/kata/slow", timeout=15)[0]
            except Exception as error:  # the point of the test is what happens here
                outcome["error"] = repr(error)

        client = threading.Thread(target=slow_request)
        client.start()
        deadline = time.monotonic() + 10
        while (
            not (isolated / "started").exists()
            and time.monotonic() < deadline
            and client.is_alive()
        ):
            time.sleep(0.01)
        server.process.send_signal(signal.SIGTERM)
        server.wait_for(r"Handling signal: term", seconds=5)
        (isolated / "release").touch()
        client.join(timeout=15)
        try:
            code = server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            code = None
        assert outcome.get("status") == 200, explain(
            expected="the request that was in flight when gunicorn got SIGTERM to finish with 200",
            got=outcome.get("error", "no answer"),
            tip=f"give workers time to finish: graceful_timeout in gunicorn.conf.py ({README}, step 2)",
        )
        assert code == 0, explain(
            expected="gunicorn to exit with code 0 after a graceful shutdown",
            got=f"exit code {code}; log:\n{server.output()[-800:]}",
            tip=f"see {README}, step 2",
        )
