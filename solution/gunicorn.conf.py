"""Gunicorn settings: gunicorn -c solution/gunicorn.conf.py solution.wsgi:app

HOST, PORT and WEB_CONCURRENCY come from the environment, as hosting platforms set them.
"""

from __future__ import annotations

import os

host = os.environ.get("HOST", "127.0.0.1").strip("[]")  # "::1" or "[::1]" alike
port = os.environ.get("PORT", "8000")
bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))

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
