"""Gunicorn settings: gunicorn -c solution/gunicorn.conf.py solution.wsgi:app

HOST, PORT and WEB_CONCURRENCY come from the environment, as hosting platforms set them. A
value that makes no sense stops gunicorn at once, with one line that names it.
"""

from __future__ import annotations

import os
import sys


def whole_number(name: str, default: int, lowest: int, highest: int | None = None) -> int:
    """The environment variable name as a whole number, or default when it is unset or empty."""
    text = os.environ.get(name, "").strip() or str(default)
    number = int(text) if text.isascii() and text.isdigit() else -1
    if number < lowest or (highest is not None and number > highest):
        allowed = f"from {lowest} to {highest}" if highest is not None else f"of {lowest} or more"
        sys.exit(f"{name} must be a whole number {allowed}, but it is {text!r}.")
    return number


# "::1" and "[::1]" alike; an empty HOST means the default, never every interface.
host = os.environ.get("HOST", "").strip().strip("[]") or "127.0.0.1"
port = whole_number("PORT", 8000, 0, 65535)
bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
workers = whole_number("WEB_CONCURRENCY", 2, 1)

# Build the app once, before the workers fork: a bad configuration stops gunicorn at once
# with its message, instead of one worker after another failing to boot.
preload_app = True

# On SIGTERM, requests in flight get this many seconds to finish.
graceful_timeout = 30
timeout = 30

# The app's ProxyFix (TRUSTED_PROXIES) decides which forwarded headers to trust.
forwarded_allow_ips = ""

# Errors to stderr, where containers and systemd collect them; the app logs each request.
errorlog = "-"
