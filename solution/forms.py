"""The pages' forms, with Flask-WTF: every form carries a CSRF token, and the API is exempt."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from wtforms import Field, PasswordField, StringField, TextAreaField
from wtforms.validators import ValidationError

from . import api, rules

csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    """Refuse every POST without its form's CSRF token, except to the API.

    The API takes no cookies, only bearer tokens, which a forged cross-site request cannot
    carry: it needs no CSRF token, and must never accept the session cookie instead.
    """
    csrf.init_app(app)
    csrf.exempt(api.bp)


class Rule:
    """A WTForms validator made of one of the rules the API uses, so both accept the same."""

    def __init__(self, problem: Callable[[object], str | None]) -> None:
        self.problem = problem

    def __call__(self, form: FlaskForm, field: Field) -> None:
        """Refuse the field's value with the rule's reason."""
        if problem := self.problem(field.data):
            raise ValidationError(f"{field.label.text} {problem}.")


class RegisterForm(FlaskForm):
    """Sign up: a username and a password."""

    username = StringField("Username", [Rule(rules.username_problem)])
    password = PasswordField("Password", [Rule(rules.password_problem)])


class LoginForm(FlaskForm):
    """Sign in: a username and a password; whether they fit is the view's to say."""

    username = StringField("Username")
    password = PasswordField("Password")


class GreetingForm(FlaskForm):
    """Sign the guestbook: a message."""

    message = TextAreaField("Message", [Rule(rules.message_problem)])
