"""Micro-benchmarks of the reference app through Flask's test client.

Each URL is measured twice: `[quiet]` is the app with LOG_LEVEL=WARNING (pure speed),
`[logging]` is the app at its default level, writing its log line for every request the way
it does in production (solution/logs.py's batching handler, here to the null device).
`test_hello_bare` is the bare Flask app.

    pytest tests/benchmarks --benchmark-only -p benchmark -p no:cov -p no:logging
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from pytest_benchmark.fixture import BenchmarkFixture
from werkzeug.test import TestResponse

from solution import create_app, logs
from tests.benchmarks import bare_app

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
LEVELS = {"quiet": logging.WARNING, "logging": logging.INFO}

Get = Callable[[str], TestResponse]


def group(name: str) -> pytest.MarkDecorator:
    """Put a benchmark in the table of its URL, and warm it up first."""
    return pytest.mark.benchmark(group=name, warmup=True, warmup_iterations=1000)


@pytest.fixture(scope="module")
def apps() -> Iterator[dict[str, Flask]]:
    """The reference app, built once: quiet (LOG_LEVEL=WARNING) and at the default level."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name in list(os.environ):
            if name.startswith("FLASK_") or name in ("APP_ENV", "SECRET_KEY"):
                monkeypatch.delenv(name)
        quiet = create_app({"TESTING": True, "LOG_LEVEL": "WARNING"})
        logged = create_app({"TESTING": True})
    # Under pytest, Flask sees pytest's log handler and adds none of its own, so the app keeps
    # its records to itself; give it the handler it has in production, on the null device.
    logger = logged.logger
    saved = logger.handlers[:], logger.propagate, logs.STDERR.fd
    logs.STDERR.flush()
    logs.STDERR.fd = os.open(os.devnull, os.O_WRONLY)
    logger.handlers[:], logger.propagate = [logs.STDERR], False
    yield {"quiet": quiet, "logging": logged}
    logs.STDERR.flush()
    os.close(logs.STDERR.fd)
    logger.handlers[:], logger.propagate, logs.STDERR.fd = saved


@pytest.fixture(params=["quiet", "logging"])
def reference(request: pytest.FixtureRequest, apps: dict[str, Flask]) -> Get:
    """GET a path from the reference app, quiet or logging the request."""
    app = apps[request.param]
    # Both apps log through the one logger named after the package: set its level now.
    app.logger.setLevel(LEVELS[request.param])
    client = app.test_client()
    return client.get


@group("GET /hello")
def test_hello(benchmark: BenchmarkFixture, reference: Get) -> None:
    response = benchmark(reference, "/hello")
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
def test_health(benchmark: BenchmarkFixture, reference: Get) -> None:
    response = benchmark(reference, "/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "healthy"
    assert body["service"] == "flask-hello-world-tutorial"
    assert TIMESTAMP.fullmatch(body["timestamp"])


@group("GET unknown URL (404)")
def test_not_found(benchmark: BenchmarkFixture, reference: Get) -> None:
    response = benchmark(reference, "/no/such/page")
    assert response.status_code == 404
    body = response.get_json()
    assert body["status"] == 404
    assert body["error"] == "Not Found"
    assert body["path"] == "/no/such/page"
