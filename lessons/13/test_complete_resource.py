"""Lesson 13: a complete resource: change and delete your own greetings, and read the list in pages."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.http import parse_list_header

from lessons import databases
from lessons.contract import format_timestamp, parse_timestamp
from lessons.feedback import explain, show
from lessons.guestbook import (
    GREETING_KEYS,
    TOO_LARGE,
    api_greeting,
    challenge,
    moment_after,
    moment_before,
    signed_up,
)

README = "lessons/13/README.md"
JSON, MERGE_PATCH = "application/json", "application/merge-patch+json"

# The examples share one app and its database: each one first brings the guestbook to the
# number of greetings it asks for. Each costs a dozen requests or more, so there are 15 at most.
one_app_for_all_examples = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    report_multiple_bugs=False,
    max_examples=min(settings.default.max_examples, 15),
)


def url(greeting):
    return f"/api/greetings/{greeting['id']}"


def send(client, method, path, headers, body=None, content_type=JSON):
    """A request with body (any value: sent as JSON) or raw text, or no body at all."""
    if body is None:
        return client.open(path, method=method, headers=headers)
    data = body if isinstance(body, str) else json.dumps(body)
    return client.open(path, method=method, headers=headers, data=data, content_type=content_type)


def pointers(response):
    """The pointers of the errors a 400 lists, or None when the body has no such list."""
    body = response.get_json(silent=True)
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return None
    return [error.get("pointer") for error in errors if isinstance(error, dict)]


def parameters(response):
    """The query parameters the errors of a 400 name, or None when the body has no such list."""
    body = response.get_json(silent=True)
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return None
    return sorted(str(error.get("parameter")) for error in errors if isinstance(error, dict))


def read(client, greeting):
    """The greeting as GET answers it now, or the status when it is not there."""
    response = client.get(url(greeting))
    return response.get_json(silent=True) if response.status_code == 200 else response.status_code


def assert_unchanged(client, greeting, after):
    now = read(client, greeting)
    assert now == greeting, explain(
        expected=f"the greeting as it was after {after}: {greeting}",
        got=f"GET {url(greeting)}: {now}",
        tip=f"refuse first, change nothing: check the token, the greeting, its author and the body "
        f"before you touch it ({README}, step 3)",
    )


def tick_past(timestamp):
    """Wait, a millisecond at most, until the clock has left the millisecond timestamp names."""
    moment = parse_timestamp(timestamp)
    if moment is None:
        return
    until = min(moment + timedelta(milliseconds=1), datetime.now(UTC) + timedelta(milliseconds=2))
    while datetime.now(UTC) < until:
        pass


def link_header(response):
    """Every Link header of the response, as one (RFC 9110 lets a list come in several)."""
    return ", ".join(response.headers.getlist("Link"))


def links(response):
    """The Link header (RFC 8288) as {rel: URL}; a link with several rels counts for each."""
    found = {}
    for item in parse_list_header(link_header(response)):
        match = re.fullmatch(r"\s*<([^>]*)>(.*)", item, re.DOTALL)
        if not match:
            continue
        target, rest = match.groups()
        for parameter in rest.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name.strip().lower() == "rel":
                for rel in value.strip().strip('"').split():
                    found[rel.lower()] = target
    return found


def page_numbers(target):
    """The page and per_page a link's URL asks for (page 1 when it names none)."""
    query = parse_qs(urlsplit(target).query)
    return query.get("page", ["1"]), query.get("per_page")


def assert_links(response, request, pages, per_page=None):
    """The Link header leads to these pages, {rel: number or None for any}, and has no prev or
    next beyond them."""
    found = links(response)
    header = link_header(response)
    missing = sorted(set(pages) - set(found))
    extra = sorted({"prev", "next"} - set(pages) & set(found))
    assert not missing and not extra, explain(
        expected=f"{request} to answer a Link header with the rels {sorted(pages)}"
        + (
            f", and no {' or '.join(sorted({'prev', 'next'} - set(pages)))}"
            if len(pages) < 4
            else ""
        ),
        got=f"Link: {header!r}" if header else "no Link header",
        tip="first and last always, prev unless on page 1, next unless on the last page "
        f"({README}, step 6)",
    )
    for rel, page in pages.items():
        target = found[rel]
        parts = urlsplit(target)
        assert parts.scheme in ("http", "https") and parts.netloc, explain(
            expected=f'an absolute URL for rel="{rel}", such as http://localhost/api/greetings?page={page}',
            got=f"<{target}>",
            tip=f"url_for('api.list_greetings', page=..., per_page=..., _external=True) ({README}, step 6)",
        )
        got_page, got_per_page = page_numbers(target)
        kept = got_per_page == [str(per_page)] if per_page else got_per_page in (None, ["20"])
        right_page = page is None or got_page == [str(page)]
        assert parts.path == "/api/greetings" and right_page and kept, explain(
            expected=f'rel="{rel}" to lead to /api/greetings?page={page or "..."}'
            + (f" with per_page={per_page}, as the request asked" if per_page else ""),
            got=f"<{target}>",
            tip=f"put page and the per_page in use into every link's URL ({README}, step 6)",
        )


def ids(response):
    body = response.get_json(silent=True)
    if not isinstance(body, list):
        return body
    return [greeting.get("id") if isinstance(greeting, dict) else greeting for greeting in body]


def sign(client, headers, count, prefix="Greeting"):
    """Sign the guestbook count times; the greetings' ids, oldest first."""
    return [api_greeting(client, headers, f"{prefix} {number}")["id"] for number in range(count)]


# -- change a greeting ------------------------------------------------------------------------


def test_the_author_changes_a_greeting_with_patch(guestbook, client):
    headers = signed_up(client, "ada")
    for content_type in (JSON, MERGE_PATCH):
        greeting = api_greeting(client, headers, "Helo, wrold")
        tick_past(greeting["created_at"])
        before = moment_before()
        response = send(
            client, "PATCH", url(greeting), headers, {"message": "  Hello, world  "}, content_type
        )
        after = moment_after()
        changed = response.get_json(silent=True)
        assert response.status_code == 200 and isinstance(changed, dict), explain(
            expected=f'PATCH {url(greeting)} {{"message": "  Hello, world  "}} as '
            f"{content_type}, with the author's token, to answer 200 with the greeting",
            got=show(response),
            tip="add @bp.patch('/greetings/<int:greeting_id>') under @token_required; "
            f"request.is_json accepts application/merge-patch+json too ({README}, step 1)",
        )
        kept = {key: changed.get(key) for key in ("id", "author", "created_at")}
        assert sorted(changed) == GREETING_KEYS and changed["message"] == "Hello, world", explain(
            expected=f"the whole greeting, with exactly the keys {GREETING_KEYS} and the new "
            'message trimmed: "Hello, world"',
            got=str(changed),
            tip=f"answer with the same JSON as GET; store data['message'].strip() ({README}, step 1)",
        )
        assert kept == {key: greeting[key] for key in kept}, explain(
            expected=f"id, author and created_at as they were: {greeting}",
            got=str(changed),
            tip="change the message and updated_at, nothing else",
        )
        updated = parse_timestamp(changed["updated_at"])
        assert updated is not None and before <= updated <= after, explain(
            expected=f"updated_at between {format_timestamp(before)} and {format_timestamp(after)}, "
            "when the PATCH ran; created_at stays",
            got=f"created_at {changed['created_at']}, updated_at {changed['updated_at']!r}",
            tip=f"greeting.updated_at = the time now, when the message changes ({README}, step 1)",
        )
        assert read(client, greeting) == changed, explain(
            expected=f"GET {url(greeting)} to show the greeting as PATCH answered it: {changed}",
            got=str(read(client, greeting)),
            tip="db.session.commit() after the change",
        )


def test_an_empty_merge_patch_changes_nothing(guestbook, client):
    headers = signed_up(client, "ada")
    greeting = api_greeting(client, headers, "Leave me as I am")
    tick_past(greeting["created_at"])
    response = send(client, "PATCH", url(greeting), headers, {}, MERGE_PATCH)
    assert response.status_code == 200 and response.get_json(silent=True) == greeting, explain(
        expected=f"PATCH {url(greeting)} {{}} to answer 200 with the greeting unchanged, "
        f"updated_at too: an empty merge patch changes nothing (RFC 7396): {greeting}",
        got=show(response),
        tip="every field is optional in a PATCH: json_object(..., required=False), and change "
        f"updated_at only when the message changes ({README}, step 2)",
    )


def test_a_patch_follows_the_rules_of_a_new_greeting(guestbook, client):
    headers = signed_up(client, "ada")
    signed_up(client, "grace")
    greeting = api_greeting(client, headers, "Stay as I am")
    refused = (
        ({"message": ""}, ["/message"]),
        ({"message": " \n\t "}, ["/message"]),
        ({"message": "x" * 501}, ["/message"]),
        ({"message": "Hello\x00"}, ["/message"]),
        ({"message": None}, ["/message"]),
        ({"message": 42}, ["/message"]),
        ({"author": "grace"}, ["/author"]),
        ({"id": 99}, ["/id"]),
        ({"created_at": "2000-01-01T00:00:00.000Z"}, ["/created_at"]),
        ({"updated_at": "2000-01-01T00:00:00.000Z"}, ["/updated_at"]),
        ({"message": "Fine", "colour": "blue"}, ["/colour"]),
        ("[]", [""]),
        ('{"message": ', [""]),
    )
    for body, wanted in refused:
        sent = body if isinstance(body, str) else json.dumps(body)
        response = send(client, "PATCH", url(greeting), headers, body, MERGE_PATCH)
        assert response.status_code == 400 and sorted(pointers(response) or []) == wanted, explain(
            expected=f'400 with "errors" that point at {wanted} for PATCH {url(greeting)} {sent[:40]}',
            got=show(response),
            tip="the message follows the rules of a new one, null removes it (RFC 7396) and a "
            "greeting needs its message, and fields the server chooses are not yours to set: "
            f"lesson 10's json_object with lesson 12's rules ({README}, step 2)",
        )
    assert_unchanged(client, greeting, f"{len(refused)} refused PATCHes")


# -- delete a greeting ------------------------------------------------------------------------


def test_the_author_deletes_a_greeting(guestbook, client):
    headers = signed_up(client, "ada")
    kept = api_greeting(client, headers, "Keep me")
    greeting = api_greeting(client, headers, "Delete me")
    response = client.delete(url(greeting), headers=headers)
    assert response.status_code == 204 and response.get_data() == b"", explain(
        expected=f"DELETE {url(greeting)} with the author's token to answer 204 No Content, "
        "with an empty body",
        got=show(response),
        tip=f'db.session.delete(greeting), commit, and return "", 204 ({README}, step 3)',
    )
    listed = ids(client.get("/api/greetings"))
    assert read(client, greeting) == 404 and listed == [kept["id"]], explain(
        expected=f"GET {url(greeting)} to answer 404 once it is deleted, and the list to show "
        f"only the greeting kept, [{kept['id']}]",
        got=f"GET answered {read(client, greeting)}; the list's ids: {listed}",
        tip="db.session.commit() after db.session.delete(greeting)",
    )
    again = client.delete(url(greeting), headers=headers)
    assert again.status_code == 404, explain(
        expected=f"DELETE {url(greeting)} a second time to answer 404: it is not there any more",
        got=show(again),
        tip=f"look the greeting up with db.get_or_404 first ({README}, step 3)",
    )


def test_a_deleted_greetings_id_is_never_given_again(guestbook, client):
    headers = signed_up(client, "ada")
    older = api_greeting(client, headers, "Older")
    newest = api_greeting(client, headers, "Newest, deleted")
    deleted = client.delete(url(newest), headers=headers)
    after = api_greeting(client, headers, "Written after the delete")
    assert deleted.status_code == 204 and after["id"] not in (older["id"], newest["id"]), explain(
        expected=f"a new id for the greeting written after the newest one, {newest['id']}, was "
        "deleted: an id, once given, names that greeting for ever",
        got=f"DELETE answered {deleted.status_code}; the new greeting has the id {after['id']}",
        tip="SQLite gives the highest id again once it is deleted, unless the table says "
        f'AUTOINCREMENT: __table_args__ = {{"sqlite_autoincrement": True}} ({README}, step 4)',
    )
    assert read(client, newest) == 404, explain(
        expected=f"GET {url(newest)} to answer 404: that greeting is deleted",
        got=str(read(client, newest)),
        tip=f"see {README}, step 4",
    )


# -- who may, and the order of the checks ------------------------------------------------------


def test_only_the_author_may_change_or_delete_a_greeting(guestbook, client):
    ada, grace = signed_up(client, "ada"), signed_up(client, "grace")
    greeting = api_greeting(client, ada, "Ada's own")
    for method, body in (("PATCH", {"message": "Grace was here"}), ("DELETE", None)):
        response = send(client, method, url(greeting), grace, body)
        assert response.status_code == 403 and response.mimetype == JSON, explain(
            expected=f"{method} {url(greeting)}, ada's greeting, with grace's token to answer "
            "the JSON 403 Forbidden",
            got=show(response),
            tip="find the greeting (404 when there is none), then compare its author with g.user: "
            f"abort(403) when they differ ({README}, step 3)",
        )
    assert_unchanged(client, greeting, "grace's PATCH and DELETE")


def test_without_a_valid_token_patch_and_delete_are_401(guestbook, client):
    ada = signed_up(client, "ada")
    greeting = api_greeting(client, ada, "Mine")
    for method, body in (("PATCH", {"message": "Anyone's"}), ("DELETE", None)):
        for what, headers, error in (
            ("no token", {}, None),
            ("a wrong token", {"Authorization": "Bearer not-a-token"}, "invalid_token"),
        ):
            response = send(client, method, url(greeting), headers, body)
            scheme, parameters = challenge(response)
            assert (
                response.status_code == 401
                and scheme == "bearer"
                and parameters.get("error") == error
            ), explain(
                expected=f"{method} {url(greeting)} with {what} to answer 401 with "
                f"WWW-Authenticate: Bearer{' error=' + error if error else ''}",
                got=f"{show(response)}; WWW-Authenticate: "
                f"{response.headers.get('WWW-Authenticate')!r}",
                tip=f"@token_required under @bp.patch(...) and @bp.delete(...) ({README}, step 3)",
            )
    assert_unchanged(client, greeting, "PATCH and DELETE without a valid token")


def test_when_several_checks_fail_the_first_decides(guestbook, client):
    ada, grace = signed_up(client, "ada"), signed_up(client, "grace")
    greeting = api_greeting(client, ada, "Checked in order")
    missing = f"{url(greeting)}0"
    wrong = {"Authorization": "Bearer not-a-token"}
    big_text, big_json = "x" * TOO_LARGE, json.dumps({"message": "x" * TOO_LARGE})
    for method, path, headers, who, body, content_type, status in (
        ("PATCH", missing, {}, "no token", big_text, "text/plain", 401),
        ("DELETE", missing, wrong, "a wrong token", None, None, 401),
        ("PATCH", missing, grace, "grace's token", big_text, "text/plain", 404),
        ("DELETE", missing, grace, "grace's token", None, None, 404),
        ("PATCH", url(greeting), grace, "grace's token", big_text, "text/plain", 403),
        ("PATCH", url(greeting), ada, "ada's token", big_text, "text/plain", 415),
        ("PATCH", url(greeting), ada, "ada's token", big_json, JSON, 413),
        ("PATCH", url(greeting), ada, "ada's token", '{"message": ', JSON, 400),
    ):
        response = send(client, method, path, headers, body, content_type)
        target = "a greeting that does not exist" if path == missing else "ada's greeting"
        sent = f", {len(body)} characters of {content_type}" if body else ""
        assert response.status_code == status, explain(
            expected=f"{status} for {method} {path} ({target}) with {who}{sent}: the checks go "
            "401, 404, 403, 415, 413, 400, and the first that fails decides",
            got=show(response),
            tip="@token_required runs first; then find the greeting (404), then check its author "
            f"(403), and only then read the body ({README}, step 3)",
        )


def test_put_is_not_allowed_and_allow_names_the_methods(guestbook, client):
    headers = signed_up(client, "ada")
    greeting = api_greeting(client, headers, "Patch me, do not put me")
    response = send(client, "PUT", url(greeting), headers, {"message": "Put"})
    allowed = {method.strip().upper() for method in response.headers.get("Allow", "").split(",")}
    assert (
        response.status_code == 405
        and {"GET", "PATCH", "DELETE"} <= allowed
        and "PUT" not in allowed
    ), explain(
        expected=f"PUT {url(greeting)} to answer 405 Method Not Allowed, with an Allow header "
        "that names GET, PATCH and DELETE",
        got=f"{show(response)}; Allow: {response.headers.get('Allow')!r}",
        tip="register GET, PATCH and DELETE for /greetings/<int:greeting_id>, and not PUT: Flask "
        f"answers 405 and fills in Allow itself ({README}, step 1)",
    )
    assert_unchanged(client, greeting, "a PUT")


# -- the list, in pages -----------------------------------------------------------------------


def test_the_list_comes_in_pages_of_20_by_default(guestbook, client):
    written = sign(client, signed_up(client, "ada"), 21)
    newest_first = written[::-1]
    first, second = client.get("/api/greetings"), client.get("/api/greetings?page=2")
    assert ids(first) == newest_first[:20] and ids(second) == newest_first[20:], explain(
        expected="of 21 greetings, GET /api/greetings to list the 20 newest, and "
        "?page=2 the oldest one",
        got=f"{len(ids(first) or [])} on the first page: {ids(first)}; "
        f"{len(ids(second) or [])} on page 2: {ids(second)}",
        tip=f"db.paginate(query, page=page, per_page=per_page, error_out=False) ({README}, step 5)",
    )
    assert_links(first, "GET /api/greetings, of 21 greetings,", {"first": 1, "next": 2, "last": 2})


def test_page_and_per_page_choose_the_slice(guestbook, client):
    written = sign(client, signed_up(client, "ada"), 5)
    newest_first = written[::-1]
    for query, wanted in (
        ("?per_page=2", newest_first[0:2]),
        ("?per_page=2&page=2", newest_first[2:4]),
        ("?page=3&per_page=2", newest_first[4:]),
        ("?per_page=1&page=5", newest_first[4:]),
        ("?per_page=100", newest_first),
        ("?page=1", newest_first),
    ):
        response = client.get(f"/api/greetings{query}")
        assert response.status_code == 200 and ids(response) == wanted, explain(
            expected=f"GET /api/greetings{query} to list the greetings {wanted} (their ids), "
            f"of {newest_first}, newest first",
            got=show(response),
            tip=f"read page and per_page from request.args ({README}, step 5)",
        )


def test_a_wrong_page_or_per_page_is_400_naming_the_parameter(guestbook, client):
    for name in ("page", "per_page"):
        for value in ("0", "-1", "abc", "1.5", "", "101" if name == "per_page" else "1e3"):
            query = f"?{name}={value}"
            response = client.get(f"/api/greetings{query}")
            assert response.status_code == 400 and parameters(response) == [name], explain(
                expected=f'GET /api/greetings{query} to answer 400 with "errors": '
                f'[{{"parameter": "{name}", ...}}]',
                got=show(response),
                tip="page is a whole number, 1 or more; per_page from 1 to 100. Check them "
                "yourself: request.args.get(name, type=int) turns garbage into the default, and "
                f"db.paginate's own checks answer 404 ({README}, step 5)",
            )
    response = client.get("/api/greetings?page=0&per_page=abc")
    assert response.status_code == 400 and parameters(response) == ["page", "per_page"], explain(
        expected="GET /api/greetings?page=0&per_page=abc to answer 400 with an error for each: "
        '"parameter": "page" and "parameter": "per_page"',
        got=show(response),
        tip=f"check both, collect the errors, then refuse ({README}, step 5)",
    )


def test_a_page_past_the_end_is_an_empty_list(guestbook, client):
    sign(client, signed_up(client, "ada"), 3)
    response = client.get("/api/greetings?page=5&per_page=2")
    assert response.status_code == 200 and response.get_json(silent=True) == [], explain(
        expected="GET /api/greetings?page=5&per_page=2, with 3 greetings (2 pages), to answer "
        "200 with an empty list []",
        got=show(response),
        tip=f"error_out=False: db.paginate then gives a page past the end as empty ({README}, step 5)",
    )
    # prev leads back: to page 4 in the reference; the last page would do as well.
    assert_links(response, "page 5 of 2", {"first": 1, "prev": None, "last": 2}, per_page=2)


def test_the_link_header_leads_to_the_other_pages(guestbook, client):
    written = sign(client, signed_up(client, "ada"), 5)
    for page, rels in (
        (1, {"first": 1, "next": 2, "last": 3}),
        (2, {"first": 1, "prev": 1, "next": 3, "last": 3}),
        (3, {"first": 1, "prev": 2, "last": 3}),
    ):
        request = f"GET /api/greetings?page={page}&per_page=2"
        response = client.get(f"/api/greetings?page={page}&per_page=2")
        assert_links(response, f"{request}, of 5 greetings,", rels, per_page=2)
    followed = client.get(links(client.get("/api/greetings?per_page=2"))["next"])
    assert ids(followed) == written[::-1][2:4], explain(
        expected=f"the first page's next link to lead to the second page: {written[::-1][2:4]}",
        got=show(followed),
        tip=f"see {README}, step 6",
    )


def test_an_empty_guestbook_is_one_empty_page(guestbook, client):
    response = client.get("/api/greetings")
    assert response.status_code == 200 and response.get_json(silent=True) == [], explain(
        expected="GET /api/greetings to answer 200 with [] when there are no greetings",
        got=show(response),
        tip=f"see {README}, step 5",
    )
    assert_links(response, "an empty list", {"first": 1, "last": 1})
    assert response.headers.get("X-Total-Count") == "0", explain(
        expected="X-Total-Count: 0 for an empty guestbook",
        got=f"X-Total-Count: {response.headers.get('X-Total-Count')!r}",
        tip=f"pagination.total ({README}, step 7)",
    )


def test_x_total_count_counts_every_greeting(guestbook, client):
    headers = signed_up(client, "ada")
    written = sign(client, headers, 5)
    client.delete(f"/api/greetings/{written[0]}", headers=headers)
    for query in ("", "?per_page=2", "?page=3&per_page=2", "?page=9"):
        response = client.get(f"/api/greetings{query}")
        assert response.headers.get("X-Total-Count") == "4", explain(
            expected=f"GET /api/greetings{query} to say X-Total-Count: 4: five greetings written, "
            "one deleted, on every page",
            got=f"X-Total-Count: {response.headers.get('X-Total-Count')!r}; {show(response)}",
            tip=f"pagination.total counts them all ({README}, step 7)",
        )


def test_links_are_https_behind_a_trusted_proxy(guestbook, client, make_app):
    behind = make_app({"TRUSTED_PROXIES": 1}).test_client()
    forwarded = {"X-Forwarded-Proto": "https"}
    for through, trusted in ((behind, True), (client, False)):
        response = through.get("/api/greetings", headers=forwarded)
        schemes = {urlsplit(target).scheme for target in links(response).values()}
        wanted = "https" if trusted else "http"
        assert schemes == {wanted}, explain(
            expected=f"every Link URL to start with {wanted}:// when "
            + (
                "a trusted proxy (TRUSTED_PROXIES=1) says X-Forwarded-Proto: https"
                if trusted
                else "an untrusted client sends X-Forwarded-Proto: https"
            ),
            got=f"Link: {link_header(response)!r}",
            tip="build them with url_for(..., _external=True): lesson 07's ProxyFix tells it the "
            f"scheme, and only when the proxy is trusted ({README}, step 6)",
        )


# -- properties -----------------------------------------------------------------------------


def one_moment_for(uri, messages):
    """Give every greeting the same created_at (and updated_at), right in the database."""
    with databases.inspected(uri) as connection:
        quote = connection.dialect.identifier_preparer.quote
        for table in sqlalchemy.inspect(connection).get_table_names():
            rows = connection.execute(sqlalchemy.text(f"SELECT * FROM {quote(table)}"))
            rows = [dict(row) for row in rows.mappings()]
            texts = [
                {row[column] for row in rows if isinstance(row[column], str)} for column in rows[0]
            ]
            if not any(found >= messages for found in texts):
                continue  # not the table of the greetings
            for column in rows[0]:
                values = [row[column] for row in rows]
                if all(moment(value) for value in values):
                    update = f"UPDATE {quote(table)} SET {quote(column)} = :value"
                    connection.execute(sqlalchemy.text(update), {"value": values[0]})
        connection.commit()


def moment(value):
    """Whether a value read from the database is a point in time."""
    if isinstance(value, datetime):
        return True
    try:
        return isinstance(value, str) and bool(datetime.fromisoformat(value))
    except ValueError:
        return False


def test_pages_never_overlap_when_greetings_share_a_moment(guestbook, client, database_uri):
    written = sign(client, signed_up(client, "ada"), 7, prefix="Imported")
    one_moment_for(database_uri, {f"Imported {number}" for number in range(7)})
    paged = []
    for page in (1, 2, 3, 4):
        paged += ids(client.get(f"/api/greetings?page={page}&per_page=2")) or []
    assert paged == written[::-1], explain(
        expected=f"seven greetings written in the same instant (as an import might write them) to "
        f"come once each over the pages of 2, the highest id first: {written[::-1]}",
        got=f"the ids over four pages: {paged}",
        tip="order by created_at, then by id: .order_by(Greeting.created_at.desc(), "
        f"Greeting.id.desc()); without the id, the database may order ties anyhow ({README}, step 5)",
    )


@pytest.fixture
def shelf(guestbook, client):
    """ada's token, and the ids of the greetings in the guestbook, oldest first."""
    return {"headers": signed_up(client, "ada"), "written": []}


@one_app_for_all_examples
@given(count=st.integers(0, 30), per_page=st.integers(1, 100))
def test_every_greeting_comes_once_over_the_pages_newest_first(client, shelf, count, per_page):
    headers, written = shelf["headers"], shelf["written"]
    while len(written) < count:
        written.append(api_greeting(client, headers, f"Greeting {len(written)}")["id"])
    while len(written) > count:
        deleted = client.delete(f"/api/greetings/{written[-1]}", headers=headers)
        assert deleted.status_code == 204, explain(
            expected=f"DELETE /api/greetings/{written[-1]} with the author's token to answer 204",
            got=show(deleted),
            tip=f"see {README}, step 3",
        )
        written.pop()
    seen, pages = [], []
    target = f"http://localhost/api/greetings?per_page={per_page}"
    while target and len(pages) <= count + 1:
        response = client.get(target)
        found = links(response)
        assert "first" in found and "last" in found, explain(
            expected=f"GET {target} to answer a Link header with first and last",
            got=f"Link: {link_header(response)!r}",
            tip=f"see {README}, step 6",
        )
        pages.append(target)
        seen += ids(response) if isinstance(ids(response), list) else [ids(response)]
        target = found.get("next")
    wanted = max(1, math.ceil(count / per_page))
    assert seen == written[::-1] and len(pages) == wanted, explain(
        expected=f"{count} greetings in {wanted} page(s) of {per_page}, following the next links "
        f"from the first page: every greeting once, newest first: {written[::-1]}",
        got=f"{len(pages)} page(s), with the ids {seen}",
        tip=f"order by created_at and id, newest first; next until the last page ({README}, step 6)",
    )
