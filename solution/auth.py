"""Signing up, in and out on the pages, with Flask-Login and a session cookie."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, redirect, request, session, url_for
from flask_login import LoginManager, login_user, logout_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from .db import db
from .forms import LoginForm, RegisterForm
from .models import LARGEST_ID, User, authenticate
from .pages import page

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"


def init_app(app: Flask) -> None:
    """Let the pages know who is signed in."""
    login_manager.init_app(app)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user a session cookie names, or None (Flask-Login then treats them as anonymous)."""
    known = user_id.isascii() and user_id.isdigit() and int(user_id) <= LARGEST_ID
    return db.session.get(User, int(user_id)) if known else None


@bp.route("/register", methods=["GET", "POST"])
def register() -> Response:
    """Sign up; then sign in."""
    form = RegisterForm()
    if form.validate_on_submit():
        user = User(username=form.username.data)
        user.set_password(form.password.data or "", current_app.config["PASSWORD_HASH_METHOD"])
        db.session.add(user)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            form.username.errors = ["This username is taken."]
        else:
            flash("You are signed up. Sign in to sign the guestbook.")
            return redirect(url_for("auth.login"), 303)
    return page("register.html", 400 if form.is_submitted() else 200, form=form)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response:
    """Sign in, then go where ?next= says, if that is a page of this site."""
    form = LoginForm()
    if form.validate_on_submit():
        method = current_app.config["PASSWORD_HASH_METHOD"]
        user = authenticate(form.username.data or "", form.password.data or "", method)
        if user is not None:
            # A new session at sign-in: nothing from before (a CSRF token, say) carries over.
            session.clear()
            login_user(user)
            flash(f"Welcome, {user.username}.")
            return redirect(safe_next(request.args.get("next")) or url_for("pages.index"), 303)
        form.form_errors.append("The username or the password is wrong.")
    return page("login.html", 400 if form.is_submitted() else 200, form=form)


@bp.post("/logout")
def logout() -> Response:
    """Sign out (a POST, so another site cannot do it for you: CSRFProtect checks its token)."""
    logout_user()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("pages.index"), 303)


def safe_next(target: str | None) -> str | None:
    """target if it is a path on this site, such as /?page=2; None for anything that could leave it.

    //evil.com and /\\evil.com are other sites to a browser, and so is any scheme or host.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(character <= " " or character == "\x7f" for character in target):
        return None
    return target
