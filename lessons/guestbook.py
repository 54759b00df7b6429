"""What Part II's tests share: users, tokens and greetings made the way a client makes them,
and the pages read the way a browser reads them (forms, their CSRF tokens, the visible text).

Each helper goes through the app's own front doors (the CLI, the API or a page) and fails
with a message for the learner when that door is not there yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from werkzeug.datastructures import WWWAuthenticate

from lessons.feedback import explain, show

PASSWORD = "correct horse battery staple"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def cli_user(runner: Any, username: str = "ada", password: str = PASSWORD) -> None:
    """Create a user with `flask create-user USERNAME --password PASSWORD` (lesson 09)."""
    result = runner.invoke(args=["create-user", username, "--password", password])
    assert result.exit_code == 0, explain(
        expected=f"`flask create-user {username} --password ...` to create the user and exit with 0",
        got=(result.output.strip() or repr(result.exception))[-400:],
        tip="add the create-user command (lessons/09/README.md)",
    )


def cli_greeting(runner: Any, username: str, message: str) -> None:
    """Sign the guestbook with `flask add-greeting USERNAME MESSAGE` (lesson 09)."""
    result = runner.invoke(args=["add-greeting", username, message])
    assert result.exit_code == 0, explain(
        expected=f"`flask add-greeting {username} MESSAGE` to add the greeting and exit with 0",
        got=(result.output.strip() or repr(result.exception))[-400:],
        tip="add the add-greeting command (lessons/09/README.md)",
    )


def api_user(client: Any, username: str = "ada", password: str = PASSWORD) -> dict[str, Any]:
    """Sign up with POST /api/users (lesson 10); return the new user's JSON."""
    response = client.post("/api/users", json={"username": username, "password": password})
    assert response.status_code == 201 and isinstance(response.get_json(silent=True), dict), (
        explain(
            expected=f'POST /api/users {{"username": "{username}", "password": ...}} to answer 201 with the user',
            got=show(response),
            tip="see lessons/10/README.md",
        )
    )
    user: dict[str, Any] = response.get_json()
    return user


def token(client: Any, username: str = "ada", password: str = PASSWORD) -> str:
    """Get a token with POST /api/tokens and HTTP Basic (lesson 11)."""
    response = client.post("/api/tokens", auth=(username, password))
    body = response.get_json(silent=True)
    assert (
        response.status_code == 201
        and isinstance(body, dict)
        and isinstance(body.get("token"), str)
    ), explain(
        expected="POST /api/tokens with HTTP Basic to answer 201 with a token",
        got=show(response),
        tip="see lessons/11/README.md",
    )
    return str(body["token"])


def bearer(value: str) -> dict[str, str]:
    """The header that carries a bearer token."""
    return {"Authorization": f"Bearer {value}"}


def signed_up(client: Any, username: str = "ada", password: str = PASSWORD) -> dict[str, str]:
    """A new user and a token for them: the headers to send as that user (lessons 10 and 11)."""
    api_user(client, username, password)
    return bearer(token(client, username, password))


def api_greeting(client: Any, headers: dict[str, str], message: str) -> dict[str, Any]:
    """Sign the guestbook with POST /api/greetings (lesson 12); return the new greeting's JSON."""
    response = client.post("/api/greetings", json={"message": message}, headers=headers)
    assert response.status_code == 201 and isinstance(response.get_json(silent=True), dict), (
        explain(
            expected='POST /api/greetings {"message": ...} with a bearer token to answer 201 with the greeting',
            got=show(response),
            tip="see lessons/12/README.md",
        )
    )
    greeting: dict[str, Any] = response.get_json()
    return greeting


def location(response: Any) -> str:
    """The Location header as a path on the site, relative or absolute as the app sent it."""
    absolute: str = urljoin(response.request.url, response.headers.get("Location", ""))
    parts = urlsplit(absolute)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# -- pages, read as a browser reads them ---------------------------------------------------


@dataclass
class Form:
    """One <form> of a page: where it goes, and the values its fields hold."""

    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class Page(HTMLParser):
    """A page's visible text, its forms, and the tags it holds, from the HTML a browser gets."""

    HIDDEN = ("script", "style", "title", "head", "template")  # text no one sees on the page

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.forms: list[Form] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Note the tag; a form starts, or a field of the current form."""
        values = {name: value or "" for name, value in attrs}
        self.tags.append((tag, values))
        if tag in self.HIDDEN:
            self.hidden += 1
        if tag == "form":
            self.forms.append(Form(values.get("action", ""), values.get("method", "get").lower()))
        elif tag in ("input", "textarea", "select", "button") and self.forms and values.get("name"):
            kind = values.get("type", "text").lower()
            if tag == "input" and kind in ("checkbox", "radio") and "checked" not in values:
                return
            self.forms[-1].fields.setdefault(values["name"], values.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        """Leave a part no one sees."""
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        """Keep visible text."""
        if not self.hidden and data.strip():
            self.texts.append(data.strip())

    @property
    def text(self) -> str:
        """The page's visible text, one piece a line."""
        return "\n".join(self.texts)


def page(response: Any) -> Page:
    """Read a response's HTML as a browser would."""
    parsed = Page()
    parsed.feed(response.get_data(as_text=True))
    parsed.close()
    return parsed


def form_with(response: Any, *names: str) -> Form:
    """The page's form that has all of these fields; fail clearly if there is none."""
    forms = page(response).forms
    found = [form for form in forms if all(name in form.fields for name in names)]
    assert found, explain(
        expected=f"a <form> on {urlsplit(response.request.url).path} with fields named {list(names)}",
        got=f"{len(forms)} form(s), with fields {[sorted(form.fields) for form in forms]}",
        tip='give each <input> or <textarea> its name, such as name="username"; Flask-WTF\'s '
        "{{ form.username }} does it, and {{ form.csrf_token }} adds the hidden token",
    )
    return found[0]


def submit(client: Any, url: str, values: dict[str, str], **options: Any) -> Any:
    """GET url, fill in its form (the one with these fields) and post it, CSRF token and all."""
    shown = client.get(url, headers=BROWSER)
    form = form_with(shown, *values)
    target = urljoin(shown.request.url, form.action or url)
    return client.post(target, data={**form.fields, **values}, headers=BROWSER, **options)


# -- lessons 10 and 11: the API as a server runs it, its field errors, its challenges ------------


def served(make_app: Any, config: dict[str, Any] | None = None) -> Any:
    """A client of your app with its tables made, as a server runs it (TESTING off).

    An exception in a view then answers a 500, as it would for a real client, instead of
    reaching the test: a crash shows as what it is.
    """
    app = make_app({"TESTING": False, **(config or {})})
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, explain(
        expected="`flask init-db` to create the tables and exit with code 0",
        got=(result.output.strip() or repr(result.exception))[-400:],
        tip="add the init-db command (lessons/09/README.md)",
    )
    return app.test_client()


def pointers(response: Any) -> list[Any] | None:
    """The pointers of a JSON error's "errors" (lesson 10), or None when it has no such list."""
    body = response.get_json(silent=True)
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not all(
        isinstance(error, dict) and isinstance(error.get("detail"), str) for error in errors
    ):
        return None
    return [error.get("pointer") for error in errors]


def challenges(response: Any) -> list[tuple[str, dict[str, str | None]]]:
    """Each WWW-Authenticate challenge of a response, parsed: ("bearer", {"realm": "api"}).

    Parsed, not compared as text: realm=api and realm="api" say the same, and the scheme's
    case does not count (RFC 9110, 11.6.1).
    """
    return [
        (challenge.type, dict(challenge.parameters))
        for value in response.headers.getlist("WWW-Authenticate")
        if (challenge := WWWAuthenticate.from_header(value)) is not None
    ]


# -- lesson 12: creating greetings (lesson 13 uses these too) -------------------------------

GREETING_KEYS = ["author", "created_at", "id", "message", "updated_at"]
TOO_LARGE = 17 * 1024  # characters of message: more than MAX_CONTENT_LENGTH's 16 KiB (lesson 10)


def challenge(response: Any) -> tuple[str, dict[str, str]]:
    """The first WWW-Authenticate challenge, parsed: its scheme in lower case, its parameters."""
    found = challenges(response)
    if not found:
        return "", {}
    scheme, parameters = found[0]
    return scheme.lower(), {name: value or "" for name, value in parameters.items()}


def moment_before() -> datetime:
    """Now, cut down to the millisecond: no timestamp the app writes from now on is earlier."""
    now = datetime.now(UTC)
    return now - timedelta(microseconds=now.microsecond % 1000)


def moment_after() -> datetime:
    """A millisecond from now: no timestamp the app has written so far is later."""
    return datetime.now(UTC) + timedelta(milliseconds=1)


# -- lesson 14: what a page loads, and the policy that lets it (lessons 14 and 15) ---------


def stylesheets(response: Any) -> list[str]:
    """The href of every <link rel="stylesheet"> on the page, as the HTML gives it."""
    return [
        values.get("href", "")
        for tag, values in page(response).tags
        if tag == "link" and "stylesheet" in values.get("rel", "").lower().split()
    ]


def policies(response: Any) -> list[dict[str, list[str]]]:
    """Each Content-Security-Policy header as {directive: [sources]}, names and keywords lowercase.

    A browser enforces every policy it gets; within one, the first directive of a name counts.
    """
    found = []
    for header in response.headers.getlist("Content-Security-Policy"):
        directives: dict[str, list[str]] = {}
        for part in header.split(";"):
            if not part.split():
                continue
            name, *sources = part.split()
            if name.lower() not in directives:
                directives[name.lower()] = [
                    source.lower() if source.startswith("'") else source for source in sources
                ]
        found.append(directives)
    return found
