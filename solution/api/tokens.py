"""API tokens: get one with your username and password, use it as a bearer token, revoke it."""

from __future__ import annotations

from typing import Any

from flask import g

from ..db import db
from ..timestamps import iso
from . import bp
from .auth import basic_user, issue_token, token_required
from .users import user_json


@bp.post("/tokens")
def create_token() -> tuple[dict[str, Any], int]:
    """HTTP Basic in, 201 {"token", "expires_at"} out. The token is shown this once."""
    raw, token = issue_token(basic_user())
    return {"token": raw, "expires_at": iso(token.expires_at)}, 201


@bp.delete("/tokens")
@token_required
def revoke_token() -> tuple[str, int]:
    """Revoke the token this request came with: 204, and it never works again."""
    db.session.delete(g.token)
    db.session.commit()
    return "", 204


@bp.get("/users/me")
@token_required
def me() -> dict[str, Any]:
    """The user the bearer token belongs to."""
    return user_json(g.user)
