"""The guestbook's pages, for people with browsers: HTML from Jinja templates."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from .db import db
from .forms import GreetingForm
from .headers import PAGE_HEADERS
from .models import LARGEST_ID, Greeting
from .timestamps import iso

bp = Blueprint("pages", __name__)
bp.add_app_template_filter(iso, "iso")

PER_PAGE = 20


def page(template: str, status: int = 200, **context: Any) -> Response:
    """A rendered page, with the headers pages need: they load their stylesheet and post forms."""
    response = make_response(render_template(template, **context), status)
    response.headers.update(PAGE_HEADERS)
    return response


@bp.get("/")
def index() -> Response:
    """The guestbook: 20 greetings a page, newest first, and the form to sign it when signed in."""
    form = GreetingForm() if current_user.is_authenticated else None
    return guestbook(form)


@bp.post("/")
@login_required
def sign() -> Response:
    """Sign the guestbook; then see it again (post, redirect, get), with a thank-you shown once."""
    form = GreetingForm()
    if not form.validate_on_submit():
        return guestbook(form, 400)
    db.session.add(Greeting(author=current_user, message=(form.message.data or "").strip()))
    db.session.commit()
    flash("Thank you for signing the guestbook.")
    return redirect(url_for("pages.index"), 303)


def guestbook(form: GreetingForm | None, status: int = 200) -> Response:
    """The guestbook page at ?page=, with form (or none), answered with status."""
    text = request.args.get("page", "1")
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= LARGEST_ID):
        abort(400, description="The page must be a whole number, 1 or more.")
    query = (
        db.select(Greeting)
        .options(selectinload(Greeting.author))
        .order_by(Greeting.created_at.desc(), Greeting.id.desc())
    )
    greetings = db.paginate(query, page=int(text), per_page=PER_PAGE, error_out=False)
    return page("index.html", status, greetings=greetings, form=form)
