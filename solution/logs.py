"""The app's log: the level LOG_LEVEL sets, and lines stamped in UTC like the API's timestamps."""

from __future__ import annotations

import logging
import time

from flask import Flask
from flask.logging import default_handler

from .config import ConfigError

FORMAT = "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s"
LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}


class UTCFormatter(logging.Formatter):
    """Log times like the API's: UTC, ISO 8601, with milliseconds and a Z."""

    converter = staticmethod(time.gmtime)
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"


def init_app(app: Flask) -> None:
    """Set the app logger's level from LOG_LEVEL, and the format of Flask's default handler."""
    app.logger.setLevel(level(app.config["LOG_LEVEL"]))
    # Flask adds default_handler (stderr) only where logging is not configured otherwise.
    default_handler.setFormatter(UTCFormatter(FORMAT))


def level(setting: object) -> int:
    """The level LOG_LEVEL names: a name in any case, such as "info", or its number, such as 20."""
    if isinstance(setting, str) and setting.upper() in LEVELS:
        return LEVELS[setting.upper()]
    if type(setting) is int and setting in LEVELS.values():
        return setting
    raise ConfigError(
        f"LOG_LEVEL must be one of {', '.join(LEVELS)} (or 10, 20, 30, 40, 50), "
        f"but it is {setting!r}."
    )
