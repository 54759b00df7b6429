"""Lesson 10: POST /api/users signs up, checking every field; bad input is a 4xx, never a 500."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lessons import databases
from lessons.contract import ERROR_KEYS, format_timestamp, parse_timestamp
from lessons.feedback import explain, json_object, show
from lessons.guestbook import PASSWORD, api_user, location, pointers, served

README = "lessons/10/README.md"
USER_KEYS = ["created_at", "id", "username"]
ERROR_BODY = sorted([*ERROR_KEYS, "errors"])
LIMIT = 16 * 1024  # MAX_CONTENT_LENGTH, in bytes
ADA = {"username": "ada", "password": PASSWORD}


@pytest.fixture
def api(make_app):
    """A client of your app, with its tables, as a server runs it: a crash answers 500."""
    return served(make_app)


def post_json(client, text):
    """POST /api/users with this exact JSON text (surrogates travel as \\ud800 escapes)."""
    return client.post("/api/users", data=text, content_type="application/json")


def stored(database_uri):
    """How many rows the database holds, in all its tables."""
    return sum(databases.row_counts(database_uri).values())


def test_sign_up_answers_201_with_the_user_and_where_to_find_it(api):
    now = datetime.now(UTC)
    before = now - timedelta(microseconds=now.microsecond % 1000)
    response = api.post("/api/users", json={"username": "Ada_Lovelace", "password": PASSWORD})
    after = datetime.now(UTC) + timedelta(milliseconds=1)
    assert response.status_code == 201, explain(
        expected='POST /api/users {"username": "Ada_Lovelace", "password": ...} to answer 201 Created',
        got=show(response),
        tip=f'add the view @bp.post("/users") and return (user_json(user), 201, {{...}}) ({README}, step 5)',
    )
    user = json_object(
        response, "POST /api/users", f"return the new user's JSON ({README}, step 5)"
    )
    assert sorted(user) == USER_KEYS, explain(
        expected=f"the user with exactly the keys {USER_KEYS}: never the password nor its hash",
        got=f"the keys {sorted(user)}",
        tip=f"build the JSON by hand from the fields a client may see ({README}, step 5)",
    )
    assert user["username"] == "Ada_Lovelace" and type(user["id"]) is int, explain(
        expected='"username": "Ada_Lovelace", as it was sent, and an integer id',
        got=str(user),
        tip="store the username as the client wrote it; uniqueness ignores case, the name keeps it",
    )
    created = parse_timestamp(user["created_at"])
    assert created is not None and before <= created <= after, explain(
        expected=f"created_at between {format_timestamp(before)} and {format_timestamp(after)}, "
        "in the kata's format (UTC, milliseconds, Z)",
        got=repr(user["created_at"]),
        tip="format it as the greetings of lesson 09 do",
    )
    assert "Location" in response.headers, explain(
        expected="a Location header: where the new user can be read",
        got=show(response),
        tip=f'url_for("api.get_user", user_id=user.id, _external=True) ({README}, step 5)',
    )
    where = location(response)
    assert where == f"/api/users/{user['id']}", explain(
        expected=f"Location to lead to /api/users/{user['id']}",
        got=repr(response.headers["Location"]),
        tip=f"build it with url_for, from the new user's id ({README}, step 5)",
    )
    shown = api.get(where)
    assert shown.status_code == 200 and shown.get_json(silent=True) == user, explain(
        expected=f"GET {where} to answer 200 with the same user: {user}",
        got=show(shown),
        tip=f'@bp.get("/users/<int:user_id>") with db.get_or_404 ({README}, step 6)',
    )


def test_an_unknown_user_is_a_json_404(api):
    user = api_user(api)
    for url in (f"/api/users/{user['id'] + 1000}", "/api/users/ada"):
        response = api.get(url)
        body = response.get_json(silent=True)
        assert response.status_code == 404 and isinstance(body, dict), explain(
            expected=f"GET {url} to answer 404 with Part I's JSON error",
            got=show(response),
            tip=f"db.get_or_404(User, user_id) raises the 404 your error handler answers ({README}, step 6)",
        )
        assert sorted(body) == ERROR_KEYS, explain(
            expected=f"the keys {ERROR_KEYS}",
            got=f"the keys {sorted(body)}",
            tip="keep lesson 04's handler",
        )


def test_the_api_index_links_the_users(api):
    response = api.get("/api/")
    body = json_object(response, "GET /api/", f"see {README}, step 7")
    links = body.get("links") if isinstance(body.get("links"), dict) else {}
    assert links.get("users") == "http://localhost/api/users", explain(
        expected='"users": "http://localhost/api/users" among the links, where a client signs up',
        got=f"links {links}",
        tip=f'add "users": "api.create_user" to the index\'s links ({README}, step 7)',
    )
    assert {"self", "greetings"} <= set(links), explain(
        expected="the links of lessons 08 and 09 kept: self and greetings",
        got=f"links {sorted(links)}",
        tip="add to the links, keep the ones there",
    )


def test_the_api_stores_only_a_hash_of_the_password(api, database_uri):
    api_user(api, "ada", PASSWORD)
    assert not databases.holds(database_uri, PASSWORD), explain(
        expected="the password nowhere in the database after POST /api/users",
        got="the password, readable in the database",
        tip=f"user.set_password(...) as `flask create-user` does: generate_password_hash ({README}, step 5)",
    )


def test_names_and_passwords_at_the_edges_of_the_rules_are_accepted(api):
    accepted = [
        ("abc", "x" * 8, "3 characters, and a password of 8"),
        ("Z" * 30, "é" * 128, "30 characters, and a password of 128 characters (256 bytes)"),
        ("ada_Lovelace_1815", "🎉" * 8, "letters, digits and _, and a password of 8 emoji"),
        ("grace", " " * 8, "a password of 8 spaces: any text counts, as it is"),
    ]
    for username, password, case in accepted:
        response = api.post("/api/users", json={"username": username, "password": password})
        body = response.get_json(silent=True)
        assert response.status_code == 201 and isinstance(body, dict), explain(
            expected=f"201 for a username of {case}",
            got=show(response),
            tip="a username is 3 to 30 of A-Z, a-z, 0-9 and _; a password 8 to 128 characters, "
            f"counted with len(), never trimmed ({README}, step 3)",
        )
        assert body.get("username") == username, explain(
            expected=f'"username": {username!r}', got=str(body), tip="show it as it was sent"
        )


@pytest.mark.parametrize(
    ("group", "cases"),
    [
        (
            "missing or of the wrong type",
            [
                ("no username", {"password": PASSWORD}, ["/username"]),
                ("no password", {"username": "ada"}, ["/password"]),
                ("an empty object", {}, ["/password", "/username"]),
                (
                    "a number as the username",
                    {"username": 123, "password": PASSWORD},
                    ["/username"],
                ),
                ("null as the username", {"username": None, "password": PASSWORD}, ["/username"]),
                (
                    "a list as the username",
                    {"username": ["ada"], "password": PASSWORD},
                    ["/username"],
                ),
                ("true as the username", {"username": True, "password": PASSWORD}, ["/username"]),
                (
                    "an object as the username",
                    {"username": {"a": 1}, "password": PASSWORD},
                    ["/username"],
                ),
                (
                    "a number as the password",
                    {"username": "ada", "password": 12345678},
                    ["/password"],
                ),
                ("null as the password", {"username": "ada", "password": None}, ["/password"]),
                (
                    "a list as the password",
                    {"username": "ada", "password": [PASSWORD]},
                    ["/password"],
                ),
                ("false as the password", {"username": "ada", "password": False}, ["/password"]),
                ("both wrong", {"username": 1, "password": 2}, ["/password", "/username"]),
            ],
        ),
        (
            "usernames outside the rule",
            [
                (f"the username {name!r}", {"username": name, "password": PASSWORD}, ["/username"])
                for name in (
                    "ab",  # too short
                    "a" * 31,  # too long
                    "",
                    "ada lovelace",
                    " ada ",  # checked as sent, not trimmed
                    "ada\n",  # re.match(r"^...$") lets this through: $ matches before a last \n
                    "ada-l",
                    "adé",  # \w would let this through
                    "ada\u0663",  # an Arabic-Indic digit: \d and \w let it through
                    "ada\x00",  # NUL
                    "ada\ud800",  # an unpaired surrogate
                )
            ],
        ),
        (
            "passwords outside the rule",
            [
                (
                    "a password of 7 characters",
                    {"username": "ada", "password": "x" * 7},
                    ["/password"],
                ),
                (
                    "a password of 129 characters",
                    {"username": "ada", "password": "x" * 129},
                    ["/password"],
                ),
                (
                    "a password with a NUL",
                    {"username": "ada", "password": "pass\x00word"},
                    ["/password"],
                ),
                (
                    "a password with an unpaired high surrogate",
                    {"username": "ada", "password": "password\ud800"},
                    ["/password"],
                ),
                (
                    "a password with an unpaired low surrogate",
                    {"username": "ada", "password": "\udc00password"},
                    ["/password"],
                ),
            ],
        ),
    ],
    ids=["types", "usernames", "passwords"],
)
def test_each_wrong_field_is_a_400_with_its_pointer(api, database_uri, group, cases):
    for case, body, expected in cases:
        response = post_json(api, json.dumps(body))
        assert response.status_code == 400, explain(
            expected=f"400 for {case}: {json.dumps(body)[:120]}",
            got=show(response),
            tip="check each field with its rule, and raise one 400 that lists every problem; a "
            f"crash (500) means a value of a type you did not expect reached your code ({README}, step 3)",
        )
        answer = response.get_json(silent=True)
        keys = sorted(answer) if isinstance(answer, dict) else None
        assert keys == ERROR_BODY, explain(
            expected=f"Part I's JSON error with one more key, errors: {ERROR_BODY}",
            got=f"the keys {keys}: {show(response)}",
            tip=f"let the error handler add the exception's errors to the body ({README}, step 4)",
        )
        found = pointers(response)
        assert found is not None and sorted(found) == expected, explain(
            expected=f'errors with the pointers {expected} for {case}, each {{"pointer", "detail"}}',
            got=f"errors {answer.get('errors')!r}"[:300],
            tip=f'one {{"pointer": "/username", "detail": "..."}} for each field that is wrong ({README}, step 3)',
        )
    assert stored(database_uri) == 0, explain(
        expected=f"nothing stored after the requests with fields {group}",
        got=f"rows per table: {databases.row_counts(database_uri)}",
        tip="check everything before you add the user to the session",
    )


def test_unknown_fields_are_refused_each_with_its_pointer(api, database_uri):
    cases = [
        ({**ADA, "id": 1}, ["/id"]),
        ({**ADA, "is_admin": True}, ["/is_admin"]),
        (
            {**ADA, "id": 1, "is_admin": True, "password_hash": "x"},
            ["/id", "/is_admin", "/password_hash"],
        ),
        ({**ADA, "a/b": 1}, ["/a~1b"]),
        ({**ADA, "c~d": 1}, ["/c~0d"]),
        ({**ADA, "": 1}, ["/"]),
        ({"username": "ada", "Password": PASSWORD}, ["/Password", "/password"]),
    ]
    for body, expected in cases:
        response = post_json(api, json.dumps(body))
        found = pointers(response)
        assert response.status_code == 400 and found is not None and sorted(found) == expected, (
            explain(
                expected=f"400 with errors for the pointers {expected}, for {json.dumps(body)[:120]}",
                got=show(response),
                tip="refuse every field you do not know, each with its own JSON Pointer (RFC 6901: "
                f"~ becomes ~0 and / becomes ~1, in that order) ({README}, step 3)",
            )
        )
    assert stored(database_uri) == 0, explain(
        expected="nothing stored when a body has a field the API does not know",
        got=f"rows per table: {databases.row_counts(database_uri)}",
        tip="refuse the whole request: a client must not set id or is_admin (mass assignment)",
    )


@pytest.mark.parametrize(
    ("kind", "texts"),
    [
        ("not a JSON object", ["[]", '"ada"', "null", "1", "true", "NaN", json.dumps([ADA])]),
        (
            "not JSON at all",
            ["{bad", '{"username": "ada",', "", '{"username": "ada"} {}', b'{"username": "\xff"}'],
        ),
    ],
    ids=["not-an-object", "malformed"],
)
def test_a_body_that_is_no_json_object_is_a_400_for_the_whole_body(api, database_uri, kind, texts):
    for text in texts:
        response = post_json(api, text)
        found = pointers(response)
        assert response.status_code == 400 and found == [""], explain(
            expected=f'400 with one error for the whole body, pointer "", for {kind}: {text!r}',
            got=show(response),
            tip="parse the body yourself: json.loads(request.get_data()) in a try/except, then "
            f'isinstance(data, dict); refuse the rest with {{"pointer": ""}} ({README}, step 2)',
        )
        assert sorted(response.get_json()) == ERROR_BODY, explain(
            expected=f"the keys {ERROR_BODY}",
            got=show(response),
            tip=f"see {README}, step 4",
        )
    assert stored(database_uri) == 0, explain(
        expected="nothing stored", got=str(databases.row_counts(database_uri)), tip="refuse first"
    )


def test_nan_and_infinity_are_refused(api, database_uri):
    for text, field in (
        ('{"username": "ada", "password": NaN}', "/password"),
        (f'{{"username": Infinity, "password": "{PASSWORD}"}}', "/username"),
    ):
        response = post_json(api, text)
        found = pointers(response)
        assert response.status_code == 400 and found in ([field], [""]), explain(
            expected=f'400 for {text}, with the pointer {field} (or "" if you refuse NaN as no JSON)',
            got=show(response),
            tip="Python's json reads NaN and Infinity as floats: a float is no string",
        )
    assert stored(database_uri) == 0


def test_a_body_that_is_not_json_is_a_415(api, database_uri):
    text = json.dumps(ADA)
    cases = [
        ("text/plain", {"data": text, "content_type": "text/plain"}),
        ("form data", {"data": ADA}),
        ("no Content-Type", {"data": text}),
        ("text/plain, and malformed", {"data": "{bad", "content_type": "text/plain"}),
        ("text/plain, and over 16 KiB", {"data": "x" * (LIMIT + 1), "content_type": "text/plain"}),
    ]
    for case, request in cases:
        response = api.post("/api/users", **request)
        body = response.get_json(silent=True)
        assert response.status_code == 415 and isinstance(body, dict), explain(
            expected=f"415 Unsupported Media Type with a JSON error for a body sent as {case}",
            got=show(response),
            tip="check request.is_json first, before you read the body: 415 comes before 413 and "
            f"400 ({README}, step 2)",
        )
        assert set(ERROR_KEYS) <= set(body) <= set(ERROR_BODY), explain(
            expected=f"Part I's JSON error: {ERROR_KEYS}",
            got=show(response),
            tip="keep lesson 04's handler",
        )
    assert stored(database_uri) == 0, explain(
        expected="nothing stored after a body that is not JSON",
        got=str(databases.row_counts(database_uri)),
        tip="refuse it before anything else",
    )


def padded(size):
    """A JSON object of exactly size bytes: a valid sign-up plus a padding field."""
    empty = json.dumps({**ADA, "padding": ""})
    text = json.dumps({**ADA, "padding": "x" * (size - len(empty))})
    assert len(text.encode()) == size
    return text


def test_a_body_over_16_kib_is_a_413(api, database_uri):
    response = post_json(api, padded(LIMIT))
    assert response.status_code == 400 and pointers(response) == ["/padding"], explain(
        expected="a body of exactly 16 KiB (16384 bytes) to be read: 400 for its unknown field /padding",
        got=show(response),
        tip=f"MAX_CONTENT_LENGTH = 16 * 1024, in bytes ({README}, step 1)",
    )
    for case, text in (
        ("a JSON object of 16385 bytes", padded(LIMIT + 1)),
        ("malformed JSON of 20000 bytes", "{" * 20000),
    ):
        response = post_json(api, text)
        body = response.get_json(silent=True)
        assert response.status_code == 413 and isinstance(body, dict), explain(
            expected=f"413 Content Too Large with a JSON error for {case}: 413 comes before 400",
            got=show(response),
            tip=f'set "MAX_CONTENT_LENGTH": 16 * 1024 in your defaults; Werkzeug then refuses a '
            f"larger body when your view reads it ({README}, step 1)",
        )
        assert set(ERROR_KEYS) <= set(body), explain(
            expected=f"Part I's JSON error: {ERROR_KEYS}",
            got=show(response),
            tip="keep lesson 04's handler",
        )
    assert stored(database_uri) == 0


def test_deeply_nested_json_is_a_400_never_a_500(api, database_uri):
    cases = [
        ("arrays nested 8000 deep", "[" * 8000 + "]" * 8000),
        ("arrays opened 16000 deep, never closed", "[" * 16000),
        ("objects nested 3000 deep", '{"":' * 3000 + "1" + "}" * 3000),
        (
            "a username nested 7000 deep",
            '{"username": ' + "[" * 7000 + "]" * 7000 + f', "password": "{PASSWORD}"}}',
        ),
    ]
    for case, text in cases:
        assert len(text.encode()) <= LIMIT
        response = post_json(api, text)
        assert response.status_code == 400, explain(
            expected=f"400 for {case} ({len(text)} bytes, under the 16 KiB limit), never a 500",
            got=show(response),
            tip="json.loads raises RecursionError on very deep nesting (at about 3000 levels on "
            "Python 3.12), and Werkzeug's get_json catches only ValueError: catch both "
            f"({README}, step 2)",
        )
    assert stored(database_uri) == 0


def test_a_taken_username_is_a_409_whatever_its_case(api, database_uri):
    api_user(api, "ada")
    for name in ("ada", "Ada", "ADA"):
        response = api.post("/api/users", json={"username": name, "password": PASSWORD})
        assert response.status_code == 409, explain(
            expected=f"409 Conflict for {name!r} when ada has signed up: usernames are unique ignoring case",
            got=show(response),
            tip="commit, and catch the IntegrityError that lesson 09's unique index on "
            f"lower(username) raises ({README}, step 5)",
        )
        found = pointers(response)
        assert found == ["/username"] and sorted(response.get_json()) == ERROR_BODY, explain(
            expected='the JSON error with errors [{"pointer": "/username", "detail": ...}]',
            got=show(response),
            tip=f"give the 409 its errors too ({README}, step 5)",
        )
    assert stored(database_uri) == 1, explain(
        expected="one row, ada's, after three refused sign-ups",
        got=str(databases.row_counts(database_uri)),
        tip="db.session.rollback() after the IntegrityError",
    )
    after = api.post("/api/users", json={"username": "grace", "password": PASSWORD})
    assert after.status_code == 201, explain(
        expected="the next sign-up, grace, to work after the 409s",
        got=show(after),
        tip="roll the session back after an IntegrityError: PostgreSQL refuses every statement in "
        f"a failed transaction until then ({README}, step 5)",
    )


def test_two_sign_ups_racing_for_one_name_give_one_201_and_one_409(api, database_uri):
    """The first request is held just before its INSERT, while the second signs up the same
    name: what a check with SELECT, then INSERT, cannot see coming."""
    other = api.application.test_client()
    at_insert, go_on, answers = threading.Event(), threading.Event(), {}

    def sign_up_first():
        try:
            answers["ada"] = api.post("/api/users", json={"username": "ada", "password": PASSWORD})
        finally:
            at_insert.set()  # done, inserted or not

    first = threading.Thread(target=sign_up_first, daemon=True)

    def hold_the_first_insert(_connection, _cursor, statement, *_args):
        if threading.current_thread() is first and statement.lstrip().upper().startswith("INSERT"):
            if not at_insert.is_set():
                at_insert.set()
                go_on.wait(timeout=10)

    sqlalchemy.event.listen(
        sqlalchemy.engine.Engine, "before_cursor_execute", hold_the_first_insert
    )
    try:
        first.start()
        at_insert.wait(timeout=10)
        answers["Ada"] = other.post("/api/users", json={"username": "Ada", "password": PASSWORD})
    finally:
        go_on.set()
        first.join(timeout=10)
        sqlalchemy.event.remove(
            sqlalchemy.engine.Engine, "before_cursor_execute", hold_the_first_insert
        )
    statuses = sorted(response.status_code for response in answers.values())
    assert statuses == [201, 409], explain(
        expected="one 201 and one 409 when ada and Ada sign up at the same moment",
        got="; ".join(f"{name}: {show(response)}" for name, response in answers.items()),
        tip="a SELECT first cannot see a user whose INSERT is not committed yet: let the unique "
        "index decide. Commit, catch the IntegrityError, roll back and answer 409 "
        f"({README}, step 5)",
    )
    assert stored(database_uri) == 1, explain(
        expected="one user stored", got=str(databases.row_counts(database_uri)), tip="see above"
    )


# Any JSON value: texts may hold NUL, unpaired surrogates, / and ~; numbers may be NaN.
TEXT = st.text(st.characters(categories=["L", "M", "N", "P", "S", "Z", "Cc", "Cs"]), max_size=12)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
NEAR_MISSES = st.fixed_dictionaries(
    {
        "username": st.from_regex(r"[A-Za-z0-9_]{2,31}", fullmatch=True) | JSON,
        "password": st.text(
            st.characters(categories=["L", "N", "Z", "Cc", "Cs"]), min_size=7, max_size=130
        )
        | JSON,
    },
    optional={"id": JSON, "is_admin": st.booleans(), "USERNAME": JSON},
)


@pytest.fixture
def row_counts(database_uri):
    """databases.row_counts, quick enough to run twice per example: one engine for the test."""
    engine = sqlalchemy.create_engine(database_uri)

    def count():
        with engine.connect() as connection:
            quote = connection.dialect.identifier_preparer.quote
            return {
                table: connection.execute(
                    sqlalchemy.text(f"SELECT count(*) FROM {quote(table)}")
                ).scalar()
                for table in sqlalchemy.inspect(connection).get_table_names()
            }

    yield count
    engine.dispose()


# One app and database for all examples, which the function-scoped fixtures give: each example
# checks only what its own request did. 25 examples: nested JSON takes time to make.
@settings(
    max_examples=min(settings.default.max_examples, 25),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=JSON | st.dictionaries(TEXT, JSON, max_size=4) | NEAR_MISSES)
def test_no_json_body_crashes_the_sign_up_or_stores_anything_when_refused(api, row_counts, body):
    text = json.dumps(body)
    before = row_counts()
    response = post_json(api, text)
    assert response.status_code in (201, 400, 409), explain(
        expected=f"201, 400 or 409 for the JSON body {text[:200]}, never a 500",
        got=show(response),
        tip=f"check the type of everything before you use it ({README}, steps 2 and 3)",
    )
    after = row_counts()
    assert response.status_code == 201 or after == before, explain(
        expected=f"nothing stored after the {response.status_code} for {text[:200]}",
        got=f"rows per table before {before}, after {after}",
        tip="refuse before you add anything to the session; roll back on IntegrityError",
    )
