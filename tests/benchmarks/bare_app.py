"""A bare Flask hello-world app: the yardstick the reference app is measured against."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello() -> dict[str, str]:
    """Greet the world, with the same JSON body as the reference app."""
    timestamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"message": "Hello world", "timestamp": timestamp}
