"""The API's contract: an OpenAPI 3.1 document, written by hand, served at /api/openapi.json.

Every /api route and method is here, with the answers it can really give; the kata's tests
check the document against the app's URL map and every response against the document.
"""

from __future__ import annotations

from typing import Any

from ..models import LARGEST_ID
from . import bp


def ref(kind: str, name: str) -> dict[str, str]:
    """A reference to one of the document's components."""
    return {"$ref": f"#/components/{kind}/{name}"}


def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    """A body of JSON with this schema."""
    return {"application/json": {"schema": schema}}


def answer(
    description: str, schema: dict[str, Any] | None = None, headers: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A response: what it means, its JSON body (if any) and the headers it carries."""
    response: dict[str, Any] = {"description": description}
    if schema is not None:
        response["content"] = json_content(schema)
    if headers:
        response["headers"] = {name: ref("headers", name) for name in headers}
    return response


def errors(*codes: int) -> dict[str, Any]:
    """The error responses an operation can give, by status code."""
    return {str(code): ref("responses", ERROR_RESPONSES[code]) for code in codes}


ERROR_RESPONSES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    413: "ContentTooLarge",
    415: "UnsupportedMediaType",
}
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
# Ids and pages fit the database's INTEGER columns (models.LARGEST_ID).
ID = {"type": "integer", "minimum": 1, "maximum": LARGEST_ID}
TIMESTAMP = {"type": "string", "format": "date-time", "examples": ["2026-01-01T12:00:00.000Z"]}


def id_parameter(name: str, what: str) -> dict[str, Any]:
    """The id of a resource, in the path."""
    return {"name": name, "in": "path", "required": True, "description": what, "schema": ID}


def request_body(name: str, *media_types: str) -> dict[str, Any]:
    """A JSON request body with the schema of that name."""
    types = media_types or ("application/json",)
    return {"required": True, "content": {kind: {"schema": ref("schemas", name)} for kind in types}}


GREETING_ID = id_parameter("greeting_id", "The greeting's id.")
PAGING = [
    {
        "name": "page",
        "in": "query",
        "description": "Which page, from 1. A page past the end is an empty list.",
        "schema": {"type": "integer", "minimum": 1, "maximum": LARGEST_ID, "default": 1},
    },
    {
        "name": "per_page",
        "in": "query",
        "description": "How many greetings a page holds.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
    },
]

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Guestbook API",
        "version": "1.0.0",
        "description": "Sign the guestbook and read it. Errors are JSON with a status, a name, "
        "a message and, for a request that is not valid, errors that point at what to change.",
    },
    "paths": {
        "/api/": {
            "get": {
                "operationId": "index",
                "summary": "Where everything in the API is",
                "responses": {"200": answer("A link for each resource.", ref("schemas", "Index"))},
            }
        },
        "/api/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "responses": {"200": answer("The OpenAPI document.", {"type": "object"})},
            }
        },
        "/api/greetings": {
            "get": {
                "operationId": "listGreetings",
                "summary": "A page of greetings, newest first",
                "parameters": PAGING,
                "responses": {
                    "200": answer(
                        "The greetings on this page; the headers lead to the others.",
                        {"type": "array", "items": ref("schemas", "Greeting")},
                        headers=("Link", "X-Total-Count"),
                    ),
                    **errors(400),
                },
            },
            "post": {
                "operationId": "createGreeting",
                "summary": "Sign the guestbook",
                "security": BEARER,
                "requestBody": request_body("NewGreeting"),
                "responses": {
                    "201": answer(
                        "The new greeting.", ref("schemas", "Greeting"), headers=("Location",)
                    ),
                    **errors(400, 401, 413, 415),
                },
            },
        },
        "/api/greetings/{greeting_id}": {
            "parameters": [GREETING_ID],
            "get": {
                "operationId": "getGreeting",
                "summary": "One greeting",
                "responses": {
                    "200": answer("The greeting.", ref("schemas", "Greeting")),
                    **errors(404),
                },
            },
            "patch": {
                "operationId": "updateGreeting",
                "summary": "Change your own greeting (a JSON merge patch)",
                "security": BEARER,
                "requestBody": request_body(
                    "GreetingChange", "application/json", "application/merge-patch+json"
                ),
                "responses": {
                    "200": answer("The greeting, changed.", ref("schemas", "Greeting")),
                    **errors(400, 401, 403, 404, 413, 415),
                },
            },
            "delete": {
                "operationId": "deleteGreeting",
                "summary": "Delete your own greeting",
                "security": BEARER,
                "responses": {"204": answer("Deleted."), **errors(401, 403, 404)},
            },
        },
        "/api/users": {
            "post": {
                "operationId": "createUser",
                "summary": "Sign up",
                "requestBody": request_body("NewUser"),
                "responses": {
                    "201": answer("The new user.", ref("schemas", "User"), headers=("Location",)),
                    **errors(400, 409, 413, 415),
                },
            }
        },
        "/api/users/{user_id}": {
            "get": {
                "operationId": "getUser",
                "summary": "One user",
                "parameters": [id_parameter("user_id", "The user's id.")],
                "responses": {"200": answer("The user.", ref("schemas", "User")), **errors(404)},
            }
        },
        "/api/users/me": {
            "get": {
                "operationId": "me",
                "summary": "The user the token belongs to",
                "security": BEARER,
                "responses": {"200": answer("You.", ref("schemas", "User")), **errors(401)},
            }
        },
        "/api/tokens": {
            "post": {
                "operationId": "createToken",
                "summary": "Get a token with your username and password",
                "security": [{"basicAuth": []}],
                "responses": {
                    "201": answer("The token, shown this once.", ref("schemas", "Token")),
                    **errors(401),
                },
            },
            "delete": {
                "operationId": "revokeToken",
                "summary": "Revoke the token this request carries",
                "security": BEARER,
                "responses": {"204": answer("Revoked."), **errors(401)},
            },
        },
    },
    "components": {
        "schemas": {
            "Greeting": {
                "type": "object",
                "required": ["id", "author", "message", "created_at", "updated_at"],
                "properties": {
                    "id": ID,
                    "author": {"type": "string", "description": "The author's username."},
                    "message": {"type": "string", "minLength": 1, "maxLength": 500},
                    "created_at": TIMESTAMP,
                    "updated_at": TIMESTAMP,
                },
                "additionalProperties": False,
            },
            "NewGreeting": {
                "type": "object",
                "required": ["message"],
                "properties": {"message": ref("schemas", "Message")},
                "additionalProperties": False,
            },
            "GreetingChange": {
                "type": "object",
                "properties": {"message": ref("schemas", "Message")},
                "additionalProperties": False,
            },
            "Message": {
                "type": "string",
                "description": "1 to 500 characters once the spaces around it are trimmed.",
            },
            "User": {
                "type": "object",
                "required": ["id", "username", "created_at"],
                "properties": {
                    "id": ID,
                    "username": {"type": "string", "pattern": "^[A-Za-z0-9_]{3,30}$"},
                    "created_at": TIMESTAMP,
                },
                "additionalProperties": False,
            },
            "NewUser": {
                "type": "object",
                "required": ["username", "password"],
                "properties": {
                    "username": {"type": "string", "pattern": "^[A-Za-z0-9_]{3,30}$"},
                    "password": {"type": "string", "minLength": 8, "maxLength": 128},
                },
                "additionalProperties": False,
            },
            "Token": {
                "type": "object",
                "required": ["token", "expires_at"],
                "properties": {"token": {"type": "string"}, "expires_at": TIMESTAMP},
                "additionalProperties": False,
            },
            "Index": {
                "type": "object",
                "required": ["links"],
                "properties": {
                    "links": {
                        "type": "object",
                        "additionalProperties": {"type": "string", "format": "uri"},
                    }
                },
                "additionalProperties": False,
            },
            "Error": {
                "type": "object",
                "required": ["status", "error", "message", "path", "method", "timestamp"],
                "properties": {
                    "status": {"type": "integer"},
                    "error": {"type": "string"},
                    "message": {"type": "string"},
                    "path": {"type": "string"},
                    "method": {"type": "string"},
                    "timestamp": TIMESTAMP,
                    "errors": {
                        "type": "array",
                        "description": "What is wrong in the request (RFC 9457's members).",
                        "items": {
                            "type": "object",
                            "required": ["detail"],
                            "properties": {
                                "pointer": {
                                    "type": "string",
                                    "description": "A JSON Pointer into the body.",
                                },
                                "parameter": {
                                    "type": "string",
                                    "description": "A query parameter.",
                                },
                                "detail": {"type": "string"},
                            },
                            "additionalProperties": False,
                        },
                    },
                },
                "additionalProperties": False,
            },
        },
        "responses": {
            "BadRequest": answer(
                "The request is not valid: errors say what to change.", ref("schemas", "Error")
            ),
            "Unauthorized": answer(
                "No valid credentials.", ref("schemas", "Error"), headers=("WWW-Authenticate",)
            ),
            "Forbidden": answer("Not yours.", ref("schemas", "Error")),
            "NotFound": answer("There is no such resource.", ref("schemas", "Error")),
            "Conflict": answer("It clashes with what is there.", ref("schemas", "Error")),
            "ContentTooLarge": answer("The body is over 16 KiB.", ref("schemas", "Error")),
            "UnsupportedMediaType": answer("The body is not JSON.", ref("schemas", "Error")),
        },
        "headers": {
            "Location": {"description": "The new resource's URL.", "schema": {"type": "string"}},
            "Link": {
                "description": "The first, previous, next and last pages (RFC 8288).",
                "schema": {"type": "string"},
            },
            "X-Total-Count": {
                "description": "How many greetings there are in all.",
                "schema": {"type": "integer", "minimum": 0},
            },
            "WWW-Authenticate": {
                "description": "How to authenticate (RFC 6750 for bearer tokens).",
                "schema": {"type": "string"},
            },
        },
        "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer"},
            "basicAuth": {"type": "http", "scheme": "basic"},
        },
    },
}


@bp.get("/openapi.json")
def openapi() -> dict[str, Any]:
    """The OpenAPI document of this API."""
    return DOCUMENT
