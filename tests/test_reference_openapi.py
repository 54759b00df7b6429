"""The reference app fuzzed against its own OpenAPI document with schemathesis.

Each operation gets bounded, derandomised cases, valid ones and invalid ones, sent to a fresh
production app (TESTING off, so a crash is a 500 as a client sees it) on a SQLite file. No case
may get a server error or an answer that breaks the document: an undocumented status, a wrong
content type, a missing or malformed header, a body its schema refuses.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lessons.databases import CHEAP_HASH, dispose
from lessons.guestbook import PASSWORD
from solution import create_app
from solution.api.openapi import DOCUMENT

URL = "/api/openapi.json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
OPERATIONS = [
    (method.upper(), path)
    for path, item in DOCUMENT["paths"].items()
    for method in item
    if method in ("get", "put", "post", "delete", "patch")
]
EXAMPLES = 20  # per operation and generation mode


@pytest.fixture
def reference(isolated, tmp_path) -> Iterator[Flask]:
    """A production app on its own SQLite file, with two users and a greeting by each."""
    app = create_app(
        {
            "APP_ENV": "production",
            "SECRET_KEY": "fuzz-" * 8,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{(tmp_path / 'fuzz.sqlite3').as_posix()}",
            "PASSWORD_HASH_METHOD": CHEAP_HASH,
        }
    )
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    client = app.test_client()
    for username in ("fuzzer", "other"):
        client.post("/api/users", json={"username": username, "password": PASSWORD})
        created = client.post("/api/tokens", auth=(username, PASSWORD))
        headers = {"Authorization": f"Bearer {created.get_json()['token']}"}
        client.post("/api/greetings", json={"message": f"Hello from {username}"}, headers=headers)
    yield app
    dispose(app)


def credentials(app: Flask, method: str, path: str) -> Callable[[], dict[str, str]]:
    """The Authorization header each case of an operation gets, as its security asks.

    A bearer token is fresh for every case: DELETE /api/tokens revokes the one it is sent with.
    """
    security = DOCUMENT["paths"][path][method.lower()].get("security", [])
    schemes = {name for requirement in security for name in requirement}
    basic = base64.b64encode(f"fuzzer:{PASSWORD}".encode()).decode()
    if "basicAuth" in schemes:
        return lambda: {"Authorization": f"Basic {basic}"}
    if "bearerAuth" in schemes:
        client = app.test_client()

        def fresh() -> dict[str, str]:
            created = client.post("/api/tokens", auth=("fuzzer", PASSWORD))
            return {"Authorization": f"Bearer {created.get_json()['token']}"}

        return fresh
    return dict


def fuzz(operation: Any, mode: GenerationMode, headers: Callable[[], dict[str, str]]) -> int:
    """Send the operation's cases of this mode, each checked; how many there were."""
    sent = 0

    @settings(
        derandomize=True,
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failure is shown
        # One app serves every case on purpose; and an operation with few inputs is fine.
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def keeps_to_it(case: Case) -> None:
        nonlocal sent
        sent += 1
        case.call_and_validate(headers=headers(), checks=CHECKS)

    keeps_to_it()
    return sent


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_the_reference_keeps_to_its_document(reference, method, path):
    schema = schemathesis.openapi.from_wsgi(URL, reference)
    operation = schema[path][method]
    headers = credentials(reference, method, path)
    assert fuzz(operation, GenerationMode.POSITIVE, headers) > 0
    if list(operation.iter_parameters()) or operation.body:  # something to get wrong
        fuzz(operation, GenerationMode.NEGATIVE, headers)


def answer(app: Flask, method: str, url: str, **options: Any) -> int:
    """The status code the app answers a request with, as a client sees it."""
    return app.test_client().open(url, method=method, **options).status_code


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", f"/api/greetings/{2**63}"),
        ("PATCH", f"/api/greetings/{2**63}"),
        ("DELETE", f"/api/greetings/{2**63}"),
        ("GET", f"/api/users/{2**63}"),
        ("GET", f"/api/greetings/{2**31}"),
        ("GET", f"/api/users/{2**31}"),
        ("GET", f"/api/greetings?page={10**20}"),
    ],
)
def test_ids_and_pages_past_the_database_integers_are_client_errors(reference, method, url):
    client = reference.test_client()
    created = client.post("/api/tokens", auth=("fuzzer", PASSWORD))
    headers = {"Authorization": f"Bearer {created.get_json()['token']}"}
    options = {"json": {"message": "Hi"}} if method == "PATCH" else {}
    status = answer(reference, method, url, headers=headers, **options)
    assert status in (200, 400, 404), status
