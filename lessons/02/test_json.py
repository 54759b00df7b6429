"""Lesson 02: GET /hello answers JSON with a message and a UTC timestamp."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from lessons.contract import format_timestamp, parse_timestamp
from lessons.feedback import explain, json_object, show

README = "lessons/02/README.md"
FORMAT_TIP = (
    "format the time like 2026-01-01T12:00:00.000Z: "
    'datetime.now(UTC).isoformat(timespec="milliseconds") gives it with +00:00 '
    f"at the end, which you replace with Z ({README}, step 3)"
)


def hello(client):
    """GET /hello and return the response and its JSON object."""
    response = client.get("/hello")
    return response, json_object(
        response,
        "GET /hello",
        f"return a dict from your view; Flask turns it into JSON ({README}, step 2)",
    )


def timestamp_of(data):
    """The timestamp in a greeting as sent, and parsed; fail clearly if it is missing or malformed."""
    stamp = data.get("timestamp")
    moment = parse_timestamp(stamp)
    assert moment is not None, explain(
        expected='a "timestamp" like 2026-01-01T12:00:00.000Z (UTC, milliseconds, Z at the end)',
        got=repr(stamp),
        tip=FORMAT_TIP,
    )
    return stamp, moment


def request_window(client):
    """The UTC clock just before the request, the greeting's timestamp, the clock just after."""
    now = datetime.now(UTC)
    before = now - timedelta(microseconds=now.microsecond % 1000)
    response, data = hello(client)
    after = datetime.now(UTC) + timedelta(milliseconds=1)
    return before, timestamp_of(data), after


def test_hello_answers_json(client):
    response = client.get("/hello")
    assert response.mimetype == "application/json", explain(
        expected="GET /hello to answer with Content-Type application/json",
        got=show(response),
        tip=f"return a dict from the view (or use jsonify); Flask sets the content type ({README}, step 2)",
    )


def test_hello_json_has_exactly_message_and_timestamp(client):
    _, data = hello(client)
    assert sorted(data) == ["message", "timestamp"], explain(
        expected='exactly the keys "message" and "timestamp"',
        got=f"the keys {sorted(data)}",
        tip='return {"message": ..., "timestamp": ...} and nothing else',
    )


def test_message_is_hello_world(client):
    _, data = hello(client)
    assert data.get("message") == "Hello world", explain(
        expected='"message": "Hello world"',
        got=f'"message": {data.get("message")!r}',
        tip="check spelling and capitals",
    )


def test_timestamp_has_milliseconds_and_a_z(client):
    _, data = hello(client)
    timestamp_of(data)


def test_timestamp_is_the_time_of_the_request(client):
    before, (sent, stamp), after = request_window(client)
    assert before <= stamp <= after, explain(
        expected=f"a timestamp between {format_timestamp(before)} and {format_timestamp(after)} "
        "(the time of the request, in UTC)",
        got=sent,
        tip="compute the time inside the view, on every request, with datetime.now(UTC)",
    )


def test_timestamp_is_taken_on_every_request(client):
    _, data = hello(client)
    sent, first = timestamp_of(data)
    # Let the clock pass at least one millisecond: two requests 2 ms apart must differ.
    answered = time.perf_counter()
    while time.perf_counter() - answered < 0.002:
        pass
    _, data = hello(client)
    _, second = timestamp_of(data)
    assert second > first, explain(
        expected="two requests 2 ms apart to carry different timestamps",
        got=f"{sent} both times",
        tip="compute the time inside the view, on every request; not once in create_app() or at import",
    )


@pytest.fixture
def faraway_clock(monkeypatch):
    """Pretend the computer's clock is set to Nepal time (UTC+05:45), where the OS allows it."""
    if hasattr(time, "tzset"):
        monkeypatch.setenv("TZ", "Asia/Kathmandu")
        time.tzset()
        yield
        monkeypatch.undo()
        time.tzset()
    else:  # Windows cannot change the zone here; the test still checks against UTC.
        yield


def test_timestamp_is_utc_even_when_the_local_clock_is_not(client, faraway_clock):
    before, (sent, stamp), after = request_window(client)
    assert before <= stamp <= after, explain(
        expected=f"the time in UTC, between {format_timestamp(before)} and {format_timestamp(after)}",
        got=f"{sent}, which looks like local time (the computer's clock is set to UTC+05:45 here)",
        tip="use datetime.now(UTC), not datetime.now() (local time) or datetime.utcnow() (deprecated)",
    )
