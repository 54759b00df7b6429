"""Timestamps as the API shows them: UTC, ISO 8601, with milliseconds and a Z."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_timestamp() -> str:
    """The time now, such as 2026-01-01T12:00:00.000Z."""
    return iso(datetime.now(UTC))


def iso(moment: datetime) -> str:
    """A moment as the API shows it, such as 2026-01-01T12:00:00.000Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
