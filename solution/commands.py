"""Commands for the guestbook's operators: `flask create-user` and `flask add-greeting`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import IntegrityError

from . import rules
from .db import db
from .models import Greeting, User, find_user


def init_app(app: Flask) -> None:
    """Add the commands to the app's `flask` command."""
    app.cli.add_command(create_user)
    app.cli.add_command(add_greeting)


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.password_option(help="The password; asked for, unseen, when not given here.")
def create_user(username: str, password: str) -> None:
    """Add a user who can sign the guestbook."""
    for field, problem in (
        ("USERNAME", rules.username_problem(username)),
        ("password", rules.password_problem(password)),
    ):
        if problem:
            raise click.BadParameter(problem, param_hint=field)
    user = User(username=username)
    user.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise click.ClickException(f"The username {username} is taken.") from None
    click.echo(f"Created the user {username}.")


@click.command("add-greeting")
@with_appcontext
@click.argument("username")
@click.argument("message")
def add_greeting(username: str, message: str) -> None:
    """Sign the guestbook as USERNAME with MESSAGE."""
    author = find_user(username)
    if author is None:
        raise click.ClickException(f"There is no user {username}: add one with flask create-user.")
    problem = rules.message_problem(message)
    if problem:
        raise click.BadParameter(problem, param_hint="MESSAGE")
    db.session.add(Greeting(author=author, message=message.strip()))
    db.session.commit()
    click.echo(f"{author.username} signed the guestbook.")
