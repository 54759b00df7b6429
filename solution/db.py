"""The database: Flask-SQLAlchemy, set up from SQLALCHEMY_DATABASE_URI, and `flask init-db`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """What every model is made from."""


db = SQLAlchemy(model_class=Base)

# db.Model is made from Base when the program runs, so a type checker cannot see it: to mypy,
# the models' base class is the Base it is made from (python/mypy#8603).
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


def init_app(app: Flask) -> None:
    """Connect the app to its database (the settings are loaded by now) and add init-db."""
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", tune_sqlite)
    app.cli.add_command(init_db)


def tune_sqlite(connection: Any, _record: Any) -> None:
    """Make SQLite enforce foreign keys, as PostgreSQL does, and let readers and a writer overlap."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    # Write-ahead logging: readers never wait for the writer, and commits are cheaper.
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


@click.command("init-db")
@with_appcontext
@click.option("--drop", is_flag=True, help="Drop every table first, and all the data in them.")
@click.option("--yes", is_flag=True, help="Do not ask before dropping.")
def init_db(drop: bool, yes: bool) -> None:
    """Create the tables that do not exist yet; data already there is kept."""
    if drop:
        if not yes:
            click.confirm("Drop every table, and all the data in them?", abort=True)
        db.drop_all()
    db.create_all()
    click.echo("The database is ready.")
