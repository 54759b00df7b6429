"""The reference app's sessions: Flask's signed cookies, and nothing at all when unused."""

from __future__ import annotations

import pytest
from flask import Flask, session


def with_session_routes(app: Flask) -> Flask:
    """Add views that write, read and clear the session."""

    @app.post("/kata/visit")
    def visit():
        session["visits"] = session.get("visits", 0) + 1
        return {"visits": session["visits"]}

    @app.get("/kata/visits")
    def visits():
        return {"visits": session.get("visits", 0)}

    @app.post("/kata/remember-me")
    def remember_me():
        session.permanent = True
        return {"permanent": True}

    @app.post("/kata/forget")
    def forget():
        session.clear()
        return {"visits": 0}

    return app


@pytest.fixture
def app(make_app):
    return with_session_routes(make_app())


def test_a_session_round_trips_through_a_signed_cookie(app, client):
    first = client.post("/kata/visit")
    assert first.get_json() == {"visits": 1}
    [cookie] = first.headers.getlist("Set-Cookie")
    assert cookie.startswith("session=") and "HttpOnly" in cookie and "Path=/" in cookie
    value = client.get_cookie("session").value
    signer = app.session_interface.get_signing_serializer(app)
    assert signer.loads(value) == {"visits": 1}
    assert client.post("/kata/visit").get_json() == {"visits": 2}
    assert client.get("/kata/visits").get_json() == {"visits": 2}


def test_a_session_signed_with_another_key_is_not_believed(app, client, make_app):
    other = make_app({"SECRET_KEY": "another key"})
    forged = other.session_interface.get_signing_serializer(other).dumps({"visits": 99})
    client.set_cookie("session", forged)
    assert client.get("/kata/visits").get_json() == {"visits": 0}


def test_a_tampered_cookie_is_not_believed(app, client):
    client.post("/kata/visit")
    payload, rest = client.get_cookie("session").value.split(".", 1)
    client.set_cookie("session", payload[:-2] + "xx." + rest)
    assert client.get("/kata/visits").get_json() == {"visits": 0}


def test_an_untouched_session_sets_no_cookie_and_no_vary(client):
    response = client.get("/hello")
    assert "Set-Cookie" not in response.headers
    assert "Vary" not in response.headers


def test_an_untouched_session_with_cookies_sent_sets_no_cookie_and_no_vary(app, client):
    client.post("/kata/visit")
    client.set_cookie("theme", "dark")
    response = client.get("/hello")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Vary" not in response.headers


def test_a_permanent_session_is_refreshed_on_every_request_as_flask_does(app, client):
    client.post("/kata/remember-me")
    response = client.get("/hello")
    [cookie] = response.headers.getlist("Set-Cookie")
    assert cookie.startswith("session=") and "Expires=" in cookie


def test_reading_the_session_varies_on_cookie_but_sets_none(client):
    response = client.get("/kata/visits")
    assert response.get_json() == {"visits": 0}
    assert "Set-Cookie" not in response.headers
    assert response.headers["Vary"] == "Cookie"


def test_clearing_the_session_deletes_the_cookie(app, client):
    client.post("/kata/visit")
    response = client.post("/kata/forget")
    [cookie] = response.headers.getlist("Set-Cookie")
    assert cookie.startswith("session=;") and "Expires=Thu, 01 Jan 1970" in cookie
    assert client.get_cookie("session") is None


@pytest.fixture
def keyless(make_app):
    """The app with no SECRET_KEY at all (outside production, which refuses to start)."""
    return with_session_routes(make_app({"SECRET_KEY": None, "TESTING": False}))


@pytest.mark.parametrize("cookie", [None, "session=anything; theme=dark"])
def test_without_a_secret_key_requests_that_ignore_the_session_still_work(keyless, cookie):
    headers = {"Cookie": cookie} if cookie else {}
    response = keyless.test_client().get("/hello", headers=headers)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_without_a_secret_key_the_session_reads_empty(keyless):
    response = keyless.test_client().get("/kata/visits", headers={"Cookie": "session=anything"})
    assert response.get_json() == {"visits": 0}


def test_without_a_secret_key_writing_the_session_is_a_json_500(keyless):
    response = keyless.test_client().post("/kata/visit")
    assert response.status_code == 500
    assert response.get_json()["error"] == "Internal Server Error"
    assert "Set-Cookie" not in response.headers


def test_without_a_secret_key_testing_mode_shows_flasks_reason(make_app):
    app = with_session_routes(make_app({"SECRET_KEY": None}))
    with pytest.raises(RuntimeError, match="secret key"):
        app.test_client().post("/kata/visit")
