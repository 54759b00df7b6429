"""Flask's signed-cookie sessions, at no cost to requests that do not use them."""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class CookieSessions(SecureCookieSessionInterface):
    """Build the cookie signer only for requests with cookies and sessions to be written."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """A new empty session when the request carries no cookies; Flask's way otherwise."""
        if app.secret_key and "HTTP_COOKIE" not in request.environ:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SecureCookieSession, response: Response) -> None:
        """Nothing to do for an empty session nobody touched; Flask's way otherwise."""
        if session or session.modified or session.accessed:
            super().save_session(app, session, response)
