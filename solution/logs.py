"""The app's log: one line per record on stderr, in UTC, at the level LOG_LEVEL sets.

Every request logs a line, so the log is on the hot path. Two things keep it cheap (see the
README's Performance section). Lines go to stderr in batches: one write for thirty lines, a
line waiting at most half a second, warnings and errors at once, everything at exit. And when
this handler is the only place a line would go, it is formatted straight into the batch,
without the LogRecord that logging would build and throw away.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time

from flask import Flask
from flask.logging import default_handler

FORMAT = "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s"
# Writes this small reach a pipe whole, even when several workers share it (4096 on Linux).
PIPE_BUF = getattr(select, "PIPE_BUF", 512)
FLUSH_INTERVAL = 0.5  # seconds a line may wait in the batch


class UTCFormatter(logging.Formatter):
    """Log timestamps like the API's: UTC, ISO 8601, with milliseconds and a Z."""

    converter = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"


class BatchingHandler(logging.Handler):
    """Writes whole lines to a file descriptor, many at a time, at most FLUSH_INTERVAL late."""

    def __init__(self, fd: int = 2) -> None:
        super().__init__()
        self.fd = fd
        self.batch: list[bytes] = []
        self.size = 0
        self.flusher_pid = 0  # the process whose flusher thread is running
        self.second, self.stamp = 0, ""  # the last whole second formatted, for info()
        os.register_at_fork(before=self.flush)  # a child must not inherit lines to write again

    def emit(self, record: logging.LogRecord) -> None:
        """Add the record's line to the batch; warnings and errors are written at once."""
        try:
            self.add(self.format(record), urgent=record.levelno >= logging.WARNING)
        except Exception:
            self.handleError(record)

    def info(self, logger: logging.Logger, message: str) -> None:
        """Log message at INFO on logger, as fast as logging allows."""
        others = (
            logger.handlers != [self]
            or logger.filters
            or (logger.propagate and logging.root.handlers)
        )
        if others or self.filters or self.level > logging.INFO:
            record = logger.makeRecord(logger.name, logging.INFO, __file__, 0, message, None, None)
            logger.handle(record)
            return
        now = time.time()
        with self.lock:  # type: ignore[union-attr]
            if int(now) != self.second:
                self.second = int(now)
                self.stamp = time.strftime(
                    UTCFormatter.default_time_format, time.gmtime(self.second)
                )
            milliseconds = int((now - self.second) * 1000)
            self.add(
                f"{self.stamp}.{milliseconds:03d}Z [{os.getpid()}] [INFO] {logger.name}: {message}"
            )

    def add(self, line: str, urgent: bool = False) -> None:
        """Add a line to the batch (the caller holds the lock)."""
        data = (line + "\n").encode("utf-8", "backslashreplace")
        if self.size + len(data) > PIPE_BUF:
            self.write_batch()
        self.batch.append(data)
        self.size += len(data)
        if urgent:
            self.write_batch()
        elif self.flusher_pid != os.getpid():
            self.flusher_pid = os.getpid()
            threading.Thread(
                target=self.flush_every_interval, name="log-flusher", daemon=True
            ).start()

    def flush(self) -> None:
        """Write whatever the batch holds."""
        with self.lock:  # type: ignore[union-attr]
            self.write_batch()

    def write_batch(self) -> None:
        """Write the batch in one go (the caller holds the lock)."""
        data = b"".join(self.batch)
        self.batch.clear()
        self.size = 0
        try:
            while data:
                data = data[os.write(self.fd, data) :]
        except OSError:
            pass  # stderr is gone (a closed pipe, say): logging must never fail a request

    def flush_every_interval(self) -> None:
        """Write the batch every FLUSH_INTERVAL, so no line waits for the next one."""
        while True:
            time.sleep(FLUSH_INTERVAL)
            self.flush()


STDERR = BatchingHandler()
STDERR.setFormatter(UTCFormatter(FORMAT))


def init_app(app: Flask) -> None:
    """Set the app logger's level, and send its records to stderr in batches."""
    level = app.config["LOG_LEVEL"]  # a name such as "info", or a number such as 20
    app.logger.setLevel(level.upper() if isinstance(level, str) else level)
    # Flask adds its default handler only when logging is not configured otherwise (as under
    # pytest's caplog); replace that one and leave any configured logging alone.
    if default_handler in app.logger.handlers:
        app.logger.removeHandler(default_handler)
        app.logger.addHandler(STDERR)


def info(logger: logging.Logger, message: str) -> None:
    """Log message at INFO: straight into the batch when nothing else would see it."""
    STDERR.info(logger, message)
