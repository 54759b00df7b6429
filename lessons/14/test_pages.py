"""Lesson 14: pages and templates: the guestbook at /, escaped, styled, and error pages for browsers."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lessons.contract import ERROR_KEYS, SECURITY_HEADERS
from lessons.feedback import explain, json_object, show
from lessons.guestbook import BROWSER, cli_greeting, cli_user, page, policies, stylesheets

README = "lessons/14/README.md"
ORIGIN = "http://localhost"  # where the test client's requests go
SELF = {"'self'", ORIGIN}  # the sources that name the site itself
# Error pages a browser can meet outside /api: (method, url, status).
ERROR_PAGES = [("GET", "/no/such/page", 404), ("POST", "/hello", 405), ("GET", "/?page=abc", 400)]
# The security headers of Part I that pages keep as they are (the CSP and Referrer-Policy change).
KEPT_HEADERS = {
    name: value
    for name, value in SECURITY_HEADERS.items()
    if name not in ("Content-Security-Policy", "Referrer-Policy")
}
HTML_WHITESPACE = re.compile(r"[ \t\n\f\r]+")
# Pieces of messages that a browser would read as markup, were they not escaped.
MARKUP = ["<b>", "</p>", "<script>alert(1)</script>", "<!--", "-->", "<a href='x'>", "&amp;"]
MARKUP += ["&lt;", "&#60;", "&copy", "<", ">", "&", '"', "'", "\r\n", "\r", "\t", "   "]


@pytest.fixture
def author(guestbook, runner):
    """A user named ada, made with `flask create-user` (lesson 09), to sign the guestbook."""
    cli_user(runner, "ada")
    return "ada"


def guestbook_page(client, url="/", **options):
    """GET url as a browser; the response, which must be the guestbook's HTML page."""
    response = client.get(url, headers=BROWSER, **options)
    assert response.status_code == 200 and response.mimetype == "text/html", explain(
        expected=f"GET {url} to answer 200 with an HTML page (text/html)",
        got=show(response),
        tip="add a blueprint for the pages, with a view for / that returns "
        f'render_template("index.html", ...), and register it in create_app() ({README}, step 1)',
    )
    return response


def error_page(client, method, url, status):
    """The page a browser gets for an error outside /api: it must be HTML, with the status."""
    response = client.open(url, method=method, headers=BROWSER)
    assert response.status_code == status and response.mimetype == "text/html", explain(
        expected=f"{method} {url} from a browser (Accept: text/html,...) to answer {status} "
        "with an HTML page (text/html)",
        got=show(response),
        tip="in the app's HTTPException handler, render an error template when "
        "request.accept_mimetypes prefers text/html to application/json, outside /api "
        f"({README}, step 7)",
    )
    return response


def every_page(client):
    """The guestbook page and the error pages, as a browser gets them: (request, response)."""
    pages = [("GET /", guestbook_page(client))]
    for method, url, status in ERROR_PAGES:
        pages.append((f"{method} {url}", error_page(client, method, url, status)))
    return pages


def visible(text):
    """Text as a browser shows it in the page: \\r\\n and \\r are line ends, and runs of HTML's
    whitespace are one space (a template may lay the text out over lines; HTML parsing turns
    every \\r into a line end)."""
    return HTML_WHITESPACE.sub(" ", text).strip(" ")


def test_the_guestbook_page_shows_the_greetings_newest_first(author, client, runner):
    for message in ("The first greeting", "The second greeting", "The third greeting"):
        cli_greeting(runner, author, message)
    text = page(guestbook_page(client)).text
    found = [text.find(message) for message in ("third", "second", "first")]
    assert all(place >= 0 for place in found), explain(
        expected="the page's visible text to hold the three messages",
        got=text[:400],
        tip="pass the greetings to the template and show each message: "
        f"{{% for greeting in greetings %}} ... {{{{ greeting.message }}}} ({README}, step 2)",
    )
    assert found == sorted(found), explain(
        expected="the newest greeting first: third, second, first",
        got=text[:400],
        tip="query them as lesson 09's list does: order_by(Greeting.created_at.desc(), "
        f"Greeting.id.desc()) ({README}, step 1)",
    )


def test_the_guestbook_shows_20_greetings_a_page(author, client, runner):
    messages = [f"Greeting number {number:02d}" for number in range(1, 22)]
    for message in messages:
        cli_greeting(runner, author, message)
    first = page(guestbook_page(client)).text
    shown = [message for message in reversed(messages) if message in first]
    assert shown == list(reversed(messages))[:20], explain(
        expected="page 1 (GET /) to show the 20 newest of 21 greetings, numbers 21 down to 02",
        got=f"the numbers {[message[-2:] for message in shown]}",
        tip=f"show 20 a page: db.paginate(query, page=page, per_page=20, error_out=False) ({README}, step 4)",
    )
    second = page(guestbook_page(client, "/?page=2")).text
    shown = [message for message in reversed(messages) if message in second]
    assert shown == [messages[0]], explain(
        expected="GET /?page=2 to show the 21st newest greeting, number 01, and only that one",
        got=f"the numbers {[message[-2:] for message in shown]}",
        tip=f'read the page from request.args.get("page", "1") ({README}, step 4)',
    )


def test_a_page_past_the_end_shows_an_empty_list(author, client, runner):
    cli_greeting(runner, author, "The only greeting")
    text = page(guestbook_page(client, "/?page=2")).text
    assert "The only greeting" not in text, explain(
        expected="GET /?page=2 with a single greeting to answer 200 with no greetings on it",
        got=text[:400],
        tip=f"error_out=False: a page past the end is an empty page, not a 404 ({README}, step 4)",
    )


def test_an_invalid_page_number_is_a_400_page(guestbook, client):
    for value in ("0", "-1", "abc", "1.5", "%3Cscript%3E"):
        response = client.get(f"/?page={value}", headers=BROWSER)
        assert response.status_code == 400 and response.mimetype == "text/html", explain(
            expected=f"GET /?page={value} from a browser to answer 400 with an HTML page",
            got=show(response),
            tip="accept only a whole number of 1 or more (check text.isdigit() before int()), "
            f"and abort(400) otherwise ({README}, step 4); the error page comes from step 7",
        )
        scripts = [tag for tag, _ in page(response).tags if tag == "script"]
        assert not scripts, explain(
            expected=f"the 400 page for ?page={value} to hold no <script> element",
            got=show(response),
            tip="never put what the client sent into a page unescaped",
        )


def test_markup_in_a_message_shows_as_text(author, client, runner):
    messages = ["<script>alert(1)</script>", '<b class="kata-injected">Bold?</b>']
    for message in messages:
        cli_greeting(runner, author, message)
    response = guestbook_page(client)
    shown = page(response)
    for message in messages:
        assert any(message in text for text in shown.texts), explain(
            expected=f"the page's visible text to show {message} exactly as it was typed",
            got=f"the visible text: {shown.text[:300]!r}",
            tip="let Jinja escape it: {{ greeting.message }} in a template whose name ends in "
            f".html, without |safe or Markup ({README}, step 3)",
        )
    injected = [
        (tag, values)
        for tag, values in shown.tags
        if tag == "script" or "kata-injected" in values.get("class", "")
    ]
    assert not injected, explain(
        expected="no <script> or <b> element made from a message: the browser must get "
        "&lt;script&gt;, which it shows as text",
        got=f"the elements {injected}",
        tip=f"remove |safe or Markup(...), and name the template .html ({README}, step 3)",
    )


# The function-scoped fixtures are made once for all examples, on purpose: one guestbook that
# fills up, each example finding its own greeting by the mark at its start.
@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.lists(
        st.one_of(
            st.sampled_from(MARKUP),
            st.text(
                st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=30
            ),
        ),
        max_size=12,  # at most 12 pieces of 30 characters: within the 500 a message may hold
    ).map("".join)
)
def test_any_message_shows_on_the_page_exactly_as_typed(author, client, runner, text):
    mark = f"[{uuid.uuid4().hex[:8]}]"
    message = f"{mark} {text}"
    cli_greeting(runner, author, message)
    response = guestbook_page(client)
    shown = page(response)
    expected = visible(message.strip())
    start = next((i for i, piece in enumerate(shown.texts) if mark in piece), len(shown.texts))
    assert any(expected in visible(piece) for piece in shown.texts), explain(
        expected=f"the page to show the message {message.strip()!r} exactly as typed, as text "
        "(a browser turns \\r into a line end and may lay whitespace out as one space)",
        got=f"the visible text from its start on: {shown.texts[start : start + 4]}",
        tip="show it with {{ greeting.message }} and let autoescaping do its work: no |safe, no "
        f"Markup, no escaping of your own on top ({README}, step 3)",
    )


def test_every_page_links_the_same_stylesheet(guestbook, client):
    hrefs = {}
    for request, response in every_page(client):
        hrefs[request] = stylesheets(response)
        assert len(hrefs[request]) == 1, explain(
            expected=f'{request} to link one stylesheet in its <head>: <link rel="stylesheet" href="...">',
            got=f"the stylesheet links {hrefs[request]}",
            tip="put the link into templates/base.html, and let every page extend it with "
            f'{{% extends "base.html" %}} ({README}, steps 2 and 5)',
        )
        url = urljoin(response.request.url, hrefs[request][0])
        sheet = client.get(url)
        assert sheet.status_code == 200 and sheet.mimetype == "text/css", explain(
            expected=f"the stylesheet that {request} links ({url}) to answer 200 with text/css",
            got=show(sheet),
            tip="put style.css in solution/static/ and link it with "
            f"{{{{ url_for('static', filename='style.css') }}}} ({README}, step 5)",
        )
    assert len({tuple(links) for links in hrefs.values()}) == 1, explain(
        expected="every page to link the same stylesheet, from the base.html they all extend",
        got=str(hrefs),
        tip=f"the error page extends base.html too ({README}, steps 2 and 7)",
    )


def test_the_stylesheet_link_follows_the_script_root(guestbook, client):
    response = guestbook_page(client, base_url="http://localhost/guestbook")
    links = stylesheets(response)
    paths = [urlsplit(urljoin(response.request.url, href)).path for href in links]
    assert paths and all(path.startswith("/guestbook/static/") for path in paths), explain(
        expected="with the app mounted at /guestbook (SCRIPT_NAME), the stylesheet's link to "
        "start with /guestbook/static/",
        got=f"the stylesheet links {links}",
        tip="build the link with url_for('static', filename='style.css'): it knows where the "
        f'app is mounted; a hard-coded "/static/style.css" does not ({README}, step 5)',
    )
    sheet = client.get(paths[0].removeprefix("/guestbook"), base_url="http://localhost/guestbook")
    assert sheet.status_code == 200 and sheet.mimetype == "text/css", explain(
        expected=f"{paths[0]} to answer 200 with the stylesheet",
        got=show(sheet),
        tip=f"keep style.css in solution/static/ ({README}, step 5)",
    )


def test_pages_get_a_csp_that_loads_their_stylesheet_and_nothing_inline(guestbook, client):
    for request, response in every_page(client):
        found = policies(response)
        header = response.headers.getlist("Content-Security-Policy")
        assert found, explain(
            expected=f"{request} to carry a Content-Security-Policy header",
            got=show(response),
            tip=f"give pages their own headers ({README}, step 6)",
        )
        assert any(policy.get("default-src") == ["'none'"] for policy in found), explain(
            expected=f"{request}: default-src 'none', so nothing loads that the policy does not name",
            got=f"Content-Security-Policy: {header}",
            tip=f"start the pages' policy from Part I's: default-src 'none' ({README}, step 6)",
        )
        # <link rel="stylesheet"> obeys style-src-elem, else style-src, else default-src.
        blocked = [
            policy
            for policy in found
            if not SELF
            & set(
                policy.get("style-src-elem")
                or policy.get("style-src")
                or policy.get("default-src")
                or ["*"]
            )
        ]
        assert not blocked, explain(
            expected=f"{request}: style-src 'self', so the browser loads the site's own stylesheet",
            got=f"Content-Security-Policy: {header}; Part I's default-src 'none' alone blocks "
            "the stylesheet",
            tip=f"add style-src 'self' to the pages' policy ({README}, step 6)",
        )
        unsafe = [
            f"{name} {source}"
            for policy in found
            for name, sources in policy.items()
            for source in sources
            if source.startswith("'unsafe-")
        ]
        assert not unsafe, explain(
            expected=f"{request}: nothing inline allowed, no 'unsafe-inline' nor any 'unsafe-...'",
            got=f"Content-Security-Policy: {header}",
            tip="move every style into style.css; the pages need no inline style or script "
            f"({README}, step 6)",
        )
        forms = [policy.get("form-action") for policy in found]
        assert any(sources and set(sources) <= SELF for sources in forms) and all(
            sources is None or SELF & set(sources) for sources in forms
        ), explain(
            expected=f"{request}: form-action 'self', so forms post to the site and nowhere else "
            "(form-action does not fall back to default-src)",
            got=f"Content-Security-Policy: {header}",
            tip=f"add form-action 'self' ({README}, step 6)",
        )
        assert any(policy.get("frame-ancestors") == ["'none'"] for policy in found), explain(
            expected=f"{request}: frame-ancestors 'none', as in Part I: no site may frame the page",
            got=f"Content-Security-Policy: {header}",
            tip=f"keep frame-ancestors 'none' ({README}, step 6)",
        )
        assert any(policy.get("base-uri") in (["'none'"], ["'self'"]) for policy in found), explain(
            expected=f"{request}: base-uri 'none', so no injected <base> can send links elsewhere",
            got=f"Content-Security-Policy: {header}",
            tip=f"add base-uri 'none' ({README}, step 6)",
        )


def test_pages_keep_the_other_security_headers(guestbook, client):
    for request, response in every_page(client):
        kept = {name: response.headers.get(name) for name in KEPT_HEADERS}
        assert kept == KEPT_HEADERS and response.headers.get("X-Request-ID"), explain(
            expected=f"{request} to keep Part I's other security headers, {KEPT_HEADERS}, and "
            "an X-Request-ID",
            got=str({**kept, "X-Request-ID": response.headers.get("X-Request-ID")}),
            tip="start the pages' headers from Part I's, changing only the CSP and "
            f"Referrer-Policy ({README}, step 6)",
        )
        referrer = response.headers.get("Referrer-Policy", "")
        chosen = referrer.replace(" ", "").split(",")[-1].lower()
        assert chosen in ("same-origin", "no-referrer"), explain(
            expected=f"{request}: Referrer-Policy: same-origin (the Referer goes to the site "
            "itself and to no other site)",
            got=f"Referrer-Policy: {referrer!r}",
            tip=f"set Referrer-Policy: same-origin on pages ({README}, step 6)",
        )


def test_pages_hold_nothing_inline(author, client, runner):
    cli_greeting(runner, author, "A greeting, so the list is not empty")
    for request, response in every_page(client):
        inline = [
            f"<{tag} {' '.join(name for name in values if name == 'style' or name.startswith('on'))}>"
            for tag, values in page(response).tags
            if tag in ("style", "script")
            or any(name == "style" or name.startswith("on") for name in values)
        ]
        assert not inline, explain(
            expected=f"{request} to hold no <style>, <script>, style=... or on...= handlers: the "
            "page's Content-Security-Policy blocks them",
            got=f"the tags {inline}",
            tip=f"put every style into static/style.css and use class names ({README}, step 5)",
        )


def test_browsers_get_error_pages_and_other_clients_json(guestbook, client):
    for method, url, status in ERROR_PAGES[:2]:
        response = error_page(client, method, url, status)
        if status == 405:
            assert "GET" in response.headers.get("Allow", ""), explain(
                expected="the 405 page to keep its Allow header",
                got=repr(response.headers.get("Allow")),
                tip="start from error.get_response(), which carries the error's headers, and "
                f"replace only its body and Content-Type ({README}, step 7)",
            )
        for accept in (None, "*/*", "application/json"):
            headers = {"Accept": accept} if accept else {}
            answer = client.open(url, method=method, headers=headers)
            body = json_object(
                answer,
                f"{method} {url} with {f'Accept: {accept}' if accept else 'no Accept header'}",
                "a client that does not prefer text/html gets Part I's JSON error: compare "
                'request.accept_mimetypes.best_match(["application/json", "text/html"]) with '
                f'"text/html", and */* alone picks JSON ({README}, step 7)',
            )
            assert answer.status_code == status and sorted(body) == ERROR_KEYS, explain(
                expected=f"{method} {url} with {accept or 'no Accept header'} to answer {status} "
                "with Part I's JSON error",
                got=show(answer),
                tip=f"keep the JSON error for every client that is not a browser ({README}, step 7)",
            )


@pytest.mark.holds_early(reason="the API answered JSON before there were pages; it must keep to it")
def test_the_api_answers_json_even_to_a_browser(guestbook, client):
    for method, url, status in [
        ("GET", "/api/nope", 404),
        ("POST", "/api/", 405),
        ("GET", "/api/greetings?page=0", 400),
    ]:
        response = client.open(url, method=method, headers=BROWSER)
        body = json_object(
            response,
            f"{method} {url} from a browser",
            "never answer a page under /api: check request.path before choosing HTML "
            f"({README}, step 7)",
        )
        assert response.status_code == status and set(ERROR_KEYS) <= set(body), explain(
            expected=f"{method} {url}, even from a browser, to answer {status} with Part I's "
            "JSON error",
            got=show(response),
            tip=f"the API always speaks JSON ({README}, step 7)",
        )
