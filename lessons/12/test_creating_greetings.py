"""Lesson 12: a signed-in user signs the guestbook with POST /api/greetings, and reads it back."""

from __future__ import annotations

import json

import pytest
import sqlalchemy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lessons import databases
from lessons.contract import format_timestamp, parse_timestamp
from lessons.feedback import explain, json_object, show
from lessons.guestbook import (
    GREETING_KEYS,
    PASSWORD,
    TOO_LARGE,
    challenge,
    location,
    moment_after,
    moment_before,
    signed_up,
)

README = "lessons/12/README.md"
JSON = "application/json"

# Each example adds to the same app's database: the test checks the rows it holds itself.
one_app_for_all_examples = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def post(client, body, headers, content_type=JSON):
    """POST /api/greetings with body (any value: it is sent as JSON) or raw text."""
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post("/api/greetings", data=data, content_type=content_type, headers=headers)


def pointers(response):
    """The pointers of the errors a 400 lists, or None when the body has no such list."""
    body = response.get_json(silent=True)
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return None
    return [error.get("pointer") for error in errors if isinstance(error, dict)]


def assert_nothing_stored(uri, before, request):
    after = databases.row_counts(uri)
    assert after == before, explain(
        expected=f"nothing stored after {request} was refused",
        got=f"rows per table before: {before}; after: {after}",
        tip="check everything first, and db.session.add() the greeting only once it is valid "
        f"({README}, step 5)",
    )


def test_a_user_with_a_token_signs_the_guestbook(guestbook, client):
    headers = signed_up(client, "ada")
    before = moment_before()
    response = post(client, {"message": "Hello, guestbook!"}, headers)
    after = moment_after()
    assert response.status_code == 201 and response.mimetype == JSON, explain(
        expected='POST /api/greetings {"message": "Hello, guestbook!"} with a bearer token to '
        "answer 201 Created with JSON",
        got=show(response),
        tip=f"add a POST view for /greetings to the api blueprint, under @token_required ({README}, step 3)",
    )
    greeting = json_object(
        response, "POST /api/greetings", f"return the new greeting ({README}, step 3)"
    )
    assert sorted(greeting) == GREETING_KEYS, explain(
        expected=f"the new greeting, with exactly the keys {GREETING_KEYS}",
        got=f"the keys {sorted(greeting)}",
        tip=f"answer with the JSON lesson 09's list shows for a greeting ({README}, step 3)",
    )
    shown = {key: greeting[key] for key in ("author", "message")}
    assert (
        shown == {"author": "ada", "message": "Hello, guestbook!"} and type(greeting["id"]) is int
    ), explain(
        expected='"author": "ada" (the token\'s user), "message": "Hello, guestbook!" and an integer id',
        got=str(greeting),
        tip=f"Greeting(author=g.user, message=...): token_required put the token's user in g.user ({README}, step 1)",
    )
    created = parse_timestamp(greeting["created_at"])
    assert created is not None and before <= created <= after, explain(
        expected=f"created_at between {format_timestamp(before)} and {format_timestamp(after)}, "
        "when the request ran, in the kata's format",
        got=repr(greeting["created_at"]),
        tip="the server sets the time when it stores the greeting: the model's default does it",
    )
    assert greeting["updated_at"] == greeting["created_at"], explain(
        expected="updated_at equal to created_at for a new greeting",
        got=f"created_at {greeting['created_at']}, updated_at {greeting['updated_at']}",
        tip="give both the same moment when the greeting is written (lesson 09)",
    )
    assert response.headers.get("Location"), explain(
        expected="a Location header: where the new greeting can be read",
        got=show(response),
        tip='url_for("api.get_greeting", greeting_id=greeting.id, _external=True) '
        f"({README}, step 3)",
    )


def test_the_location_answers_the_same_greeting_and_a_missing_id_is_404(guestbook, client):
    headers = signed_up(client, "ada")
    response = post(client, {"message": "Find me"}, headers)
    created = response.get_json(silent=True)
    assert response.status_code == 201 and isinstance(created, dict), explain(
        expected='POST /api/greetings {"message": "Find me"} with a bearer token to answer 201',
        got=show(response),
        tip=f"see {README}, step 3",
    )
    path = location(response)
    shown = client.get(path)
    assert shown.status_code == 200 and shown.get_json(silent=True) == created, explain(
        expected=f"GET {path} (the Location) to answer 200 with the greeting POST answered: {created}",
        got=show(shown),
        tip="add GET /api/greetings/<int:greeting_id>, and point Location at it "
        f"({README}, step 4)",
    )
    missing = f"/api/greetings/{created.get('id', 0)}0"
    answer = client.get(missing)
    assert answer.status_code == 404 and answer.mimetype == JSON, explain(
        expected=f"GET {missing}, a greeting that does not exist, to answer the JSON 404",
        got=show(answer),
        tip=f"db.get_or_404(Greeting, greeting_id) ({README}, step 4)",
    )


def test_the_new_greetings_come_first_in_the_list_by_their_authors(guestbook, client):
    ada, grace = signed_up(client, "ada"), signed_up(client, "grace")
    first = post(client, {"message": "Ada was here"}, ada)
    second = post(client, {"message": "Grace was here"}, grace)
    listed = client.get("/api/greetings").get_json(silent=True)
    wanted = [second.get_json(silent=True), first.get_json(silent=True)]
    assert listed == wanted and [second.status_code, first.status_code] == [201, 201], explain(
        expected="GET /api/greetings to list what the two POSTs answered, the newest first, "
        "each by the user whose token signed it (grace, then ada)",
        got=f"the POSTs answered {first.status_code} and {second.status_code}; the list: {listed}",
        tip=f"the author comes from the token, g.user, never from anywhere else ({README}, step 1)",
    )


def test_without_a_valid_token_it_is_401_and_nothing_is_stored(guestbook, client, database_uri):
    signed_up(client, "ada")
    before = databases.row_counts(database_uri)
    for what, options, error in (
        ("no Authorization header", {}, None),
        ("a wrong token", {"headers": {"Authorization": "Bearer not-a-token"}}, "invalid_token"),
        ("HTTP Basic, which gets a token but is not one", {"auth": ("ada", PASSWORD)}, None),
    ):
        response = client.post("/api/greetings", json={"message": "Who am I?"}, **options)
        scheme, parameters = challenge(response)
        assert response.status_code == 401 and scheme == "bearer", explain(
            expected=f"401 with WWW-Authenticate: Bearer for a POST with {what}",
            got=f"{show(response)}; WWW-Authenticate: {response.headers.get('WWW-Authenticate')!r}",
            tip=f"put lesson 11's @token_required under @bp.post(...) ({README}, step 1)",
        )
        assert parameters.get("error") == error, explain(
            expected=f"for {what}, the challenge's error parameter {error!r}, as RFC 6750 says: "
            "none when no token came, invalid_token for a wrong one",
            got=f"WWW-Authenticate: {response.headers.get('WWW-Authenticate')!r}",
            tip="lesson 11's token_required answers this already: use it, do not write a new check",
        )
    assert_nothing_stored(database_uri, before, "every POST without a valid token")


def test_the_message_is_stored_trimmed(guestbook, client):
    headers = signed_up(client, "ada")
    for sent, stored in (
        ("a", "a"),
        ("  Hello, world!\n", "Hello, world!"),
        ("Line one\nLine two", "Line one\nLine two"),
        ("\t" + "x" * 500 + "   ", "x" * 500),
        ("👋" * 500, "👋" * 500),
    ):
        shown = f"{sent[:30]!r}{'...' if len(sent) > 30 else ''}"
        response = post(client, {"message": sent}, headers)
        body = response.get_json(silent=True)
        assert response.status_code == 201 and isinstance(body, dict), explain(
            expected=f"201 for the message {shown}: {len(sent)} characters, "
            f"{len(sent.strip())} once trimmed",
            got=show(response),
            tip="a message has 1 to 500 characters after message.strip(): trim first, then "
            f"count characters, not bytes ({README}, step 2)",
        )
        read = client.get(location(response)).get_json(silent=True) or {}
        assert body.get("message") == stored and read.get("message") == stored, explain(
            expected=f"the message {shown} stored and shown trimmed: {stored[:30]!r} "
            f"({len(stored)} characters)",
            got=f"POST answered {str(body.get('message'))[:30]!r}, its Location "
            f"{str(read.get('message'))[:30]!r}",
            tip=f"store the trimmed text: message=data['message'].strip() ({README}, step 3)",
        )


def test_a_wrong_message_is_400_with_its_pointer_and_nothing_is_stored(
    guestbook, client, database_uri
):
    headers = signed_up(client, "ada")
    before = databases.row_counts(database_uri)
    for message in (
        "",
        "   \n\t ",
        "x" * 501,
        " " + "x" * 501 + " ",
        "Hello\x00",
        "Hello \ud800",
        None,
        42,
        True,
        ["Hello"],
        {"text": "Hello"},
    ):
        body = json.dumps({"message": message})
        response = post(client, body, headers)
        assert response.status_code == 400 and pointers(response) == ["/message"], explain(
            expected=f'400 with "errors": [{{"pointer": "/message", ...}}] for {body[:60]}',
            got=show(response),
            tip="a message is a string of 1 to 500 characters after str.strip(), without NUL "
            "characters or unpaired surrogates: lesson 09's rule, checked by lesson 10's "
            f"json_object ({README}, step 2)",
        )
    assert_nothing_stored(database_uri, before, "every wrong message")


def test_fields_the_server_chooses_are_refused_each_with_its_pointer(
    guestbook, client, database_uri
):
    headers = signed_up(client, "ada")
    signed_up(client, "grace")
    before = databases.row_counts(database_uri)
    for fields in (
        {"author": "grace"},
        {"id": 1},
        {"created_at": "2000-01-01T00:00:00.000Z"},
        {"updated_at": "2000-01-01T00:00:00.000Z"},
        {"author_id": 2},
        {"colour": "blue"},
        {"author": "grace", "id": 7},
    ):
        body = {"message": "Who wrote this?", **fields}
        response = post(client, body, headers)
        wanted = sorted(f"/{name}" for name in fields)
        assert response.status_code == 400 and sorted(pointers(response) or []) == wanted, explain(
            expected=f"400 with an error for each field but the message in {json.dumps(body)}: "
            f"the pointers {wanted}",
            got=show(response),
            tip="accept the message and nothing else: the author, the id and the times are the "
            f"server's to choose, never the client's ({README}, step 2)",
        )
    assert_nothing_stored(database_uri, before, "every body with a field a client may not set")


def test_a_body_that_is_not_a_greeting_is_400_and_nothing_is_stored(
    guestbook, client, database_uri
):
    headers = signed_up(client, "ada")
    before = databases.row_counts(database_uri)
    for body, pointer in (
        ('{"message": "Hello"', ""),
        ("[]", ""),
        ('"Hello"', ""),
        ("null", ""),
        ("42", ""),
        ("[" * 5000 + "]" * 5000, ""),
        ("{}", "/message"),
    ):
        response = post(client, body, headers)
        assert response.status_code == 400 and pointers(response) == [pointer], explain(
            expected=f'400 with "errors": [{{"pointer": "{pointer}", ...}}] for the body {body[:40]}',
            got=show(response),
            tip=f"lesson 10's json_object refuses it already: use it ({README}, step 2)",
        )
    assert_nothing_stored(database_uri, before, "every body that is not a greeting")


def test_a_body_that_is_not_json_is_415_and_nothing_is_stored(guestbook, client, database_uri):
    headers = signed_up(client, "ada")
    before = databases.row_counts(database_uri)
    for what, options in (
        ("a form", {"data": {"message": "Hello"}}),
        ("text/plain", {"data": '{"message": "Hello"}', "content_type": "text/plain"}),
        ("no Content-Type", {"data": '{"message": "Hello"}'}),
    ):
        response = client.post("/api/greetings", headers=headers, **options)
        assert response.status_code == 415, explain(
            expected=f"415 Unsupported Media Type for a POST with {what}",
            got=show(response),
            tip=f"lesson 10's json_object answers 415 when request.is_json is false ({README}, step 2)",
        )
    assert_nothing_stored(database_uri, before, "every body that is not JSON")


def test_a_body_over_16_kib_is_413_and_nothing_is_stored(guestbook, client, database_uri):
    headers = signed_up(client, "ada")
    before = databases.row_counts(database_uri)
    response = post(client, {"message": "x" * TOO_LARGE}, headers)
    assert response.status_code == 413, explain(
        expected=f"413 Content Too Large for a body of {TOO_LARGE // 1024} KiB",
        got=show(response),
        tip="lesson 10's MAX_CONTENT_LENGTH does it when the view reads the body "
        f"({README}, step 2)",
    )
    assert_nothing_stored(database_uri, before, "a body over 16 KiB")


def test_when_several_checks_fail_the_first_decides(guestbook, client):
    headers = signed_up(client, "ada")
    for sent, body, content_type, status in (
        ({}, "x" * TOO_LARGE, "text/plain", 401),
        (headers, "x" * TOO_LARGE, "text/plain", 415),
        (headers, "{" + "x" * TOO_LARGE, JSON, 413),
        (headers, '{"message": ', JSON, 400),
    ):
        response = post(client, body, sent, content_type)
        assert response.status_code == status, explain(
            expected=f"{status} for {len(body)} characters of {content_type} "
            f"{'with' if sent else 'without'} a token: the checks go 401, 415, 413, 400, and the "
            "first that fails decides",
            got=show(response),
            tip="@token_required runs before the view; in it, json_object checks the media type, "
            f"then reads the body (413), then checks it (400) ({README}, step 5)",
        )


@pytest.fixture
def production(make_app, database_uri):
    """An app as production runs it (TESTING off: a crash answers 500), with its tables, a user's
    token, and a quick count of the rows in every table (one query, on one connection)."""
    app = make_app({"TESTING": False})
    app.test_cli_runner().invoke(args=["init-db"])
    client = app.test_client()
    headers = signed_up(client, "ada")
    with databases.inspected(database_uri) as connection:
        quote = connection.dialect.identifier_preparer.quote
        tables = sqlalchemy.inspect(connection).get_table_names()
        counts = ", ".join(f"(SELECT count(*) FROM {quote(table)})" for table in tables)

        def rows():
            found = dict(
                zip(
                    tables,
                    connection.execute(sqlalchemy.text(f"SELECT {counts}")).one(),
                    strict=True,
                )
            )
            connection.rollback()  # end the transaction: the app writes in between
            return found

        yield client, headers, rows


def valid(body):
    """Whether body is a greeting a client may send: only a message, of 1 to 500 storable characters."""
    if not isinstance(body, dict) or set(body) != {"message"}:
        return False
    message = body["message"]
    return (
        isinstance(message, str)
        and 1 <= len(message.strip()) <= 500
        and "\x00" not in message
        and not any("\ud800" <= character <= "\udfff" for character in message)
    )


CHARACTERS = st.one_of(st.characters(), st.sampled_from(" \t\n\x00\ud800\udfff"))
SPACES = st.text(st.sampled_from(" \t\n"), max_size=3)
MESSAGES = st.one_of(
    st.text(CHARACTERS, max_size=20),
    st.builds(
        lambda before, size, after: before + "x" * size + after,
        SPACES,
        st.integers(495, 505),
        SPACES,
    ),
    st.none(),
    st.integers(),
    st.booleans(),
)
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(CHARACTERS, max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=10,
)


@one_app_for_all_examples
@given(
    body=st.one_of(
        st.fixed_dictionaries(
            {"message": MESSAGES},
            optional={
                "author": st.sampled_from(["ada", "grace"]) | st.text(max_size=10),
                "id": st.integers(),
            },
        ),
        ANY_JSON,
    )
)
def test_any_json_body_is_201_if_valid_else_400_and_a_400_stores_nothing(production, body):
    client, headers, rows = production
    before = rows()
    sent = json.dumps(body)
    response = post(client, sent, headers)
    status = 201 if valid(body) else 400
    assert response.status_code == status, explain(
        expected=f"{status} for the body {sent[:80]}{'...' if len(sent) > 80 else ''}"
        + ("" if status == 201 else ": it is not a greeting a client may send"),
        got=show(response),
        tip="never a 500: check the body is an object, with a message only, a string of 1 to 500 "
        f"characters once trimmed, before you use it ({README}, step 2)",
    )
    if status == 400:
        after = rows()
        assert after == before, explain(
            expected=f"nothing stored after the body {sent[:40]} was refused",
            got=f"rows per table before: {before}; after: {after}",
            tip=f"check everything first, and add the greeting only once it is valid ({README}, step 5)",
        )
