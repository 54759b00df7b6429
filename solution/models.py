"""The guestbook's data: users, and the greetings they write."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from functools import cache
from typing import Any

from flask_login import UserMixin
from sqlalchemy import DateTime, ForeignKey, Index, String, func
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator
from werkzeug.security import check_password_hash, generate_password_hash

from .db import Model, db

# Ids live in INTEGER columns, which hold up to 2**31 - 1 on PostgreSQL: a larger number names
# no row (and SQLite could not even look it up).
LARGEST_ID = 2**31 - 1


def utc_now() -> datetime:
    """The time now, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A moment stored in UTC, read back as an aware datetime in UTC, on SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store the moment in UTC."""
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """SQLite keeps no time zone, so its values come back naive: they are UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class User(UserMixin, Model):
    """Someone who signs the guestbook (UserMixin: what Flask-Login asks of a user)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(30))  # as registered; unique ignoring case
    password_hash: Mapped[str] = mapped_column(String(256))  # scrypt's hashes are 162 characters
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    def set_password(self, password: str, method: str) -> None:
        """Keep only a salted hash of the password, never the password itself."""
        self.password_hash = generate_password_hash(password, method)

    def check_password(self, password: str) -> bool:
        """Whether password is the one this user set."""
        return check_password_hash(self.password_hash, password)


def find_user(username: str) -> User | None:
    """The user with this username, ignoring case, or None."""
    query = db.select(User).where(func.lower(User.username) == username.lower())
    return db.session.execute(query).scalar_one_or_none()


def authenticate(username: str, password: str, method: str) -> User | None:
    """The user with this username and password, or None: unknown user and wrong password alike."""
    user = find_user(username)
    if user is None:
        # Check a password anyway: how long the answer takes tells nothing either way.
        check_password_hash(dummy_hash(method), password)
        return None
    return user if user.check_password(password) else None


@cache
def dummy_hash(method: str) -> str:
    """A hash to check a password against when there is no such user."""
    return generate_password_hash("not anyone's password", method)


# Ada and ADA are one user: the database itself refuses the second, even under concurrent requests.
Index("users_username_key", func.lower(User.username), unique=True)


def same_as_created(context: Any) -> datetime:
    """A new greeting was last changed when it was written."""
    created: datetime = context.get_current_parameters()["created_at"]
    return created


class Greeting(Model):
    """A message in the guestbook, by its author."""

    __tablename__ = "greetings"
    # AUTOINCREMENT: SQLite would otherwise give a deleted greeting's id to the next one.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    author: Mapped[User] = relationship()
    message: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=same_as_created)


# The list's order, newest first: one index serves it, on any page.
Index("greetings_newest_first", Greeting.created_at.desc(), Greeting.id.desc())


class Token(Model):
    """An API token: the database keeps its SHA-256 only, and when it stops working."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    user: Mapped[User] = relationship()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @staticmethod
    def new_secret() -> str:
        """A fresh token: 32 random bytes, as URL-safe text."""
        return secrets.token_urlsafe(32)
