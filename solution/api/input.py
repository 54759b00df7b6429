"""What the API accepts: a JSON object with known fields, each checked by the rules.

Refusals say what is wrong, field by field, in the members RFC 9457 uses:
{"errors": [{"pointer": "/username", "detail": "must be 3 to 30 letters ..."}]}
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from flask import request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

Rule = Callable[[object], str | None]  # what is wrong with a value, or None


class InvalidRequest(BadRequest):
    """A 400 that lists what is wrong in the request: the JSON error body adds them as errors."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("The request is not valid: see errors for what to change.")
        self.errors = errors


def pointer(field: str) -> str:
    """The JSON Pointer (RFC 6901) to a member of the body, such as /username."""
    return "/" + field.replace("~", "~0").replace("/", "~1")


def json_object(rules: Mapping[str, Rule], required: bool = True) -> dict[str, Any]:
    """The request's JSON object, checked field by field; refuse it with the reasons otherwise.

    415 when it is not JSON, 413 when it is too large (MAX_CONTENT_LENGTH), 400 for the rest:
    not JSON at all, not an object, an unknown field, a field missing (when required) or wrong.
    """
    if not request.is_json:
        raise UnsupportedMediaType("Send a JSON object, with Content-Type: application/json.")
    try:
        data = json.loads(request.get_data())
    except (ValueError, RecursionError):  # RecursionError: arrays nested too deeply to parse
        raise InvalidRequest([{"pointer": "", "detail": "must be a JSON object"}]) from None
    if not isinstance(data, dict):
        raise InvalidRequest([{"pointer": "", "detail": "must be a JSON object"}])
    errors = [
        {"pointer": pointer(field), "detail": "is not a field you can set"}
        for field in data
        if field not in rules
    ]
    for field, rule in rules.items():
        if field not in data:
            if required:
                errors.append({"pointer": pointer(field), "detail": "is required"})
        elif problem := rule(data[field]):
            errors.append({"pointer": pointer(field), "detail": problem})
    if errors:
        raise InvalidRequest(errors)
    return data
