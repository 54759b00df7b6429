"""Properties of the reference app over its whole surface: any method, path, query and headers.

Every answer is JSON or one of the app's pages (or a redirect), with its own headers, never a 500.

The apps run in production mode (TESTING off), so a crash would show as a 500 and not as an
exception. They are built once per module, in an environment cleared of outside settings, so
hypothesis's examples share them without a function-scoped fixture.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from urllib.parse import quote, quote_from_bytes, unquote_to_bytes, urlencode

import pytest
from flask import Flask
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from werkzeug.http import parse_list_header

from lessons.contract import ERROR_KEYS, HSTS, SANE_REQUEST_ID, SECURITY_HEADERS
from lessons.databases import dispose
from lessons.isolation import isolate
from solution import create_app
from solution.headers import PAGE_HEADERS
from tests.support import FRESH_ID

ALLOWED_METHODS = {"GET", "HEAD", "OPTIONS", "POST", "PATCH", "DELETE"}

# -- what a client may send ---------------------------------------------------------------

methods = st.one_of(
    st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"]),
    st.from_regex(r"[A-Z]{1,12}", fullmatch=True),
)
# A path segment: a word the app knows, any text, or any bytes, percent-encoded as they travel.
segments = st.one_of(
    st.sampled_from(
        ["hello", "health", "", ".", "..", "static", "api", "greetings", "users", "login"]
    ),
    st.text(st.characters(exclude_categories=("Cs",))).map(lambda text: quote(text, safe="")),
    st.binary(max_size=12).map(lambda raw: quote_from_bytes(raw, safe="")),
    st.text(alphabet="%/:@!$&'()*+,;=~-._AZaz09", max_size=12),
)
paths = st.one_of(
    st.sampled_from(["/hello", "/hello/Ada", "/health", "/", "//hello", "/hello//Ada"]),
    st.sampled_from(
        [
            "/login",
            "/register",
            "/logout",
            "/api",
            "/api/",
            "/api/greetings",
            "/api/greetings/1",
            "/api/users",
            "/api/users/1",
            "/api/users/me",
            "/api/tokens",
            "/api/openapi.json",
        ]
    ),
    segments.map(lambda segment: "/hello/" + segment),
    segments.map(lambda segment: "/api/greetings/" + segment),
    st.lists(segments, min_size=1, max_size=5).map(lambda parts: "/" + "/".join(parts)),
)
query_strings = st.one_of(
    st.just(""),
    st.lists(st.tuples(st.sampled_from(["name", "x", ""]) | st.text(), st.text()), max_size=3).map(
        urlencode
    ),
    st.text(alphabet="%&=+;#?/name0123456789abcdefFZz ", max_size=30),
)
# Header values a client can send: Latin-1 text on one line (Werkzeug refuses CR and LF).
latin_1 = st.text(st.characters(max_codepoint=255, exclude_characters="\r\n"), max_size=80)
request_ids = st.one_of(st.from_regex(r"[A-Za-z0-9._-]{1,140}", fullmatch=True), latin_1)
accepts = st.one_of(
    st.sampled_from(
        ["*/*", "text/html", "application/xml;q=0.9", "application/json;q=0", "image/*", ""]
    ),
    latin_1,
)
# Framing headers (Content-Length, Transfer-Encoding) are left out: servers check them first.
header_names = st.one_of(
    st.sampled_from(
        [
            "Host",
            "Cookie",
            "Origin",
            "Referer",
            "User-Agent",
            "Authorization",
            "Accept-Language",
            "Accept-Encoding",
            "If-None-Match",
            "If-Modified-Since",
            "Range",
            "Content-Type",
            "X-Forwarded-For",
            "X-Forwarded-Proto",
            "X-Forwarded-Host",
            "X-Forwarded-Prefix",
            "Forwarded",
        ]
    ),
    st.from_regex(r"X-[A-Za-z0-9-]{1,20}", fullmatch=True),
)
other_headers = st.dictionaries(header_names, latin_1, max_size=4)


@st.composite
def requests(draw: st.DrawFn) -> dict:
    """Arguments for the test client's open(): any method, path, query string and headers."""
    headers = draw(other_headers)
    if draw(st.booleans()):
        headers["X-Request-ID"] = draw(request_ids)
    if draw(st.booleans()):
        headers["Accept"] = draw(accepts)
    return {
        "path": draw(paths),
        "method": draw(methods),
        "query_string": draw(query_strings),
        "headers": headers,
    }


# -- the apps under test ------------------------------------------------------------------


class Lines(logging.Handler):
    """Keeps the message of each record the app logs."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Flask]]:
    """The reference app in production mode: as shipped, and behind one trusted proxy.

    Each has a database of its own, made by init-db, with nothing in it.
    """
    with pytest.MonkeyPatch.context() as monkeypatch:
        folder = tmp_path_factory.mktemp("properties")
        isolate(monkeypatch, folder)
        made = {}
        for name, config in (("plain", {}), ("proxied", {"TRUSTED_PROXIES": 1})):
            database = f"sqlite:///{(folder / f'{name}.sqlite3').as_posix()}"
            app = create_app({"TESTING": False, "SQLALCHEMY_DATABASE_URI": database, **config})
            assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
            made[name] = app
        yield made
        for app in made.values():
            dispose(app)


@pytest.fixture(scope="module")
def log(apps: dict[str, Flask]) -> Iterator[Lines]:
    """The app's log lines, for the whole module; the shared logger is restored afterwards."""
    logger = logging.getLogger("solution")
    level = logger.level
    lines = Lines()
    logger.addHandler(lines)
    logger.setLevel(logging.INFO)
    yield lines
    logger.removeHandler(lines)
    logger.setLevel(level)


# -- the properties -----------------------------------------------------------------------


def send(app: Flask, sent: dict, headers: dict[str, str] | None = None):
    """Send the request as a server hands it over: the path's bytes, decoded as Latin-1.

    The test client would read a path such as //x as a host name, so PATH_INFO is set directly.
    """
    return app.test_client().open(
        "/",
        method=sent["method"],
        query_string=sent["query_string"],
        headers=sent["headers"] if headers is None else headers,
        environ_overrides={
            "PATH_INFO": unquote_to_bytes(sent["path"]).decode("latin-1"),
            "REQUEST_URI": sent["path"],
        },
    )


def known_deviation(method: str, status: int) -> str | None:
    """The kinds of response that are neither JSON nor one of the app's pages, on purpose."""
    if method == "OPTIONS" and status == 200:
        # Flask's automatic answer: an empty body and an Allow header. Labelling it JSON
        # would take a Flask subclass for a body that is not there.
        return "the automatic OPTIONS answer has no body and Content-Type text/html"
    if status in (302, 303, 308):
        # Werkzeug's routing redirects //hello to /hello (and /api to /api/) before any view or
        # error handler runs, and Flask-Login sends a visitor to /login: the body is a short
        # HTML note, the Location is what counts.
        return "a redirect carries Werkzeug's own short HTML body"
    return None


def last_hop(value: str) -> str | None:
    """What the one trusted proxy says: the last entry of its list header, if any."""
    values = parse_list_header(value) if value else []
    return values[-1] if values else None


def is_page(response, method: str) -> bool:
    """A page the app rendered from a template: the guestbook, a form, an error page."""
    return response.mimetype == "text/html" and not known_deviation(method, response.status_code)


def expect_json_or_a_page(response, method: str) -> None:
    """The body is JSON (an object, or the list of greetings), or one of the app's pages."""
    if known_deviation(method, response.status_code) or is_page(response, method):
        return
    assert response.headers.get("Content-Type") == "application/json", response.headers
    if method == "HEAD" or response.status_code == 204:
        assert response.data == b""
        return
    if method == "OPTIONS" and response.status_code == 200 and not response.data:
        return  # headers only (Allow); the Content-Type still says JSON
    body = json.loads(response.data)
    assert isinstance(body, dict | list)
    if response.status_code >= 400:
        assert sorted(set(body) - {"errors"}) == ERROR_KEYS
        assert (body["status"], body["method"]) == (response.status_code, method)


def expect_own_headers(response, method: str, sent: dict[str, str], https: bool) -> None:
    """Every header is one the app chose; only a sane X-Request-ID comes back as sent."""
    chosen_headers = PAGE_HEADERS if is_page(response, method) else SECURITY_HEADERS
    for name, value in chosen_headers.items():
        assert response.headers.getlist(name) == [value]
    assert response.headers.getlist("Strict-Transport-Security") == ([HSTS] if https else [])
    sent_id = sent.get("X-Request-ID")
    request_id = response.headers["X-Request-ID"]
    if sent_id is not None and SANE_REQUEST_ID.fullmatch(sent_id):
        assert request_id == sent_id
    else:
        assert FRESH_ID.fullmatch(request_id)
    chosen = {name.lower() for name in SECURITY_HEADERS} | {
        "strict-transport-security",
        "x-request-id",
        "content-type",
        "content-length",
        "www-authenticate",  # a 401 from the API
        "link",  # the list of greetings
        "x-total-count",
    }
    for name, value in response.headers.items():
        if name.lower() == "content-length":
            assert value.isdigit()
        elif name.lower() == "allow":
            assert set(value.split(", ")) <= ALLOWED_METHODS
        elif name.lower() == "vary":  # Flask-Login reads the session on every request (Part II)
            assert value == "Cookie"
        elif name.lower() == "set-cookie":  # a form's CSRF token lives in the session
            assert value.startswith("session=") and "HttpOnly" in value and "SameSite=Lax" in value
        elif name.lower() == "location":  # a redirect, to this same site
            # (in the scheme a trusted proxy names, whatever it is; no Host header: no host)
            host = value.partition("://")[2].split("/", 1)[0] if "://" in value else ""
            assert response.status_code in (302, 303, 308) and host in ("localhost", "")
        else:
            assert name.lower() in chosen, f"unexpected header {name}: {value!r}"


def expect_one_log_line(log: Lines, response) -> None:
    """One printable line, for this request, with its status."""
    lines = [line for line in log.messages if line.endswith(response.headers["X-Request-ID"])]
    assert len(lines) == 1, log.messages
    assert lines[0].isascii() and lines[0].isprintable()
    assert f" {response.status_code} " in lines[0]


@settings(max_examples=300)
@given(sent=requests())
@example(sent={"path": "/hello", "method": "GET", "query_string": "", "headers": {}})
@example(sent={"path": "//hello", "method": "GET", "query_string": "", "headers": {}})
@example(sent={"path": "/hello", "method": "OPTIONS", "query_string": "", "headers": {}})
@example(
    sent={
        "path": "/hello/%0D%0Aforged",
        "method": "GET",
        "query_string": "name=%FF",
        "headers": {"X-Request-ID": "<script>", "Accept": "text/html", "Cookie": "session=x"},
    }
)
def test_any_request_gets_json_with_the_security_headers_and_no_500(apps, log, sent):
    log.messages.clear()
    response = send(apps["plain"], sent)
    event(f"{response.status_code}")
    assert response.status_code < 500
    expect_json_or_a_page(response, sent["method"])
    expect_own_headers(response, sent["method"], sent["headers"], https=False)
    expect_one_log_line(log, response)


@settings(max_examples=150)
@given(sent=requests(), forwarded_for=latin_1, forwarded_proto=latin_1)
@example(sent={"path": "/health", "method": "GET", "query_string": "", "headers": {}},
         forwarded_for="203.0.113.7", forwarded_proto="https")  # fmt: skip
def test_behind_a_trusted_proxy_any_forwarded_values_are_safe(
    apps, log, sent, forwarded_for, forwarded_proto
):
    log.messages.clear()
    headers = {**sent["headers"], "X-Forwarded-For": forwarded_for}
    headers["X-Forwarded-Proto"] = forwarded_proto
    response = send(apps["proxied"], sent, headers)
    assert response.status_code < 500
    expect_json_or_a_page(response, sent["method"])
    expect_own_headers(
        response, sent["method"], headers, https=last_hop(forwarded_proto) == "https"
    )
    [line] = [line for line in log.messages if line.endswith(response.headers["X-Request-ID"])]
    client = last_hop(forwarded_for) or "127.0.0.1"
    client = quote(client, safe="/:@!$&'()*+,;=~")  # URL-encoded in the log, as the path is
    assert line.startswith(f"{client} {sent['method']} ") and line.isprintable()


def test_a_path_with_a_double_slash_redirects_to_the_one_with_single_slashes(apps):
    response = apps["plain"].test_client().get("/hello//Ada")
    assert response.status_code == 308
    assert response.headers["Location"] == "http://localhost/hello/Ada"
