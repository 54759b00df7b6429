"""Lesson 06: one log line per request, with method, path, status, duration and request id."""

from __future__ import annotations

import logging
import re

import pytest

from lessons.feedback import explain

README = "lessons/06/README.md"
# A duration in any usual spelling: 0.4ms, 0.4 ms, 400us, 400µs, 0.0004s, duration_ms=0.4, took=0.4
DURATION = re.compile(
    r"\d+(\.\d+)?\s?(ms|s|µs|us)\b|\b\w*(duration|elapsed|took|time|ms)\w*[=:]\s?\d+(\.\d+)?", re.I
)


def lines_for(caplog, request_id):
    """The log records that mention request_id."""
    return [record for record in caplog.records if request_id in record.getMessage()]


def one_line(caplog, request_id, request):
    records = lines_for(caplog, request_id)
    assert len(records) == 1, explain(
        expected=f"exactly one log line for {request}, mentioning its request id {request_id!r}",
        got=f"{len(records)} lines: {[record.getMessage() for record in records]}",
        tip="log it with app.logger.info(...) in an @app.after_request function, and set the logger's "
        "level from LOG_LEVEL (default INFO): left alone, Python's WARNING level drops info lines "
        f"({README}, step 4)",
    )
    return records[0]


def test_one_log_line_per_request(client, caplog):
    client.get("/hello", headers={"X-Request-ID": "kata-log-1"})
    record = one_line(caplog, "kata-log-1", "GET /hello")
    message = record.getMessage()
    missing = [part for part in ("GET", "/hello", "200") if part not in message]
    missing += [] if DURATION.search(message) else ["a duration such as 0.4ms or duration_ms=0.4"]
    tip = f"add {' and '.join(missing)} to the line"
    if missing and missing[-1].startswith("a duration"):
        tip = (
            "time the request from before_request to after_request with time.perf_counter(), "
            "and log it with its unit: 0.4ms"
        )
    assert not missing, explain(
        expected="the line to hold the method, path, status and duration, such as GET /hello 200 0.4ms",
        got=f"{message!r}, without {', '.join(missing)}",
        tip=tip,
    )
    assert record.levelno == logging.INFO, explain(
        expected="the line at INFO level", got=record.levelname, tip="use app.logger.info(...)"
    )


def test_errors_are_logged_too(client, caplog):
    client.get("/no/such/page", headers={"X-Request-ID": "kata-log-404"})
    message = one_line(caplog, "kata-log-404", "GET /no/such/page").getMessage()
    assert "404" in message and "/no/such/page" in message, explain(
        expected="the 404's line to show its path and status",
        got=repr(message),
        tip="after_request runs for errors too",
    )


def test_a_client_cannot_forge_log_lines(client, caplog):
    client.get("/hello/x%0D%0AINFO%20forged%20line", headers={"X-Request-ID": "kata-log-forge"})
    message = one_line(caplog, "kata-log-forge", "a path with a line break in it").getMessage()
    assert "\n" not in message and "\r" not in message, explain(
        expected="the line to stay one line even when the path holds %0D%0A (a line break)",
        got=repr(message),
        tip=f"log the path URL-encoded, as it travels: urllib.parse.quote(request.path) ({README}, step 4)",
    )


def test_log_level_decides_what_is_logged(make_app, caplog):
    quiet = make_app({"LOG_LEVEL": "WARNING"})
    quiet.test_client().get("/hello", headers={"X-Request-ID": "kata-log-quiet"})
    assert not lines_for(caplog, "kata-log-quiet"), explain(
        expected="no request lines with LOG_LEVEL=WARNING",
        got=[record.getMessage() for record in lines_for(caplog, "kata-log-quiet")],
        tip=f"set the app logger's level from the LOG_LEVEL setting: app.logger.setLevel(...) ({README}, step 4)",
    )
    chatty = make_app({"LOG_LEVEL": "DEBUG"})
    chatty.test_client().get("/hello", headers={"X-Request-ID": "kata-log-chatty"})
    one_line(caplog, "kata-log-chatty", "GET /hello with LOG_LEVEL=DEBUG")


def app_with_level(create_app, setting):
    """Your app with LOG_LEVEL set as given; fail with the reason if create_app() cannot take it."""
    try:
        return create_app({"TESTING": True, "LOG_LEVEL": setting})
    except Exception as error:  # explained below, without its traceback
        problem = f"{type(error).__name__}: {error}"
    pytest.fail(
        explain(
            expected=f"create_app() to start with LOG_LEVEL={setting!r}",
            got=problem,
            tip="FLASK_LOG_LEVEL=30 arrives as the int 30, and .upper() only works on text: call "
            f".upper() only when the setting is a str ({README}, step 4)",
        ),
        pytrace=False,
    )


@pytest.mark.parametrize(
    ("chatty", "quiet"), [(20, 30), ("info", "warning")], ids=["numbers", "lower-case"]
)
def test_log_level_may_be_a_number_or_a_name_in_any_case(create_app, caplog, chatty, quiet):
    app_with_level(create_app, chatty).test_client().get(
        "/hello", headers={"X-Request-ID": "kata-log-on"}
    )
    one_line(caplog, "kata-log-on", f"GET /hello with LOG_LEVEL={chatty!r}")
    app_with_level(create_app, quiet).test_client().get(
        "/hello", headers={"X-Request-ID": "kata-log-off"}
    )
    assert not lines_for(caplog, "kata-log-off"), explain(
        expected=f"no request lines with LOG_LEVEL={quiet!r}",
        got=[record.getMessage() for record in lines_for(caplog, "kata-log-off")],
        tip=f"set the app logger's level from the LOG_LEVEL setting, not a fixed level ({README}, step 4)",
    )


@pytest.mark.parametrize(
    "setting", ["nonsense", None, 1.5, 5000], ids=["word", "null", "float", "number"]
)
def test_a_log_level_that_is_no_level_refuses_to_start(create_app, setting):
    try:
        create_app({"TESTING": True, "LOG_LEVEL": setting})
    except Exception as error:  # any exception that stops the app from starting will do
        message = f"{type(error).__name__}: {error}"
    else:
        message = "an app that started anyway"
    assert "LOG_LEVEL" in message, explain(
        expected=f"create_app() with LOG_LEVEL={setting!r} to refuse to start, with a message that names LOG_LEVEL",
        got=message,
        tip="accept DEBUG, INFO, WARNING, ERROR or CRITICAL in any case, or 10, 20, 30, 40, 50; "
        f"raise an error that names LOG_LEVEL for anything else ({README}, step 4)",
    )


def test_a_huge_path_gives_a_short_log_line(client, caplog):
    path = "/hello/" + '"' * 4000  # each " becomes %22 in the line: 12,000 characters if not cut
    client.get(path, headers={"X-Request-ID": "kata-log-long"})
    message = one_line(caplog, "kata-log-long", "a 4,000-character path").getMessage()
    marked = any(mark in message for mark in ("...", "…", "[cut]", "truncated"))
    assert len(message) <= 2000 and marked, explain(
        expected="a line of at most 2,000 characters that shows the path was cut, such as "
        "/hello/%22%22%22...: long lines tear apart when several workers share one log",
        got=f"{len(message):,} characters{'' if marked else ', with no mark of a cut'}: {message[:120]!r}...",
        tip=f"cut the encoded path to a few hundred characters and add a mark such as [...] ({README}, step 4)",
    )
