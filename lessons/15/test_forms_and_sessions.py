"""Lesson 15: forms, sessions and CSRF: sign up, in and out on the pages, and sign the guestbook."""

from __future__ import annotations

import re
from urllib.parse import urlencode, urljoin, urlsplit

import pytest

from lessons import databases
from lessons.feedback import explain, show
from lessons.guestbook import (
    BROWSER,
    PASSWORD,
    bearer,
    cli_user,
    form_with,
    page,
    policies,
    stylesheets,
    token,
)

README = "lessons/15/README.md"
REDIRECTS = (302, 303)  # after a POST, the browser GETs the Location (307 and 308 would re-post)
C0_AND_SPACE = "".join(map(chr, range(0x21)))


# -- the pages, as a browser uses them -----------------------------------------------------


def form_page(client, url, **options):
    """GET url as a browser; it must be an HTML page."""
    response = client.get(url, headers=BROWSER, **options)
    path = urlsplit(url).path
    assert response.status_code == 200 and response.mimetype == "text/html", explain(
        expected=f"GET {path} to answer 200 with an HTML page",
        got=show(response),
        tip=f"add the view and its template: /register (step 4), /login (step 5) ({README})",
    )
    return response


def fill(client, url, values, headers=None, **options):
    """GET url, fill in its form (the one with these fields) and post it, its CSRF token too."""
    shown = form_page(client, url, **options)
    form = form_with(shown, *values)
    target = urljoin(shown.request.url, form.action or url)
    return client.post(target, data={**form.fields, **values}, headers=headers or BROWSER)


def sign_form(response):
    """The form that signs the guestbook (a field named message), or None."""
    forms = [form for form in page(response).forms if "message" in form.fields]
    return forms[0] if forms else None


def signed_in(client):
    """Whether the guestbook page offers this client the form to sign it: a signed-in user."""
    return sign_form(form_page(client, "/")) is not None


def sign_in(client, username="ada", password=PASSWORD):
    """Sign in with the form on /login; it must lead on (a redirect) and offer the sign form."""
    response = fill(client, "/login", {"username": username, "password": password})
    assert response.status_code in REDIRECTS, explain(
        expected=f"signing in as {username} with the form on /login to redirect (303 or 302)",
        got=show(response),
        tip="when the password is right: login_user(user), then redirect(url_for(...), 303) "
        f"({README}, step 5)",
    )
    assert signed_in(client), explain(
        expected="once signed in, GET / to show a form with a field named message",
        got=str(page(form_page(client, "/")).forms),
        tip=f"render the GreetingForm on / when current_user.is_authenticated ({README}, step 7)",
    )
    return response


def logout_form(response):
    """The form on the page that posts to /logout; fail clearly if there is none."""
    forms = [
        form
        for form in page(response).forms
        if urlsplit(urljoin(response.request.url, form.action)).path == "/logout"
    ]
    assert forms and forms[0].method == "post", explain(
        expected='a form on / that posts to /logout: <form method="post" action="/logout">',
        got=str(page(response).forms),
        tip="put it into base.html for a signed-in user, with a hidden input named csrf_token "
        f"holding {{{{ csrf_token() }}}} ({README}, step 6)",
    )
    return forms[0]


def tokens_of(form, where):
    """The names of the form's CSRF token fields; it must have one."""
    names = [name for name in form.fields if "csrf" in name.lower()]
    assert names, explain(
        expected=f"the form on {where} to carry its CSRF token in a hidden field, csrf_token",
        got=f"the fields {sorted(form.fields)}",
        tip="{{ form.csrf_token }} in the template adds it; a form without a FlaskForm uses "
        f'<input type="hidden" name="csrf_token" value="{{{{ csrf_token() }}}}"> ({README}, step 1)',
    )
    return names


def lines(response):
    """The page's visible text, as a set of lines."""
    return set(page(response).text.splitlines())


def greetings(client):
    """The messages GET /api/greetings lists."""
    listed = client.get("/api/greetings").get_json(silent=True) or []
    return [greeting.get("message") for greeting in listed if isinstance(greeting, dict)]


def set_cookies(*responses):
    """Every Set-Cookie of the responses as (name, {attribute: value}), attributes lowercase."""
    found = []
    for response in responses:
        for header in response.headers.getlist("Set-Cookie"):
            first, *attributes = header.split(";")
            flags = {}
            for attribute in attributes:
                key, _, value = attribute.partition("=")
                flags[key.strip().lower()] = value.strip()
            found.append((first.split("=", 1)[0].strip(), flags))
    return found


def destination(base, location):
    """The host a browser goes to for this Location, seen from base, as the URL standard reads
    http(s) URLs: spaces and controls around it and tabs and newlines in it dropped, a backslash
    read as a slash, any number of slashes before a host. "" for a scheme such as javascript:."""
    text = re.sub(r"[\t\n\r]", "", location.strip(C0_AND_SPACE)).replace("\\", "/")
    here = urlsplit(base)
    scheme, host = here.scheme, here.hostname or ""
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):(.*)", text, re.S)
    if match:
        scheme, text = match[1].lower(), match[2]
        if scheme not in ("http", "https"):
            return ""
        if scheme != here.scheme:  # http:evil.com from an https page is http://evil.com
            text = "//" + text.lstrip("/")
    if text.startswith("//"):
        authority = re.split(r"[/?#]", text.lstrip("/"), maxsplit=1)[0]
        host = authority.rpartition("@")[2].lower()
        host = host.removesuffix(":443" if scheme == "https" else ":80")
    return host


# -- signing up and in ---------------------------------------------------------------------


def test_after_signing_up_signing_in_works(guestbook, client):
    shown = form_page(client, "/register")
    form_with(shown, "username", "password")
    response = fill(client, "/register", {"username": "ada", "password": PASSWORD})
    assert response.status_code in REDIRECTS, explain(
        expected="posting the form on /register with a new username and a good password to "
        "redirect (303 or 302)",
        got=show(response),
        tip=f"when form.validate_on_submit() and the user is stored, redirect ({README}, step 4)",
    )
    token(client, "ada", PASSWORD)  # the API knows the new user and the password
    sign_in(client, "ada", PASSWORD)


def test_wrong_password_and_unknown_user_get_the_same_answer(guestbook, client, runner):
    cli_user(runner, "ada_lovelace")
    fresh = page(form_page(client, "/login")).text
    answers = {}
    for username, password in (("ada_lovelace", "not the password"), ("grace_hopper", PASSWORD)):
        response = fill(client, "/login", {"username": username, "password": password})
        form_with(response, "username", "password")
        assert response.status_code == 400, explain(
            expected=f"signing in as {username} with a wrong password, or as no one, to answer "
            "400 with the form and its error",
            got=show(response),
            tip=f"render the form again with an error, and status 400 ({README}, step 5)",
        )
        answers[username] = page(response).text.replace(username, "USERNAME")
    assert fresh != answers["grace_hopper"], explain(
        expected="the page to tell the visitor that signing in did not work",
        got=answers["grace_hopper"][:400],
        tip="add an error to the form, such as form.form_errors.append(...), and show it "
        f"({README}, step 5)",
    )
    assert answers["ada_lovelace"] == answers["grace_hopper"], explain(
        expected="the same page for a wrong password and for an unknown user (apart from the "
        "username), so the form tells no one which usernames exist",
        got=f"wrong password: {answers['ada_lovelace'][:300]!r}\n"
        f"unknown user: {answers['grace_hopper'][:300]!r}",
        tip="one error for both, such as 'The username or the password is wrong.' "
        f"({README}, step 5)",
    )


def test_the_session_cookie_is_httponly_and_samesite_lax(guestbook, client, runner):
    cli_user(runner, "ada")
    shown = form_page(client, "/login")
    response = sign_in(client)
    cookies = set_cookies(shown, response)
    loose = [
        (name, flags)
        for name, flags in cookies
        if "httponly" not in flags or flags.get("samesite", "").lower() not in ("lax", "strict")
    ]
    assert cookies and not loose, explain(
        expected="signing in to set the session cookie with HttpOnly and SameSite=Lax",
        got=f"Set-Cookie: {cookies}",
        tip='SESSION_COOKIE_SAMESITE="Lax" in the defaults; SESSION_COOKIE_HTTPONLY is True '
        f"unless you turned it off ({README}, step 2)",
    )


def test_the_session_cookie_is_secure_in_production(make_app, monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("FLASK_SECRET_KEY", "kata-production-secret-" + "x" * 40)
    app = make_app()
    runner = app.test_cli_runner()
    runner.invoke(args=["init-db"])
    cli_user(runner, "ada")
    client = app.test_client()
    shown = form_page(client, "/login")
    response = sign_in(client)
    cookies = set_cookies(shown, response)
    plain = [(name, flags) for name, flags in cookies if "secure" not in flags]
    assert cookies and not plain, explain(
        expected="with APP_ENV=production, the session cookie to carry Secure, so that browsers "
        "send it over HTTPS only",
        got=f"Set-Cookie: {cookies}",
        tip='SESSION_COOKIE_SECURE = (APP_ENV == "production"), set in create_app() after '
        f"APP_ENV is read ({README}, step 2)",
    )


def test_signing_in_starts_a_new_session(guestbook, client, runner, database_uri):
    cli_user(runner, "ada")
    before = form_with(form_page(client, "/login"), "username", "password")
    old = {name: before.fields[name] for name in tokens_of(before, "/login")}
    sign_in(client)
    form = sign_form(form_page(client, "/"))
    stored = databases.row_counts(database_uri)
    response = client.post("/", data={**form.fields, "message": "Hello", **old}, headers=BROWSER)
    assert response.status_code == 400 and databases.row_counts(database_uri) == stored, explain(
        expected="a CSRF token from before signing in to stop working once signed in: the sign "
        "form posted with it to answer 400 and store nothing",
        got=show(response),
        tip="session.clear() before login_user(user): the new session gets a new CSRF token, "
        "and whatever someone planted in the old one is gone (session fixation) "
        f"({README}, step 5)",
    )


def test_next_leads_to_a_page_of_the_site(guestbook, client, runner):
    cli_user(runner, "ada")
    response = fill(
        client,
        "/login?" + urlencode({"next": "/?page=2"}),
        {"username": "ada", "password": PASSWORD},
    )
    target = urlsplit(urljoin(response.request.url, response.headers.get("Location", "")))
    assert response.status_code in REDIRECTS and (target.path, target.query) == ("/", "page=2"), (
        explain(
            expected="signing in on /login?next=/?page=2 to redirect to /?page=2",
            got=show(response),
            tip=f'redirect(request.args.get("next")) once safe_next() accepts it ({README}, step 5)',
        )
    )


UNSAFE_NEXT = [
    "//evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "///evil.com",
    "/\t/evil.com",
    " //evil.com",
    "https://evil.com",
    "http:evil.com",
    "https:evil.com",
    "//localhost@evil.com",
    "javascript:alert(1)",
]


def test_next_never_leads_off_the_site(guestbook, runner):
    cli_user(runner, "ada")
    for target in UNSAFE_NEXT:
        client = guestbook.test_client()
        url = "/login?" + urlencode({"next": target})
        response = fill(client, url, {"username": "ada", "password": PASSWORD})
        location = response.headers.get("Location", "")
        hosts = {
            destination(base, location)
            for base in ("http://localhost/login", "https://localhost/login")
        }
        assert response.status_code in REDIRECTS and hosts == {"localhost"}, explain(
            expected=f"signing in with next={target!r} to redirect within the site (a browser "
            "given that Location must stay on localhost)",
            got=f"{show(response)}: a browser goes to {sorted(hosts)}",
            tip="follow next only when it is a path of the site: it starts with one / and not "
            "//, and holds no backslash, space or control character; urlsplit(next).netloc == "
            f'"" alone lets http:evil.com through, which a browser reads as http://evil.com '
            f"({README}, step 5)",
        )


# -- signing the guestbook -----------------------------------------------------------------


def test_a_signed_in_user_signs_the_guestbook_on_its_page(guestbook, client, runner):
    cli_user(runner, "ada")
    sign_in(client)
    response = fill(client, "/", {"message": "  Hello from the page  "})
    assert response.status_code in REDIRECTS, explain(
        expected="posting the sign form on / to redirect (303, or 302) back to the guestbook: "
        "post, redirect, get",
        got=show(response),
        tip="after db.session.commit(): flash(...), then return redirect(url_for('pages.index'), "
        f"303); a page rendered in answer to a POST is posted again on reload ({README}, step 7)",
    )
    target = urlsplit(urljoin(response.request.url, response.headers.get("Location", "")))
    assert target.path == "/", explain(
        expected="the redirect to lead to the guestbook, /",
        got=show(response),
        tip=f"redirect(url_for('pages.index'), 303) ({README}, step 7)",
    )
    first = client.get("/", headers=BROWSER)
    again = client.get("/", headers=BROWSER)
    assert "Hello from the page" in lines(again) and greetings(client) == ["Hello from the page"], (
        explain(
            expected="the guestbook to list the new greeting, trimmed: Hello from the page",
            got=f"the page: {page(again).text[:300]!r}; the API lists {greetings(client)}",
            tip=f"store Greeting(author=current_user, message=message.strip()) ({README}, step 7)",
        )
    )
    assert lines(first) - lines(again), explain(
        expected="the page right after the redirect to show a flashed message, and the next "
        "GET / not to show it again",
        got=f"right after: {page(first).text[:300]!r}\nthe next time: {page(again).text[:300]!r}",
        tip="flash() before the redirect, and show get_flashed_messages() in base.html; "
        f"reading them takes them out of the session ({README}, step 7)",
    )


def test_an_invalid_message_gets_the_form_and_its_error(guestbook, client, runner, database_uri):
    cli_user(runner, "ada")
    sign_in(client)
    plain = lines(form_page(client, "/"))
    stored = databases.row_counts(database_uri)
    for message in ("", "   ", "x" * 501, "Hello\x00world"):
        response = fill(client, "/", {"message": message})
        assert response.status_code == 400 and sign_form(response), explain(
            expected=f"the message {message[:20]!r} ({len(message)} characters) to be refused: "
            "400 with the sign form",
            got=show(response),
            tip="the message is 1 to 500 characters once trimmed, without NUL: when "
            "form.validate_on_submit() fails, render the page again with the form, status 400 "
            f"({README}, step 7)",
        )
        errors = [line for line in lines(response) - plain if line not in message]
        assert errors and databases.row_counts(database_uri) == stored, explain(
            expected=f"for the message {message[:20]!r}, the page to show the form's error, and "
            "nothing stored",
            got=f"new lines on the page: {errors}; rows per table before {stored}, after "
            f"{databases.row_counts(database_uri)}",
            tip=f"show form.message.errors beside the field ({README}, step 7)",
        )


# -- CSRF ----------------------------------------------------------------------------------


def register_form(client, runner):
    """The sign-up form, and what to fill in: (page, form, values)."""
    form = form_with(form_page(client, "/register"), "username", "password")
    return "/register", form, {"username": "grace", "password": PASSWORD}


def login_form(client, runner):
    """The sign-in form, for a user who exists."""
    cli_user(runner, "ada")
    form = form_with(form_page(client, "/login"), "username", "password")
    return "/login", form, {"username": "ada", "password": PASSWORD}


def guestbook_form(client, runner):
    """The form that signs the guestbook, for a signed-in user."""
    cli_user(runner, "ada")
    sign_in(client)
    return "/", sign_form(form_page(client, "/")), {"message": "Hello"}


def logout(client, runner):
    """The sign-out form, for a signed-in user."""
    cli_user(runner, "ada")
    sign_in(client)
    return "/", logout_form(form_page(client, "/")), {}


FORMS = {"register": register_form, "login": login_form, "sign": guestbook_form, "logout": logout}


@pytest.mark.parametrize("name", list(FORMS))
def test_every_form_needs_its_csrf_token(guestbook, client, runner, database_uri, name):
    url, form, values = FORMS[name](client, runner)
    names = tokens_of(form, url)
    was_signed_in = signed_in(client)
    stored = databases.row_counts(database_uri)
    target = urljoin(f"http://localhost{url}", form.action or url)
    for what, forged in (("no", None), ("a forged", "forged-by-another-site")):
        data = {key: value for key, value in {**form.fields, **values}.items() if key not in names}
        if forged:
            data.update({key: forged for key in names})
        response = client.post(target, data=data, headers=BROWSER)
        assert response.status_code == 400, explain(
            expected=f"the {name} form posted with {what} CSRF token to answer 400",
            got=show(response),
            tip="CSRFProtect().init_app(app) checks every POST; keep it on for the pages "
            f"({README}, step 1)",
        )
        changed = databases.row_counts(database_uri) != stored
        assert not changed and signed_in(client) == was_signed_in, explain(
            expected=f"nothing done by the {name} form with {what} token: nothing stored, and "
            "still signed in (or out) as before",
            got=f"rows per table before {stored}, after {databases.row_counts(database_uri)}; "
            f"signed in before: {was_signed_in}, after: {signed_in(client)}",
            tip=f"let CSRFProtect refuse the request before the view runs ({README}, step 1)",
        )


# -- the API: no CSRF, no cookies ----------------------------------------------------------


@pytest.mark.holds_early(
    reason="the API took no CSRF token before; CSRFProtect must leave it so (csrf.exempt)"
)
def test_the_api_needs_no_csrf_token(guestbook, client):
    exempt = f"csrf.exempt(api.bp): the API takes bearer tokens, never cookies ({README}, step 8)"
    response = client.post("/api/users", json={"username": "ada", "password": PASSWORD})
    assert response.status_code == 201, explain(
        expected="POST /api/users with no CSRF token to answer 201, as before",
        got=show(response),
        tip=exempt,
    )
    response = client.post("/api/tokens", auth=("ada", PASSWORD))
    body = response.get_json(silent=True)
    assert response.status_code == 201 and isinstance(body, dict) and "token" in body, explain(
        expected="POST /api/tokens with HTTP Basic and no CSRF token to answer 201 with a token",
        got=show(response),
        tip=exempt,
    )
    headers = bearer(body["token"])
    response = client.post("/api/greetings", json={"message": "Hello"}, headers=headers)
    assert response.status_code == 201, explain(
        expected="POST /api/greetings with a bearer token and no CSRF token to answer 201",
        got=show(response),
        tip=exempt,
    )
    url = f"/api/greetings/{response.get_json().get('id')}"
    for method, target, status in (
        ("PATCH", url, 200),
        ("DELETE", url, 204),
        ("DELETE", "/api/tokens", 204),
    ):
        body = {"message": "Edited"} if method == "PATCH" else None
        response = client.open(target, method=method, json=body, headers=headers)
        assert response.status_code == status, explain(
            expected=f"{method} {target} with a bearer token and no CSRF token to answer {status}",
            got=show(response),
            tip=exempt,
        )


def test_the_api_never_honours_the_session_cookie(guestbook, client, runner, database_uri):
    cli_user(runner, "ada")
    sign_in(client)
    stored = databases.row_counts(database_uri)
    for method, url, body in (("POST", "/api/greetings", {"message": "From a cookie"}),) + (
        ("GET", "/api/users/me", None),
    ):
        response = client.open(url, method=method, json=body)
        challenge = response.headers.get("WWW-Authenticate", "")
        assert response.status_code == 401 and challenge.lower().startswith("bearer"), explain(
            expected=f"{method} {url} from a signed-in browser, with its session cookie but no "
            "bearer token, to answer 401 with WWW-Authenticate: Bearer",
            got=show(response),
            tip="the API is exempt from CSRF, so it must never act on the session cookie: take "
            "the user from the bearer token only, never from current_user or login_required "
            f"({README}, step 8)",
        )
    assert databases.row_counts(database_uri) == stored, explain(
        expected="nothing stored by a request that carried only the session cookie",
        got=f"rows per table before {stored}, after {databases.row_counts(database_uri)}",
        tip=f"see {README}, step 8",
    )
    anonymous = guestbook.test_client().post("/api/greetings", json={"message": "Hi"})
    assert anonymous.status_code == 401, explain(
        expected="POST /api/greetings with no token and no cookie to answer 401, not a redirect",
        got=show(anonymous),
        tip=f"login_required on an API view redirects to the login page ({README}, step 8)",
    )


# -- signing out, and a session whose user is gone -----------------------------------------


def test_signing_out(guestbook, client, runner, database_uri):
    cli_user(runner, "ada")
    sign_in(client)
    shown = form_page(client, "/")
    form = logout_form(shown)
    sign = sign_form(shown)
    response = client.post(
        urljoin(shown.request.url, form.action), data=form.fields, headers=BROWSER
    )
    assert response.status_code in REDIRECTS and not signed_in(client), explain(
        expected="POST /logout with its CSRF token to redirect, and GET / then to show no sign form",
        got=show(response),
        tip="logout_user() (or session.clear()), then redirect(url_for('pages.index'), 303) "
        f"({README}, step 6)",
    )
    stored = databases.row_counts(database_uri)
    late = client.post("/", data={**sign.fields, "message": "After signing out"}, headers=BROWSER)
    assert late.status_code < 500 and databases.row_counts(database_uri) == stored, explain(
        expected="the sign form from before signing out to store nothing once signed out",
        got=show(late),
        tip=f"@login_required on the view that signs the guestbook ({README}, step 7)",
    )


def test_a_session_whose_user_is_gone_is_signed_out(guestbook, client, runner):
    cli_user(runner, "ada")
    sign_in(client)
    result = runner.invoke(args=["init-db", "--drop", "--yes"])
    assert result.exit_code == 0, explain(
        expected="`flask init-db --drop --yes` to start again from empty tables",
        got=result.output[-300:],
        tip="see lessons/09/README.md",
    )
    try:
        response = client.get("/", headers=BROWSER)
        got = show(response)
    except Exception as error:  # in testing mode, the app's exceptions reach the test
        response, got = None, f"{type(error).__name__}: {str(error)[:200]}"
    assert response is not None and response.status_code == 200 and not sign_form(response), (
        explain(
            expected="GET / with the session cookie of a user who no longer exists to answer 200, "
            "signed out",
            got=got,
            tip="the user_loader returns None for an id it cannot find (db.session.get gives None); "
            f"it must not raise ({README}, step 3)",
        )
    )


# -- registering ---------------------------------------------------------------------------


def test_a_taken_username_is_refused_whatever_its_case(guestbook, client, runner, database_uri):
    cli_user(runner, "ada")
    fresh = lines(form_page(client, "/register"))
    stored = databases.row_counts(database_uri)
    for username in ("ada", "ADA"):
        response = fill(client, "/register", {"username": username, "password": PASSWORD})
        assert response.status_code == 400 and form_with(response, "username", "password"), explain(
            expected=f"signing up as {username} when ada exists to answer 400 with the form",
            got=show(response),
            tip="catch the IntegrityError of the unique index, db.session.rollback(), and "
            f"render the form with an error on username, status 400 ({README}, step 4)",
        )
        assert lines(response) - fresh and databases.row_counts(database_uri) == stored, explain(
            expected="the form's error on the page, and nothing stored",
            got=f"new lines on the page: {sorted(lines(response) - fresh)}; rows per table "
            f"before {stored}, after {databases.row_counts(database_uri)}",
            tip=f"form.username.errors.append(...) and show the field's errors ({README}, step 4)",
        )


def test_signing_up_follows_the_apis_rules(guestbook, client, database_uri):
    fresh = lines(form_page(client, "/register"))
    refused = [
        ("ab", PASSWORD),
        ("a" * 31, PASSWORD),
        ("ada lovelace", PASSWORD),
        ("ada-lovelace", PASSWORD),
        ("\u00e4d\u00e4", PASSWORD),
        ("ada", "short12"),
        ("ada", "x" * 129),
        ("ada", "password\x00"),
    ]
    stored = databases.row_counts(database_uri)
    for username, password in refused:
        response = fill(client, "/register", {"username": username, "password": password})
        new = lines(response) - fresh
        assert response.status_code == 400 and new, explain(
            expected=f"signing up as {username!r} with a password of {len(password)} "
            "characters to answer 400 with the form and its error",
            got=show(response),
            tip="the API's rules: a username of 3 to 30 letters, digits or underscores, a "
            "password of 8 to 128 characters without NUL; use the same functions as the API "
            f"in the form's validators ({README}, step 4)",
        )
    assert databases.row_counts(database_uri) == stored, explain(
        expected="nothing stored after the refused sign-ups",
        got=f"rows per table before {stored}, after {databases.row_counts(database_uri)}",
        tip=f"store the user only when form.validate_on_submit() ({README}, step 4)",
    )
    for username, password in (("abc", "x" * 8), ("A_" * 15, "y" * 128)):
        response = fill(client, "/register", {"username": username, "password": password})
        assert response.status_code in REDIRECTS, explain(
            expected=f"signing up as {username} (3 to 30 characters) with a password of "
            f"{len(password)} characters to work (a redirect)",
            got=show(response),
            tip=f"the bounds belong to the rules: 3 and 30, 8 and 128 ({README}, step 4)",
        )


def test_the_sign_in_pages_are_pages_like_the_others(guestbook, client):
    home = form_page(client, "/")
    expected = {
        "stylesheets": stylesheets(home),
        "Content-Security-Policy": policies(home),
        "Referrer-Policy": home.headers.get("Referrer-Policy"),
    }
    answers = [
        ("GET /login", form_page(client, "/login")),
        ("GET /register", form_page(client, "/register")),
    ]
    answers.append(
        ("POST /register", fill(client, "/register", {"username": "ab", "password": "short"}))
    )
    for request, response in answers:
        got = {
            "stylesheets": stylesheets(response),
            "Content-Security-Policy": policies(response),
            "Referrer-Policy": response.headers.get("Referrer-Policy"),
        }
        assert got == expected, explain(
            expected=f"{request} to extend base.html and carry the pages' headers, as / does: "
            f"{expected}",
            got=str(got),
            tip='{% extends "base.html" %} in login.html and register.html, and render them '
            f"with the same page() helper as / ({README}, steps 4 and 5)",
        )
        inline = [
            tag
            for tag, values in page(response).tags
            if tag in ("style", "script")
            or any(name == "style" or name.startswith("on") for name in values)
        ]
        assert not inline, explain(
            expected=f"{request} to hold no <style>, <script>, style= or on...= attributes",
            got=f"the tags {inline}",
            tip="style the forms from static/style.css (lessons/14/README.md, step 5)",
        )


def test_signing_in_over_https_works_with_the_pages_referrer_policy(guestbook, client, runner):
    cli_user(runner, "ada")
    shown = form_page(client, "/login", base_url="https://localhost")
    form = form_with(shown, "username", "password")
    policy = (shown.headers.get("Referrer-Policy") or "strict-origin-when-cross-origin").lower()
    chosen = policy.replace(" ", "").split(",")[-1]
    # What a browser sends along with a form posted to the same site, under that policy.
    referer = (
        {}
        if chosen == "no-referrer"
        else {"Referer": "https://localhost/"}
        if chosen in ("origin", "strict-origin")
        else {"Referer": shown.request.url}
    )
    response = client.post(
        urljoin(shown.request.url, form.action or "/login"),
        data={**form.fields, "username": "ada", "password": PASSWORD},
        headers={**BROWSER, **referer},
    )
    assert response.status_code in REDIRECTS, explain(
        expected="signing in over HTTPS to work, with the Referer a browser sends under the "
        f"page's Referrer-Policy ({policy}): {referer.get('Referer', 'none')}",
        got=show(response),
        tip="over HTTPS, Flask-WTF also checks that the Referer names the site itself: pages "
        "need Referrer-Policy: same-origin, Part I's no-referrer sends none "
        "(lessons/14/README.md, step 6)",
    )
