"""Lesson 16: the API's contract, an OpenAPI 3.1 document written by hand and served at
/api/openapi.json; the app's routes and answers are checked against it, as a client would."""

from __future__ import annotations

import functools
import json
import re

from flask.testing import EnvironBuilder
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_spec_validator import validate
from werkzeug.wrappers import Request

from lessons.contract import ERROR_KEYS
from lessons.feedback import explain, show
from lessons.guestbook import PASSWORD, api_greeting, bearer, signed_up

README = "lessons/16/README.md"
URL = "/api/openapi.json"
METHODS = ("get", "put", "post", "delete", "patch", "trace")  # HEAD and OPTIONS: Flask's own
SENT_HEADERS = ("Location", "Link", "X-Total-Count", "WWW-Authenticate")
MERGE_PATCH = "application/merge-patch+json"
TOO_LARGE = "x" * (17 * 1024)  # over the 16 KiB a request may carry (lesson 10)

# What each operation can answer besides success (lessons 10-13); {} stands for any path variable.
ERRORS = {
    ("GET", "/api/"): (),
    ("GET", "/api/openapi.json"): (),
    ("GET", "/api/greetings"): (400,),
    ("POST", "/api/greetings"): (400, 401, 413, 415),
    ("GET", "/api/greetings/{}"): (404,),
    ("PATCH", "/api/greetings/{}"): (400, 401, 403, 404, 413, 415),
    ("DELETE", "/api/greetings/{}"): (401, 403, 404),
    ("POST", "/api/users"): (400, 409, 413, 415),
    ("GET", "/api/users/{}"): (404,),
    ("GET", "/api/users/me"): (401,),
    ("POST", "/api/tokens"): (401,),
    ("DELETE", "/api/tokens"): (401,),
}
# Which credentials each operation needs: a bearer token, HTTP Basic, or none at all.
SECURITY = {
    ("POST", "/api/greetings"): "bearerAuth",
    ("PATCH", "/api/greetings/{}"): "bearerAuth",
    ("DELETE", "/api/greetings/{}"): "bearerAuth",
    ("GET", "/api/users/me"): "bearerAuth",
    ("DELETE", "/api/tokens"): "bearerAuth",
    ("POST", "/api/tokens"): "basicAuth",
}


def document(client):
    """GET /api/openapi.json: the document as a dict, or a clear failure."""
    response = client.get(URL)
    body = response.get_json(silent=True)
    assert (
        response.status_code == 200
        and response.mimetype == "application/json"
        and isinstance(body, dict)
    ), explain(
        expected=f"GET {URL} to answer 200 with the OpenAPI document as a JSON object",
        got=show(response),
        tip=f'write the document as a dict and return it from a view: @bp.get("/openapi.json") ({README}, step 1)',
    )
    return body


@functools.cache
def spec_problem(text):
    """What openapi-spec-validator finds wrong with the document (JSON text), or None."""
    try:
        validate(json.loads(text))
    except Exception as error:  # the validator's errors, or one of the document's shape
        where = "/".join(str(part) for part in getattr(error, "absolute_path", ()) or ())
        place = f" at /{where}" if where else ""
        return f"{type(error).__name__}{place}: {str(error).splitlines()[0][:400]}"
    return None


@functools.cache
def openapi(text):
    """The document (JSON text) for openapi-core."""
    # Checked by spec_problem already; merge patches are JSON too.
    config = Config(
        spec_validator_cls=None, extra_media_type_deserializers={MERGE_PATCH: json.loads}
    )
    return OpenAPI.from_dict(json.loads(text), config=config)


def checked(spec):
    """openapi-core's view of a document that passes the validator, or a clear failure."""
    text = json.dumps(spec, sort_keys=True)
    problem = spec_problem(text)
    assert problem is None, explain(
        expected="an OpenAPI document that openapi-spec-validator accepts, so that responses "
        "can be checked against it",
        got=problem,
        tip=f"make test_the_document_passes_the_spec_validator pass first ({README}, step 6)",
    )
    try:
        return openapi(text)
    except Exception as error:  # a document openapi-core cannot read: say why
        raise AssertionError(
            explain(
                expected="a document openapi-core can read",
                got=f"{type(error).__name__}: {str(error)[:400]}",
                tip=f"make test_the_document_passes_the_spec_validator pass first ({README}, step 6)",
            )
        ) from None


def prefix(spec):
    """The path a relative server URL puts in front of every path ("" when there is none)."""
    servers = spec.get("servers")
    first = servers[0] if isinstance(servers, list) and servers else {}
    url = str(first.get("url", "/")) if isinstance(first, dict) else "/"
    return url.rstrip("/") if url.startswith("/") else ""


def documented(spec):
    """Every (METHOD, path) the document describes, with the paths in full."""
    paths = spec.get("paths") if isinstance(spec.get("paths"), dict) else {}
    front = prefix(spec)
    return {
        (method.upper(), front + path): operation
        for path, item in paths.items()
        if isinstance(item, dict)
        for method, operation in item.items()
        if method in METHODS and isinstance(operation, dict)
    }


def template(path):
    """A path with every variable written {}: /api/greetings/{greeting_id} -> /api/greetings/{}."""
    return re.sub(r"\{[^{}]*\}", "{}", path)


def by_template(spec):
    """The document's operations by (METHOD, path with {} for variables)."""
    return {(method, template(path)): op for (method, path), op in documented(spec).items()}


def resolve(spec, node):
    """Follow a local $ref (#/components/...) to what it names."""
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 10:
        target = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        node, seen = target, seen + 1
    return node if isinstance(node, dict) else {}


def schemas(spec):
    """The document's components.schemas."""
    components = spec.get("components") if isinstance(spec.get("components"), dict) else {}
    found = components.get("schemas")
    return found if isinstance(found, dict) else {}


def operation_for(spec, method, path):
    """The documented operation that serves this request path, as openapi-core would pick it."""
    operations = documented(spec)
    if (method, path) in operations:  # a path without variables wins (/api/users/me)
        return f"{method} {path}", operations[(method, path)]
    for (verb, pattern), operation in operations.items():
        regex = "".join(
            "[^/]+" if part.startswith("{") else re.escape(part)
            for part in re.split(r"(\{[^{}]*\})", pattern)
        )
        if verb == method and re.fullmatch(regex, path):
            return f"{method} {pattern}", operation
    return f"{method} {path}", None


def name_of(label, operation):
    """How a message names an operation: METHOD path, and its operationId if it has one."""
    known = operation.get("operationId") if isinstance(operation, dict) else None
    return f"{label} (operationId {known})" if known else label


def mismatch(error):
    """What openapi-core found wrong, in a few lines: each schema error with where it is."""
    kind = type(error).__name__
    if kind in ("PathNotFound", "OperationNotFound"):
        return "the document has no such operation"
    if kind == "ResponseNotFound":
        listed = sorted(str(code) for code in getattr(error, "availableresponses", None) or ())
        return f"the document lists no {getattr(error, 'http_status', '')} for it, only {listed}"
    lines = []
    cause = deepest = error
    while cause is not None:
        for problem in getattr(cause, "schema_errors", None) or ():
            where = "/".join(str(part) for part in problem.absolute_path)
            lines.append(f"at /{where}: {problem.message[:300]}")
        deepest, cause = cause, cause.__cause__
    return "\n".join(lines[:6]) or f"{type(deepest).__name__}: {str(deepest)[:400]}"


class Recorder:
    """A test client that keeps every request and response, to check each against the document."""

    def __init__(self, app, client):
        self.app = app
        self.client = client
        self.exchanges = []

    def open(self, *args, **options):
        response = self.client.open(*args, **options)
        # The response's own request has had its body read: build a copy to check the request.
        sent = Request(EnvironBuilder(self.app, *args, **options).get_environ())
        self.exchanges.append((sent, response))
        return response

    def get(self, *args, **options):
        return self.open(*args, method="GET", **options)

    def post(self, *args, **options):
        return self.open(*args, method="POST", **options)

    def patch(self, *args, **options):
        return self.open(*args, method="PATCH", **options)

    def delete(self, *args, **options):
        return self.open(*args, method="DELETE", **options)


def session(api):
    """What a client does in a day: sign up, get tokens, write, read, page, change, delete; and
    every mistake lessons 10 to 13 answer with an error. The responses are in api.exchanges."""
    api.get("/api/")
    api.get(URL)
    ada = signed_up(api, "ada")
    grace = signed_up(api, "grace")
    api.post("/api/users", json={"username": "x", "password": "short"})
    api.post("/api/users", json={"username": "eve", "password": PASSWORD, "admin": True})
    api.post("/api/users", json={"username": "ADA", "password": PASSWORD})
    api.post("/api/users", data="ada", content_type="text/plain")
    api.post("/api/users", json={"username": "eve", "password": TOO_LARGE})
    api.post("/api/tokens", auth=("ada", "wrong password"))
    api.post("/api/tokens")
    me = api.get("/api/users/me", headers=ada).get_json(silent=True)
    api.get("/api/users/me")
    api.get("/api/users/me", headers=bearer("not-a-token"))
    api.get(f"/api/users/{me.get('id', 1) if isinstance(me, dict) else 1}")
    api.get("/api/users/999999")
    first = api_greeting(api, ada, "Hello")
    for message in ("Second", "Third"):
        api_greeting(api, ada, message)
    theirs = api_greeting(api, grace, "Grace was here")
    api.post("/api/greetings", json={"message": "Hi"})
    api.post("/api/greetings", json={"message": "Hi"}, headers=bearer("not-a-token"))
    api.post("/api/greetings", json={"message": "   "}, headers=ada)
    api.post("/api/greetings", json={"message": "Hi", "author": "grace"}, headers=ada)
    api.post("/api/greetings", data="Hi", content_type="text/plain", headers=ada)
    api.post("/api/greetings", json={"message": TOO_LARGE}, headers=ada)
    api.get("/api/greetings")
    api.get("/api/greetings", query_string={"page": 2, "per_page": 2})
    api.get("/api/greetings", query_string={"page": 99})
    api.get("/api/greetings", query_string={"page": 0})
    api.get("/api/greetings", query_string={"per_page": "many"})
    mine = f"/api/greetings/{first.get('id')}"
    other = f"/api/greetings/{theirs.get('id')}"
    api.get(mine)
    api.get("/api/greetings/999999")
    api.patch(mine, json={"message": "Hello again"}, headers=ada)
    api.patch(mine, data='{"message": "Merged"}', content_type=MERGE_PATCH, headers=ada)
    api.patch(mine, json={"message": ""}, headers=ada)
    api.patch(mine, data="Hi", content_type="text/plain", headers=ada)
    api.patch(mine, json={"message": TOO_LARGE}, headers=ada)
    api.patch(mine, json={"message": "Mine now"}, headers=grace)
    api.patch(mine, json={"message": "Hi"})
    api.patch("/api/greetings/999999", json={"message": "Hi"}, headers=ada)
    api.delete(other, headers=ada)
    api.delete(other)
    api.delete(mine, headers=ada)
    api.delete(mine, headers=ada)
    api.get(mine)
    api.delete("/api/tokens", headers=ada)
    api.delete("/api/tokens", headers=ada)
    api.get("/api/users/me", headers=ada)
    return api.exchanges


def test_the_document_is_served_as_openapi_3_1(client):
    spec = document(client)
    version = spec.get("openapi")
    assert isinstance(version, str) and re.fullmatch(r"3\.1\.\d+", version), explain(
        expected='"openapi": "3.1.0" (or another 3.1 release) at the top of the document',
        got=f'"openapi": {version!r}',
        tip="write OpenAPI 3.1, whose schemas are JSON Schema 2020-12; a 3.0 tutorial's nullable "
        f"and example become type lists and examples ({README}, step 1)",
    )


def test_the_document_passes_the_spec_validator(client):
    spec = document(client)
    problem = spec_problem(json.dumps(spec, sort_keys=True))
    assert problem is None, explain(
        expected="openapi_spec_validator.validate(document) to accept the document",
        got=problem,
        tip="run it yourself on the document and read where it points; each path's variables "
        f"need a parameter with in: path and required: true ({README}, step 6)",
    )


def test_the_api_index_links_the_document(client):
    document(client)
    response = client.get("/api/")
    links = (response.get_json(silent=True) or {}).get("links")
    got = links.get("openapi") if isinstance(links, dict) else None
    assert got == f"http://localhost{URL}", explain(
        expected=f'GET /api/ to list "openapi": "http://localhost{URL}" among its links',
        got=show(response),
        tip=f'add "openapi" to the index\'s links, built with url_for(..., _external=True) ({README}, step 1)',
    )


def test_every_api_route_and_method_is_documented_and_nothing_else(app, client):
    spec = document(client)
    served = {
        (method, re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule == "/api" or rule.rule.startswith("/api/")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    written = set(documented(spec))
    missing = sorted(f"{method} {path}" for method, path in served - written)
    extra = sorted(f"{method} {path}" for method, path in written - served)
    assert not missing and not extra, explain(
        expected="the document's paths and methods to be exactly the /api routes your app "
        "serves (app.url_map, with <int:greeting_id> written {greeting_id})",
        got=f"served but not documented: {missing or 'none'}; documented but not served: "
        f"{extra or 'none'}",
        tip="write each path in full, as flask routes shows it, such as /api/greetings/{greeting_id}; "
        f"document every method it answers, /api/ and {URL} included ({README}, step 2)",
    )


def test_the_components_describe_greetings_users_and_errors(client):
    spec = document(client)
    found = schemas(spec)
    members = {
        "Greeting": ["author", "created_at", "id", "message", "updated_at"],
        "User": ["created_at", "id", "username"],
        "Error": ERROR_KEYS,
    }
    for name, keys in members.items():
        schema = resolve(spec, found.get(name))
        properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        required = schema.get("required") if isinstance(schema.get("required"), list) else []
        absent = [key for key in keys if key not in properties or key not in required]
        assert name in found and not absent, explain(
            expected=f"components.schemas.{name}: an object schema whose properties and required "
            f"list name {keys}",
            got=f"no schema named {name}; the schemas are {sorted(found)}"
            if name not in found
            else f"{name} lacks {absent} in its properties or its required list",
            tip=f"describe each member the API always sends, and list it as required ({README}, step 3)",
        )
    error = resolve(spec, found["Error"])
    listed = resolve(spec, error["properties"].get("errors"))
    assert listed.get("type") == "array", explain(
        expected='the Error schema to describe "errors": an array of {pointer or parameter, detail}',
        got=f"errors: {json.dumps(listed)[:300]}",
        tip="a 400 adds errors to Part I's error keys; with additionalProperties: false, an "
        f"Error schema without it refuses every 400 the app sends ({README}, step 3)",
    )


def test_the_security_schemes_are_bearer_tokens_and_http_basic(client):
    spec = document(client)
    components = spec.get("components") if isinstance(spec.get("components"), dict) else {}
    found = components.get("securitySchemes")
    found = found if isinstance(found, dict) else {}
    schemes = {
        name: (str(scheme.get("type")), str(scheme.get("scheme", "")).lower())
        for name, scheme in found.items()
        if isinstance(scheme, dict)
    }
    wanted = {"bearerAuth": ("http", "bearer"), "basicAuth": ("http", "basic")}
    assert all(schemes.get(name) == kind for name, kind in wanted.items()), explain(
        expected='components.securitySchemes with bearerAuth {"type": "http", "scheme": "bearer"} '
        'and basicAuth {"type": "http", "scheme": "basic"}',
        got=f"securitySchemes {json.dumps(found)[:300]}",
        tip=f"name them exactly bearerAuth and basicAuth ({README}, step 4)",
    )
    operations = by_template(spec)
    for key in ERRORS:
        method, path = key
        operation = operations.get(key)
        assert operation is not None, explain(
            expected=f"{method} {path} in the document"
            + (" ({} is its path variable)" if "{}" in path else ""),
            got="no such operation",
            tip=f"document every /api route ({README}, step 2)",
        )
        security = operation.get("security", spec.get("security", []))
        requirements = security if isinstance(security, list) else []
        needs = SECURITY.get(key)
        if needs:
            good = bool(requirements) and all(
                isinstance(each, dict) and needs in each for each in requirements
            )
            wish = f'"security": [{{"{needs}": []}}]'
        else:
            good = not requirements or {} in requirements
            wish = "no security, since anyone may call it"
        assert good, explain(
            expected=f"{name_of(method + ' ' + path, operation)} to say {wish}",
            got=f'"security": {json.dumps(security)[:200]}',
            tip="give each operation that needs credentials its own security; an app-wide "
            f"security would claim that reading needs a token too ({README}, step 4)",
        )


def test_every_operation_lists_the_errors_it_can_give(client):
    spec = document(client)
    operations = by_template(spec)
    error = schemas(spec).get("Error")
    for (method, path), codes in ERRORS.items():
        operation = operations.get((method, path))
        assert operation is not None, explain(
            expected=f"{method} {path} in the document"
            + (" ({} is its path variable)" if "{}" in path else ""),
            got="no such operation",
            tip=f"document every /api route ({README}, step 2)",
        )
        responses = (
            operation.get("responses") if isinstance(operation.get("responses"), dict) else {}
        )
        for code in codes:
            answer = resolve(spec, responses.get(str(code)))
            content = answer.get("content") if isinstance(answer.get("content"), dict) else {}
            body = content.get("application/json") if isinstance(content, dict) else None
            schema = body.get("schema") if isinstance(body, dict) else None
            uses_error = isinstance(schema, dict) and (
                schema.get("$ref") == "#/components/schemas/Error"
                or (error is not None and resolve(spec, schema) == resolve(spec, error))
            )
            assert uses_error, explain(
                expected=f"{name_of(method + ' ' + path, operation)} to list the {code} it can "
                "answer, with an application/json body of the Error schema",
                got=f"responses {sorted(responses)}"
                if str(code) not in responses
                else f"{code}: {json.dumps(answer)[:300]}",
                tip="list each error by its status code, with content: {application/json: "
                '{schema: {$ref: "#/components/schemas/Error"}}}; a shared '
                f"#/components/responses/... saves writing it again ({README}, step 5)",
            )
            declared = {str(name).lower() for name in answer.get("headers") or {}}
            assert code != 401 or "www-authenticate" in declared, explain(
                expected=f"the 401 of {name_of(method + ' ' + path, operation)} to declare the "
                "WWW-Authenticate header every 401 carries",
                got=f"headers declared there: {sorted(declared) or 'none'}",
                tip='headers: {"WWW-Authenticate": {"schema": {"type": "string"}}} in the 401 '
                f"response ({README}, step 5)",
            )


def test_every_response_of_a_session_matches_the_document(guestbook, client):
    spec = document(client)
    contract = checked(spec)
    for request, response in session(Recorder(guestbook, client)):
        label, operation = operation_for(spec, request.method, request.path)
        try:
            contract.validate_response(
                WerkzeugOpenAPIRequest(response.request), WerkzeugOpenAPIResponse(response)
            )
            problem = None
        except Exception as error:  # openapi-core's reasons: the message below shows them
            problem = mismatch(error)
        asked = f"{request.method} {request.full_path.rstrip('?')}"
        assert problem is None, explain(
            expected=f"{asked} to answer as {name_of(label, operation)} in the document says"
            if operation is not None
            else f"the document to describe {label}, which the app answers",
            got=f"{show(response)}\n{problem}",
            tip="a status the document does not list, a member it does not describe or a value "
            "its schema refuses: make the document say what the app really answers (or fix the "
            f"app) ({README}, step 5)",
        )


def test_the_headers_the_app_sends_are_declared(guestbook, client):
    spec = document(client)
    api = Recorder(guestbook, client)
    ada = signed_up(api, "ada")
    api_greeting(api, ada, "Hello")
    api.get("/api/greetings", query_string={"per_page": 1})
    api.post("/api/greetings", json={"message": "Hi"})
    api.get("/api/users/me", headers=bearer("not-a-token"))
    api.post("/api/tokens", auth=("ada", "wrong password"))
    for request, response in api.exchanges:
        label, operation = operation_for(spec, request.method, request.path)
        responses = (operation or {}).get("responses")
        responses = responses if isinstance(responses, dict) else {}
        answer = resolve(spec, responses.get(str(response.status_code)))
        declared = {str(name).lower() for name in answer.get("headers") or {}}
        sent = [name for name in SENT_HEADERS if name in response.headers]
        undeclared = [name for name in sent if name.lower() not in declared]
        assert not undeclared, explain(
            expected=f"the {response.status_code} of {name_of(label, operation)} to declare the "
            f"headers it sends: {sent}",
            got=f"headers declared there: {sorted(declared) or 'none'}",
            tip="add them to the response's headers, such as headers: {Location: {$ref: "
            f'"#/components/headers/Location"}}}} ({README}, step 5)',
        )


def test_the_document_takes_the_requests_the_app_takes_and_only_those(guestbook, client):
    spec = document(client)
    contract = checked(spec)
    api = Recorder(guestbook, client)
    ada = signed_up(api, "ada")
    greeting = api_greeting(api, ada, "Hello")
    api.get("/api/greetings", query_string={"page": 1, "per_page": 5})
    api.patch(f"/api/greetings/{greeting.get('id')}", json={"message": "Hi"}, headers=ada)
    api.patch(
        f"/api/greetings/{greeting.get('id')}",
        data='{"message": "Merged"}',
        content_type=MERGE_PATCH,
        headers=ada,
    )
    api.get("/api/users/me", headers=ada)
    for request, response in api.exchanges:
        label, operation = operation_for(spec, request.method, request.path)
        try:
            contract.validate_request(WerkzeugOpenAPIRequest(request))
            problem = None
        except Exception as error:  # openapi-core's reasons: the message below shows them
            problem = mismatch(error)
        assert problem is None, explain(
            expected=f"the document to allow {request.method} {request.full_path.rstrip('?')}, "
            f"which the app took ({response.status_code})",
            got=f"{name_of(label, operation)} refuses it: {problem}",
            tip="the request body's schema, the parameters and the security must allow what the "
            f"app takes, {MERGE_PATCH} included ({README}, step 3)",
        )
    refused = {
        "/api/users": {"username": "eve", "password": PASSWORD, "admin": True},
        "/api/greetings": {"message": "Hi", "author": "grace"},
    }
    for path, body in refused.items():
        response = client.post(path, json=body, headers=ada)
        sent = Request(
            EnvironBuilder(guestbook, path, method="POST", json=body, headers=ada).get_environ()
        )
        try:
            contract.validate_request(WerkzeugOpenAPIRequest(sent))
            allowed = True
        except Exception:  # refused, as the app refuses it
            allowed = False
        assert response.status_code == 400 and not allowed, explain(
            expected=f"POST {path} with an unknown field to be refused by the app (400) and by "
            "the document's request body schema",
            got=f"the app: {show(response)}; the document: {'allows' if allowed else 'refuses'} it",
            tip="additionalProperties: false in the request body's schema says what lesson 10's "
            f"strict input does ({README}, step 3)",
        )
