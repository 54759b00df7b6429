"""Lesson 07: behind a reverse proxy, X-Forwarded-For and -Proto count only when configured."""

from __future__ import annotations

import re

import pytest

from lessons.feedback import explain

README = "lessons/07/README.md"
CLIENT, PROXY = "203.0.113.7", "192.0.2.10"
FORWARDED = {"X-Forwarded-For": CLIENT, "X-Forwarded-Proto": "https"}
ONE_YEAR = 365 * 24 * 60 * 60


def logged(app, caplog, request_id, headers=None, **options):
    """Send GET /hello from the proxy's address; return the response and its log line."""
    response = app.test_client().get(
        "/hello",
        headers={"X-Request-ID": request_id, **(headers or {})},
        environ_base={"REMOTE_ADDR": PROXY},
        **options,
    )
    lines = [record.getMessage() for record in caplog.records if request_id in record.getMessage()]
    assert len(lines) == 1, explain(
        expected="one log line for the request, as in lesson 06",
        got=str(lines),
        tip="keep lesson 06's request log",
    )
    return response, lines[0]


def test_the_log_line_names_the_client(app, caplog):
    _, line = logged(app, caplog, "kata-proxy-1")
    assert PROXY in line, explain(
        expected=f"the request's log line to name the client's address, {PROXY}",
        got=repr(line),
        tip=f"add request.remote_addr to the line ({README}, step 3)",
    )


def test_forwarded_headers_are_ignored_by_default(app, caplog):
    response, line = logged(app, caplog, "kata-proxy-2", FORWARDED)
    assert PROXY in line and CLIENT not in line, explain(
        expected=f"with no TRUSTED_PROXIES set, the address that connected ({PROXY}) and not the "
        f"X-Forwarded-For header anyone can send ({CLIENT})",
        got=repr(line),
        tip=f"wrap the app in ProxyFix only when TRUSTED_PROXIES is above 0 ({README}, step 3)",
    )
    assert "Strict-Transport-Security" not in response.headers, explain(
        expected="no Strict-Transport-Security over plain HTTP, even if a client claims X-Forwarded-Proto: https",
        got=response.headers.get("Strict-Transport-Security"),
        tip="check request.is_secure, which only a trusted proxy may change",
    )


def test_a_trusted_proxy_tells_the_client_and_the_scheme(make_app, caplog):
    app = make_app({"TRUSTED_PROXIES": 1})
    chain = {"X-Forwarded-For": f"198.51.100.99, {CLIENT}", "X-Forwarded-Proto": "https"}
    response, line = logged(app, caplog, "kata-proxy-3", chain)
    assert CLIENT in line and "198.51.100.99" not in line, explain(
        expected=f"with TRUSTED_PROXIES=1, the address our one proxy saw ({CLIENT}), the last in X-Forwarded-For; "
        "the ones before it came from the client and prove nothing",
        got=repr(line),
        tip=f"ProxyFix(app.wsgi_app, x_for=1, x_proto=1) does exactly this ({README}, step 3)",
    )
    assert "Strict-Transport-Security" in response.headers, explain(
        expected="Strict-Transport-Security when the trusted proxy says the request came over HTTPS",
        got="no such header",
        tip=f"add it when request.is_secure ({README}, step 4)",
    )


def test_trusted_proxies_counts_the_hops(make_app, caplog):
    app = make_app({"TRUSTED_PROXIES": 2})
    # The client sent a made-up first entry; proxy A added the client, proxy B added proxy A.
    chain = {"X-Forwarded-For": f"198.51.100.99, {CLIENT}, 10.1.1.1"}
    _, line = logged(app, caplog, "kata-proxy-4", chain)
    assert CLIENT in line and "10.1.1.1" not in line and "198.51.100.99" not in line, explain(
        expected=f"with TRUSTED_PROXIES=2, the address two proxies back ({CLIENT}): the second entry from the end",
        got=repr(line),
        tip=f"pass the setting itself to ProxyFix: x_for=n and x_proto=n, not 1 ({README}, step 3)",
    )


def test_https_responses_carry_strict_transport_security(client):
    secure = client.get("/hello", base_url="https://localhost")
    value = secure.headers.get("Strict-Transport-Security", "")
    match = re.search(r"max-age=(\d+)", value)
    assert match and int(match[1]) >= ONE_YEAR, explain(
        expected="Strict-Transport-Security: max-age=63072000; includeSubDomains (at least a year) over HTTPS",
        got=repr(value),
        tip=f"set it in your after_request function when request.is_secure ({README}, step 4)",
    )
    plain = client.get("/hello")
    assert "Strict-Transport-Security" not in plain.headers, explain(
        expected="no Strict-Transport-Security over plain HTTP (browsers ignore it there, and it misleads)",
        got=plain.headers.get("Strict-Transport-Security"),
        tip="only set it when request.is_secure",
    )


@pytest.mark.parametrize("setting", [-1, "abc", None], ids=["negative", "word", "null"])
def test_a_trusted_proxies_that_is_no_count_refuses_to_start(create_app, setting):
    try:
        create_app({"TESTING": True, "TRUSTED_PROXIES": setting})
    except Exception as error:  # any exception that stops the app from starting will do
        message = f"{type(error).__name__}: {error}"
    else:
        message = "an app that started anyway"
    assert "TRUSTED_PROXIES" in message, explain(
        expected=f"create_app() with TRUSTED_PROXIES={setting!r} to refuse to start, with a message "
        "that names TRUSTED_PROXIES",
        got=message,
        tip="accept a whole number, 0 or more (FLASK_TRUSTED_PROXIES=1 arrives as the int 1), and raise an "
        f"error that names the setting for anything else ({README}, step 3)",
    )
