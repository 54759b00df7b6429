"""What the lessons pin down, in one place: the headers, formats and shapes every test expects."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# UTC, ISO 8601, with milliseconds and a Z: 2026-01-01T12:00:00.000Z
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

# Every response of the app carries these (lesson 06).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}
# Over HTTPS only (lesson 07).
HSTS = "max-age=63072000; includeSubDomains"

# A request id the app may echo (lesson 06).
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

# The keys of every JSON error (lesson 04).
ERROR_KEYS = ["error", "message", "method", "path", "status", "timestamp"]


def parse_timestamp(text: object) -> datetime | None:
    """The moment a timestamp in the kata's format names, or None if it is not one."""
    if not isinstance(text, str) or not TIMESTAMP.fullmatch(text):
        return None
    return datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=UTC)


def format_timestamp(moment: datetime) -> str:
    """A moment written in the kata's format."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
