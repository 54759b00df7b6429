"""The guestbook's users, as a JSON resource: sign up, and look someone up."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, url_for
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import Conflict

from .. import rules
from ..db import db
from ..models import LARGEST_ID, User
from ..timestamps import iso
from . import bp
from .input import json_object

NO_SUCH_USER = "There is no user with this id."


class UsernameTaken(Conflict):
    """409: someone has this username already, in any case."""

    description = "This username is taken."
    errors = [{"pointer": "/username", "detail": "is taken"}]


def user_json(user: User) -> dict[str, Any]:
    """A user as the API shows it: never the password's hash."""
    return {"id": user.id, "username": user.username, "created_at": iso(user.created_at)}


@bp.post("/users")
def create_user() -> tuple[dict[str, Any], int, dict[str, str]]:
    """Sign up: {"username", "password"} gives 201 and the new user."""
    data = json_object({"username": rules.username_problem, "password": rules.password_problem})
    user = User(username=data["username"])
    user.set_password(data["password"], current_app.config["PASSWORD_HASH_METHOD"])
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:  # the unique index decides, even when two requests race
        db.session.rollback()
        raise UsernameTaken() from None
    location = url_for("api.get_user", user_id=user.id, _external=True)
    return user_json(user), 201, {"Location": location}


@bp.get("/users/<int:user_id>")
def get_user(user_id: int) -> dict[str, Any]:
    """One user, or 404."""
    if user_id > LARGEST_ID:
        abort(404, description=NO_SUCH_USER)
    return user_json(db.get_or_404(User, user_id, description=NO_SUCH_USER))
