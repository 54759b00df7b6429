"""Failure messages for the lesson tests, written for someone new to Flask.

Every message says what was expected, what came back, and what to try next.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

BODY_PREVIEW = 160


class Response(Protocol):
    """What the messages need from a test-client response."""

    status: str
    mimetype: str | None
    headers: Any

    def get_data(self, as_text: bool = False) -> Any: ...


def explain(*, expected: object, got: object, tip: object) -> str:
    """An assertion message: what was expected, what came back, what to try. It never fails."""
    parts = (("Expected:", expected), ("Got:", got), ("Try:", tip))
    return "".join(f"\n  {label:<9} {_indent(_text(part))}" for label, part in parts)


def _text(part: object) -> str:
    """Any value as text for a message: strings as they are, anything else as its repr."""
    if isinstance(part, str):
        return part
    try:
        return repr(part)
    except Exception:  # a message must never crash, whatever the app handed back
        return f"<{type(part).__name__} that cannot be shown>"


def show(response: Response) -> str:
    """One line that describes a response: status, content type and the start of the body."""
    body = response.get_data(as_text=True)
    if len(body) > BODY_PREVIEW:
        body = body[:BODY_PREVIEW] + "..."
    content = response.mimetype or "no Content-Type"
    location = response.headers.get("Location")
    status = f"{response.status} to {location}" if location else response.status
    return f"{status} ({content}) {body!r}" if body else f"{status} ({content}), empty body"


def json_object(response: Response, request: str, tip: str) -> dict[str, Any]:
    """The JSON object in the response's body; fail with a clear message if there is none."""
    text = response.get_data(as_text=True)
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    assert isinstance(data, dict), explain(
        expected=f"{request} to answer with a JSON object", got=show(response), tip=tip
    )
    return data


def _indent(text: str) -> str:
    """Line up the continuation lines of a multi-line part under its first line."""
    return "\n".join(text.strip().splitlines()).replace("\n", "\n" + " " * 12)
