"""The reference app in real processes: gunicorn as the README starts it, and `flask run`.

Every server listens on loopback only, on a port the kernel picks, and is always stopped.
Every wait is bounded.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lessons import isolation, servers

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="gunicorn and these signals are POSIX only"
)

BOOTING = servers.BOOTING
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


def gunicorn(
    kata_root: Path,
    process_env: dict[str, str],
    folder: Path,
    app: str = "solution.wsgi:app",
    **settings: str,
):
    """The reference under gunicorn, started as production is started, listening on 127.0.0.1."""
    return servers.gunicorn(kata_root, servers.production(process_env), folder, app, **settings)


def requested(server: servers.Server, path: str = "/hello") -> list[tuple[str, str]]:
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
    assert all(
        status == 200 and json.loads(body)["message"] == "Hello world"
        for status, _, body in answers
    )
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
        assert status == 200 and json.loads(body)["status"] == "healthy"
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
    assert status == 200 and json.loads(body)["message"] == "Hello world"


BAD_SETTINGS = {
    "no-secret-key": ({"FLASK_SECRET_KEY": ""}, "SECRET_KEY"),
    "unknown-app-env": ({"APP_ENV": "prod"}, "APP_ENV"),
    "negative-proxies": ({"FLASK_TRUSTED_PROXIES": "-1"}, "TRUSTED_PROXIES"),
    "proxies-word": ({"FLASK_TRUSTED_PROXIES": "abc"}, "TRUSTED_PROXIES"),
    "proxies-null": ({"FLASK_TRUSTED_PROXIES": "null"}, "TRUSTED_PROXIES"),
    "no-workers": ({"WEB_CONCURRENCY": "0"}, "WEB_CONCURRENCY"),
    # gunicorn itself reads WEB_CONCURRENCY when it is imported, before gunicorn.conf.py runs,
    # and stops with its own traceback: see test_gunicorn_itself_refuses_a_web_concurrency_word.
    "port-word": ({"PORT": "abc"}, "PORT"),
    "level-word": ({"FLASK_LOG_LEVEL": "nonsense"}, "LOG_LEVEL"),
    "level-null": ({"FLASK_LOG_LEVEL": "null"}, "LOG_LEVEL"),
    "level-float": ({"FLASK_LOG_LEVEL": "1.5"}, "LOG_LEVEL"),
    "level-number": ({"FLASK_LOG_LEVEL": "5000"}, "LOG_LEVEL"),
    "dotenv-latin-1": ({"PYTHON_DOTENV_DISABLED": ""}, ".env"),
}


@pytest.fixture(scope="module")
def refusals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int | None, str, float]]:
    """gunicorn started with each bad setting, side by side: exit code, output, seconds taken."""
    root = Path(__file__).resolve().parent.parent

    def attempt(case: str) -> tuple[int | None, str, float]:
        folder = tmp_path_factory.mktemp(case)
        (folder / ".env").write_bytes(b"FLASK_KATA_GREETING=caf\xe9\n")  # read only when enabled
        settings, _ = BAD_SETTINGS[case]
        env = {
            **servers.production(isolation.clean_environment(root)),
            "HOST": "127.0.0.1",
            "PORT": "0",
        }
        env.update(settings)
        started = time.monotonic()
        server = servers.start(servers.gunicorn_command(root), env, folder)
        try:
            code = server.process.wait(timeout=servers.STARTUP_SECONDS)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            server.stop()
        return code, server.output(), time.monotonic() - started

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(BAD_SETTINGS, pool.map(attempt, BAD_SETTINGS), strict=True))


@pytest.mark.parametrize("case", BAD_SETTINGS)
def test_a_bad_setting_stops_gunicorn_at_once_with_one_line_naming_it(refusals, case):
    code, output, seconds = refusals[case]
    name = BAD_SETTINGS[case][1]
    assert code not in (0, None), output  # stopped by itself, not by the test's SIGTERM
    lines = [line for line in output.splitlines() if name in line]
    assert len(lines) == 1, output
    assert "Booting worker" not in output and "Traceback" not in output, output
    assert seconds < servers.STARTUP_SECONDS  # no restart loop: it gave up on its own


def test_gunicorn_itself_refuses_a_web_concurrency_word(kata_root, process_env, isolated):
    env = {**servers.production(process_env), "PORT": "0", "WEB_CONCURRENCY": "abc"}
    server = servers.start(servers.gunicorn_command(kata_root), env, isolated)
    try:
        code = server.process.wait(timeout=servers.STARTUP_SECONDS)
    finally:
        server.stop()
    assert (
        code != 0
        and "WEB_CONCURRENCY" in server.output()
        and "Booting worker" not in server.output()
    )


def test_an_empty_host_binds_loopback_only(kata_root, process_env, isolated):
    with gunicorn(kata_root, process_env, isolated, HOST="", WEB_CONCURRENCY="1") as server:
        assert server.host == "127.0.0.1", server.output()
        status, _, _ = server.get("/health")
    assert status == 200


def test_without_app_env_the_server_runs_in_production(kata_root, process_env, isolated):
    """wsgi.py's default: a forgotten APP_ENV never signs sessions with the development key."""
    server = servers.start(
        servers.gunicorn_command(kata_root), {**process_env, "PORT": "0"}, isolated
    )
    try:
        code = server.process.wait(timeout=servers.STARTUP_SECONDS)
    finally:
        server.stop()
    assert code != 0 and "APP_ENV is production, but SECRET_KEY is not set" in server.output()


def test_flask_run_serves_the_app_for_development(process_env, isolated):
    command = [sys.executable, "-m", "flask", "--app", "solution", "run", "--port", "0"]
    server = servers.start(command, process_env, isolated)
    try:
        running = server.wait_for(r"Running on http://127\.0\.0\.1:(\d+)")
        assert running, server.output()
        server.port = int(running[-1][1])
        assert server.port != 0
        status, headers, body = server.get("/hello")
    finally:
        server.stop()
    assert status == 200 and json.loads(body)["message"] == "Hello world"
    assert headers["X-Content-Type-Options"] == "nosniff"
