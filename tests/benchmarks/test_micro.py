"""Micro-benchmarks of the reference app and the speed-up variant, through Flask's test client.

Each URL is measured for both apps, twice: `quiet` is the app with LOG_LEVEL=WARNING (pure
speed), `logging` is the app at its default level, writing its log line for every request the
way it does in production, here to the null device: the reference through Flask's default
handler, the speed-up (tests/variants/07/alternative-measured-speed-up.patch) through its
batching handler. `test_hello_bare` is the bare Flask app.

    pytest tests/benchmarks --benchmark-only -p benchmark -p no:cov -p no:logging
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.logging import default_handler
from pytest_benchmark.fixture import BenchmarkFixture
from werkzeug.test import TestResponse

from solution import create_app
from tests.benchmarks import bare_app
from tests.benchmarks.speed_up import import_speed_up, write_speed_up

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
LEVELS = {"quiet": logging.WARNING, "logging": logging.INFO}
APPS = [f"{app}-{mode}" for app in ("reference", "speed-up") for mode in LEVELS]

Get = Callable[[str], TestResponse]


def group(name: str) -> pytest.MarkDecorator:
    """Put a benchmark in the table of its URL, and warm it up first."""
    return pytest.mark.benchmark(group=name, warmup=True, warmup_iterations=1000)


@pytest.fixture(scope="module")
def null_device() -> Iterator[int]:
    """A file descriptor on the null device, where the log lines go."""
    fd = os.open(os.devnull, os.O_WRONLY)
    yield fd
    os.close(fd)


@pytest.fixture(scope="module")
def apps(
    tmp_path_factory: pytest.TempPathFactory, null_device: int
) -> Iterator[dict[str, tuple[Flask, dict[str, object]]]]:
    """Both apps, built once, quiet and logging; with what each request must be sent with."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name in list(os.environ):
            if name.startswith("FLASK_") or name in ("APP_ENV", "SECRET_KEY"):
                monkeypatch.delenv(name)
        speed_up = import_speed_up(write_speed_up(tmp_path_factory.mktemp("speed-up")))
        built = {
            f"{name}-{mode}": factory({"TESTING": True, "LOG_LEVEL": LEVELS[mode]})
            for name, factory in (("reference", create_app), ("speed-up", speed_up.create_app))
            for mode in LEVELS
        }
    # Under pytest, Flask may see pytest's log handler and add none of its own; give each
    # logger the handler it has in production, writing to the null device. Flask's default
    # handler writes to the request's wsgi.errors stream.
    errors = open(null_device, "w", closefd=False)
    speed_up_handler = speed_up.logs.STDERR
    speed_up_handler.flush()
    saved_fd = speed_up_handler.fd
    speed_up_handler.fd = null_device
    loggers = {
        "reference": (built["reference-logging"].logger, default_handler),
        "speed-up": (built["speed-up-logging"].logger, speed_up_handler),
    }
    saved = {name: (lg.handlers[:], lg.propagate) for name, (lg, _) in loggers.items()}
    for logger, handler in loggers.values():
        logger.handlers[:], logger.propagate = [handler], False
    yield {name: (app, {"errors_stream": errors}) for name, app in built.items()}
    speed_up_handler.flush()
    speed_up_handler.fd = saved_fd
    for name, (logger, _) in loggers.items():
        logger.handlers[:], logger.propagate = saved[name]
    errors.close()


@pytest.fixture(params=APPS)
def get(request: pytest.FixtureRequest, apps: dict[str, tuple[Flask, dict[str, object]]]) -> Get:
    """GET a path from the reference or the speed-up, quiet or logging the request."""
    app, options = apps[request.param]
    # The quiet and the logging app share one logger, named after the package: set its level.
    app.logger.setLevel(LEVELS[request.param.rsplit("-", 1)[1]])
    return functools.partial(app.test_client().get, **options)


@group("GET /hello")
def test_hello(benchmark: BenchmarkFixture, get: Get) -> None:
    response = benchmark(get, "/hello")
    assert response.status_code == 200
    assert response.get_json()["message"] == "Hello world"
    assert TIMESTAMP.fullmatch(response.get_json()["timestamp"])
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@group("GET /hello")
def test_hello_bare(benchmark: BenchmarkFixture) -> None:
    response = benchmark(bare_app.app.test_client().get, "/hello")
    assert response.status_code == 200
    assert response.get_json()["message"] == "Hello world"
    assert TIMESTAMP.fullmatch(response.get_json()["timestamp"])


@group("GET /health")
def test_health(benchmark: BenchmarkFixture, get: Get) -> None:
    response = benchmark(get, "/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "healthy"
    assert body["service"] == "flask-hello-world-tutorial"
    assert TIMESTAMP.fullmatch(body["timestamp"])


@group("GET unknown URL (404)")
def test_not_found(benchmark: BenchmarkFixture, get: Get) -> None:
    response = benchmark(get, "/no/such/page")
    assert response.status_code == 404
    body = response.get_json()
    assert body["status"] == 404
    assert body["error"] == "Not Found"
    assert body["path"] == "/no/such/page"
