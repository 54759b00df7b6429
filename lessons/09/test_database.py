"""Lesson 09: a database: users and greetings, three `flask` commands, and GET /api/greetings."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy
from sqlalchemy.engine import make_url
from werkzeug.security import check_password_hash

from lessons import databases
from lessons.contract import format_timestamp, parse_timestamp
from lessons.feedback import explain, show
from lessons.guestbook import PASSWORD, cli_greeting, cli_user

README = "lessons/09/README.md"
GREETING_KEYS = ["author", "created_at", "id", "message", "updated_at"]


def greetings(client):
    """GET /api/greetings; the list it answers, or a clear failure."""
    response = client.get("/api/greetings")
    body = response.get_json(silent=True)
    assert response.status_code == 200 and isinstance(body, list), explain(
        expected="GET /api/greetings to answer 200 with a JSON array",
        got=show(response),
        tip=f"add the view to the api blueprint and return a list of dicts ({README}, step 5)",
    )
    return body


def output(result):
    return (result.output.strip() or repr(result.exception))[-400:]


@pytest.fixture
def faraway_clock():
    """Pretend the computer's clock is set to Nepal time (UTC+05:45), where the OS allows it."""
    if not hasattr(time, "tzset"):  # Windows cannot change the zone here; the test still checks UTC
        yield
        return
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Kathmandu"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


def written_at_one_moment(uri, message):
    """Give every row of the table that holds message the times of its oldest row, as if they
    were all written at once; return the names of the time columns changed (None: no table
    holds the message)."""
    with databases.inspected(uri) as connection:
        inspector = sqlalchemy.inspect(connection)
        quote = connection.dialect.identifier_preparer.quote
        for table in inspector.get_table_names():
            columns = inspector.get_columns(table)
            texts = [c["name"] for c in columns if isinstance(c["type"], sqlalchemy.String)]
            if not any(
                connection.execute(
                    sqlalchemy.text(f"SELECT 1 FROM {quote(table)} WHERE {quote(name)} = :message"),
                    {"message": message},
                ).first()
                for name in texts
            ):
                continue
            moments = [c["name"] for c in columns if isinstance(c["type"], sqlalchemy.DateTime)]
            for name in moments:
                column, where = quote(name), quote(table)
                connection.execute(
                    sqlalchemy.text(
                        f"UPDATE {where} SET {column} = (SELECT min({column}) FROM {where})"
                    )
                )
            connection.commit()
            return moments
    return None


def test_init_db_makes_an_empty_guestbook_and_can_run_again(app, client, runner):
    for attempt in ("the first time", "a second time, on the tables it made"):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, explain(
            expected=f"`flask init-db` to exit with code 0, {attempt}",
            got=output(result),
            tip="register a click command named init-db that calls db.create_all(); it needs the "
            f"app context: add @with_appcontext ({README}, step 3)",
        )
    listed = greetings(client)
    assert listed == [], explain(
        expected="an empty guestbook, []", got=repr(listed)[:300], tip="do not add data in init-db"
    )


def test_a_greeting_added_on_the_command_line_is_listed(guestbook, client, runner, faraway_clock):
    now = datetime.now(UTC)
    before = now - timedelta(microseconds=now.microsecond % 1000)
    cli_user(runner, "ada")
    cli_greeting(runner, "ada", "Hello from the command line")
    after = datetime.now(UTC) + timedelta(milliseconds=1)
    listed = greetings(client)
    assert len(listed) == 1 and isinstance(listed[0], dict), explain(
        expected="one greeting in the list", got=repr(listed)[:300], tip=f"see {README}, step 5"
    )
    greeting = listed[0]
    assert sorted(greeting) == GREETING_KEYS, explain(
        expected=f"a greeting with exactly the keys {GREETING_KEYS}",
        got=f"the keys {sorted(greeting)}",
        tip=f"build the JSON from the model: the author's username, never its id ({README}, step 5)",
    )
    shown = {key: greeting[key] for key in ("author", "message")}
    assert (
        shown == {"author": "ada", "message": "Hello from the command line"}
        and type(greeting["id"]) is int
    ), explain(
        expected='"author": "ada", "message": "Hello from the command line" and an integer id',
        got=str(greeting),
        tip="author is the username of the greeting's user",
    )
    created = parse_timestamp(greeting["created_at"])
    assert created is not None and before <= created <= after, explain(
        expected=f"created_at between {format_timestamp(before)} and {format_timestamp(after)}, "
        "in the kata's format (UTC, milliseconds, Z)",
        got=repr(greeting["created_at"]),
        tip="store aware UTC times, and format them like lesson 02; SQLite gives them back naive, "
        "without their zone, so treat a naive time as UTC, never as local time (this computer's "
        f"clock is set to UTC+05:45 here) ({README}, step 4)",
    )
    assert greeting["updated_at"] == greeting["created_at"], explain(
        expected="updated_at equal to created_at for a greeting never changed",
        got=f"created_at {greeting['created_at']}, updated_at {greeting['updated_at']}",
        tip="give both the same moment when the greeting is written",
    )


def test_the_api_index_links_to_the_greetings(guestbook, client):
    response = client.get("/api/")
    body = response.get_json(silent=True)
    links = body.get("links") if isinstance(body, dict) else None
    link = links.get("greetings") if isinstance(links, dict) else None
    assert link == "http://localhost/api/greetings", explain(
        expected='GET /api/ to list "greetings": "http://localhost/api/greetings" among its links',
        got=show(response),
        tip='add "greetings": "api.list_greetings" to the links of lesson 08\'s index, built with '
        f"url_for(..., _external=True) ({README}, step 5)",
    )
    followed = client.get(link)
    assert followed.status_code == 200 and followed.get_json(silent=True) == [], explain(
        expected=f"GET {link} to answer 200 with the list: [] in an empty guestbook",
        got=show(followed),
        tip=f"link to the endpoint of the list view ({README}, step 5)",
    )


def test_greetings_come_newest_first(guestbook, client, runner):
    cli_user(runner, "ada")
    for message in ("first", "second", "third"):
        cli_greeting(runner, "ada", message)
    listed = [greeting.get("message") for greeting in greetings(client)]
    assert listed == ["third", "second", "first"], explain(
        expected='the newest greeting first: ["third", "second", "first"]',
        got=repr(listed),
        tip=f"order_by(Greeting.created_at.desc(), Greeting.id.desc()) ({README}, step 5)",
    )


def test_greetings_written_at_the_same_moment_come_newest_id_first(
    guestbook, client, runner, database_uri
):
    cli_user(runner, "ada")
    messages = ["Tie 1", "Tie 2", "Tie 3", "Tie 4"]
    for message in messages:
        cli_greeting(runner, "ada", message)
    changed = written_at_one_moment(database_uri, "Tie 1")
    assert changed is not None, explain(
        expected="the greetings in the database that SQLALCHEMY_DATABASE_URI names (the test "
        "passes it in test_config)",
        got="no table there that holds the message 'Tie 1'",
        tip="call db.init_app(app) after app.config.update(test_config): Flask-SQLAlchemy reads the "
        f"setting when init_app runs, not later ({README}, step 2)",
    )
    assert changed, explain(
        expected="a table with the greetings' messages and their times in DateTime columns",
        got="no DateTime column beside the messages",
        tip=f"created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now) ({README}, step 4)",
    )
    listed = greetings(client)
    shown = [greeting.get("message") for greeting in listed]
    assert shown == messages[::-1], explain(
        expected=f"greetings with the same created_at newest first, by id: {messages[::-1]}",
        got=f"{shown} (the test gave the greetings one created_at, in {changed}, as when two are "
        "written within one clock tick)",
        tip="break the tie with the id: order_by(Greeting.created_at.desc(), Greeting.id.desc()) "
        f"({README}, step 5)",
    )


def test_a_message_is_stored_without_the_spaces_around_it(guestbook, client, runner):
    cli_user(runner, "ada")
    cli_greeting(runner, "ada", "   Hello, world!  ")
    listed = [greeting.get("message") for greeting in greetings(client)]
    assert listed == ["Hello, world!"], explain(
        expected='the message as "Hello, world!", trimmed',
        got=repr(listed),
        tip=f"store message.strip() ({README}, step 6)",
    )


def test_add_greeting_for_an_unknown_user_fails_and_stores_nothing(
    guestbook, client, runner, database_uri
):
    result = runner.invoke(args=["add-greeting", "nobody", "Hello"])
    assert result.exit_code != 0 and "nobody" in result.output, explain(
        expected="`flask add-greeting nobody Hello` to exit with an error that names the user nobody",
        got=f"exit code {result.exit_code}: {output(result)}",
        tip=f'raise click.ClickException(f"There is no user {{username}}.") ({README}, step 6)',
    )
    stored = databases.row_counts(database_uri)
    assert greetings(client) == [] and not any(stored.values()), explain(
        expected="nothing stored after a refused command",
        got=f"rows per table: {stored}",
        tip="look the user up first, and add the greeting only when there is one",
    )


def test_init_db_keeps_the_data_unless_told_to_drop_it(guestbook, client, runner):
    cli_user(runner, "ada")
    cli_greeting(runner, "ada", "Keep me")
    runner.invoke(args=["init-db"])
    kept = [greeting.get("message") for greeting in greetings(client)]
    assert kept == ["Keep me"], explain(
        expected="`flask init-db` run again to keep the greetings",
        got=repr(kept),
        tip=f"db.create_all() makes missing tables only; never drop_all() without --drop ({README}, step 3)",
    )
    refused = runner.invoke(args=["init-db", "--drop"], input="n\n")
    kept = [greeting.get("message") for greeting in greetings(client)]
    assert refused.exit_code != 0 and kept == ["Keep me"], explain(
        expected="`flask init-db --drop` to ask first, and to stop, keeping the data, when the answer is n",
        got=f"exit code {refused.exit_code}, greetings {kept}",
        tip=f'click.confirm("Drop every table?", abort=True) unless --yes is given ({README}, step 3)',
    )
    dropped = runner.invoke(args=["init-db", "--drop", "--yes"])
    assert dropped.exit_code == 0 and greetings(client) == [], explain(
        expected="`flask init-db --drop --yes` to start again from empty tables, without asking",
        got=f"exit code {dropped.exit_code}: {output(dropped)}",
        tip="with --drop: db.drop_all(), then db.create_all()",
    )


def test_create_user_asks_for_the_password_when_it_is_not_given(guestbook, client, runner):
    result = runner.invoke(args=["create-user", "grace"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, explain(
        expected="`flask create-user grace` to ask for the password and create the user",
        got=output(result),
        tip=f"@click.password_option() asks for it, unseen, when --password is not given ({README}, step 6)",
    )
    cli_greeting(runner, "grace", "Asked, not given")
    assert [greeting.get("author") for greeting in greetings(client)] == ["grace"]


def test_a_username_is_taken_whatever_its_case(guestbook, runner, database_uri):
    cli_user(runner, "ada")
    result = runner.invoke(args=["create-user", "ADA", "--password", PASSWORD])
    stored = databases.row_counts(database_uri)
    assert result.exit_code != 0 and sum(stored.values()) == 1, explain(
        expected="`flask create-user ADA` to fail when ada exists: usernames are unique ignoring case",
        got=f"exit code {result.exit_code}: {output(result)}; rows per table: {stored}",
        tip="a unique index on lower(username) lets the database refuse the second one "
        f"({README}, step 4)",
    )


def test_the_password_is_stored_as_a_werkzeug_hash_only(guestbook, runner, database_uri):
    cli_user(runner, "ada", PASSWORD)
    assert not databases.holds(database_uri, PASSWORD), explain(
        expected="the password nowhere in the database, not even in the file's bytes",
        got="the password, readable in the database",
        tip=f"store generate_password_hash(password) and never the password itself ({README}, step 4)",
    )
    hashes = [
        value
        for value in databases.stored_values(database_uri)
        if isinstance(value, str) and check_password_hash(value, PASSWORD)
    ]
    assert hashes, explain(
        expected="a hash of the password, made by werkzeug.security.generate_password_hash",
        got="no value that check_password_hash accepts for the password",
        tip="hash it with generate_password_hash(password, method), and check it with "
        f"check_password_hash; a plain hashlib digest has no salt ({README}, step 4)",
    )


def test_the_hash_column_is_wide_enough_for_scrypt(guestbook, runner, database_uri):
    cli_user(runner, "ada", PASSWORD)
    widths = {}
    with databases.inspected(database_uri) as connection:
        inspector = sqlalchemy.inspect(connection)
        quote = connection.dialect.identifier_preparer.quote
        for table in inspector.get_table_names():
            for column in inspector.get_columns(table):
                query = sqlalchemy.text(f"SELECT {quote(column['name'])} FROM {quote(table)}")
                values = connection.execute(query).scalars()
                if any(
                    isinstance(value, str) and check_password_hash(value, PASSWORD)
                    for value in values
                ):
                    widths[f"{table}.{column['name']}"] = getattr(column["type"], "length", None)
    narrow = {name: width for name, width in widths.items() if width is not None and width < 162}
    assert widths and not narrow, explain(
        expected="the column that holds the password hash to be at least 162 characters wide: "
        "scrypt's hashes are that long",
        got=f"the hash's column: {widths or 'none found'}",
        tip="String(256), as the README shows: PostgreSQL refuses a longer value, SQLite only "
        f"pretends to keep the limit ({README}, step 4)",
    )


def test_the_database_is_the_one_the_test_names(guestbook, database_uri, isolated):
    tables = databases.row_counts(database_uri)
    strays = (
        sorted(path.name for path in (isolated / "instance").glob("*"))
        if (isolated / "instance").exists()
        else []
    )
    assert len(tables) >= 2 and not strays, explain(
        expected="`flask init-db` to make the tables in the database SQLALCHEMY_DATABASE_URI names "
        "(the test passes it in test_config), and nothing in the instance folder",
        got=f"tables there: {sorted(tables)}; in the instance folder: {strays}",
        tip="call db.init_app(app) after app.config.update(test_config): Flask-SQLAlchemy reads the "
        f"setting when init_app runs, not later ({README}, step 2)",
    )


def test_sqlite_in_the_instance_folder_by_default(create_app, isolated):
    app = create_app({"TESTING": True, "PASSWORD_HASH_METHOD": databases.CHEAP_HASH})
    try:
        result = app.test_cli_runner().invoke(args=["init-db"])
        made = sorted(path.name for path in (isolated / "instance").glob("*"))
    finally:
        databases.dispose(app)
    assert result.exit_code == 0 and made, explain(
        expected="with no database set, `flask init-db` to make a SQLite file in the instance folder",
        got=f"exit code {result.exit_code}; in the instance folder: {made}",
        tip='default SQLALCHEMY_DATABASE_URI to "sqlite:///guestbook.sqlite3": Flask-SQLAlchemy puts a '
        f"relative SQLite path in the instance folder ({README}, step 2)",
    )


def test_database_url_is_honoured_and_test_config_wins_over_it(create_app, isolated, monkeypatch):
    platform, setting, tests = (
        isolated / f"from-{source}.sqlite3"
        for source in ("the-platform", "flask-setting", "the-test")
    )
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{platform.as_posix()}")
    for why, variable, config, made in (
        ("DATABASE_URL names it", None, {}, platform),
        (
            "FLASK_SQLALCHEMY_DATABASE_URI names it, and wins over DATABASE_URL",
            setting,
            {},
            setting,
        ),
        (
            "test_config names it, and wins over FLASK_SQLALCHEMY_DATABASE_URI and DATABASE_URL",
            setting,
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tests.as_posix()}"},
            tests,
        ),
    ):
        if variable is not None:
            monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", f"sqlite:///{variable.as_posix()}")
        app = create_app({"TESTING": True, "PASSWORD_HASH_METHOD": databases.CHEAP_HASH, **config})
        try:
            result = app.test_cli_runner().invoke(args=["init-db"])
        finally:
            databases.dispose(app)
        assert result.exit_code == 0 and made.is_file(), explain(
            expected=f"`flask init-db` to make {made.name}: {why}",
            got=f"exit code {result.exit_code}; files: {sorted(path.name for path in isolated.glob('*.sqlite3'))}",
            tip="read DATABASE_URL into SQLALCHEMY_DATABASE_URI before from_prefixed_env(), so that "
            f"FLASK_* variables and test_config still win ({README}, step 2)",
        )


def through_psycopg(uri):
    """The parts of a URL that names PostgreSQL through psycopg 3, or None for any other."""
    try:
        url = make_url(uri)
        dialect = url.get_dialect()
    except Exception:  # not a URL, or no dialect SQLAlchemy knows
        return None
    if (dialect.name, dialect.driver) != ("postgresql", "psycopg"):
        return None
    return url.username, url.password, url.host, url.database, dict(url.query)


def test_a_postgres_database_url_is_read_with_psycopg(create_app, monkeypatch):
    given = "postgres://guestbook:s3cret@/guestbook?host=/nonexistent"  # as platforms write it
    monkeypatch.setenv("DATABASE_URL", given)
    try:
        app = create_app({"TESTING": True, "PASSWORD_HASH_METHOD": databases.CHEAP_HASH})
        try:
            uri = app.config.get("SQLALCHEMY_DATABASE_URI")
            got = f"SQLALCHEMY_DATABASE_URI = {uri!r}"
        finally:
            databases.dispose(app)
    except Exception as error:  # SQLAlchemy knows no dialect called postgres
        uri, got = None, f"create_app() raised {type(error).__name__}: {error}"
    wanted = ("guestbook", "s3cret", None, "guestbook", {"host": "/nonexistent"})
    assert through_psycopg(uri) == wanted, explain(
        expected=f"DATABASE_URL={given} to give SQLALCHEMY_DATABASE_URI = "
        "'postgresql+psycopg://guestbook:s3cret@/guestbook?host=/nonexistent': PostgreSQL "
        "through psycopg 3, the rest of the URL as it was",
        got=got,
        tip="platforms write postgres://, a name SQLAlchemy does not know: replace that scheme "
        f"with postgresql+psycopg:// ({README}, step 2)",
    )


def test_the_list_takes_as_many_queries_for_ten_greetings_as_for_one(guestbook, client, runner):
    cli_user(runner, "author0")
    cli_greeting(runner, "author0", "Greeting 0")
    with databases.QueryCounter() as queries:
        greetings(client)
        for_one = len(queries.statements)
        for number in range(1, 10):  # each greeting by its own author
            cli_user(runner, f"author{number}")
            cli_greeting(runner, f"author{number}", f"Greeting {number}")
        queries.reset()
        listed = greetings(client)
        for_ten = len(queries.statements)
    assert len(listed) == 10 and for_ten == for_one, explain(
        expected=f"as many SQL queries for 10 greetings as for 1 ({for_one})",
        got=f"{for_ten} queries for {len(listed)} greetings",
        tip="load the authors with the greetings: .options(joinedload(Greeting.author)); without it, "
        f"each greeting.author costs one more query, the N+1 problem ({README}, step 5)",
    )
