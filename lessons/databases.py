"""Databases for the tests: a fresh one for every test, on SQLite or PostgreSQL, and a look inside.

SQLite by default: a file in the test's own folder. When TEST_DATABASE_URL names a PostgreSQL
server (`python -m lessons.postgres` starts one), each pytest run makes a database of its own
there, and every test starts with it empty.

The tests look inside the database the way anyone with the file could: every table, every row,
without knowing what the tables are called.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy
from flask import Flask
from sqlalchemy.engine import Engine, make_url

URL_VARIABLE = "TEST_DATABASE_URL"
CHEAP_HASH = "pbkdf2:sha256:1000"  # PASSWORD_HASH_METHOD in tests: a fast hash, never in production


def server_url() -> str | None:
    """The PostgreSQL server the tests should use, if one is named."""
    return os.environ.get(URL_VARIABLE) or None


@contextmanager
def run_database() -> Iterator[str | None]:
    """A database of this pytest run's own on the named server (dropped at the end), or None."""
    server = server_url()
    if server is None:
        yield None
        return
    name = f"kata_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sqlalchemy.create_engine(
        server, isolation_level="AUTOCOMMIT", poolclass=sqlalchemy.pool.NullPool
    )
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fresh_uri(folder: Path, run_database_url: str | None) -> str:
    """The SQLALCHEMY_DATABASE_URI for one test: its own SQLite file, or the run's database."""
    if run_database_url is None:
        return f"sqlite:///{(folder / 'guestbook-test.sqlite3').as_posix()}"
    return run_database_url


def dispose(app: Flask) -> None:
    """Close every connection the app's Flask-SQLAlchemy engines hold, if it has any."""
    extension = app.extensions.get("sqlalchemy")
    if extension is None:
        return
    with app.app_context():
        engines = getattr(extension, "engines", {})
        for engine in list(engines.values()):
            engine.dispose()


def empty(uri: str) -> None:
    """Leave a PostgreSQL database empty for the next test; never wait on a lock for long."""
    if not uri.startswith("postgresql"):
        return  # SQLite files stay in the test's folder
    engine = sqlalchemy.create_engine(
        uri, isolation_level="AUTOCOMMIT", poolclass=sqlalchemy.pool.NullPool
    )
    try:
        with engine.connect() as connection:
            tables = connection.execute(
                sqlalchemy.text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            )
            if not tables.scalar():
                return
            # Anything the app left open would block DROP SCHEMA: end it first.
            connection.execute(
                sqlalchemy.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            connection.execute(sqlalchemy.text("SET lock_timeout = '10s'"))
            connection.execute(sqlalchemy.text("DROP SCHEMA public CASCADE"))
            connection.execute(sqlalchemy.text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@contextmanager
def inspected(uri: str) -> Iterator[sqlalchemy.Connection]:
    """A connection of the test's own to the database under test."""
    engine = sqlalchemy.create_engine(uri, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def row_counts(uri: str) -> dict[str, int]:
    """How many rows each table holds."""
    with inspected(uri) as connection:
        tables = sqlalchemy.inspect(connection).get_table_names()
        quote = connection.dialect.identifier_preparer.quote
        return {
            table: connection.execute(
                sqlalchemy.text(f"SELECT count(*) FROM {quote(table)}")
            ).scalar()
            or 0
            for table in tables
        }


def stored_values(uri: str) -> list[Any]:
    """Every value in every row of every table."""
    values: list[Any] = []
    with inspected(uri) as connection:
        quote = connection.dialect.identifier_preparer.quote
        for table in sqlalchemy.inspect(connection).get_table_names():
            for row in connection.execute(sqlalchemy.text(f"SELECT * FROM {quote(table)}")):
                values.extend(row)
    return values


def holds(uri: str, secret: str) -> bool:
    """Whether secret is anywhere in the database: in a value, or anywhere in a SQLite file."""
    if any(secret in str(value) for value in stored_values(uri)):
        return True
    url = make_url(uri)
    if url.get_backend_name() == "sqlite" and url.database:
        # The file itself, with its write-ahead log: deleted rows and free pages too.
        files = [Path(url.database), Path(f"{url.database}-wal")]
        raw = secret.encode()
        return any(path.is_file() and raw in path.read_bytes() for path in files)
    return False


class QueryCounter:
    """Counts the SQL statements any SQLAlchemy engine sends while it is active."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __enter__(self) -> QueryCounter:
        sqlalchemy.event.listen(Engine, "before_cursor_execute", self.note)
        return self

    def __exit__(self, *_exc: object) -> None:
        sqlalchemy.event.remove(Engine, "before_cursor_execute", self.note)

    def note(self, _connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        """Keep one statement."""
        self.statements.append(statement)

    def reset(self) -> None:
        """Forget the statements so far."""
        self.statements.clear()
