"""Lesson 11: a token for a username and password; the token, as a bearer, says who is asking."""

from __future__ import annotations

import logging
import secrets
import warnings
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy

from lessons import databases
from lessons.contract import ERROR_KEYS, format_timestamp, parse_timestamp
from lessons.feedback import explain, json_object, show
from lessons.guestbook import PASSWORD, api_user, bearer, challenges, served, signed_up, token

README = "lessons/11/README.md"
TOKEN_KEYS = ["expires_at", "token"]
ERROR_PARAMETERS = {"error", "error_description", "error_uri"}  # RFC 6750, 3


@pytest.fixture
def api(make_app):
    """A client of your app, with its tables, as a server runs it: a crash answers 500."""
    return served(make_app)


def asks_for_a_token(response):
    """Whether the response asks for a bearer token of realm "api", without an error (RFC 6750, 3.1)."""
    return any(
        scheme == "bearer"
        and parameters.get("realm") == "api"
        and not ERROR_PARAMETERS & set(parameters)
        for scheme, parameters in challenges(response)
    )


def refuses_the_token(response):
    """Whether the response says the bearer token of realm "api" is invalid (RFC 6750, 3.1)."""
    return any(
        scheme == "bearer"
        and parameters.get("realm") == "api"
        and parameters.get("error") == "invalid_token"
        for scheme, parameters in challenges(response)
    )


def me(client, headers):
    """GET /api/users/me with these headers."""
    return client.get("/api/users/me", headers=headers)


def moment():
    """Now, to the millisecond the API shows."""
    now = datetime.now(UTC)
    return now - timedelta(microseconds=now.microsecond % 1000)


def make_older(database_uri, by):
    """Move every date and time stored in the database back by `by`, as if that much time passed.

    The tests do not wait an hour for a token to expire: they make the token an hour older.
    """
    engine = sqlalchemy.create_engine(database_uri, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.begin() as connection:
            metadata = sqlalchemy.MetaData()
            with warnings.catch_warnings():  # indexes on expressions, such as lower(username)
                warnings.simplefilter("ignore", sqlalchemy.exc.SAWarning)
                metadata.reflect(connection)
            for table in metadata.tables.values():
                moments = [c for c in table.columns if isinstance(c.type, sqlalchemy.DateTime)]
                keys = list(table.primary_key.columns)
                if not moments or not keys:
                    continue
                for row in connection.execute(sqlalchemy.select(*keys, *moments)).mappings():
                    older = {c.name: row[c.name] - by for c in moments if row[c.name] is not None}
                    if older:
                        where = [key == row[key.name] for key in keys]
                        connection.execute(sqlalchemy.update(table).where(*where).values(older))
    finally:
        engine.dispose()


def test_basic_auth_gives_a_token_that_works_for_an_hour(api):
    api_user(api, "ada", PASSWORD)
    before = moment()
    response = api.post("/api/tokens", auth=("ada", PASSWORD))
    after = moment() + timedelta(milliseconds=1)
    assert response.status_code == 201, explain(
        expected="POST /api/tokens with ada's username and password (HTTP Basic) to answer 201",
        got=show(response),
        tip=f'@bp.post("/tokens"): read request.authorization, check the password ({README}, steps 2 and 3)',
    )
    body = json_object(response, "POST /api/tokens", f"return the token ({README}, step 3)")
    assert sorted(body) == TOKEN_KEYS, explain(
        expected=f"exactly the keys {TOKEN_KEYS}",
        got=f"the keys {sorted(body)}",
        tip=f'return {{"token": raw, "expires_at": ...}}, 201 ({README}, step 3)',
    )
    raw = body["token"]
    assert isinstance(raw, str) and len(raw) >= 22, explain(
        expected="a token of at least 22 characters (128 random bits or more)",
        got=repr(raw),
        tip=f"secrets.token_urlsafe(32) gives 43 characters, 256 bits ({README}, step 1)",
    )
    expires = parse_timestamp(body["expires_at"])
    earliest, latest = before + timedelta(seconds=3600), after + timedelta(seconds=3600)
    assert expires is not None and earliest <= expires <= latest, explain(
        expected=f"expires_at an hour from now, between {format_timestamp(earliest)} and "
        f"{format_timestamp(latest)}, in the kata's format",
        got=repr(body["expires_at"]),
        tip=f'TOKEN_TTL = 3600 seconds by default; expires_at = now + timedelta(seconds=app.config["TOKEN_TTL"]) '
        f"({README}, step 1)",
    )
    again = token(api, "ada", PASSWORD)
    assert again != raw, explain(
        expected="a new token for every POST /api/tokens",
        got="the same token twice",
        tip="make each one with secrets.token_urlsafe(32)",
    )


def test_token_ttl_sets_how_long_a_token_works(make_app):
    api = served(make_app, {"TOKEN_TTL": 60})
    api_user(api, "ada", PASSWORD)
    before = moment()
    response = api.post("/api/tokens", auth=("ada", PASSWORD))
    after = moment() + timedelta(milliseconds=1)
    assert response.status_code == 201, explain(
        expected="POST /api/tokens with HTTP Basic to answer 201, with TOKEN_TTL=60 set",
        got=show(response),
        tip=f"see {README}, step 3",
    )
    body = json_object(response, "POST /api/tokens", f"see {README}, step 3")
    expires = parse_timestamp(body.get("expires_at"))
    earliest, latest = before + timedelta(seconds=60), after + timedelta(seconds=60)
    assert expires is not None and earliest <= expires <= latest, explain(
        expected=f"with TOKEN_TTL=60, expires_at a minute from now: between {format_timestamp(earliest)} "
        f"and {format_timestamp(latest)}",
        got=repr(body.get("expires_at")),
        tip=f'read current_app.config["TOKEN_TTL"] when the token is made, not a constant ({README}, step 1)',
    )


def test_the_token_says_who_is_asking(api):
    user = api_user(api, "ada", PASSWORD)
    raw = token(api, "ada", PASSWORD)
    for scheme in ("Bearer", "bearer", "BEARER"):
        response = me(api, {"Authorization": f"{scheme} {raw}"})
        assert response.status_code == 200 and response.get_json(silent=True) == user, explain(
            expected=f"GET /api/users/me with Authorization: {scheme} <token> to answer 200 with ada: {user}",
            got=show(response),
            tip="request.authorization.token holds the token, and .type the scheme in lower case, "
            f"whatever case the client wrote ({README}, step 4)",
        )


def test_without_a_token_the_answer_is_a_401_that_asks_for_one(api):
    api_user(api, "ada", PASSWORD)
    raw = token(api, "ada", PASSWORD)
    cases = [
        ("GET /api/users/me", "/api/users/me", "GET", {}),
        ("DELETE /api/tokens", "/api/tokens", "DELETE", {}),
        (
            "HTTP Basic instead of a bearer token",
            "/api/users/me",
            "GET",
            {"auth": ("ada", PASSWORD)},
        ),
        ("the token in the query string", f"/api/users/me?access_token={raw}", "GET", {}),
    ]
    for case, url, method, options in cases:
        response = api.open(url, method=method, **options)
        assert response.status_code == 401, explain(
            expected=f"401 Unauthorized for {case}",
            got=show(response),
            tip="take the token from the Authorization header only, and answer 401 without one "
            f"({README}, step 4)",
        )
        assert asks_for_a_token(response), explain(
            expected=f'WWW-Authenticate: Bearer realm="api", with no error, for {case}: the client '
            "sent no token, so nothing was wrong with one (RFC 6750, 3.1)",
            got=f"WWW-Authenticate: {response.headers.getlist('WWW-Authenticate')}",
            tip='raise Unauthorized(www_authenticate=WWWAuthenticate("bearer", {"realm": "api"})) '
            f"({README}, step 4)",
        )
        body = response.get_json(silent=True)
        assert isinstance(body, dict) and sorted(body) == ERROR_KEYS, explain(
            expected=f"Part I's JSON error: {ERROR_KEYS}",
            got=show(response),
            tip="keep lesson 04's handler",
        )


def test_a_wrong_token_is_a_401_invalid_token(api):
    api_user(api, "ada", PASSWORD)
    raw = token(api, "ada", PASSWORD)
    changed = raw[:-1] + ("A" if raw[-1] != "A" else "B")
    cases = [
        ("a token made up by the client", secrets.token_urlsafe(32)),
        ("the token with its last character changed", changed),
        ("the token in the other case", raw.swapcase()),
        ("the token with one more character", raw + "A"),
        ("the first half of the token", raw[: len(raw) // 2]),
    ]
    for case, sent in cases:
        response = me(api, bearer(sent))
        assert response.status_code == 401 and refuses_the_token(response), explain(
            expected=f'401 with WWW-Authenticate: Bearer realm="api", error="invalid_token" for {case}',
            got=f"{show(response)}; WWW-Authenticate: {response.headers.getlist('WWW-Authenticate')}",
            tip="look the token up by its SHA-256, exactly; when nothing matches, answer 401 with "
            f'error="invalid_token" ({README}, step 4)',
        )


def test_a_token_stops_working_when_it_expires(api, database_uri):
    headers = signed_up(api, "ada", PASSWORD)
    make_older(database_uri, timedelta(minutes=59))
    response = me(api, headers)
    assert response.status_code == 200, explain(
        expected="a token made 59 minutes ago to work still: TOKEN_TTL is 3600 seconds",
        got=show(response),
        tip="the test makes the token older by moving every date and time in the database back: "
        f"keep expires_at in a DateTime column, and compare it with the time now in UTC ({README}, step 1)",
    )
    make_older(database_uri, timedelta(minutes=2))
    response = me(api, headers)
    assert response.status_code == 401 and refuses_the_token(response), explain(
        expected='a token made 61 minutes ago to answer 401 with error="invalid_token": it has expired',
        got=f"{show(response)}; WWW-Authenticate: {response.headers.getlist('WWW-Authenticate')}",
        tip=f"find only tokens whose expires_at is still in the future: Token.expires_at > now ({README}, step 4)",
    )


def test_delete_revokes_the_token_it_came_with_and_no_other(api):
    headers = signed_up(api, "ada", PASSWORD)
    other = bearer(token(api, "ada", PASSWORD))
    response = api.delete("/api/tokens", headers=headers)
    assert response.status_code == 204 and response.get_data() == b"", explain(
        expected="DELETE /api/tokens with a bearer token to answer 204 No Content, with an empty body",
        got=show(response),
        tip=f'@bp.delete("/tokens") with @token_required: delete g.token, return "", 204 ({README}, step 5)',
    )
    for case, url, method in (
        ("GET /api/users/me", "/api/users/me", "GET"),
        ("DELETE again", "/api/tokens", "DELETE"),
    ):
        response = api.open(url, method=method, headers=headers)
        assert response.status_code == 401 and refuses_the_token(response), explain(
            expected=f'{case} with the revoked token to answer 401 with error="invalid_token"',
            got=f"{show(response)}; WWW-Authenticate: {response.headers.getlist('WWW-Authenticate')}",
            tip=f"delete the token's row, or mark it revoked and skip such rows ({README}, step 5)",
        )
    response = me(api, other)
    assert response.status_code == 200, explain(
        expected="ada's other token to work still: DELETE revokes only the token it came with",
        got=show(response),
        tip="delete g.token, the one this request carried, not every token of g.user",
    )


def test_a_wrong_password_and_an_unknown_user_answer_alike(api):
    api_user(api, "ada", PASSWORD)
    answers = {
        "ada with a wrong password": api.post("/api/tokens", auth=("ada", "not the password")),
        "nobody, an unknown user": api.post("/api/tokens", auth=("nobody", PASSWORD)),
        "no credentials at all": api.post("/api/tokens"),
    }
    for case, response in answers.items():
        assert response.status_code == 401, explain(
            expected=f"POST /api/tokens for {case} to answer 401",
            got=show(response),
            tip=f"raise Unauthorized when authenticate() finds no user ({README}, step 3)",
        )
        assert "basic" in [scheme for scheme, _ in challenges(response)], explain(
            expected=f'a 401 for {case} that asks for HTTP Basic: WWW-Authenticate: Basic realm="api"',
            got=f"WWW-Authenticate: {response.headers.getlist('WWW-Authenticate')}",
            tip=f'www_authenticate=WWWAuthenticate("basic", {{"realm": "api"}}) ({README}, step 3)',
        )

    def seen(response, username):
        """What a client sees of the answer, but the moment, and the name it sent itself."""
        body = response.get_json(silent=True) or {}
        shown = {key: str(value).replace(username, "<username>") for key, value in body.items()}
        shown.pop("timestamp", None)
        headers = sorted(set(response.headers.keys()) - {"Content-Length", "X-Request-ID", "Date"})
        return response.status_code, challenges(response), headers, shown

    wrong = seen(answers["ada with a wrong password"], "ada")
    unknown = seen(answers["nobody, an unknown user"], "nobody")
    assert wrong == unknown, explain(
        expected="the same answer for a wrong password as for an unknown user: status, headers "
        "and body, so that no one can find out which usernames exist",
        got=f"for a wrong password {wrong}; for an unknown user {unknown}",
        tip=f"one check for both, one message for both ({README}, step 3)",
    )


def test_the_token_itself_is_never_stored(api, database_uri):
    api_user(api, "ada", PASSWORD)
    raw = token(api, "ada", PASSWORD)
    me(api, bearer(raw))
    assert not databases.holds(database_uri, raw), explain(
        expected="the token nowhere in the database, not even in the file's bytes",
        got="the token, readable in the database: anyone who reads a backup could use it",
        tip=f"store hashlib.sha256(token.encode()).hexdigest(), and look that up ({README}, step 1)",
    )


def test_neither_the_token_nor_the_password_is_logged(make_app, caplog, capsys):
    api = served(make_app, {"LOG_LEVEL": "DEBUG"})
    caplog.set_level(logging.DEBUG)
    api_user(api, "ada", PASSWORD)
    raw = token(api, "ada", PASSWORD)
    me(api, bearer(raw))
    api.delete("/api/tokens", headers=bearer(raw))
    me(api, bearer(raw))
    captured = capsys.readouterr()
    logged = caplog.text + captured.out + captured.err
    leaked = [
        name
        for name, secret in (("the token", raw), ("the password", PASSWORD))
        if secret in logged
    ]
    assert not leaked, explain(
        expected="no log line, and nothing printed, that holds the token or the password",
        got=f"{' and '.join(leaked)} in what was logged",
        tip="log the method and the path, never the headers: Authorization carries the secret "
        f"({README}, step 6)",
    )


def test_the_api_index_links_tokens_and_me(api):
    response = api.get("/api/")
    body = json_object(response, "GET /api/", f"see {README}, step 6")
    links = body.get("links") if isinstance(body.get("links"), dict) else {}
    expected = {"tokens": "http://localhost/api/tokens", "me": "http://localhost/api/users/me"}
    assert {name: links.get(name) for name in expected} == expected, explain(
        expected=f"among the links: {expected}",
        got=f"links {links}",
        tip=f'add "tokens": "api.create_token" and "me": "api.me" to the index\'s links ({README}, step 6)',
    )
