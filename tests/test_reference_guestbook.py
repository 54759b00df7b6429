"""The reference guestbook beyond what the lessons ask: settings, the database's own rules, edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy
from sqlalchemy.dialects import postgresql, sqlite

from lessons import databases
from lessons.guestbook import BROWSER, PASSWORD, cli_greeting, cli_user, page, signed_up
from solution.auth import safe_next
from solution.config import ConfigError, database_url
from solution.models import UTCDateTime


@pytest.mark.parametrize(
    ("given", "used"),
    [
        (
            "postgres://u:p@db.example:5432/guestbook",
            "postgresql+psycopg://u:p@db.example:5432/guestbook",
        ),
        ("postgresql://u@db.example/guestbook", "postgresql+psycopg://u@db.example/guestbook"),
        (
            "postgresql+psycopg://u@db.example/guestbook",
            "postgresql+psycopg://u@db.example/guestbook",
        ),
        ("sqlite:////var/lib/guestbook.sqlite3", "sqlite:////var/lib/guestbook.sqlite3"),
        ("postgres", "postgres"),
    ],
)
def test_database_url_names_the_psycopg_driver_for_postgresql(given, used):
    assert database_url(given) == used


def test_an_empty_database_url_means_the_default(create_app, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "")
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///guestbook.sqlite3"


@pytest.mark.parametrize("ttl", [0, -5, "3600", 1.5, None, True])
def test_a_token_ttl_that_is_no_whole_number_of_seconds_refuses_to_start(create_app, ttl):
    with pytest.raises(ConfigError, match="TOKEN_TTL"):
        create_app({"TOKEN_TTL": ttl})


def test_the_session_cookie_is_secure_in_production_only(create_app, monkeypatch):
    assert create_app().config["SESSION_COOKIE_SECURE"] is False
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("FLASK_SECRET_KEY", "0f" * 32)
    config = create_app().config
    assert (config["SESSION_COOKIE_SECURE"], config["SESSION_COOKIE_SAMESITE"]) == (True, "Lax")


@pytest.mark.skipif(
    databases.server_url() is not None, reason="SQLite's own settings, not PostgreSQL's"
)
def test_sqlite_keeps_foreign_keys_and_writes_ahead(guestbook):
    with guestbook.app_context():
        engine = guestbook.extensions["sqlalchemy"].engine
        with engine.connect() as connection:
            pragmas = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("foreign_keys", "journal_mode", "synchronous")
            }
    assert pragmas == {"foreign_keys": 1, "journal_mode": "wal", "synchronous": 1}


@pytest.mark.parametrize(
    "dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "postgresql"]
)
def test_times_go_in_as_utc_and_come_back_aware_in_utc(dialect):
    kind = UTCDateTime()
    nepal = datetime(2026, 1, 1, 17, 45, tzinfo=timezone(timedelta(hours=5, minutes=45)))
    assert kind.process_bind_param(nepal, dialect) == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert kind.process_bind_param(None, dialect) is None
    naive = datetime(2026, 1, 1, 12, 0)  # as SQLite gives it back
    assert kind.process_result_value(naive, dialect) == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert kind.process_result_value(nepal, dialect).tzinfo is UTC
    assert kind.process_result_value(None, dialect) is None


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        (["create-user", "a", "--password", PASSWORD], "USERNAME"),
        (["create-user", "ada", "--password", "short"], "password"),
    ],
)
def test_create_user_refuses_what_the_api_refuses(
    guestbook, runner, database_uri, arguments, problem
):
    result = runner.invoke(args=arguments)
    assert result.exit_code != 0 and problem in result.output
    assert not any(databases.row_counts(database_uri).values())


def test_add_greeting_refuses_an_empty_message(guestbook, runner, database_uri):
    cli_user(runner, "ada")
    result = runner.invoke(args=["add-greeting", "ada", "   "])
    assert result.exit_code != 0 and "MESSAGE" in result.output
    assert databases.row_counts(database_uri)["greetings"] == 0


def test_a_greeting_needs_an_author_that_exists(guestbook):
    with guestbook.app_context():
        engine = guestbook.extensions["sqlalchemy"].engine
        with pytest.raises(sqlalchemy.exc.IntegrityError), engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO greetings (author_id, message, created_at, updated_at) "
                "VALUES (99, 'nobody wrote this', '2026-01-01 12:00:00', '2026-01-01 12:00:00')"
            )


@pytest.mark.parametrize(
    "target",
    [
        "//evil.com",
        "/\\evil.com",
        "https://evil.com",
        "http:evil.com",
        "/\t/evil.com",
        "evil.com",
        "",
        None,
        "/%0a/evil.com\n",
        "/ok\x7f",
    ],
)
def test_next_never_leaves_the_site(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/", "/?page=2", "/register", "/%2F%2Fevil.com"])
def test_next_may_lead_within_the_site(target):
    assert safe_next(target) == target


def test_a_session_naming_no_user_is_anonymous(guestbook, client):
    with client.session_transaction() as session:
        session["_user_id"] = "not-a-number"
    response = client.get("/", headers=BROWSER)
    assert response.status_code == 200 and "Sign in" in page(response).text


def test_a_500_page_for_a_browser_leaks_nothing(make_app):
    app = make_app({"TESTING": False})

    @app.get("/kata/crash")
    def crash():
        raise RuntimeError("the database password is hunter2")

    response = app.test_client().get("/kata/crash", headers=BROWSER)
    text = response.get_data(as_text=True)
    assert response.status_code == 500 and response.mimetype == "text/html"
    assert "hunter2" not in text and "RuntimeError" not in text and "Traceback" not in text


def test_the_api_answers_a_browser_in_json_too(client):
    response = client.get("/api/nope", headers=BROWSER)
    assert (response.status_code, response.mimetype) == (404, "application/json")


def test_an_expired_token_is_removed_when_its_user_gets_a_new_one(guestbook, client, database_uri):
    headers = signed_up(client)
    with guestbook.app_context():
        engine = guestbook.extensions["sqlalchemy"].engine
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE tokens SET expires_at = '2000-01-01 00:00:00'")
    assert client.get("/api/users/me", headers=headers).status_code == 401
    client.post("/api/tokens", auth=("ada", PASSWORD))
    assert databases.row_counts(database_uri)["tokens"] == 1


def test_the_guestbook_page_links_to_older_and_newer_pages(guestbook, client, runner):
    cli_user(runner, "ada")
    for number in range(45):
        cli_greeting(runner, "ada", f"Greeting {number}")
    second = page(client.get("/?page=2", headers=BROWSER))
    links = {
        attributes.get("rel"): attributes.get("href")
        for tag, attributes in second.tags
        if tag == "a"
    }
    assert links.get("prev") == "/?page=1" and links.get("next") == "/?page=3"
    assert "Page 2 of 3" in second.text
