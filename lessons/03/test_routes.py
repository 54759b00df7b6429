"""Lesson 03: /hello/<name> and /hello?name=<name> greet anyone; HEAD and OPTIONS work; POST is 405."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lessons.feedback import explain, json_object, show

README = "lessons/03/README.md"
NAMES = [
    "Ada",
    "Ada Lovelace",
    "Zoë",
    "李小龙",
    "O'Brien",
    '"Bob" <bob@example.com> & co',
    "100%",
    "a+b",
]
# Plain ASCII test ids: pytest would print the accented ones as escapes like Zo\xeb.
NAME_IDS = [
    "plain",
    "space",
    "accent",
    "chinese",
    "apostrophe",
    "html-and-email",
    "percent",
    "plus",
]

# Any text can be a name. In the path it cannot hold "/" (that would be another URL), and
# "." or ".." alone are path steps that browsers tidy away.
path_names = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="/"), min_size=1
).filter(lambda name: name not in {".", ".."})
query_names = st.text(st.characters(exclude_categories=("Cs",)), min_size=1).filter(str.strip)

# One app serves every example: requests share no state, so the function-scoped client is safe.
one_app_for_all_examples = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def greeting(client, url, **options):
    """Request url and return the greeting's message, failing clearly if it is not a greeting."""
    response = client.get(url, **options)
    shown = url if "query_string" not in options else f"{url}?name=..."
    assert response.status_code == 200, explain(
        expected=f"GET {shown} to answer 200 OK",
        got=show(response),
        tip=f'add the rule @app.get("/hello/<name>") and read request.args for ?name= ({README}, steps 1-2)',
    )
    data = json_object(response, f"GET {shown}", "answer with the same JSON as GET /hello")
    assert sorted(data) == ["message", "timestamp"], explain(
        expected='the same JSON keys as GET /hello: "message" and "timestamp"',
        got=f"the keys {sorted(data)}",
        tip="reuse the dict you return in lesson 02, with the name in the message",
    )
    return data["message"]


def expect_greeting(message, name, how):
    assert message == f"Hello {name}", explain(
        expected=f'"message": {f"Hello {name}"!r} for the name {name!r} {how}',
        got=f'"message": {message!r}',
        tip='use the name exactly as Flask hands it to you: f"Hello {name}" (no escaping, no trimming)',
    )


def test_name_in_the_path(client):
    expect_greeting(greeting(client, "/hello/Ada"), "Ada", "in the path /hello/Ada")


def test_name_in_the_query_string_and_it_is_optional(client):
    expect_greeting(greeting(client, "/hello?name=Grace"), "Grace", "in /hello?name=Grace")
    bare = client.get("/hello")
    assert bare.status_code == 200, explain(
        expected="GET /hello with no ?name= at all to answer 200 and greet the world",
        got=show(bare),
        tip='request.args["name"] answers 400 Bad Request when the name is missing; use '
        'request.args.get("name"), which gives None, then fall back to "world"',
    )
    message = greeting(client, "/hello")
    assert message == "Hello world", explain(
        expected='"Hello world" for GET /hello with no name at all',
        got=f'"message": {message!r}',
        tip='read the name with request.args.get("name"), which gives None when it is missing, '
        'then fall back to "world"',
    )


def test_other_query_parameters_are_ignored(client):
    tracked = "/hello?utm_source=newsletter&name=Ada"
    expect_greeting(greeting(client, tracked), "Ada", f"in {tracked}")
    for url, name in [("/hello?utm_source=newsletter", "world"), ("/hello/Ada?lang=en", "Ada")]:
        response = client.get(url)
        assert response.status_code == 200, explain(
            expected=f"GET {url} to answer 200 and greet {name}: links often carry parameters "
            "of their own, and the app must ignore the ones it does not know",
            got=show(response),
            tip='read only the parameter you need, request.args.get("name"); checking '
            '`if request.args` and then reading request.args["name"] fails when the query '
            "holds something else",
        )
        expect_greeting(greeting(client, url), name, f"in {url}")


@pytest.mark.parametrize("name", NAMES, ids=NAME_IDS)
def test_names_with_spaces_accents_and_symbols(client, name):
    expect_greeting(greeting(client, f"/hello/{name}"), name, "in the path")
    expect_greeting(greeting(client, "/hello", query_string={"name": name}), name, "in ?name=")


def test_percent_encoded_names_are_decoded(client):
    expect_greeting(
        greeting(client, "/hello/Ada%20Lovelace"), "Ada Lovelace", "sent as /hello/Ada%20Lovelace"
    )
    expect_greeting(
        greeting(client, "/hello?name=Ada+Lovelace"), "Ada Lovelace", "sent as ?name=Ada+Lovelace"
    )
    expect_greeting(greeting(client, "/hello?name=caf%C3%A9"), "café", "sent as ?name=caf%C3%A9")


@one_app_for_all_examples
@given(name=path_names)
@example(name="Ada Lovelace")  # tried first: a missing route fails at once, without a search
def test_any_name_round_trips_through_the_path(client, name):
    expect_greeting(greeting(client, "/hello/" + quote(name, safe="")), name, "in the path")


@one_app_for_all_examples
@given(name=query_names)
@example(name="Ada Lovelace")
def test_any_name_round_trips_through_the_query_string(client, name):
    expect_greeting(greeting(client, "/hello", query_string={"name": name}), name, "in ?name=")


def test_head_and_options_work_for_named_greetings(client):
    head = client.head("/hello/Ada")
    assert head.status_code == 200 and head.mimetype == "application/json" and not head.data, (
        explain(
            expected="HEAD /hello/Ada to answer 200 with the JSON headers and an empty body",
            got=show(head),
            tip="Flask answers HEAD for every GET route by itself once /hello/<name> exists",
        )
    )
    options = client.options("/hello/Ada")
    allowed = set(options.headers.get("Allow", "").replace(" ", "").split(","))
    assert options.status_code == 200 and {"GET", "HEAD", "OPTIONS"} <= allowed, explain(
        expected="OPTIONS /hello/Ada to answer 200 with Allow: GET, HEAD, OPTIONS",
        got=f"{options.status}, Allow: {options.headers.get('Allow')!r}",
        tip="Flask answers OPTIONS by itself for every route; check that /hello/<name> exists",
    )


def test_post_is_not_allowed(client):
    for url in ("/hello", "/hello/Ada"):
        response = client.post(url)
        assert response.status_code == 405, explain(
            expected=f"POST {url} to answer 405 Method Not Allowed (greetings are read-only)",
            got=show(response),
            tip=f'register the routes with @app.get (GET only), not methods=["GET", "POST"] ({README}, step 3)',
        )
