"""A minimal Flask + Flask-SQLAlchemy app: the yardstick for the reference's list of greetings.

GET /api/greetings runs the reference's query (newest first, the authors joined in, one page
through db.paginate, which counts the rows too) and answers the same JSON body, and nothing
else: no hooks, no log, no headers of its own, no validation of ?page= and ?per_page= beyond
what db.paginate does. It serves the tables the reference's `flask init-db` made, from the
database DATABASE_URL names, as gunicorn runs it:

    DATABASE_URL=sqlite:////tmp/guestbook.sqlite3 \
        gunicorn -c solution/gunicorn.conf.py tests.benchmarks.bare_database_app:app
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import ForeignKey
from sqlalchemy.orm import DeclarativeBase, Mapped, joinedload, mapped_column, relationship


class Base(DeclarativeBase):
    """What the two models are made from."""


db = SQLAlchemy(model_class=Base)


class User(db.Model):
    """The reference's users table (all its columns, so that the query is the reference's own)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str]
    password_hash: Mapped[str]
    created_at: Mapped[datetime]


class Greeting(db.Model):
    """The reference's greetings table."""

    __tablename__ = "greetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    author: Mapped[User] = relationship()
    message: Mapped[str]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


def iso(moment: datetime) -> str:
    """2026-01-01T12:00:00.000Z, as the reference writes times; SQLite's come back naive, in UTC."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
db.init_app(app)


@app.get("/api/greetings")
def list_greetings() -> list[dict[str, Any]]:
    """One page of greetings, newest first, as the reference's list answers it."""
    query = (
        db.select(Greeting)
        .options(joinedload(Greeting.author))
        .order_by(Greeting.created_at.desc(), Greeting.id.desc())
    )
    page = db.paginate(query, error_out=False)  # ?page= and ?per_page=, 20 a page
    return [
        {
            "id": greeting.id,
            "author": greeting.author.username,
            "message": greeting.message,
            "created_at": iso(greeting.created_at),
            "updated_at": iso(greeting.updated_at),
        }
        for greeting in page.items
    ]
