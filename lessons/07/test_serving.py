"""Lesson 07: gunicorn serves the app from solution/gunicorn.conf.py and shuts down gracefully."""

from __future__ import annotations

import json
import runpy
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from lessons import servers
from lessons.feedback import explain

README = "lessons/07/README.md"

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


def startup_tip(output: str) -> str:
    """What to try when gunicorn did not start, judging by what it printed."""
    if "gunicorn.conf.py' doesn't exist" in output:
        return f"create solution/gunicorn.conf.py ({README}, step 2)"
    if "No module named 'solution.wsgi'" in output:
        return f"create solution/wsgi.py with `app = create_app()` in it ({README}, step 1)"
    if "SECRET_KEY" in output:
        return (
            "gunicorn was started as production is started, with APP_ENV=production and a real "
            "FLASK_SECRET_KEY: check that your app reads both when create_app() runs"
        )
    return f"build bind from the HOST and PORT variables in solution/gunicorn.conf.py ({README}, step 2)"


def expect_listening(server, port, app="solution.wsgi:app"):
    assert server.port == port, explain(
        expected=f"`gunicorn -c solution/gunicorn.conf.py {app}` with HOST=127.0.0.1 and PORT={port} "
        f"to listen at http://127.0.0.1:{port}",
        got=f"gunicorn's last lines:\n{server.tail()}",
        tip=startup_tip(server.output()),
    )


def test_gunicorn_serves_the_app_with_web_concurrency_workers(kata_root, process_env, isolated):
    port = servers.free_port()
    env = servers.production(process_env)
    # --log-level debug only makes the master report its worker count once all have started.
    options = ("--log-level", "debug")
    with servers.gunicorn(
        kata_root, env, isolated, "solution.wsgi:app", *options, PORT=str(port), WEB_CONCURRENCY="2"
    ) as server:
        expect_listening(server, port)
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
            server.url("/hello"), headers={"X-Forwarded-Proto": "https"}
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
        workers = started[-1][1] if started else "no count of"
        assert workers == "2", explain(
            expected="2 workers when WEB_CONCURRENCY=2",
            got=f"{workers} workers",
            tip='read the count in gunicorn.conf.py: workers = int(os.environ.get("WEB_CONCURRENCY", 2)) '
            f"({README}, step 2)",
        )


def test_sigterm_lets_a_request_in_flight_finish(kata_root, process_env, isolated):
    (isolated / "kata_slow_app.py").write_text(SLOW_APP, encoding="utf-8")
    port = servers.free_port()
    env = servers.production(process_env)
    with servers.gunicorn(
        kata_root, env, isolated, "kata_slow_app:app", PORT=str(port), WEB_CONCURRENCY="1"
    ) as server:
        expect_listening(server, port, "kata_slow_app:app")
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
            got=f"exit code {code}; gunicorn's last lines:\n{server.tail()}",
            tip=f"see {README}, step 2",
        )


def read_settings(kata_root, monkeypatch, **environment):
    """Run solution/gunicorn.conf.py as gunicorn does; return its names, or the error it stopped with."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    config = kata_root / "solution" / "gunicorn.conf.py"
    if not config.is_file():
        return None, f"there is no solution/gunicorn.conf.py yet ({README}, step 2)"
    try:
        return runpy.run_path(str(config)), None
    except (Exception, SystemExit) as error:  # both stop gunicorn; the message is what counts
        return None, f"{type(error).__name__}: {error}"


@pytest.mark.parametrize(
    ("name", "sent"),
    [("WEB_CONCURRENCY", "0"), ("WEB_CONCURRENCY", "abc"), ("PORT", "abc")],
    ids=["no-workers", "workers-word", "port-word"],
)
def test_a_bad_server_setting_stops_gunicorn_with_its_name(
    kata_root, isolated, monkeypatch, name, sent
):
    settings, stopped = read_settings(kata_root, monkeypatch, **{name: sent})
    got = (
        stopped
        or f"gunicorn.conf.py ran and set bind={settings.get('bind')!r}, workers={settings.get('workers')!r}"
    )
    assert stopped and name in stopped, explain(
        expected=f"{name}={sent!r} to stop gunicorn at once, with a message that names {name}",
        got=got,
        tip="check the value in gunicorn.conf.py and stop with sys.exit(message): gunicorn "
        f"shows the message as one line. Zero workers would listen and never answer ({README}, step 2)",
    )


def test_an_empty_host_never_means_every_interface(kata_root, isolated, monkeypatch):
    settings, stopped = read_settings(kata_root, monkeypatch, HOST="", PORT="8000")
    binds = [] if settings is None else settings.get("bind") or []
    binds = [binds] if isinstance(binds, str) else binds
    loopback = all(address.startswith(("127.0.0.1:", "localhost:", "[::1]:")) for address in binds)
    assert (stopped and "HOST" in stopped) or (binds and loopback), explain(
        expected="HOST= (empty) to mean the default 127.0.0.1, or to stop gunicorn with a message that names HOST",
        got=stopped or f"bind={binds!r}: an empty host binds every network interface",
        tip='treat an empty HOST like a missing one: os.environ.get("HOST") or "127.0.0.1" '
        f"({README}, step 2)",
    )
