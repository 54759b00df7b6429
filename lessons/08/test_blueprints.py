"""Lesson 08: the views move into blueprints; an `api` blueprint at /api lists what the API has."""

from __future__ import annotations

import pytest
from flask.cli import ScriptInfo, routes_command

from lessons.contract import ERROR_KEYS, SECURITY_HEADERS
from lessons.feedback import explain, json_object, show

README = "lessons/08/README.md"
PART_ONE = [
    ("GET", "/hello", 200),
    ("GET", "/hello/Ada", 200),
    ("GET", "/hello?name=Grace", 200),
    ("GET", "/health", 200),
    ("GET", "/no/such/page", 404),
    ("POST", "/hello", 405),
]


def routes(app):
    """What `flask routes` prints for the app: a list of (endpoint, methods, rule)."""
    result = app.test_cli_runner().invoke(routes_command, obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, explain(
        expected="`flask routes` to list your app's routes",
        got=result.output or repr(result.exception),
        tip="check that create_app() returns the app",
    )
    rows = [line.split() for line in result.output.splitlines()[2:] if line.strip()]
    return [(row[0], row[1], row[-1]) for row in rows if len(row) >= 3]


@pytest.mark.holds_early(
    reason="Part I's URLs must answer the same before and after the views move into blueprints"
)
@pytest.mark.parametrize(("method", "url", "status"), PART_ONE)
def test_part_one_answers_as_before(client, method, url, status):
    response = client.open(url, method=method)
    assert response.status_code == status and response.mimetype == "application/json", explain(
        expected=f"{method} {url} to answer {status} with JSON, as in Part I",
        got=show(response),
        tip=f"register the blueprint in create_app(): app.register_blueprint(main.bp) ({README}, step 1)"
        if status < 400
        else "keep lesson 04's error handler on the app (or register it with bp.app_errorhandler): "
        "a blueprint's own errorhandler never sees a URL that matches no route, nor a method that "
        f"no route allows ({README}, step 2)",
    )
    body = json_object(response, f"{method} {url}", "keep Part I's views as they were")
    keys = (
        ERROR_KEYS
        if status >= 400
        else ["service", "status", "timestamp", "version"]
        if "health" in url
        else ["message", "timestamp"]
    )
    assert sorted(body) == keys, explain(
        expected=f"the keys {keys}, as in Part I",
        got=f"the keys {sorted(body)}",
        tip="move the views as they are: only their home changes, not what they answer",
    )
    headers = {name: response.headers.get(name) for name in SECURITY_HEADERS}
    assert headers == SECURITY_HEADERS and response.headers.get("X-Request-ID"), explain(
        expected=f"the security headers and an X-Request-ID on {method} {url}, as in Part I",
        got=str({**headers, "X-Request-ID": response.headers.get("X-Request-ID")}),
        tip="keep the hooks on the app (app.after_request), not on a blueprint: they must see every "
        f"response ({README}, step 2)",
    )


def test_the_views_live_in_blueprints(app):
    endpoints = {rule: endpoint for endpoint, _, rule in routes(app)}
    outside = {rule: endpoints.get(rule) for rule in ("/hello", "/hello/<name>", "/health")}
    assert all(endpoint and "." in endpoint for endpoint in outside.values()), explain(
        expected="`flask routes` to show /hello, /hello/<name> and /health with blueprint endpoints, "
        "such as main.hello",
        got=f"endpoints {outside}",
        tip=f'move the views into a blueprint: bp = Blueprint("main", __name__) and @bp.get(...) ({README}, step 1)',
    )
    api = endpoints.get("/api/")
    assert api is not None and api.startswith("api."), explain(
        expected="`flask routes` to show /api/ with an endpoint of the blueprint named api, such as api.index",
        got=f"/api/ -> {api!r}",
        tip=f'Blueprint("api", __name__, url_prefix="/api") with a view for "/" ({README}, step 3)',
    )


def test_the_api_index_links_to_itself(client):
    response = client.get("/api/")
    body = json_object(
        response, "GET /api/", f'return {{"links": {{"self": ...}}}} ({README}, step 3)'
    )
    links = body.get("links")
    assert sorted(body) == ["links"] and isinstance(links, dict), explain(
        expected='GET /api/ to answer exactly {"links": {...}}',
        got=show(response),
        tip=f'return {{"links": {{"self": url_for("api.index", _external=True)}}}} ({README}, step 3)',
    )
    assert links.get("self") == "http://localhost/api/", explain(
        expected='"self": "http://localhost/api/", the absolute URL of the index',
        got=f'"self": {links.get("self")!r}',
        tip=f'build it with url_for("api.index", _external=True) ({README}, step 3)',
    )
    relative = {
        name: url for name, url in links.items() if not str(url).startswith(("http://", "https://"))
    }
    assert not relative, explain(
        expected="every link to be an absolute URL, such as http://localhost/api/",
        got=str(relative),
        tip="pass _external=True to url_for",
    )


def test_the_api_links_follow_the_host_and_scheme_the_client_used(make_app):
    app = make_app({"TRUSTED_PROXIES": 1})
    response = app.test_client().get(
        "/api/", base_url="http://guestbook.example", headers={"X-Forwarded-Proto": "https"}
    )
    body = json_object(response, "GET /api/", f"see {README}, step 3")
    got = (body.get("links") or {}).get("self")
    assert got == "https://guestbook.example/api/", explain(
        expected='"self": "https://guestbook.example/api/" for a request to guestbook.example that a '
        "trusted proxy says came over HTTPS",
        got=repr(got),
        tip="build every link with url_for(..., _external=True): it takes the host and scheme from the "
        f"request, never from a string in your code ({README}, step 3)",
    )


def test_the_api_answers_carry_the_headers_of_part_one(client):
    response = client.get("/api/", headers={"X-Request-ID": "api-index-1"})
    assert response.status_code == 200, explain(
        expected="GET /api/ to answer 200",
        got=show(response),
        tip=f"add the api blueprint ({README}, step 3)",
    )
    headers = {name: response.headers.get(name) for name in SECURITY_HEADERS}
    echoed = response.headers.get("X-Request-ID")
    assert headers == SECURITY_HEADERS and echoed == "api-index-1", explain(
        expected="the security headers of lesson 06 on GET /api/, and X-Request-ID: api-index-1 "
        "echoed",
        got=str({**headers, "X-Request-ID": echoed}),
        tip="register the hooks on the app (app.after_request), not on the main blueprint: a "
        f"blueprint's own hooks run only for its own views ({README}, step 2)",
    )


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [("GET", "/api/nope", 404), ("GET", "/api/greetings/x/y", 404), ("POST", "/api/", 405)],
)
def test_unknown_api_urls_answer_the_json_errors_of_part_one(client, method, url, status):
    index = client.get("/api/")
    assert index.status_code == 200, explain(
        expected="GET /api/ to answer 200",
        got=show(index),
        tip=f"add the api blueprint ({README}, step 3)",
    )
    response = client.open(url, method=method)
    body = json_object(
        response,
        f"{method} {url}",
        "keep lesson 04's error handler on the app: a blueprint's own errorhandler never sees a "
        f"URL that matches no route ({README}, step 2)",
    )
    assert response.status_code == status and sorted(body) == ERROR_KEYS, explain(
        expected=f"{method} {url} to answer {status} with Part I's JSON error",
        got=show(response),
        tip="register the error handler on the app, or with bp.app_errorhandler: a blueprint's own "
        "errorhandler never sees a URL that matches no route, such as an unknown /api/... "
        f"({README}, step 2)",
    )
    if status == 405:
        assert "GET" in response.headers.get("Allow", ""), explain(
            expected="the 405 to keep its Allow header",
            got=repr(response.headers.get("Allow")),
            tip="keep lesson 04's handler as it is",
        )
