"""The reference app's request hooks: security headers, request ids and the access log line."""

from __future__ import annotations

import logging
import re

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

from tests.support import FRESH_ID, HSTS, SECURITY_HEADERS


def log_line(caplog: pytest.LogCaptureFixture, request_id: str) -> str:
    """The one line the app logged for the request with this id."""
    lines = [
        record.getMessage()
        for record in caplog.records
        if record.name == "solution" and f"request_id={request_id}" in record.getMessage()
    ]
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture
def crashing(app):
    """The app, plus a view that raises."""

    @app.get("/kata/crash")
    def crash():
        raise RuntimeError("the database password is hunter2")

    return app


def test_the_log_line_names_client_method_path_status_duration_and_id(client, caplog):
    client.get("/hello/Ada", headers={"X-Request-ID": "kata-format"})
    line = log_line(caplog, "kata-format")
    assert re.fullmatch(r"127\.0\.0\.1 GET /hello/Ada 200 \d+\.\dms request_id=kata-format", line)


def test_the_log_line_is_at_info(client, caplog):
    client.get("/no/such/page", headers={"X-Request-ID": "kata-level"})
    [record] = [r for r in caplog.records if "kata-level" in r.getMessage()]
    assert (record.name, record.levelno) == ("solution", logging.INFO)


@pytest.mark.parametrize(
    "name", [name.lower() for name in SECURITY_HEADERS], ids=list(SECURITY_HEADERS)
)
def test_a_view_that_sets_a_security_header_keeps_its_own_and_gets_the_others(app, client, name):
    @app.get("/kata/own-header")
    def own_header():
        return {"own": True}, {name: "the view's own value"}

    response = client.get("/kata/own-header")
    assert response.headers.getlist(name) == ["the view's own value"]
    others = {key: value for key, value in SECURITY_HEADERS.items() if key.lower() != name}
    assert {key: response.headers.get(key) for key in others} == others


def test_a_view_that_caches_on_purpose_keeps_its_cache_control(app, client):
    @app.get("/kata/cached")
    def cached():
        return {"cached": True}, {"Cache-Control": "public, max-age=60"}

    response = client.get("/kata/cached")
    assert response.headers.getlist("Cache-Control") == ["public, max-age=60"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert FRESH_ID.fullmatch(response.headers["X-Request-ID"])


def test_a_500_is_logged_with_its_traceback_and_answered_without_it(make_app, caplog):
    app = make_app({"TESTING": False, "LOG_LEVEL": "WARNING"})

    @app.get("/kata/crash")
    def crash():
        raise RuntimeError("the database password is hunter2")

    response = app.test_client().get("/kata/crash")
    assert response.status_code == 500
    assert "hunter2" not in response.get_data(as_text=True)
    [error] = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert error.name == "solution" and error.exc_info is not None
    assert "hunter2" in str(error.exc_info[1])


def test_a_500_in_production_mode_has_one_request_id_in_header_and_log(make_app, caplog):
    app = make_app({"TESTING": False})

    @app.get("/kata/crash")
    def crash():
        raise RuntimeError("boom")

    response = app.test_client().get("/kata/crash", headers={"X-Request-ID": "not sane!"})
    request_id = response.headers["X-Request-ID"]
    assert FRESH_ID.fullmatch(request_id)
    line = log_line(caplog, request_id)
    assert " GET /kata/crash 500 " in line and "not sane" not in line


@pytest.mark.parametrize(
    ("url", "logged"),
    [
        ("/hello/caf%C3%A9", "/hello/caf%C3%A9"),
        ("/hello/Ada%20Lovelace", "/hello/Ada%20Lovelace"),
        ("/hello/100%25", "/hello/100%25"),
        ("/hello/%3Cscript%3E", "/hello/%3Cscript%3E"),
        ("/hello/O'Brien+co", "/hello/O'Brien+co"),
        ("/hello?name=secret-token", "/hello"),
    ],
    ids=["utf-8", "space", "percent", "html", "sub-delims", "query"],
)
def test_the_path_is_logged_percent_encoded_without_the_query(client, caplog, url, logged):
    client.get(url, headers={"X-Request-ID": "kata-path"})
    line = log_line(caplog, "kata-path")
    assert f" GET {logged} 200 " in line
    assert "secret-token" not in line


def test_a_path_that_is_not_utf_8_is_logged_encoded_and_printable(client, caplog):
    """A server hands over the raw bytes as Latin-1; Werkzeug decodes them as UTF-8, with U+FFFD."""
    client.get(
        "/hello/x",
        environ_overrides={"PATH_INFO": "/hello/\xff\xfe"},
        headers={"X-Request-ID": "kata-bytes"},
    )
    assert " GET /hello/%EF%BF%BD%EF%BF%BD 200 " in log_line(caplog, "kata-bytes")


@pytest.mark.parametrize(
    ("sent", "logged"),
    [
        ("/hello/" + "x" * 600, "/hello/" + "x" * 493 + "[...]"),
        # 500 characters would end in the middle of a %22: the cut keeps whole escapes only.
        ("/hello/" + "%22" * 600, "/hello/" + "%22" * 164 + "[...]"),
    ],
    ids=["plain", "encoded"],
)
def test_a_long_path_is_cut_with_a_mark_and_never_halfway_through_an_escape(
    client, caplog, sent, logged
):
    client.get(sent, headers={"X-Request-ID": "kata-long"})
    assert f" GET {logged} 200 " in log_line(caplog, "kata-long")


def test_every_part_a_client_controls_is_bounded(make_app, caplog):
    app = make_app({"TRUSTED_PROXIES": 1})
    app.test_client().open(
        "/hello/" + "%0A" * 3000,
        method="X" * 3000,
        headers={"X-Forwarded-For": "\x1b" * 3000, "X-Request-ID": "kata-bounded"},
    )
    line = log_line(caplog, "kata-bounded")
    assert len(line.encode()) < 2000 and line.isascii() and line.isprintable()
    assert line.count("[...]") == 3


@pytest.mark.parametrize(
    "hostile",
    ["%0A", "%0D%0A", "%0B", "%0C", "%1B%5B2J", "%C2%85", "%E2%80%A8", "%00", "%09", "%7F"],
    ids=["lf", "crlf", "vt", "ff", "esc", "nel", "line-separator", "nul", "tab", "del"],
)
def test_the_log_line_is_one_printable_line_whatever_the_path(client, caplog, hostile):
    client.get(f"/hello/x{hostile}INFO%20forged", headers={"X-Request-ID": "kata-hostile"})
    line = log_line(caplog, "kata-hostile")
    assert line.isascii() and line.isprintable() and len(line.splitlines()) == 1
    assert f" GET /hello/x{hostile}INFO%20forged 200 " in line


def test_a_request_without_a_client_address_is_logged_with_a_dash(app, caplog):
    environ = EnvironBuilder(path="/hello", headers={"X-Request-ID": "kata-no-addr"}).get_environ()
    environ.pop("REMOTE_ADDR", None)
    _, status, _ = run_wsgi_app(app.wsgi_app, environ, buffered=True)
    assert status == "200 OK"
    assert log_line(caplog, "kata-no-addr").startswith("- GET /hello 200 ")


def test_an_empty_path_is_logged_as_the_root(app, caplog):
    environ = EnvironBuilder(path="/", headers={"X-Request-ID": "kata-empty-path"}).get_environ()
    environ["PATH_INFO"] = ""
    run_wsgi_app(app.wsgi_app, environ, buffered=True)
    assert " GET / " in log_line(caplog, "kata-empty-path")


@pytest.mark.parametrize(
    ("forwarded", "logged"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8::1", "2001:db8::1"),
        ("\x1b[31mred", "%1B%5B31mred"),
    ],
    ids=["ipv4", "ipv6", "terminal-escape"],
)
def test_a_forwarded_client_address_is_logged_encoded(make_app, caplog, forwarded, logged):
    app = make_app({"TRUSTED_PROXIES": 1})
    app.test_client().get(
        "/hello", headers={"X-Forwarded-For": forwarded, "X-Request-ID": "kata-fwd"}
    )
    line = log_line(caplog, "kata-fwd")
    assert line.startswith(f"{logged} GET /hello 200 ") and line.isprintable()


def test_a_fresh_request_id_is_the_same_in_the_header_and_the_log(client, caplog):
    response = client.get("/hello", headers={"X-Request-ID": "semi;colon"})
    request_id = response.headers["X-Request-ID"]
    assert FRESH_ID.fullmatch(request_id)
    assert "semi;colon" not in log_line(caplog, request_id)


@pytest.mark.parametrize(("url", "status"), [("/hello", 200), ("/nowhere", 404)])
def test_https_responses_carry_hsts_errors_included(client, url, status):
    response = client.get(url, base_url="https://localhost")
    assert response.status_code == status
    assert response.headers.getlist("Strict-Transport-Security") == [HSTS]


def test_plain_http_never_carries_hsts_whatever_the_client_claims(client):
    claims = {"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on", "Front-End-Https": "on"}
    response = client.get("/hello", headers=claims)
    assert "Strict-Transport-Security" not in response.headers


def test_log_level_warning_silences_request_lines_but_not_errors(make_app, caplog):
    app = make_app({"TESTING": False, "LOG_LEVEL": "WARNING"})

    @app.get("/kata/crash")
    def crash():
        raise RuntimeError("boom")

    client = app.test_client()
    client.get("/hello")
    client.get("/kata/crash")
    assert [record.levelname for record in caplog.records if record.name == "solution"] == ["ERROR"]
