"""Lesson 04: every HTTP error answers JSON with the same status and headers, and 500s leak nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import abort
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import TooManyRequests, Unauthorized, default_exceptions
from werkzeug.http import HTTP_STATUS_CODES

from lessons.contract import ERROR_KEYS, parse_timestamp
from lessons.feedback import explain, json_object, show

README = "lessons/04/README.md"
SECRET = "the database password is hunter2"

# One app serves every example: requests share no state, so the function-scoped client is safe.
one_app_for_all_examples = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def error_json(response, request, status):
    """Check the status and the JSON error body of response; return the body."""
    tip = "keep the error's own status code: error.code"
    if response.status_code == 500 and status != 500:
        tip = (
            f"a handler for every Exception catches HTTP errors such as this {status} too, and turns "
            "them into 500s: register the handler for HTTPException and answer with error.code "
            f"({README}, step 2)"
        )
    assert response.status_code == status, explain(
        expected=f"{request} to answer {status}", got=show(response), tip=tip
    )
    assert response.mimetype == "application/json", explain(
        expected=f"{request} to answer with Content-Type application/json, as every error should",
        got=show(response),
        tip=f"register one handler for every HTTP error: @app.errorhandler(HTTPException) ({README}, step 2)",
    )
    body = json_object(
        response, request, "build the body from the error: its code, name and description"
    )
    assert sorted(body) == ERROR_KEYS, explain(
        expected=f"exactly the keys {ERROR_KEYS}",
        got=f"the keys {sorted(body)}",
        tip=f"see the example error in {README}",
    )
    assert body["status"] == status, explain(
        expected=f'"status": {status}', got=f'"status": {body["status"]!r}', tip="use error.code"
    )
    return body


@pytest.fixture
def aborting_app(app):
    """Your app, plus routes that fail on purpose the way views do: abort() and raised errors."""

    @app.get("/kata/abort/<int:code>")
    def abort_with(code):
        abort(code)

    @app.get("/kata/forbidden")
    def forbidden():
        abort(403, description="Only the owner may see this greeting.")

    @app.get("/kata/slow-down")
    def slow_down():
        raise TooManyRequests(retry_after=120)

    @app.get("/kata/who-are-you")
    def who_are_you():
        raise Unauthorized(www_authenticate=WWWAuthenticate("Bearer", {"realm": "kata"}))

    @app.get("/kata/two-ways-in")
    def two_ways_in():
        challenges = [WWWAuthenticate(scheme, {"realm": "kata"}) for scheme in ("Bearer", "Basic")]
        raise Unauthorized(www_authenticate=challenges)

    return app


def test_unknown_url_answers_json_404(client):
    before = datetime.now(UTC).replace(microsecond=0)
    body = error_json(client.get("/no/such/page"), "GET /no/such/page", 404)
    after = datetime.now(UTC) + timedelta(milliseconds=1)
    expected = {"error": "Not Found", "path": "/no/such/page", "method": "GET"}
    got = {key: body[key] for key in expected}
    assert got == expected, explain(
        expected=f"{expected} in the body",
        got=f"{got}",
        tip="use error.name, request.path and request.method",
    )
    assert isinstance(body["message"], str) and body["message"], explain(
        expected='"message": a sentence that explains the error',
        got=f'"message": {body["message"]!r}',
        tip="use error.description",
    )
    stamp = body["timestamp"]
    moment = parse_timestamp(stamp)
    assert moment is not None, explain(
        expected='a "timestamp" like 2026-01-01T12:00:00.000Z',
        got=repr(stamp),
        tip="reuse the timestamp helper from lesson 02",
    )
    assert before <= moment <= after, explain(
        expected="the time of the request, in UTC",
        got=stamp,
        tip="compute the timestamp when the error happens",
    )


def test_wrong_method_answers_json_405_and_keeps_allow(client):
    response = client.post("/hello")
    body = error_json(response, "POST /hello", 405)
    assert (body["error"], body["method"]) == ("Method Not Allowed", "POST"), explain(
        expected='"error": "Method Not Allowed" and "method": "POST"',
        got=f'"error": {body["error"]!r}, "method": {body["method"]!r}',
        tip="use error.name and request.method",
    )
    allowed = response.headers.get("Allow", "")
    assert "GET" in allowed, explain(
        expected="the 405 to keep its Allow header (Allow: GET, HEAD, OPTIONS)",
        got=f"Allow: {allowed!r}",
        tip=f"start from error.get_response(), which carries the error's headers, and change only its body ({README})",
    )


def test_head_request_errors_have_json_headers_and_no_body(client):
    response = client.head("/no/such/page")
    assert (response.status_code, response.mimetype, response.data) == (
        404,
        "application/json",
        b"",
    ), explain(
        expected="HEAD /no/such/page to answer 404 with Content-Type application/json and no body",
        got=show(response),
        tip="the same handler serves HEAD; Flask drops the body for you",
    )


def test_abort_keeps_its_status_and_message(aborting_app, client):
    body = error_json(client.get("/kata/forbidden"), "abort(403, description=...)", 403)
    assert body["message"] == "Only the owner may see this greeting.", explain(
        expected='"message": the description given to abort()',
        got=f'"message": {body["message"]!r}',
        tip="use error.description for the message",
    )


@pytest.mark.parametrize(
    ("url", "raised", "status", "header", "values"),
    [
        ("/kata/slow-down", "TooManyRequests(retry_after=120)", 429, "Retry-After", ["120"]),
        (
            "/kata/who-are-you",
            "Unauthorized(www_authenticate=...)",
            401,
            "WWW-Authenticate",
            ["Bearer realm=kata"],
        ),
        (
            "/kata/two-ways-in",
            "Unauthorized(www_authenticate=[bearer, basic])",
            401,
            "WWW-Authenticate",
            ["Bearer realm=kata", "Basic realm=kata"],
        ),
    ],
    ids=["retry-after", "www-authenticate", "two-www-authenticate"],
)
def test_error_headers_are_kept(aborting_app, client, url, raised, status, header, values):
    response = client.get(url)
    error_json(response, f"a view raising {raised}", status)
    got = response.headers.getlist(header)
    assert got == values, explain(
        expected=f"the {status} to keep its {header} headers, each one: {values}",
        got=f"{header}: {got}",
        tip="start from error.get_response(): it carries the error's headers. Copy them with "
        "headers.extend() or keep the response itself; a dict keeps only one of two headers "
        "with the same name",
    )


@one_app_for_all_examples
@given(code=st.sampled_from(sorted(default_exceptions)))
@example(code=418)  # tried first: if errors are not JSON yet, this fails at once
def test_every_http_error_answers_json(aborting_app, client, code):
    body = error_json(client.get(f"/kata/abort/{code}"), f"abort({code})", code)
    name = HTTP_STATUS_CODES[code]
    assert body["error"] == name, explain(
        expected=f'"error": {name!r}', got=f'"error": {body["error"]!r}', tip="use error.name"
    )


def test_server_error_answers_json_and_leaks_nothing(make_app):
    # Testing mode re-raises exceptions so tests can see them; a real server does not.
    app = make_app({"TESTING": False})

    @app.get("/kata/crash")
    def crash():
        raise RuntimeError(SECRET)

    response = app.test_client().get("/kata/crash")
    body = error_json(response, "a view that raises an exception", 500)
    assert body["error"] == "Internal Server Error", explain(
        expected='"error": "Internal Server Error"',
        got=f'"error": {body["error"]!r}',
        tip="use error.name",
    )
    text = response.get_data(as_text=True)
    leaked = [clue for clue in ("hunter2", "RuntimeError", "Traceback") if clue in text]
    assert not leaked, explain(
        expected="a 500 that says nothing about the code behind it",
        got=f"the body mentions {leaked}: {text[:200]!r}",
        tip="handle errors with one errorhandler(HTTPException): Flask hands it an InternalServerError "
        "whose description is safe to show. Never put str(error) of the real exception in the body, "
        f"and do not register errorhandler(Exception) for this ({README}, step 3)",
    )
