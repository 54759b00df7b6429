"""What counts as a username, a password and a message: one place for the API, the CLI and forms."""

from __future__ import annotations

import re

USERNAME = re.compile(r"[A-Za-z0-9_]{3,30}")
PASSWORD_LENGTH = (8, 128)
MESSAGE_LENGTH = (1, 500)


def username_problem(username: object) -> str | None:
    """What is wrong with a username, or None: 3-30 letters, digits or underscores."""
    if not isinstance(username, str):
        return "must be a string"
    if not USERNAME.fullmatch(username):
        return "must be 3 to 30 letters (A-Z, a-z), digits or underscores"
    return None


def password_problem(password: object) -> str | None:
    """What is wrong with a password, or None: 8-128 characters of any text."""
    if not isinstance(password, str):
        return "must be a string"
    shortest, longest = PASSWORD_LENGTH
    if not shortest <= len(password) <= longest:
        return f"must be {shortest} to {longest} characters long"
    return text_problem(password)


def message_problem(message: object) -> str | None:
    """What is wrong with a message, or None: 1-500 characters once trimmed."""
    if not isinstance(message, str):
        return "must be a string"
    shortest, longest = MESSAGE_LENGTH
    if not shortest <= len(message.strip()) <= longest:
        return f"must be {shortest} to {longest} characters long, without the spaces around it"
    return text_problem(message)


def text_problem(text: str) -> str | None:
    """NUL characters and unpaired surrogates cannot be stored as text, so they are refused."""
    if "\x00" in text:
        return "must not contain NUL characters"
    if any("\ud800" <= character <= "\udfff" for character in text):
        return "must not contain unpaired surrogates"
    return None
