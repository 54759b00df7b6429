"""Lesson 06: security headers on every response, and a request id that is never reflected raw."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lessons.contract import SANE_REQUEST_ID, SECURITY_HEADERS
from lessons.feedback import explain, show

README = "lessons/06/README.md"
REQUESTS = [
    ("GET", "/hello"),
    ("GET", "/hello/Ada"),
    ("GET", "/health"),
    ("GET", "/no/such/page"),
    ("POST", "/hello"),
    ("HEAD", "/hello"),
    ("OPTIONS", "/hello"),
]

# One app serves every example: requests share no state, so the function-scoped client is safe.
one_app_for_all_examples = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

# What a client may put in a header: any Latin-1 text on one line, sane or not.
header_values = st.one_of(
    st.from_regex(r"[A-Za-z0-9._-]{1,140}", fullmatch=True),
    st.text(st.characters(max_codepoint=255, exclude_characters="\r\n"), max_size=200),
)


def expect_security_headers(response, request):
    got = {name: response.headers.get(name) for name in SECURITY_HEADERS}
    assert got == SECURITY_HEADERS, explain(
        expected=f"{request} to carry every security header: {SECURITY_HEADERS}",
        got=f"{response.status} with {got}",
        tip=f"set them on every response in an @app.after_request function ({README}, step 2)",
    )
    assert "X-XSS-Protection" not in response.headers, explain(
        expected="no X-XSS-Protection header: browsers dropped that filter, and it could open holes",
        got=f"X-XSS-Protection: {response.headers['X-XSS-Protection']!r}",
        tip="leave it out; Content-Security-Policy does its job today",
    )


def request_id(response, request, sent=None):
    """The response's request id; fail clearly unless it is a sane token."""
    value = response.headers.get("X-Request-ID")
    tip = f"make one with uuid.uuid4().hex in @app.before_request, keep it in flask.g ({README}, step 3)"
    if sent is not None and value == sent:
        tip = "that is the client's own id, echoed back: echo it only when re.fullmatch(...) accepts it"
    assert value is not None and SANE_REQUEST_ID.fullmatch(value), explain(
        expected=f"{request} to answer with an X-Request-ID header made of 1-128 letters, digits, '.', '_' or '-'",
        got=f"X-Request-ID: {value!r}",
        tip=tip,
    )
    return value


def shares_a_piece(fresh, sent):
    """Whether fresh contains any 4 characters in a row from sent (a cleaned-up copy would)."""
    return any(sent[start : start + 4] in fresh for start in range(len(sent) - 3))


@pytest.mark.parametrize(("method", "url"), REQUESTS)
def test_every_response_carries_the_security_headers(client, method, url):
    response = client.open(url, method=method)
    expect_security_headers(response, f"{method} {url} ({response.status_code})")


def test_server_errors_carry_the_security_headers_too(make_app):
    app = make_app({"TESTING": False})

    @app.get("/kata/crash")
    def crash():
        raise RuntimeError("boom")

    response = app.test_client().get("/kata/crash")
    assert response.status_code == 500, explain(
        expected="a 500", got=show(response), tip="keep lesson 04's error handler"
    )
    expect_security_headers(response, "a 500 from a view that raised")
    request_id(response, "a 500")


def test_every_response_gets_its_own_request_id(client):
    first = request_id(client.get("/hello"), "GET /hello")
    second = request_id(client.get("/no/such/page"), "GET /no/such/page")
    assert first != second, explain(
        expected="a new request id for every request",
        got=f"{first!r} twice",
        tip="make the id inside the request (before_request), not once at start-up",
    )


@pytest.mark.parametrize("sent", ["abc", "web-7f3a.2026_01", "x" * 128])
def test_a_sane_request_id_is_echoed(client, sent):
    got = request_id(
        client.get("/hello", headers={"X-Request-ID": sent}), "GET /hello with an X-Request-ID"
    )
    assert got == sent, explain(
        expected=f"the client's X-Request-ID {sent!r} echoed back, so the client can match its logs with yours",
        got=repr(got),
        tip=f"use the client's id when it is 1-128 of [A-Za-z0-9._-] ({README}, step 3)",
    )


@pytest.mark.parametrize(
    "sent",
    ["x" * 129, "has space", "semi;colon", "<script>", "tab\there", "ünï", ""],
    ids=["too-long", "space", "semicolon", "html", "tab", "latin-1", "empty"],
)
def test_an_unsafe_request_id_is_replaced(client, sent):
    got = request_id(
        client.get("/hello", headers={"X-Request-ID": sent}), "GET /hello with a strange id", sent
    )
    assert got != sent, explain(
        expected=f"the X-Request-ID {sent!r} replaced by a fresh id: it is not a sane token",
        got=f"{got!r} was sent back as it came",
        tip=f"check the whole value with re.fullmatch(r'[A-Za-z0-9._-]{{1,128}}', value) ({README}, step 3)",
    )
    assert not shares_a_piece(got, sent), explain(
        expected=f"a fresh id for {sent!r}, nothing to do with what the client sent",
        got=f"{got!r}, a cleaned-up copy of it",
        tip="do not repair a bad id: replace it with uuid.uuid4().hex",
    )


@one_app_for_all_examples
@given(sent=header_values)
@example(sent="<script>")  # tried first: with no request ids yet, this fails at once
def test_no_request_id_is_reflected_raw(client, sent):
    response = client.get("/no/such/page", headers={"X-Request-ID": sent})
    got = request_id(response, "a request with any X-Request-ID", sent)
    sane = SANE_REQUEST_ID.fullmatch(sent) is not None
    assert (got == sent) == sane, explain(
        expected="the id echoed when it is a sane token, and replaced otherwise",
        got=f"sent {sent!r}, got {got!r}",
        tip="use re.fullmatch (not re.match or re.search) on the whole value",
    )
