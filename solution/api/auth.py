"""Who is asking: HTTP Basic to get a token, a bearer token (RFC 6750) for everything else.

The API takes its credentials from the Authorization header only, never from the session
cookie: it is exempt from CSRF protection, so a cookie must not be able to act for a user.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import current_app, g, request
from sqlalchemy import delete
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from ..db import db
from ..models import Token, User, authenticate, utc_now

REALM = "api"


def token_hash(token: str) -> str:
    """What the database keeps of a token: its SHA-256, never the token itself.

    A fast hash is enough here: a token is 256 random bits, not a password someone chose.
    """
    return hashlib.sha256(token.encode()).hexdigest()


def basic_user() -> User:
    """The user whose username and password came with HTTP Basic, or 401."""
    credentials = request.authorization
    if credentials is None or credentials.type != "basic":
        raise basic_challenge("Send your username and password with HTTP Basic.")
    method = current_app.config["PASSWORD_HASH_METHOD"]
    user = authenticate(credentials.username or "", credentials.password or "", method)
    if user is None:  # the same answer for an unknown user and a wrong password
        raise basic_challenge("The username or the password is wrong.")
    return user


def basic_challenge(description: str) -> Unauthorized:
    """401, asking for HTTP Basic."""
    return Unauthorized(description, www_authenticate=WWWAuthenticate("basic", {"realm": REALM}))


def bearer_token() -> Token:
    """The live token that came as `Authorization: Bearer ...`, or 401 as RFC 6750 says."""
    credentials = request.authorization
    if credentials is None or credentials.type != "bearer" or not credentials.token:
        # No credentials at all: the challenge carries no error code (RFC 6750, 3.1).
        raise Unauthorized(
            "Send a token: Authorization: Bearer <token>, from POST /api/tokens.",
            www_authenticate=WWWAuthenticate("bearer", {"realm": REALM}),
        )
    query = db.select(Token).where(
        Token.token_hash == token_hash(credentials.token), Token.expires_at > utc_now()
    )
    token: Token | None = db.session.execute(query).scalar_one_or_none()
    if token is None:
        raise Unauthorized(
            "This token is wrong, has expired or was revoked: get a new one from POST /api/tokens.",
            www_authenticate=WWWAuthenticate("bearer", {"realm": REALM, "error": "invalid_token"}),
        )
    return token


def token_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let the view run only with a live bearer token; g.user is its user, g.token the token."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        g.token = bearer_token()
        g.user = g.token.user
        return view(*args, **kwargs)

    return guarded


def issue_token(user: User) -> tuple[str, Token]:
    """A new token for user, valid for TOKEN_TTL seconds; the user's expired ones are removed."""
    now = utc_now()
    db.session.execute(delete(Token).where(Token.user_id == user.id, Token.expires_at <= now))
    raw = Token.new_secret()
    token = Token(
        user=user,
        token_hash=token_hash(raw),
        expires_at=now + timedelta(seconds=current_app.config["TOKEN_TTL"]),
    )
    db.session.add(token)
    db.session.commit()
    return raw, token
