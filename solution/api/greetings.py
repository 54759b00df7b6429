"""The guestbook's greetings, as a JSON resource: list, read, write, change and delete."""

from __future__ import annotations

from typing import Any

from flask import abort, g, request, url_for
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import Forbidden

from .. import rules
from ..db import db
from ..models import LARGEST_ID, Greeting, utc_now
from ..timestamps import iso
from . import bp
from .auth import token_required
from .input import InvalidRequest, json_object

PER_PAGE, MOST_PER_PAGE = 20, 100

NO_SUCH_GREETING = "There is no greeting with this id."


def greeting_json(greeting: Greeting) -> dict[str, Any]:
    """A greeting as the API shows it."""
    return {
        "id": greeting.id,
        "author": greeting.author.username,
        "message": greeting.message,
        "created_at": iso(greeting.created_at),
        "updated_at": iso(greeting.updated_at),
    }


@bp.get("/greetings")
def list_greetings() -> tuple[list[dict[str, Any]], dict[str, str]]:
    """One page of greetings, newest first; the Link header leads to the other pages."""
    page, per_page = paging()
    # selectinload: the page's authors come in one more query (WHERE id IN ...), not in one
    # query per greeting; a join, as in lesson 09, would be made for every row OFFSET skips too.
    # The id breaks ties between greetings written in the same instant, so pages never overlap.
    query = (
        db.select(Greeting)
        .options(selectinload(Greeting.author))
        .order_by(Greeting.created_at.desc(), Greeting.id.desc())
    )
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    headers = {"Link": links(pagination), "X-Total-Count": str(pagination.total)}
    return [greeting_json(greeting) for greeting in pagination.items], headers


def paging() -> tuple[int, int]:
    """?page= (1 or more, default 1) and ?per_page= (1 to 100, default 20), or 400 naming them.

    A page is at most LARGEST_ID, as an id is: a larger one could only be past the end anyway.
    """
    errors = []
    numbers = {}
    for name, default, highest in (("page", 1, LARGEST_ID), ("per_page", PER_PAGE, MOST_PER_PAGE)):
        text = request.args.get(name)
        number = default if text is None else int(text) if text.isascii() and text.isdigit() else 0
        if not 1 <= number <= highest:
            errors.append(
                {"parameter": name, "detail": f"must be a whole number from 1 to {highest}"}
            )
        numbers[name] = number
    if errors:
        raise InvalidRequest(errors)
    return numbers["page"], numbers["per_page"]


def links(pagination: Pagination) -> str:
    """The Link header (RFC 8288): first and last always, prev and next where there are such pages."""
    last = max(pagination.pages, 1)
    pages = {"first": 1}
    if pagination.page > 1:
        pages["prev"] = pagination.page - 1
    if pagination.page < last:
        pages["next"] = pagination.page + 1
    pages["last"] = last
    per_page = pagination.per_page
    return ", ".join(
        f'<{url_for("api.list_greetings", page=page, per_page=per_page, _external=True)}>; rel="{rel}"'
        for rel, page in pages.items()
    )


@bp.post("/greetings")
@token_required
def create_greeting() -> tuple[dict[str, Any], int, dict[str, str]]:
    """Sign the guestbook: {"message"} with a bearer token gives 201 and the new greeting."""
    # Only the fields a client may set: the author, id and times are the server's to decide.
    data = json_object({"message": rules.message_problem})
    greeting = Greeting(author=g.user, message=data["message"].strip())
    db.session.add(greeting)
    db.session.commit()
    location = url_for("api.get_greeting", greeting_id=greeting.id, _external=True)
    return greeting_json(greeting), 201, {"Location": location}


@bp.get("/greetings/<int:greeting_id>")
def get_greeting(greeting_id: int) -> dict[str, Any]:
    """One greeting, or 404."""
    return greeting_json(find_greeting(greeting_id))


@bp.patch("/greetings/<int:greeting_id>")
@token_required
def update_greeting(greeting_id: int) -> dict[str, Any]:
    """Change your own greeting: a JSON merge patch (RFC 7396), {"message"} or nothing."""
    greeting = own_greeting(greeting_id)
    data = json_object({"message": rules.message_problem}, required=False)
    if "message" in data:
        greeting.message = data["message"].strip()
        greeting.updated_at = utc_now()
    db.session.commit()
    return greeting_json(greeting)


@bp.delete("/greetings/<int:greeting_id>")
@token_required
def delete_greeting(greeting_id: int) -> tuple[str, int]:
    """Delete your own greeting: 204, and its id is never given to another one."""
    db.session.delete(own_greeting(greeting_id))
    db.session.commit()
    return "", 204


def find_greeting(greeting_id: int) -> Greeting:
    """The greeting with this id, or 404."""
    if greeting_id > LARGEST_ID:
        abort(404, description=NO_SUCH_GREETING)
    greeting: Greeting = db.get_or_404(Greeting, greeting_id, description=NO_SUCH_GREETING)
    return greeting


def own_greeting(greeting_id: int) -> Greeting:
    """The greeting with this id if the token's user wrote it: 404 if there is none, else 403."""
    greeting = find_greeting(greeting_id)
    if greeting.author_id != g.user.id:
        raise Forbidden("This greeting is someone else's: you can change only your own.")
    return greeting
