"""Lesson 06: one log line per request, with method, path, status, duration and request id."""

from __future__ import annotations

import logging
import re

from lessons.feedback import explain

README = "lessons/06/README.md"
DURATION = re.compile(r"\d+(\.\d+)?\s?(ms|s|µs|us)\b")


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
    assert not missing and DURATION.search(message), explain(
        expected="the line to hold the method, path, status and duration, such as GET /hello 200 0.4ms",
        got=f"{message!r} (missing: {missing or 'a duration like 0.4ms'})",
        tip="time the request from before_request to after_request with time.perf_counter()",
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
