"""Lesson 01: create_app() builds a Flask app, and GET /hello says Hello world."""

from __future__ import annotations

import subprocess
import sys

from lessons.feedback import explain, show

README = "lessons/01/README.md"


def test_create_app_builds_a_new_app_every_call(make_app):
    first, second = make_app(), make_app()
    assert first is not second, explain(
        expected="two calls of create_app() to give two different app objects",
        got="the same app object both times",
        tip="build the app inside create_app() with `app = Flask(__name__)`, not at module "
        f"level ({README}, step 1)",
    )
    first.config["KATA_MARK"] = "set on the first app only"
    assert "KATA_MARK" not in second.config, explain(
        expected="each app to have its own config",
        got="a setting made on one app showed up on the other",
        tip="create a new Flask object on every call of create_app()",
    )


def test_get_hello_answers_200_ok(client):
    response = client.get("/hello")
    tip = (
        f'add a view for the URL /hello inside create_app(): @app.get("/hello") ({README}, step 2)'
    )
    if response.headers.get("Location", "").endswith("/hello/"):
        tip = 'your route ends with a slash, so Flask redirects /hello to /hello/: use @app.get("/hello")'
    assert response.status_code == 200, explain(
        expected="GET /hello to answer 200 OK", got=show(response), tip=tip
    )


def test_hello_says_hello_world(client):
    response = client.get("/hello")
    body = response.get_data(as_text=True)
    assert "Hello world" in body, explain(
        expected="the body of GET /hello to contain the text Hello world (capital H, small w)",
        got=show(response),
        tip='return "Hello world" from your /hello view',
    )


def test_flask_command_finds_your_app(process_env, kata_root):
    command = [sys.executable, "-m", "flask", "--app", "solution", "routes"]
    result = subprocess.run(
        command, env=process_env, capture_output=True, text=True, timeout=30, check=False
    )
    output = (result.stdout + result.stderr).strip()
    found = result.returncode == 0
    tip = (
        "your app was found, but it has no URL /hello: add the view (step 2)"
        if found
        else "the flask command looks for create_app() in solution/__init__.py: check its name and "
        f"that it returns the app ({README}, step 3)"
    )
    assert found and "/hello" in result.stdout, explain(
        expected="`flask --app solution routes` to find your app and list the URL /hello",
        got=output or f"no output (exit code {result.returncode})",
        tip=tip,
    )
