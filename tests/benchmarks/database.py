"""Database benchmark: the reference's greetings on SQLite or PostgreSQL, under gunicorn and wrk.

    python tests/benchmarks/database.py [--rounds 3] [--duration 4] [--write-duration 10] [--json FILE]
    python -m lessons.postgres python tests/benchmarks/database.py --database postgresql

One database a run: a SQLite file in a temporary folder, or with --database postgresql a
database of its own on the server TEST_DATABASE_URL names (`python -m lessons.postgres`
starts a throwaway one), dropped at the end. The reference's own `flask init-db` makes the
tables and their indexes; 100 users and 10,000 greetings go in with SQLAlchemy core, in one
transaction (then VACUUM ANALYZE on PostgreSQL, as autovacuum does on a live database).

Then, in this order:
1. the SQL statements of one GET /api/greetings, counted through the test client (SQLAlchemy's
   engine events) for 1, 20 and 100 greetings a page, and for the deep page: page 400 of 20;
2. the reference and tests/benchmarks/bare_database_app.py (the same query and JSON, nothing
   else) under identical gunicorn settings (solution/gunicorn.conf.py, 2 workers, 127.0.0.1,
   APP_ENV=production, DATABASE_URL), each checked to answer the same page the same way;
3. reads: wrk at 100 connections on every read endpoint of the reference and on the bare app's
   list, each round in a rotated order, medians over the rounds, with the CPU time the workers
   spend on a request (from /proc), which a busy machine disturbs less than the latency;
4. writes: 100 connections POST /api/greetings with the users' bearer tokens (from POST
   /api/tokens) for 10 s; every 201's greeting must be in the database afterwards;
5. the workers' memory, and import + create_app() in fresh interpreters.

The report checks the goals of DESIGN.md's quality bars and exits 0 even when one is missed;
it exits 2 when it cannot measure. Every server and the load generator are bounded in time, and
the servers are always stopped.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any
from unittest import mock

import sqlalchemy
from sqlalchemy.exc import SAWarning
from werkzeug.security import generate_password_hash

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script, python tests/benchmarks/database.py
    sys.path.insert(0, str(ROOT))

from lessons import databases, servers  # noqa: E402
from tests.benchmarks import load  # noqa: E402
from tests.benchmarks.load import CannotMeasure, Round, progress  # noqa: E402

USERS, GREETINGS = 100, 10_000
PER_PAGE, DEEP_PAGE, PAGE_SIZES = 20, 400, (1, 20, 100)
ONE_GREETING = GREETINGS // 2
SEEDED_FROM = datetime(2026, 1, 1, tzinfo=UTC)  # one greeting a second from then on
LIST = "/api/greetings"
DEEP = f"/api/greetings?page={DEEP_PAGE}&per_page={PER_PAGE}"
REFERENCE = load.App("reference", "solution.wsgi:app", load.CREATE_APP)
BARE = load.App(
    "bare-db",
    "tests.benchmarks.bare_database_app:app",
    "import tests.benchmarks.bare_database_app",
)
# What a failed write leaves in the server's log: the classic failure of SQLite under writers.
LOCKED = "database is locked"
TIMEOUT_SECONDS = 30  # any one request of the setup


@dataclass(frozen=True)
class Read:
    """One URL that wrk reads from one app."""

    app: str
    path: str

    @property
    def name(self) -> str:
        """How the report names it."""
        return f"{self.app} GET {self.path}"


READS = [
    Read(REFERENCE.name, "/hello"),
    Read(REFERENCE.name, "/health"),
    Read(REFERENCE.name, "/api/"),
    Read(REFERENCE.name, LIST),
    Read(REFERENCE.name, DEEP),
    Read(REFERENCE.name, f"/api/greetings/{ONE_GREETING}"),
    Read(REFERENCE.name, "/"),
    Read(BARE.name, LIST),
    Read(BARE.name, DEEP),
]


@dataclass
class Writes:
    """What the writers saw, and what the database holds afterwards."""

    requests_per_second: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    socket_errors: int = 0
    created: int = 0  # 201 answers, each with the id of its greeting
    missing: int = 0  # 201s whose greeting is not in the database
    rows_added: int = 0
    first_failure: str = ""  # the status and body of the first answer that was not 201
    log_tracebacks: int = 0
    log_locked: int = 0  # "database is locked" in the server's log

    @property
    def errors(self) -> int:
        """Every request that did not end in a 201: other statuses and socket errors."""
        return self.socket_errors + sum(self.statuses.values()) - self.created


@dataclass
class Results:
    """Everything one run measured."""

    backend: str
    server: str = ""  # the database's version
    seed_seconds: float = 0.0
    queries: dict[str, int] = field(default_factory=dict)
    reads: dict[str, list[Round]] = field(default_factory=dict)
    cpu_ms: dict[str, list[float]] = field(default_factory=dict)  # workers' CPU per request
    writes: Writes = field(default_factory=Writes)
    worker_rss_mb: dict[str, list[float]] = field(default_factory=dict)
    import_seconds: dict[str, list[float]] = field(default_factory=dict)

    def median(self, read: Read, name: str) -> float:
        """The median over the rounds of one of wrk's numbers for one read."""
        return statistics.median(getattr(run, name) for run in self.reads[read.name])

    def ratios(self, read: Read, base: Read, name: str) -> list[float]:
        """read's number over base's, round by round: their runs were under one load."""
        pairs = zip(self.reads[read.name], self.reads[base.name], strict=True)
        return [getattr(run, name) / getattr(other, name) for run, other in pairs]

    def cpu_ratio(self, read: Read, base: Read) -> float:
        """The median of read's CPU per request over base's, round by round (0 without /proc)."""
        pairs = zip(self.cpu_ms[read.name], self.cpu_ms[base.name], strict=True)
        return statistics.median(ours / theirs if theirs else 0.0 for ours, theirs in pairs)


class DatabaseServer(load.Server):
    """A gunicorn serving an app of the database benchmark; ready once its list answers."""

    def at(self, path: str) -> str:
        """The URL of path on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def check(self) -> None:
        """Refuse to measure an app whose first page is not 20 greetings."""
        status, body = get_json(self.at(LIST))
        if status != 200 or not isinstance(body, list) or len(body) != PER_PAGE:
            raise CannotMeasure(f"GET {self.at(LIST)} answered {status}, not {PER_PAGE} greetings")

    def wait_until_idle(self, longest: float = 30.0) -> None:
        """Wait while the workers serve what wrk left queued: until their CPU time stops growing.

        wrk closes its connections when its time is up, but the requests it had sent wait in
        gunicorn's queue and are served all the same; the next run must not wait behind them.
        """
        workers = load.child_pids(self.process.pid)
        deadline, last, still = time.monotonic() + longest, cpu_seconds(workers), 0
        while still < 3 and time.monotonic() < deadline:  # 0.3 s without a clock tick
            time.sleep(0.1)
            now = cpu_seconds(workers)
            still, last = (still + 1 if now == last else 0), now


def get_json(url: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> Any:
    """The status and the JSON body of a request (GET, or POST with data), errors included."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")
    except (OSError, ValueError) as error:
        raise CannotMeasure(f"{url} failed: {error}") from None


@contextmanager
def database(backend: str, work: Path) -> Iterator[str]:
    """The SQLAlchemy URL of an empty database for this run, removed at the end."""
    if backend == "sqlite":
        yield f"sqlite:///{(work / 'guestbook.sqlite3').as_posix()}"
        return
    if databases.server_url() is None:
        raise CannotMeasure(
            f"--database postgresql needs a server: set {databases.URL_VARIABLE}, or run "
            "python -m lessons.postgres python tests/benchmarks/database.py --database postgresql"
        )
    try:
        with databases.run_database() as url:
            yield url
    except sqlalchemy.exc.OperationalError as error:
        raise CannotMeasure(f"PostgreSQL failed: {error}") from None


def clean_env() -> dict[str, str]:
    """The caller's environment without the settings that would change the apps."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("FLASK_") and name not in (*load.OUTSIDE_SETTINGS, "DATABASE_URL")
    }


def init_db(url: str) -> None:
    """The reference's own `flask init-db`: its tables, with its indexes."""
    env = {**servers.production(clean_env()), "DATABASE_URL": url}
    command = [sys.executable, "-m", "flask", "--app", "solution", "init-db"]
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise CannotMeasure(f"flask init-db failed:\n{done.stdout}{done.stderr}")


def credentials(number: int) -> tuple[str, str]:
    """The username and password of the seeded user number (from 1)."""
    return f"bench{number:03d}", f"password of bench{number:03d}"


def seed(url: str) -> float:
    """USERS users and GREETINGS greetings, in one transaction; return the seconds it took."""
    engine = sqlalchemy.create_engine(url)
    try:
        tables = sqlalchemy.MetaData()
        with warnings.catch_warnings():
            # The index on lower(username) cannot be reflected; inserting needs no index.
            warnings.simplefilter("ignore", SAWarning)
            tables.reflect(engine, only=["users", "greetings"])
        users, greetings = tables.tables["users"], tables.tables["greetings"]
        started = time.perf_counter()
        # A cheap hash: the users get their tokens with it, and the load is not about passwords.
        hashes = {
            number: generate_password_hash(credentials(number)[1], databases.CHEAP_HASH)
            for number in range(1, USERS + 1)
        }
        with engine.begin() as connection:
            connection.execute(
                sqlalchemy.insert(users),
                [
                    {
                        "username": credentials(number)[0],
                        "password_hash": hashes[number],
                        "created_at": SEEDED_FROM,
                    }
                    for number in range(1, USERS + 1)
                ],
            )
            ids = dict(connection.execute(sqlalchemy.select(users.c.username, users.c.id)).all())
            rows = []
            for number in range(1, GREETINGS + 1):
                author = credentials((number - 1) % USERS + 1)[0]
                moment = SEEDED_FROM + timedelta(seconds=number)
                message = f"Greeting number {number}, from {author}."
                rows.append(
                    {
                        "author_id": ids[author],
                        "message": message,
                        "created_at": moment,
                        "updated_at": moment,
                    }
                )
            connection.execute(sqlalchemy.insert(greetings), rows)
        if engine.dialect.name == "postgresql":
            # What autovacuum does to a live database soon after the inserts: the planner's
            # statistics, and the visibility map that lets index-only scans skip the table.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(sqlalchemy.text("VACUUM ANALYZE"))
        return time.perf_counter() - started
    finally:
        engine.dispose()


def count_queries(url: str) -> dict[str, int]:
    """The SQL statements one list request sends, through the test client, per page size."""
    paths = {f"per_page={size}": (f"{LIST}?per_page={size}", size) for size in PAGE_SIZES}
    paths[f"page={DEEP_PAGE}"] = (DEEP, PER_PAGE)
    env = clean_env()
    with mock.patch.dict(os.environ, env, clear=True):  # as the servers get it, restored after
        from solution import create_app

        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "LOG_LEVEL": "WARNING"})
    counts = {}
    try:
        client = app.test_client()
        for label, (path, size) in paths.items():
            client.get(path)  # the first request connects: count the second
            with databases.QueryCounter() as counter:
                response = client.get(path)
            if response.status_code != 200 or len(response.get_json()) != size:
                raise CannotMeasure(f"GET {path} answered {response.status_code}, not {size}")
            counts[label] = len(counter.statements)
    finally:
        databases.dispose(app)
    return counts


def get_tokens(server: DatabaseServer) -> list[str]:
    """One bearer token for each seeded user, from POST /api/tokens with HTTP Basic."""
    tokens = []
    for number in range(1, USERS + 1):
        basic = base64.b64encode(":".join(credentials(number)).encode()).decode()
        headers = {"Authorization": f"Basic {basic}"}
        status, body = get_json(server.at("/api/tokens"), headers, b"")
        if status != 201:
            raise CannotMeasure(f"POST /api/tokens answered {status} {body!r}")
        tokens.append(body["token"])
    return tokens


def check_same_json(reference: DatabaseServer, bare: DatabaseServer) -> None:
    """Refuse to compare apps that do not answer the same pages with the same JSON."""
    for path in (f"{LIST}?page=3", DEEP):
        ours, theirs = get_json(reference.at(path)), get_json(bare.at(path))
        if ours != theirs:
            raise CannotMeasure(
                f"GET {path}: the bare app answered {theirs!r:.300}, the reference {ours!r:.300}"
            )


# The writers: wrk POSTs greetings with the users' tokens, and counts what comes back.
WRITERS_LUA = """
local tokens = {TOKENS}
local threads = {}

function setup(thread)
  thread:set("number", #threads)
  table.insert(threads, thread)
end

function init(args)
  sent, statuses, ids, failure = 0, {}, {}, ""
end

function request()
  sent = sent + 1
  local token = tokens[(number * 37 + sent) % #tokens + 1]
  local body = string.format('{"message": "Load test, thread %d, greeting %d."}', number, sent)
  local headers = {}
  headers["Authorization"] = "Bearer " .. token
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", "/api/greetings", headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 201 then
    ids[#ids + 1] = tonumber(string.match(body, '"id":%s*(%d+)')) or -1
  elseif failure == "" then
    failure = status .. " " .. string.sub(body, 1, 300)
  end
end

function done(summary, latency, requests)
  local out = io.open(OUTPUT, "w")
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      out:write("status ", status, " ", count, "\\n")
    end
    for _, id in ipairs(thread:get("ids")) do
      out:write("id ", id, "\\n")
    end
    local failure = thread:get("failure")
    if failure ~= "" then
      out:write("failure ", (string.gsub(failure, "\\n", " ")), "\\n")
    end
  end
  out:close()
end
"""


def lua_string(text: str) -> str:
    """text as a Lua string literal: JSON's escapes are Lua's for these characters."""
    return json.dumps(text)


def write_load(
    server: DatabaseServer, url: str, tokens: list[str], options: argparse.Namespace, work: Path
) -> Writes:
    """Writers on every connection for the duration; then check every 201 against the rows."""
    script, output = work / "writers.lua", work / "writers.out"
    script.write_text(
        WRITERS_LUA.replace("{TOKENS}", "{" + ", ".join(map(lua_string, tokens)) + "}").replace(
            "OUTPUT", lua_string(str(output))
        )
    )
    before = greeting_ids(url)
    seconds, connections = options.write_duration, options.connections
    # A generous timeout: a write that waits in gunicorn's queue is slow, not failed.
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    command += ["--latency", "-s", str(script), server.at(LIST)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        raise CannotMeasure(f"{' '.join(command)} did not finish") from None
    if done.returncode != 0 or not output.exists():
        raise CannotMeasure(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    run = load.parse_wrk(done.stdout)
    writes = Writes(run.requests_per_second, run.p50_ms, run.p99_ms)
    socket_errors = re.search(r"Socket errors: (.*)", done.stdout)
    writes.socket_errors = sum(
        map(int, re.findall(r"\d+", socket_errors[1] if socket_errors else ""))
    )
    ids = []
    for line in output.read_text().splitlines():
        kind, _, value = line.partition(" ")
        if kind == "status":
            status, count = value.split()
            writes.statuses[status] = writes.statuses.get(status, 0) + int(count)
        elif kind == "id":
            ids.append(int(value))
        elif kind == "failure" and not writes.first_failure:
            writes.first_failure = value
    writes.created = len(ids)
    after = settled_ids(url)
    writes.rows_added = len(after - before)
    writes.missing = len(set(ids) - after) + (len(ids) - len(set(ids)))  # lost, or one id twice
    log = server.output()
    writes.log_tracebacks, writes.log_locked = log.count("Traceback"), log.count(LOCKED)
    return writes


def greeting_ids(url: str) -> set[int]:
    """The ids of every greeting in the database."""
    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sqlalchemy.text("SELECT id FROM greetings"))
            return {row[0] for row in rows}
    finally:
        engine.dispose()


def settled_ids(url: str, quiet: float = 1.0, longest: float = 30.0) -> set[int]:
    """The greetings' ids once no more come: requests wrk left queued are still being served."""
    ids, deadline = greeting_ids(url), time.monotonic() + longest
    still = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = greeting_ids(url)
        if now != ids:
            ids, still = now, time.monotonic()
        elif time.monotonic() - still >= quiet:
            break
    return ids


def measure(options: argparse.Namespace, work: Path) -> Results:
    """Make and seed the database, count the queries, start both apps, read, write, stop."""
    results = Results(options.database)
    with database(options.database, work) as url:
        progress(f"{options.database}: flask init-db, then {GREETINGS} greetings by {USERS} users")
        init_db(url)
        results.seed_seconds = seed(url)
        results.server = server_version(url)
        progress("counting the queries of GET /api/greetings through the test client")
        results.queries = count_queries(url)
        env = load.app_env(
            {**load.server_env(options.workers), "DATABASE_URL": url, "LOG_LEVEL": "INFO"}, ROOT
        )
        running: dict[str, DatabaseServer] = {}
        try:
            for app in (REFERENCE, BARE):
                running[app.name] = DatabaseServer(app, ROOT, env, work / f"{app.name}.log")
            for server in running.values():
                server.wait_until_ready(options.workers)
            check_same_json(running[REFERENCE.name], running[BARE.name])
            tokens = get_tokens(running[REFERENCE.name])
            read_load(options, running, results)
            progress(
                f"writes: {options.connections} connections POST {LIST} "
                f"for {options.write_duration} s"
            )
            results.writes = write_load(running[REFERENCE.name], url, tokens, options, work)
            for name, server in running.items():
                workers = load.child_pids(server.process.pid)
                results.worker_rss_mb[name] = [load.rss_mb(pid) for pid in workers]
        finally:
            with signals_held():
                for server in running.values():
                    server.stop()
        progress(f"timing imports ({options.import_runs} fresh interpreters each)")
        for app in (REFERENCE, BARE):
            results.import_seconds[app.name] = [
                load.import_seconds(app.statement, env, ROOT) for _ in range(options.import_runs)
            ]
    return results


def read_load(
    options: argparse.Namespace, running: dict[str, DatabaseServer], results: Results
) -> None:
    """wrk on every read in turn, each round in a rotated order, after a warm-up of each."""
    for read in READS:
        progress(f"warming up {read.name} ({options.warmup} s)")
        load.wrk(running[read.app].at(read.path), options.warmup, options.connections)
        running[read.app].wait_until_idle()
        results.reads[read.name], results.cpu_ms[read.name] = [], []
    for number in range(options.rounds):
        for read in load.rotated(READS, number):
            server = running[read.app]
            run, cpu_ms = wrk_with_cpu(server, read.path, options.duration, options.connections)
            if server.process.poll() is not None:
                raise CannotMeasure(server.failure("stopped during the load"))
            server.wait_until_idle()
            results.reads[read.name].append(run)
            results.cpu_ms[read.name].append(cpu_ms)
            progress(
                f"round {number + 1}/{options.rounds} {read.name:52} "
                f"{run.requests_per_second:8.1f} req/s  p99 {run.p99_ms:7.2f} ms  "
                f"CPU {cpu_ms:5.2f} ms/request  errors {run.errors}"
            )


def wrk_with_cpu(
    server: DatabaseServer, path: str, seconds: int, connections: int
) -> tuple[Round, float]:
    """wrk on path, and the CPU time the workers spend on a request (0 without /proc).

    The workers' CPU is sampled over the middle half of the run, where the load is steady:
    requests wrk leaves queued at the end are still served after it stops.
    """
    # A timeout longer than wrk's 2 s: on a slow machine, slow answers count in the latency.
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    command += ["--latency", server.at(path)]
    workers = load.child_pids(server.process.pid)
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as wrk:
        try:
            time.sleep(seconds / 4)
            start = time.monotonic(), cpu_seconds(workers)
            time.sleep(seconds / 2)
            end = time.monotonic(), cpu_seconds(workers)
            out, err = wrk.communicate(timeout=seconds + 60)
        except subprocess.TimeoutExpired:
            wrk.kill()
            raise CannotMeasure(f"{' '.join(command)} did not finish") from None
        except BaseException:  # SIGTERM or the time limit: stop the load too
            wrk.kill()
            raise
    if wrk.returncode != 0:
        raise CannotMeasure(f"{' '.join(command)} failed:\n{out}{err}")
    run = load.parse_wrk(out)
    if run.requests == 0:
        raise CannotMeasure(f"{' '.join(command)}: not one answer in {seconds} s")
    busy = (end[1] - start[1]) / (end[0] - start[0])  # CPU seconds per second
    return run, busy / run.requests_per_second * 1000 if run.requests_per_second else 0.0


def cpu_seconds(pids: list[int]) -> float:
    """The user and system CPU time these processes have used, from /proc (0 without it)."""
    total = 0
    for pid in pids:
        try:
            # The name in (brackets) may hold spaces; utime and stime are fields 14 and 15.
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.0


def reads_of(app: str) -> list[Read]:
    """The reads of one app, in the report's order."""
    return [read for read in READS if read.app == app]


def first_and_deep(app: str) -> tuple[Read, Read]:
    """The first page and the deep page of one app's list."""
    return Read(app, LIST), Read(app, DEEP)


def goals(results: Results) -> list[dict[str, Any]]:
    """DESIGN.md's quality bars, for this database: the measured value, and whether it is met."""
    sizes = [results.queries[f"per_page={size}"] for size in PAGE_SIZES]
    first, deep = first_and_deep(REFERENCE.name)
    deep_ratio = statistics.median(results.ratios(deep, first, "p50_ms"))
    writes = results.writes
    checks: list[tuple[str, Any, str, bool]] = [
        (
            "list: the same number of queries for 1, 20, 100 a page",
            ", ".join(map(str, sizes)),
            "queries",
            len(set(sizes)) == 1,
        ),
        (
            f"deep page {DEEP_PAGE}: p50 within 2x of the first page's",
            deep_ratio,
            "x",
            deep_ratio <= 2,
        ),
        (f"{USERS} writers: zero errors", writes.errors, "errors", writes.errors == 0),
        (
            f"{USERS} writers: every 201 in the database",
            writes.missing,
            "missing",
            writes.missing == 0 and writes.created > 0,
        ),
    ]
    for read in reads_of(REFERENCE.name):
        p99 = results.median(read, "p99_ms")
        checks.append((f"p99 < 50 ms: GET {read.path}", p99, "ms", p99 < 50))
    rss = max(results.worker_rss_mb[REFERENCE.name])
    startup = statistics.median(results.import_seconds[REFERENCE.name])
    checks += [
        ("worker RSS (max) < 75 MB", rss, "MB", rss < 75),
        ("import + create_app() < 0.5 s", startup, "s", startup < 0.5),
    ]
    return [
        {
            "goal": goal,
            "value": round(value, 3) if isinstance(value, float) else value,
            "unit": unit,
            "ok": ok,
        }
        for goal, value, unit, ok in checks
    ]


def report(results: Results, settings: dict[str, Any], info: dict[str, Any]) -> str:
    """The tables a person reads."""
    name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[results.backend]
    writes = results.writes
    lines = [
        f"Database benchmark on {name} {info['database']}: {GREETINGS} greetings by {USERS} users "
        f"(seeded in {results.seed_seconds:.2f} s)",
        f"gunicorn -c {load.CONFIG.relative_to(ROOT)} --no-control-socket, "
        f"WEB_CONCURRENCY={settings['workers']}, 127.0.0.1, APP_ENV=production; "
        f"wrk -t2 -c{settings['connections']} -d{settings['duration']}s --latency, "
        f"{settings['rounds']} rounds in a rotated order, medians of the rounds",
        "machine: {cpu}, {cores} cores, Python {python}, Flask {flask}, Flask-SQLAlchemy "
        "{flask_sqlalchemy}, SQLAlchemy {sqlalchemy}, gunicorn {gunicorn}, wrk {wrk}".format(
            **info
        ),
        "",
        f"{'reads':52}{'requests/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}"
        f"{'CPU ms/req':>12}",
    ]
    for read in READS:
        errors = sum(run.errors for run in results.reads[read.name])
        lines.append(
            f"  {read.name:50}{results.median(read, 'requests_per_second'):12.1f}"
            f"{results.median(read, 'p50_ms'):10.2f}{results.median(read, 'p99_ms'):10.2f}"
            f"{errors:8d}{statistics.median(results.cpu_ms[read.name]):12.2f}"
        )
    reference, deep = first_and_deep(REFERENCE.name)
    bare, bare_deep = first_and_deep(BARE.name)
    throughput = statistics.median(results.ratios(reference, bare, "requests_per_second"))
    lines += [
        "CPU ms/req: the gunicorn workers' CPU time per request (user + system, over the middle "
        "half of each run), SQLite's work included, PostgreSQL's server not.",
        "",
        f"list, reference x bare-db (requests/s, median of the rounds' ratios): {throughput:.3f}",
        "deep page / first page (medians of the rounds' ratios): reference p50 "
        f"{statistics.median(results.ratios(deep, reference, 'p50_ms')):.2f}, CPU "
        f"{results.cpu_ratio(deep, reference):.2f}; bare-db p50 "
        f"{statistics.median(results.ratios(bare_deep, bare, 'p50_ms')):.2f}, CPU "
        f"{results.cpu_ratio(bare_deep, bare):.2f}",
        "queries per list request (test client): "
        + ", ".join(f"{label}: {count}" for label, count in results.queries.items()),
        *warnings_of(results, settings),
        "",
        f"writes: wrk -t2 -c{settings['connections']} -d{settings['write_duration']}s POST "
        f"{LIST}, {USERS} users' bearer tokens, {settings['workers']} workers",
        f"  {writes.requests_per_second:.1f} requests/s, p50 {writes.p50_ms:.2f} ms, "
        f"p99 {writes.p99_ms:.2f} ms",
        f"  answers: {', '.join(f'{n} x {s}' for s, n in sorted(writes.statuses.items())) or 'none'}"
        f"; socket errors {writes.socket_errors}",
        f"  201s {writes.created}, rows added {writes.rows_added}, 201s not in the database "
        f"{writes.missing}; written but never answered {writes.rows_added - writes.created} "
        "(queued when wrk stopped)",
        f"  server log: {writes.log_tracebacks} tracebacks, {writes.log_locked} x {LOCKED!r}",
    ]
    if writes.first_failure:
        lines.append(f"  first failure: {writes.first_failure[:200]}")
    lines += [
        "",
        "worker RSS, MB (max): "
        + ", ".join(f"{app} {max(rss):.1f}" for app, rss in results.worker_rss_mb.items()),
        "import + create_app(), s (median): "
        + ", ".join(
            f"{app} {statistics.median(times):.3f}" for app, times in results.import_seconds.items()
        ),
        "",
        f"goals of the reference on {name} (DESIGN.md, Quality bars):",
    ]
    for goal in goals(results):
        value = goal["value"]
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        separator = "" if goal["unit"] == "x" else " "
        lines.append(
            f"  {'ok' if goal['ok'] else 'MISS':5} {goal['goal']:58} {shown}{separator}{goal['unit']}"
        )
    return "\n".join(lines)


def server_version(url: str) -> str:
    """Which SQLite or PostgreSQL this is, and the driver."""
    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                found = connection.execute(sqlalchemy.text("SELECT sqlite_version()")).scalar()
                return f"{found} (Python's sqlite3)"
            found = connection.execute(sqlalchemy.text("SHOW server_version")).scalar()
            return f"{found} (psycopg {version('psycopg')})"
    finally:
        engine.dispose()


def warnings_of(results: Results, settings: dict[str, Any]) -> list[str]:
    """What makes these figures doubtful: a noisy machine, or runs too short for its speed."""
    found = []
    rates = [run.requests_per_second for run in results.reads[Read(BARE.name, LIST).name]]
    if min(rates) < 0.8 * max(rates):
        found.append(
            f"Noisy machine: the bare app's list ran from {min(rates):.0f} to {max(rates):.0f} "
            "req/s in different rounds; measure on a quieter machine or with more --rounds."
        )
    slowest = max(results.median(read, "p99_ms") for read in READS)
    if slowest > settings["duration"] * 1000 / 4:
        found.append(
            f"Slow answers: a p99 of {slowest:.0f} ms is near the {settings['duration']} s of a "
            "run, and wrk counts only the answers that came within it; measure with a longer "
            "--duration or on a quieter machine."
        )
    return ["", *found] if found else []


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    info = load.machine()
    info.update(flask_sqlalchemy=version("flask-sqlalchemy"), sqlalchemy=version("sqlalchemy"))
    return info


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: which database, how long and how hard, and where to write JSON."""
    positive = load.positive
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help=f"sqlite (default), or postgresql on the server {databases.URL_VARIABLE} names",
    )
    parser.add_argument("--rounds", type=positive, default=3, help="rounds (default 3)")
    parser.add_argument("--duration", type=positive, default=4, help="seconds per read (default 4)")
    parser.add_argument("--warmup", type=positive, default=1, help="warm-up seconds (default 1)")
    parser.add_argument(
        "--write-duration", type=positive, default=10, help="seconds of writes (default 10)"
    )
    parser.add_argument("--workers", type=positive, default=2, help="WEB_CONCURRENCY (default 2)")
    parser.add_argument("--connections", type=positive, default=100, help="wrk -c (default 100)")
    parser.add_argument(
        "--import-runs", type=positive, default=7, help="import timings (default 7)"
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    return parser.parse_args(argv)


def time_limit(options: argparse.Namespace) -> int:
    """Seconds after which the run gives up: twice what it should take, and two minutes more."""
    reads = len(READS) * (options.warmup + options.rounds * options.duration)
    return 2 * (reads + options.write_duration + 60) + 120


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGTERM and the time limit back while the servers stop: every one of them stops."""
    held = {signal.SIGTERM, signal.SIGALRM}
    signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, held)


def give_up(signal_number: int, _frame: Any) -> None:
    """Stop measuring (the servers are stopped on the way out): time is up, or SIGTERM came."""
    what = "SIGTERM" if signal_number == signal.SIGTERM else "the time limit"
    raise CannotMeasure(f"stopped by {what}")


def main(argv: list[str] | None = None) -> int:
    """Measure, print the report, write the JSON; 2 when there is nothing to measure with."""
    options = parse_args(argv)
    if sys.platform == "win32":
        print("gunicorn does not run on Windows: run the benchmark in WSL.", file=sys.stderr)
        return 2
    if shutil.which("wrk") is None:
        print(f"wrk is not installed, so there is no load.\n{load.INSTALL_WRK}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, give_up)
    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(time_limit(options))
    try:
        with tempfile.TemporaryDirectory(prefix="kata-database-") as work:
            results = measure(options, Path(work))
    except CannotMeasure as error:
        print(f"Cannot measure: {error}", file=sys.stderr)
        return 2
    finally:
        signal.alarm(0)
    names = ("database", "rounds", "duration", "warmup", "write_duration", "workers", "connections")
    settings = {name: getattr(options, name) for name in names}
    info = {**machine(), "database": results.server}
    print(report(results, settings, info))
    if options.json:
        data = {
            "machine": info,
            "settings": settings,
            "seed_seconds": results.seed_seconds,
            "queries": results.queries,
            "reads": {name: [asdict(run) for run in runs] for name, runs in results.reads.items()},
            "worker_cpu_ms_per_request": results.cpu_ms,
            "writes": {**asdict(results.writes), "errors": results.writes.errors},
            "worker_rss_mb": results.worker_rss_mb,
            "import_seconds": results.import_seconds,
            "goals": goals(results),
        }
        options.json.write_text(json.dumps(data, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
