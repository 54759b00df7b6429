"""The reference app's log: whole lines in batches, warnings at once, UTC timestamps, no loss."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from solution import logs

# 2026-01-01T12:00:00.125Z [4242] [INFO] kata.reference: message
LINE = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) \[(\d+)\] \[([A-Z]+)\] ([\w.]+): (.*)")
NOON = 1767268800  # 2026-01-01T12:00:00Z


class Pipe:
    """A pipe to log into: handlers write to `fd`, the test reads what has arrived."""

    def __init__(self) -> None:
        self.read_fd, self.fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        self.received = b""

    def read(self) -> bytes:
        """Everything written so far."""
        while True:
            try:
                chunk = os.read(self.read_fd, 1 << 16)
            except BlockingIOError:
                return self.received
            if not chunk:
                return self.received
            self.received += chunk

    def lines(self) -> list[str]:
        return self.read().decode("utf-8").splitlines()

    def wait_for(self, count: int, seconds: float = 5.0) -> list[str]:
        """The lines written, once there are count of them (or seconds have passed)."""
        deadline = time.monotonic() + seconds
        while len(self.lines()) < count and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.lines()

    def close(self) -> None:
        os.close(self.read_fd)
        os.close(self.fd)


class Records(logging.Handler):
    """Keeps the records it handles."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def reject(record: logging.LogRecord) -> bool:
    """A filter that lets nothing through."""
    return False


@pytest.fixture
def pipe() -> Iterator[Pipe]:
    pipe = Pipe()
    yield pipe
    pipe.close()


@pytest.fixture
def handler(pipe: Pipe, monkeypatch: pytest.MonkeyPatch) -> Iterator[logs.BatchingHandler]:
    """A BatchingHandler writing to the pipe, formatted like the app's; its flusher kept out of the way."""
    monkeypatch.setattr(logs, "FLUSH_INTERVAL", 3600)
    handler = logs.BatchingHandler(pipe.fd)
    handler.setFormatter(logs.UTCFormatter(logs.FORMAT))
    yield handler
    handler.flush()  # nothing left for the flusher thread to write after the pipe is closed


@pytest.fixture
def logger(handler: logs.BatchingHandler) -> logging.Logger:
    """A logger of our own, below the root logger, whose only handler is the BatchingHandler.

    It is left out of logging's registry, where pytest would add its capture handlers to it.
    """
    logger = logging.Logger("kata.reference", logging.INFO)
    logger.parent = logging.root
    logger.propagate = False
    logger.addHandler(handler)
    return logger


@pytest.fixture
def writes(pipe: Pipe, monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Each os.write to the pipe, as the handler made it."""
    made: list[bytes] = []
    write = os.write

    def spy(fd: int, data: bytes) -> int:
        if fd == pipe.fd:
            made.append(bytes(data))
        return write(fd, data)

    monkeypatch.setattr(os, "write", spy)
    return made


@pytest.fixture
def far_from_utc() -> Iterator[None]:
    """Local time 5:45 ahead of UTC (a POSIX TZ string: no time zone database needed)."""
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset() is POSIX only")
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "KATA-05:45"
    time.tzset()
    assert time.localtime(NOON).tm_min == 45
    yield
    if saved is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = saved
    time.tzset()


def flusher_threads() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if thread.name == "log-flusher"}


def parse(line: str) -> tuple[str, ...]:
    match = LINE.fullmatch(line)
    assert match, line
    return match.groups()


def test_the_formatter_writes_utc_with_milliseconds_and_a_z(far_from_utc):
    record = logging.makeLogRecord(
        {"name": "kata", "levelno": 20, "levelname": "INFO", "msg": "hello", "process": 4242}
    )
    record.created, record.msecs = NOON + 0.125, 125.0
    line = logs.UTCFormatter(logs.FORMAT).format(record)
    assert line == "2026-01-01T12:00:00.125Z [4242] [INFO] kata: hello"


def test_info_formats_the_line_itself_when_nothing_else_would_see_it(
    handler, logger, pipe, bare_logging, monkeypatch, far_from_utc
):
    def no_records(*args, **kwargs):
        raise AssertionError("the fast path built a LogRecord")

    monkeypatch.setattr(logger, "makeRecord", no_records)
    before = datetime.now(UTC).replace(microsecond=0)
    with bare_logging():
        handler.info(logger, "GET /hello 200")
    after = datetime.now(UTC)
    handler.flush()
    [line] = pipe.lines()
    stamp, pid, level, name, message = parse(line)
    assert (pid, level, name, message) == (
        str(os.getpid()),
        "INFO",
        "kata.reference",
        "GET /hello 200",
    )
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert before <= moment <= after


def test_info_ignores_the_roots_handlers_when_the_logger_does_not_propagate(
    handler, logger, pipe, monkeypatch
):
    def no_records(*args, **kwargs):
        raise AssertionError("the fast path built a LogRecord")

    monkeypatch.setattr(logger, "makeRecord", no_records)
    assert logging.root.handlers  # pytest's own, here
    handler.info(logger, "only mine")
    handler.flush()
    assert [parse(line)[4] for line in pipe.lines()] == ["only mine"]


def test_info_respects_the_handlers_level(handler, logger, pipe, bare_logging):
    handler.setLevel(logging.WARNING)
    with bare_logging():
        handler.info(logger, "too quiet to show")
    handler.flush()
    assert pipe.read() == b""


def test_info_keeps_its_second_and_milliseconds_right(
    handler, logger, pipe, bare_logging, monkeypatch
):
    moments = iter([NOON + 0.5, NOON + 0.75, NOON + 1, NOON - 0.875])
    clock = SimpleNamespace(
        time=lambda: next(moments), gmtime=time.gmtime, strftime=time.strftime, sleep=time.sleep
    )
    monkeypatch.setattr(logs, "time", clock)
    with bare_logging():
        for message in ("one", "two", "three", "four"):
            handler.info(logger, message)
    handler.flush()
    assert [parse(line)[0] for line in pipe.lines()] == [
        "2026-01-01T12:00:00.500Z",
        "2026-01-01T12:00:00.750Z",
        "2026-01-01T12:00:01.000Z",
        "2026-01-01T11:59:59.125Z",  # the clock went back: a new second all the same
    ]


def test_info_builds_a_record_for_the_other_handlers(handler, logger, pipe, bare_logging):
    other = Records()
    logger.addHandler(other)
    with bare_logging():
        handler.info(logger, "seen twice")
    handler.flush()
    [line] = pipe.lines()
    assert parse(line)[4] == "seen twice"
    assert [(r.levelno, r.name, r.getMessage()) for r in other.records] == [
        (logging.INFO, "kata.reference", "seen twice")
    ]


def test_info_lets_the_loggers_filters_decide(handler, logger, pipe, bare_logging):
    logger.addFilter(reject)
    with bare_logging():
        handler.info(logger, "filtered out")
    handler.flush()
    assert pipe.read() == b""


def test_info_lets_the_handlers_filters_decide(handler, logger, pipe, bare_logging):
    handler.addFilter(reject)
    with bare_logging():
        handler.info(logger, "filtered out")
    handler.flush()
    assert pipe.read() == b""


def test_info_reaches_handlers_on_the_root_logger(handler, logger, pipe, bare_logging):
    logger.propagate = True
    root = Records()
    with bare_logging():
        logging.root.addHandler(root)
        handler.info(logger, "seen by root")
    handler.flush()
    assert [parse(line)[4] for line in pipe.lines()] == ["seen by root"]
    assert [record.getMessage() for record in root.records] == ["seen by root"]


def test_lines_wait_in_the_batch_until_a_flush(handler, logger, pipe, writes):
    for word in ("one", "two", "three"):
        logger.info(word)
    assert writes == []
    handler.flush()
    assert len(writes) == 1
    assert [parse(line)[4] for line in writes[0].decode().splitlines()] == ["one", "two", "three"]


def test_batches_hold_whole_lines_and_never_more_than_pipe_buf(handler, logger, pipe, writes):
    messages = [f"{n:03d} " + "x" * (n % 97 * 3) for n in range(300)]
    for message in messages:
        logger.info(message)
    handler.flush()
    assert all(len(data) <= logs.PIPE_BUF and data.endswith(b"\n") for data in writes)
    assert [parse(line)[4] for line in pipe.lines()] == messages
    # Each batch is full: the next line would not have fitted.
    for data, following in zip(writes, writes[1:], strict=False):
        assert len(data) + len(following.split(b"\n", 1)[0]) + 1 > logs.PIPE_BUF


def test_a_line_longer_than_pipe_buf_goes_out_whole_and_alone(handler, logger, writes):
    long = "y" * (2 * logs.PIPE_BUF)
    for message in ("before", long, "after"):
        logger.info(message)
    handler.flush()
    assert [parse(data.decode().rstrip("\n"))[4] for data in writes] == ["before", long, "after"]


@pytest.mark.parametrize("level", [logging.WARNING, logging.ERROR, logging.CRITICAL])
def test_warnings_and_errors_are_written_at_once_after_the_lines_before_them(logger, writes, level):
    logger.info("waiting")
    logger.log(level, "urgent")
    assert len(writes) == 1
    lines = [parse(line) for line in writes[0].decode().splitlines()]
    assert [(line[2], line[4]) for line in lines] == [
        ("INFO", "waiting"),
        (logging.getLevelName(level), "urgent"),
    ]


def test_the_flusher_thread_writes_the_batch_every_interval(handler, logger, pipe, monkeypatch):
    monkeypatch.setattr(logs, "FLUSH_INTERVAL", 0.01)
    before = flusher_threads()
    for n in range(50):
        logger.info(f"line {n}")
    assert len(flusher_threads() - before) == 1  # one thread per process, not one per line
    lines = pipe.wait_for(50)
    assert [parse(line)[4] for line in lines] == [f"line {n}" for n in range(50)]
    logger.info("and one more")
    assert parse(pipe.wait_for(51)[-1])[4] == "and one more"


def test_partial_writes_are_completed_in_order(handler, logger, pipe, monkeypatch):
    write = os.write

    def dribble(fd: int, data: bytes) -> int:
        return write(fd, bytes(data[:7])) if fd == pipe.fd else write(fd, data)

    monkeypatch.setattr(os, "write", dribble)
    for word in ("one", "two", "three"):
        logger.info(word)
    handler.flush()
    assert [parse(line)[4] for line in pipe.lines()] == ["one", "two", "three"]


def test_text_that_utf_8_cannot_encode_is_escaped(handler, logger, pipe):
    logger.info("caf\u00e9 \udcff")
    handler.flush()
    assert pipe.read().endswith("café \\udcff\n".encode())


def test_a_record_that_cannot_be_formatted_is_reported_not_raised(handler, logger, pipe, capsys):
    logger.info("%d requests", "not a number")
    handler.flush()
    assert pipe.read() == b""
    assert "--- Logging error ---" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork() is POSIX only")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_the_batch_is_written_before_a_fork_and_only_once(handler, logger, pipe):
    logger.info("before the fork")
    assert pipe.read() == b""
    pid = os.fork()
    if pid == 0:  # the child: it must not have inherited the line to write again
        try:
            handler.flush()
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    handler.flush()
    assert [parse(line)[4] for line in pipe.lines()] == ["before the fork"]


EXITING = """
import logging
from solution import logs

logs.FLUSH_INTERVAL = 3600  # only the exit can write the lines
handler = logs.BatchingHandler(1)
handler.setFormatter(logs.UTCFormatter(logs.FORMAT))
logger = logging.getLogger("kata")
logger.setLevel(logging.INFO)
logger.addHandler(handler)
handler.info(logger, "by the fast path")
logger.info("by a record")
"""


def test_the_batch_is_written_at_exit(process_env, isolated):
    result = subprocess.run(
        [sys.executable, "-c", EXITING],
        cwd=isolated,
        env=process_env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert [parse(line)[4] for line in result.stdout.splitlines()] == [
        "by the fast path",
        "by a record",
    ]


def test_an_app_with_no_logging_configured_logs_to_stderr_by_the_fast_path(
    create_app, app_logger, bare_logging, capfd, monkeypatch
):
    app_logger.handlers.clear()

    def no_records(*args, **kwargs):
        raise AssertionError("the request's line took the LogRecord path")

    with bare_logging():
        app = create_app({"TESTING": True})
        assert app.logger.handlers == [logs.STDERR]  # in place of Flask's default handler
        monkeypatch.setattr(app_logger, "makeRecord", no_records)
        response = app.test_client().get("/hello", headers={"X-Request-ID": "kata-stderr"})
    assert response.status_code == 200
    logs.STDERR.flush()
    lines = [line for line in capfd.readouterr().err.splitlines() if "kata-stderr" in line]
    [(_, pid, level, name, message)] = [parse(line) for line in lines]
    assert (pid, level, name) == (str(os.getpid()), "INFO", "solution")
    assert re.fullmatch(r"127\.0\.0\.1 GET /hello 200 \d+\.\dms request_id=kata-stderr", message)


def test_configured_logging_is_left_alone(create_app, app_logger):
    mine = Records()
    app_logger.handlers[:] = [mine]
    app = create_app({"TESTING": True})
    assert app.logger.handlers == [mine]
    app.test_client().get("/hello", headers={"X-Request-ID": "kata-mine"})
    assert [r.getMessage() for r in mine.records if "kata-mine" in r.getMessage()]


def test_under_pytest_the_app_adds_no_handler_of_its_own(create_app, app_logger):
    app_logger.handlers.clear()
    app = create_app({"TESTING": True})
    assert app.logger.handlers == []  # pytest's root handlers (caplog) get the lines


# A stderr that is gone (a closed pipe) must never fail a request or stop the log.


@pytest.fixture
def broken() -> Iterator[logs.BatchingHandler]:
    """A BatchingHandler on a pipe nobody reads any more: every write fails with EPIPE."""
    read_fd, write_fd = os.pipe()
    os.close(read_fd)
    broken = logs.BatchingHandler(write_fd)
    broken.setFormatter(logs.UTCFormatter(logs.FORMAT))
    yield broken
    broken.flush()  # nothing may be left for its flusher thread once the fd is closed
    os.close(write_fd)


def test_a_broken_stderr_never_fails_a_request(
    create_app, app_logger, bare_logging, broken, monkeypatch
):
    monkeypatch.setattr(logs, "STDERR", broken)
    app_logger.handlers[:] = [broken]
    with bare_logging():
        client = create_app({"TESTING": False}).test_client()
        statuses = [client.get("/hello").status_code for _ in range(60)]
    assert statuses == [200] * 60


def test_the_flusher_thread_outlives_a_failed_write(logger, broken, monkeypatch):
    monkeypatch.setattr(logs, "FLUSH_INTERVAL", 0.01)
    logger.handlers[:] = [broken]
    before = flusher_threads()
    logger.info("lost")
    [flusher] = flusher_threads() - before
    deadline = time.monotonic() + 5
    while broken.batch and time.monotonic() < deadline:
        time.sleep(0.005)
    flusher.join(timeout=0.2)
    assert flusher.is_alive()
