"""The measured speed-up (tests/variants/07/alternative-measured-speed-up.patch) in real processes.

The variant is built as verify builds it, lesson 07's end state with the patch applied, into a
temporary folder whose solution/ comes first on PYTHONPATH. Its hand-written log handler is what
these tests are about: under two gunicorn workers every request is logged once, in whole lines;
warnings and errors are written at once; the lines still waiting in a batch are written on
SIGTERM. And clients and log readers see exactly what the reference shows them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from lessons import servers
from tests.benchmarks.speed_up import write_reference, write_speed_up

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="gunicorn and os.fork() are POSIX only"
)
fcntl = pytest.importorskip("fcntl", reason="POSIX only, as gunicorn is")

STAMP = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d"  # the start of any line, the app's or gunicorn's
APP_LINE = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[(\d+)\] \[([A-Z]+)\] solution: (.*)"
)
ACCESS = re.compile(r"127\.0\.0\.1 GET (\S+) (\d{3}) \d+\.\dms request_id=(\S+)")
GUNICORN_LINE = re.compile(r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}\] \[\d+\] \[[A-Z]+\] .*")
# A path of 3,997 characters: the request line stays under gunicorn's limit of 4,094. Each
# %0D%0A is a line break, which the log must keep encoded.
LONG_PATH = "/hello/" + "%0D%0Aforged%20" * 266
# As the reference logs it: cut to 500 characters, less the half of a %20, and marked.
LONG_LOGGED = "/hello/" + "%0D%0Aforged%20" * 32 + "%0D%0Aforged" + "[...]"

# The variant's app under gunicorn, with a long flush interval: a line leaves its batch only when
# the batch is full, for a warning or an error, or when the worker exits.
WRAPPER = """
import os

from solution import logs, middleware  # noqa: F401 (the variant's: the reference has no middleware)
from solution.wsgi import app as flask_app

logs.FLUSH_INTERVAL = 3600


@flask_app.get("/kata/warn")
def warn():
    flask_app.logger.info("kata: an info line, waiting in the batch")
    flask_app.logger.warning("kata: a warning, written at once")
    flask_app.logger.error("kata: an error, written at once")
    return {"warned": True}


def app(environ, start_response):
    def start(status, headers, exc_info=None):
        headers.append(("X-Kata-Worker", str(os.getpid())))
        return start_response(status, headers, exc_info)

    return flask_app(environ, start)
"""


@pytest.fixture(scope="module")
def variant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose solution/ is lesson 07's end state with the speed-up applied."""
    return write_speed_up(tmp_path_factory.mktemp("speed-up"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose solution/ is the reference at the end of lesson 07, which the variant changes."""
    return write_reference(tmp_path_factory.mktemp("reference-07"))


def copy_into(read_end: int, log: Path) -> None:
    """Copy what arrives on the pipe into log, slowly, until every writer has closed the pipe.

    A busy log collector reads like this: the pipe fills up and the workers wait in write(),
    which is when a write of more than PIPE_BUF bytes is split and another worker's gets in.
    """
    with log.open("ab") as output:
        while chunk := os.read(read_end, 4096):
            output.write(chunk)
            output.flush()
            time.sleep(0.001)


@contextmanager
def gunicorn_on_a_pipe(
    variant: Path, env: dict[str, str], folder: Path, app: str, **settings: str
) -> Iterator[servers.Server]:
    """The variant under gunicorn as servers.gunicorn() starts it, but writing into a pipe.

    In production stderr is a pipe (a container's log, the journal), where a write of more than
    PIPE_BUF bytes may be split and interleaved with another worker's. The pipe is made as
    small as Linux allows, so it is often full and every write is tested.
    """
    environment = {**servers.production(env), "HOST": "127.0.0.1", "PORT": "0", **settings}
    # The test's folder (the wrapper app), then the variant; never the reference's solution/.
    environment["PYTHONPATH"] = os.pathsep.join([str(folder), str(variant)])
    read_end, write_end = os.pipe()
    if hasattr(fcntl, "F_SETPIPE_SZ"):  # Linux
        fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, os.sysconf("SC_PAGE_SIZE"))
    log = folder / "gunicorn.log"
    log.touch()
    command = servers.gunicorn_command(variant, app)
    try:
        process = subprocess.Popen(
            command, cwd=folder, env=environment, stdout=write_end, stderr=write_end
        )
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)  # from now on only gunicorn holds it: its exit ends the copy
    copier = threading.Thread(target=copy_into, args=(read_end, log), daemon=True)
    copier.start()
    server = servers.Server(process, log)
    try:
        listening = server.wait_for(servers.LISTENING.pattern)
        if listening:
            server.host, server.port = listening[-1][1], int(listening[-1][2])
        assert server.port, server.output()
        yield server
    finally:
        server.stop()
        copier.join(timeout=15)
        os.close(read_end)


def app_lines(output: str) -> list[tuple[str, str, str]]:
    """(pid, level, message) of every line the app wrote; fail on any line that is not whole."""
    found = []
    for line in output.splitlines():
        app_line, gunicorn_line = APP_LINE.fullmatch(line), GUNICORN_LINE.fullmatch(line)
        # A torn line misses its start or its end; two lines run together hold two stamps.
        assert (app_line or gunicorn_line) and len(re.findall(STAMP, line)) == 1, (
            f"not a whole line: {line[:300]!r}"
        )
        if app_line:
            found.append(app_line.groups())
    return found


def access_lines(output: str) -> dict[str, list[tuple[str, str, str]]]:
    """(pid, path, status) of each access line, by request id."""
    logged: dict[str, list[tuple[str, str, str]]] = {}
    for pid, level, message in app_lines(output):
        access = ACCESS.fullmatch(message)
        if access:
            assert level == "INFO", message
            path, status, request_id = access.groups()
            logged.setdefault(request_id, []).append((pid, path, status))
    return logged


def test_warnings_and_errors_are_written_at_once_after_the_lines_before_them(
    variant, process_env, isolated
):
    (isolated / "kata_speed_up_app.py").write_text(WRAPPER, encoding="utf-8")
    with gunicorn_on_a_pipe(
        variant, process_env, isolated, "kata_speed_up_app:app", WEB_CONCURRENCY="1"
    ) as server:
        status, _, _ = server.get("/kata/warn", headers={"X-Request-ID": "kata-warn"})
        assert status == 200
        # Bounded, not timed: with a flush interval of an hour, only an urgent write brings these.
        server.wait_for(r"kata: an error, written at once", seconds=10)
        running = [message for _, _, message in app_lines(server.output())]
        assert running[-3:] == [
            "kata: an info line, waiting in the batch",
            "kata: a warning, written at once",
            "kata: an error, written at once",
        ]
        assert not any("kata-warn" in message for message in running)  # still in the batch
    assert "kata-warn" in access_lines(server.output())  # written as the worker exited


def test_two_workers_log_every_request_once_in_whole_lines_and_the_rest_on_sigterm(
    variant, process_env, isolated
):
    (isolated / "kata_speed_up_app.py").write_text(WRAPPER, encoding="utf-8")
    sent: dict[str, str] = {}  # path by request id
    workers: set[str] = set()
    with gunicorn_on_a_pipe(
        variant, process_env, isolated, "kata_speed_up_app:app", WEB_CONCURRENCY="2"
    ) as server:
        booted = {match[1] for match in server.wait_for(servers.BOOTING, count=2)}
        assert len(booted) == 2, server.output()

        def request(request_id: str) -> tuple[int, dict[str, str], bytes]:
            return server.get(sent[request_id], headers={"X-Request-ID": request_id})

        answers = []
        with ThreadPoolExecutor(max_workers=24) as pool:
            for round_ in range(5):  # more rounds only in the unlikely case one worker took all
                ids = [f"kata-{round_}-{n}" for n in range(96)]
                for number, request_id in enumerate(ids):
                    sent[request_id] = LONG_PATH if number % 4 == 0 else f"/hello/n{number}"
                answers += pool.map(request, ids)
                workers = {headers["X-Kata-Worker"] for _, headers, _ in answers}
                if workers == booted:
                    break
        assert all(status == 200 for status, _, _ in answers)
        assert workers == booted, "both workers answered"
        waiting = set(sent) - set(access_lines(server.output()))
        # Each worker's last line at least waits in its batch: SIGTERM must bring them out.
        assert waiting, "no line waited in a batch: this is not the speed-up's log handler"
        code = server.stop()
    assert code == 0, server.output()
    logged = access_lines(server.output())
    assert sorted(logged) == sorted(sent)
    assert all(len(lines) == 1 for lines in logged.values()), "each request logged exactly once"
    line = {request_id: lines[0] for request_id, lines in logged.items()}
    assert {pid for pid, _, _ in line.values()} == booted
    for request_id, (_, path, status) in line.items():
        wanted = LONG_LOGGED if sent[request_id] == LONG_PATH else sent[request_id]
        assert (path, status) == (wanted, "200")


# The same requests, sent through the test client to the reference and then to the variant, in
# a fresh interpreter each, where the log goes to stderr as in production.
SAME_REQUESTS = r"""
import json
import sys

from flask import session

from solution import create_app

app = create_app({"TESTING": False, "TRUSTED_PROXIES": 1, "SECRET_KEY": "k" * 32})


@app.get("/kata/own-headers")
def own_headers():
    mine = {"Cache-Control": "public, max-age=60", "X-Frame-Options": "SAMEORIGIN"}
    return {"own": True}, {**mine, "Strict-Transport-Security": "max-age=1", "X-Request-ID": "mine"}


@app.post("/kata/visit")
def visit():
    session["visits"] = session.get("visits", 0) + 1
    return {"visits": session["visits"]}


@app.get("/kata/visits")
def visits():
    return {"visits": session.get("visits", 0)}


@app.get("/kata/crash")
def crash():
    raise RuntimeError("kata: boom")


answers = []
client = app.test_client()
for sent in json.load(sys.stdin):
    response = client.open(**sent)
    try:
        body = {key: value for key, value in response.get_json().items() if key != "timestamp"}
    except Exception:
        body = response.get_data(as_text=True)
    headers = sorted(response.headers.items())
    # Allow lists a set of methods: its order changes with each interpreter's hash seed.
    headers = [(k, ", ".join(sorted(v.split(", "))) if k == "Allow" else v) for k, v in headers]
    answers.append([response.status_code, headers, body])
print(json.dumps(answers))
"""

HTTPS = {"base_url": "https://localhost"}
FORWARDED = {"X-Forwarded-For": "198.51.100.99, 203.0.113.7", "X-Forwarded-Proto": "https"}
REQUESTS: list[dict[str, Any]] = [
    {"path": "/hello"},
    {"path": "/hello/caf%C3%A9", "query_string": "name=secret"},
    {"path": "/hello/" + "%22" * 600},
    {"path": "/hello/" + "x" * 600},
    {
        "path": "/hello/" + "%0A" * 3000,
        "method": "X" * 3000,
        "headers": {"X-Forwarded-For": "\x1b" * 3000},
    },
    {"path": "/hello", "headers": {"X-Forwarded-For": "\x1b[31mred, caf\xe9"}},
    {"path": "/hello", "headers": FORWARDED},
    {"path": "/hello", **HTTPS},
    {"path": "/nowhere", **HTTPS},
    {"path": "/kata/own-headers"},
    {"path": "/kata/own-headers", **HTTPS},
    {"path": "/hello", "method": "POST"},
    {"path": "/hello", "method": "HEAD"},
    {"path": "/hello", "method": "OPTIONS"},
    {"path": "/hello//Ada"},
    {"path": "/hello/x", "environ_overrides": {"PATH_INFO": "/hello/\xff\xfe"}},
    {"path": "/hello", "environ_overrides": {"PATH_INFO": ""}},
    {"path": "/hello", "environ_overrides": {"REMOTE_ADDR": ""}},
    {"path": "/hello", "headers": {"X-Request-ID": "not sane!"}},
    {"path": "/hello", "headers": {"Cookie": "session=forged; theme=dark"}},
    {"path": "/kata/visit", "method": "POST"},
    {"path": "/kata/visits"},
    {"path": "/kata/crash"},
]


def same_requests(folder: Path, env: dict[str, str], stderr: Any = subprocess.PIPE):
    """Send REQUESTS to the solution/ in folder; return its answers and log lines, normalized."""
    requests = [
        {**sent, "headers": {"X-Request-ID": f"kata-same-{number}", **sent.get("headers", {})}}
        for number, sent in enumerate(REQUESTS)
    ]
    environment = {**env, "PYTHONPATH": str(folder)}
    done = subprocess.run(
        [sys.executable, "-c", SAME_REQUESTS],
        cwd=folder,
        env=environment,
        input=json.dumps(requests).encode(),
        stdout=subprocess.PIPE,
        stderr=stderr,
        timeout=60,
    )
    errors = (done.stderr or b"").decode("utf-8", "replace")
    assert done.returncode == 0, errors
    answers = normalized(done.stdout.decode())
    # Each record's first line: a traceback's other lines name the folder the code came from.
    lines = [normalized(line) for line in errors.splitlines() if re.match(STAMP, line)]
    return json.loads(answers), lines


def normalized(text: str) -> str:
    """text without what differs from run to run: times, pids, fresh ids, signed cookies."""
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[\d+\]", "<time> [<pid>]", text)
    text = re.sub(r" \d+\.\dms ", " <duration> ", text)
    text = re.sub(r"\b[0-9a-f]{32}\b", "<fresh id>", text)
    return re.sub(r"session=[^;\"]+", "session=<signed>", text)


def test_clients_and_log_readers_see_what_the_reference_shows_them(
    variant, reference, process_env, isolated
):
    answers, lines = same_requests(reference, process_env)
    speed_up = same_requests(variant, process_env)
    assert len(answers) == len(REQUESTS) and len(lines) > len(REQUESTS)  # the 500 logs an error
    assert speed_up[0] == answers
    assert speed_up[1] == lines


def test_a_closed_stderr_never_fails_a_request(variant, reference, process_env, isolated):
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to stderr now fails with EPIPE
    try:
        answers, _ = same_requests(variant, process_env, stderr=write_end)
    finally:
        os.close(write_end)
    assert answers == same_requests(reference, process_env)[0]
