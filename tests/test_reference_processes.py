"""The reference app in real processes: gunicorn as the README starts it, and `flask run`.

Every server listens on loopback only, on a port the kernel picks, and is always stopped.
Every wait is bounded.
"""

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
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="gunicorn and these signals are POSIX only"
)

STARTUP_SECONDS = 20
BOOTING = r"Booting worker with pid: (\d+)"
# An app log line: 2026-01-01T12:00:00.000Z [pid] [INFO] solution: 127.0.0.1 GET /hello 200 ...
REQUEST_LINE = re.compile(
    r"Z \[(\d+)\] \[INFO\] solution: 127\.0\.0\.1 GET (\S+) 200 \S+ request_id=(\S+)"
)

# A WSGI wrapper around the reference app, written next to the test's gunicorn: requests to
# /kata/slow say they have started, then wait for a release file before the app answers them.
HOLDING_APP = """
import os
import time
import uuid
from pathlib import Path

from solution.wsgi import app as reference_app

HERE = Path(__file__).parent


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/kata/slow":
        (HERE / f"started-{os.getpid()}-{uuid.uuid4().hex}").touch()
        deadline = time.monotonic() + 15
        while not (HERE / "release").exists() and time.monotonic() < deadline:
            time.sleep(0.005)
        environ["PATH_INFO"] = "/hello"
    return reference_app(environ, start_response)
"""


class Server:
    """A server process started by a test, and what it has printed so far."""

    def __init__(self, process: subprocess.Popen, log: Path, host: str = "127.0.0.1") -> None:
        self.process, self.log, self.host, self.port = process, log, host, 0

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, pattern: str, count: int = 1, seconds: float = STARTUP_SECONDS) -> list:
        """The matches of pattern once there are count of them, the process ends, or time is up."""
        deadline = time.monotonic() + seconds
        while True:
            matches = list(re.finditer(pattern, self.output()))
            if len(matches) >= count or time.monotonic() > deadline:
                return matches
            if self.process.poll() is not None:
                return list(re.finditer(pattern, self.output()))
            time.sleep(0.01)

    def get(self, path: str, headers: dict[str, str] | None = None, timeout: float = 10):
        """GET path; return the status, the headers and the JSON body."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        request = urllib.request.Request(f"http://{host}:{self.port}{path}", headers=headers or {})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, json.loads(response.read())

    def stop(self) -> int:
        """SIGTERM, then wait; kill if it will not stop. Return the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait(timeout=15)


def start(command: list[str], env: dict[str, str], folder: Path) -> Server:
    """Start command in folder, its output (stdout and stderr) going to a file there."""
    log = folder / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=folder, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    return Server(process, log)


def gunicorn_command(kata_root: Path, app: str = "solution.wsgi:app") -> list[str]:
    """The command the README gives."""
    config = kata_root / "solution" / "gunicorn.conf.py"
    return [sys.executable, "-m", "gunicorn", "-c", str(config), "--no-control-socket", app]


@contextmanager
def gunicorn(
    kata_root: Path,
    process_env: dict[str, str],
    folder: Path,
    app: str = "solution.wsgi:app",
    **settings: str,
) -> Iterator[Server]:
    """gunicorn, listening on 127.0.0.1 (or settings["HOST"]) and a port the kernel picks."""
    env = {"HOST": "127.0.0.1", "PORT": "0", **process_env, **settings}
    env["PYTHONPATH"] = os.pathsep.join([str(folder), process_env["PYTHONPATH"]])
    server = start(gunicorn_command(kata_root, app), env, folder)
    server.host = env["HOST"]
    try:
        host = re.escape(f"[{server.host}]" if ":" in server.host else server.host)
        listening = server.wait_for(rf"Listening at: http://{host}:(\d+)")
        assert listening, server.output()
        server.port = int(listening[-1][1])
        yield server
    finally:
        server.stop()


def requested(server: Server, path: str = "/hello") -> list[tuple[str, str]]:
    """(request id, worker pid) of each line the app logged for a request to path."""
    return [
        (request_id, pid)
        for pid, logged_path, request_id in REQUEST_LINE.findall(server.output())
        if logged_path == path
    ]


def test_two_workers_share_many_concurrent_requests(kata_root, process_env, isolated):
    with gunicorn(kata_root, process_env, isolated, WEB_CONCURRENCY="2") as server:
        workers = {match[1] for match in server.wait_for(BOOTING, count=2)}
        assert len(workers) == 2, server.output()
        answers = []
        with ThreadPoolExecutor(max_workers=24) as pool:
            for _round in range(5):  # more rounds only in the unlikely case one worker took all
                answers += pool.map(lambda _: server.get("/hello"), range(48))
                server.wait_for(REQUEST_LINE.pattern, count=len(answers), seconds=5)
                if {pid for _, pid in requested(server)} == workers:
                    break
    assert all(status == 200 and body["message"] == "Hello world" for status, _, body in answers)
    ids = [headers["X-Request-ID"] for _, headers, _ in answers]
    assert len(set(ids)) == len(ids) >= 48
    logged = requested(server)  # every line, written at the latest as the workers exit
    assert sorted(request_id for request_id, _ in logged) == sorted(ids)  # each one once
    assert {pid for _, pid in logged} == workers


def test_sigterm_lets_every_request_in_flight_finish(kata_root, process_env, isolated):
    in_flight = 4
    (isolated / "kata_holding_app.py").write_text(HOLDING_APP, encoding="utf-8")
    settings = {"WEB_CONCURRENCY": str(in_flight)}
    with gunicorn(kata_root, process_env, isolated, "kata_holding_app:app", **settings) as server:
        outcomes: list = []

        def slow_request() -> None:
            try:
                outcomes.append(server.get("/kata/slow", timeout=20)[0])
            except Exception as error:  # the point of the test is what happens here
                outcomes.append(repr(error))

        clients = [threading.Thread(target=slow_request) for _ in range(in_flight)]
        for client in clients:
            client.start()
        try:
            deadline = time.monotonic() + 10
            while len(list(isolated.glob("started-*"))) < in_flight:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.005)
            started = list(isolated.glob("started-*"))
            assert len(started) == in_flight, server.output()
            assert len({path.name.split("-")[1] for path in started}) == in_flight  # one each
            server.process.send_signal(signal.SIGTERM)
            assert server.wait_for(r"Handling signal: term", seconds=5), server.output()
            assert outcomes == []  # still held, though gunicorn is stopping
        finally:
            (isolated / "release").touch()
        for client in clients:
            client.join(timeout=20)
        try:
            code = server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            code = None
    assert outcomes == [200] * in_flight, server.output()
    assert code == 0, server.output()


def test_web_concurrency_sets_the_workers_and_port_zero_a_free_port(
    kata_root, process_env, isolated
):
    with gunicorn(kata_root, process_env, isolated, WEB_CONCURRENCY="3") as server:
        assert len(server.wait_for(BOOTING, count=3)) == 3
        assert server.port not in (0, 8000)
        status, _, body = server.get("/health")
        assert status == 200 and body["status"] == "healthy"
    assert len(re.findall(BOOTING, server.output())) == 3  # and not one worker more


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback on this machine")
def test_an_ipv6_host_is_bound_in_brackets(kata_root, process_env, isolated):
    with gunicorn(kata_root, process_env, isolated, HOST="::1", WEB_CONCURRENCY="1") as server:
        status, _, body = server.get("/hello")
    assert status == 200 and body["message"] == "Hello world"


def test_a_bad_configuration_stops_gunicorn_at_once_with_one_message(
    kata_root, process_env, isolated
):
    env = {**process_env, "APP_ENV": "production", "HOST": "127.0.0.1", "PORT": "0"}
    server = start(gunicorn_command(kata_root), env, isolated)
    try:
        code = server.process.wait(timeout=STARTUP_SECONDS)
    finally:
        server.stop()
    output = server.output()
    assert code != 0, output
    assert output.count("APP_ENV is production, but SECRET_KEY is not set") == 1, output
    assert "FLASK_SECRET_KEY" in output
    assert "Booting worker" not in output and "Traceback" not in output, output


def test_flask_run_serves_the_app_for_development(process_env, isolated):
    command = [sys.executable, "-m", "flask", "--app", "solution", "run", "--port", "0"]
    server = start(command, process_env, isolated)
    try:
        running = server.wait_for(r"Running on http://127\.0\.0\.1:(\d+)")
        assert running, server.output()
        server.port = int(running[-1][1])
        assert server.port != 0
        status, headers, body = server.get("/hello")
    finally:
        server.stop()
    assert status == 200 and body["message"] == "Hello world"
    assert headers["X-Content-Type-Options"] == "nosniff"
