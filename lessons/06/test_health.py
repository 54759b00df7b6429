"""Lesson 06: GET /health tells monitors the service is up, and which service and version it is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lessons.contract import parse_timestamp
from lessons.feedback import explain, json_object, show

README = "lessons/06/README.md"


def health(client):
    response = client.get("/health")
    assert response.status_code == 200 and response.mimetype == "application/json", explain(
        expected="GET /health to answer 200 with JSON",
        got=show(response),
        tip=f'add a view for "/health" in create_app() that returns a dict ({README}, step 1)',
    )
    return json_object(response, "GET /health", "return a dict from the view")


def test_health_says_healthy(client):
    before = datetime.now(UTC).replace(microsecond=0)
    body = health(client)
    after = datetime.now(UTC) + timedelta(milliseconds=1)
    expected = {"status": "healthy", "service": "flask-hello-world-tutorial", "version": "1.0.0"}
    got = {key: body.get(key) for key in expected}
    assert sorted(body) == ["service", "status", "timestamp", "version"] and got == expected, (
        explain(
            expected=f'exactly "status", "timestamp", "service" and "version", with {expected}',
            got=str(body),
            tip=f"take service and version from app.config, with these defaults ({README}, step 1)",
        )
    )
    stamp = body["timestamp"]
    moment = parse_timestamp(stamp)
    assert moment is not None and before <= moment <= after, explain(
        expected="a timestamp of the request, like 2026-01-01T12:00:00.000Z",
        got=repr(stamp),
        tip="reuse your timestamp helper",
    )


def test_health_reports_the_configured_service_and_version(make_app):
    app = make_app({"SERVICE_NAME": "kata-guestbook", "SERVICE_VERSION": "2.5.0"})
    body = health(app.test_client())
    got = {"service": body.get("service"), "version": body.get("version")}
    assert got == {"service": "kata-guestbook", "version": "2.5.0"}, explain(
        expected="service and version from the SERVICE_NAME and SERVICE_VERSION settings",
        got=str(got),
        tip=f'read app.config["SERVICE_NAME"] and app.config["SERVICE_VERSION"] in the view ({README}, step 1)',
    )
