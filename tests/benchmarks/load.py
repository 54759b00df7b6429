"""Load test: the reference, the speed-up variant and bare Flask, all under gunicorn, driven by wrk.

    python tests/benchmarks/load.py [--rounds 10] [--duration 4] [--workers 2] [--json FILE]

Four apps run at once under identical settings (solution/gunicorn.conf.py, the same workers,
production's environment): the reference app; lesson 07's speed-up variant
(tests/variants/07/alternative-measured-speed-up.patch), served from a temporary copy; a bare
Flask hello-world; and the same bare app with gunicorn's access log on, because an app in
production logs every request, so that the report shows what a log line costs. Once solution/
has grown past lesson 07, the reference at the end of lesson 07 (reference-07, the code the
speed-up changes) runs beside them. wrk drives them in turn, each round in a rotated order,
and the report takes medians over the rounds, because other processes on the machine make any
single run noisy. The report checks the reference's goals (README.md, Performance) and exits 0
even when one is missed; it exits 2 when it cannot measure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script, python tests/benchmarks/load.py
    sys.path.insert(0, str(ROOT))

from lessons import servers  # noqa: E402
from tests.benchmarks import speed_up  # noqa: E402

CONFIG = ROOT / "solution" / "gunicorn.conf.py"
CREATE_APP = "from solution import create_app; create_app()"
IMPORT_BARE = "import tests.benchmarks.bare_app"


@dataclass(frozen=True)
class App:
    """One app to measure: what gunicorn serves, and from where."""

    name: str
    target: str
    statement: str  # what import + create_app() means for this app
    options: tuple[str, ...] = ()  # gunicorn options besides the shared config
    # Where its solution/ comes from: the kata's own folder, or a temporary copy of lesson 07's
    # end state, with the speed-up applied or without.
    source: str = "kata"


APPS = [
    App("reference", "solution.wsgi:app", CREATE_APP),
    App("speed-up", "solution.wsgi:app", CREATE_APP, source="speed-up"),
    App("bare", "tests.benchmarks.bare_app:app", IMPORT_BARE),
    App("bare+log", "tests.benchmarks.bare_app:app", IMPORT_BARE, ("--access-logfile", "-")),
]
# Measured too once solution/ has grown past lesson 07: the code the speed-up changes.
LESSON_07 = App("reference-07", "solution.wsgi:app", CREATE_APP, source="reference-07")
BARE = "bare"
LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")
BOOTED = re.compile(r"Booting worker with pid")
# Settings from the environment that would change what the apps or gunicorn do.
OUTSIDE_SETTINGS = (
    "APP_ENV",
    "SECRET_KEY",
    "LOG_LEVEL",
    "GUNICORN_CMD_ARGS",
    "FORWARDED_ALLOW_IPS",
)
STARTUP_SECONDS = 30
# wrk prints latencies as 850.00us, 1.20ms, 2.00s or 1.00m.
MILLISECONDS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
INSTALL_WRK = "Install wrk: `sudo apt install wrk` on Debian/Ubuntu, `brew install wrk` on macOS."


class CannotMeasure(Exception):
    """The servers or the load generator are not there, so there is nothing to report."""


@dataclass
class Round:
    """What wrk measured in one run against one app."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


@dataclass
class AppResult:
    """Everything measured for one app."""

    target: str
    rounds: list[Round] = field(default_factory=list)
    master_rss_mb: float = 0.0
    worker_rss_mb: list[float] = field(default_factory=list)
    import_seconds: list[float] = field(default_factory=list)

    def median(self, name: str) -> float:
        """The median of one of the rounds' numbers."""
        return statistics.median(getattr(run, name) for run in self.rounds)


class Server:
    """One gunicorn, started from solution/gunicorn.conf.py on 127.0.0.1 and a free port."""

    def __init__(self, app: App, folder: Path, env: dict[str, str], log: Path) -> None:
        self.name, self.log, self.port = app.name, log, 0
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(CONFIG),
            "--no-control-socket",
            *app.options,
            app.target,
        ]
        with log.open("wb") as output:
            # gunicorn puts its folder first on sys.path: the speed-up's copy or the kata's.
            self.process = subprocess.Popen(
                command, cwd=folder, env=env, stdout=output, stderr=subprocess.STDOUT
            )

    def output(self) -> str:
        """What gunicorn has logged so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_until_ready(self, workers: int) -> None:
        """Wait for the port and every worker, then check that the app answers right."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline and self.process.poll() is None:
            # Only the start of the log: the apps log every request after it.
            head = self.log.read_text(errors="replace")[:20_000]
            listening = LISTENING.search(head)
            if listening and len(BOOTED.findall(head)) >= workers:
                self.port = int(listening[1])
                break
            time.sleep(0.05)
        else:
            raise CannotMeasure(self.failure("did not start"))
        self.check()

    def check(self) -> None:
        """Refuse to measure an app that does not answer GET /hello with its greeting."""
        check_hello(self.url)

    @property
    def url(self) -> str:
        """Where the load goes."""
        return f"http://127.0.0.1:{self.port}/hello"

    def failure(self, what: str) -> str:
        """A message that this server went wrong, with the end of its log."""
        tail = "\n".join(f"    {line}" for line in self.output().splitlines()[-15:])
        return f"gunicorn serving {self.name} {what} (exit code {self.process.poll()}):\n{tail}"

    def stop(self) -> None:
        """SIGTERM, as a platform stops a server; kill it and its workers if it hangs."""
        if self.process.poll() is not None:
            return
        workers = child_pids(self.process.pid)
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            for pid in [self.process.pid, *workers]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.process.wait()


def check_hello(url: str) -> None:
    """Refuse to measure an app that does not answer GET /hello with its greeting."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            status, body = response.status, json.loads(response.read())
    except Exception as error:
        raise CannotMeasure(f"GET {url} failed: {error}") from None
    if status != 200 or body.get("message") != "Hello world":
        raise CannotMeasure(f"GET {url} answered {status} {body!r}, not the greeting")


def server_env(workers: int) -> dict[str, str]:
    """The environment every gunicorn gets: production's, without the caller's app settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("FLASK_") and name not in OUTSIDE_SETTINGS
    }
    # APP_ENV=production and a real FLASK_SECRET_KEY, as wsgi.py expects (lessons/servers.py).
    env = servers.production(env)
    env.update(HOST="127.0.0.1", PORT="0", WEB_CONCURRENCY=str(workers))
    return env


def app_env(env: dict[str, str], folder: Path) -> dict[str, str]:
    """env with folder first on PYTHONPATH, so that its solution/ is the one imported."""
    return {
        **env,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(folder), env.get("PYTHONPATH")])),
    }


def wrk(url: str, seconds: int, connections: int) -> Round:
    """Run wrk against url and read its summary."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        raise CannotMeasure(f"{' '.join(command)} did not finish") from None
    if done.returncode != 0:
        raise CannotMeasure(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return parse_wrk(done.stdout)


def parse_wrk(text: str) -> Round:
    """Requests/s, p50 and p99 latency, and errors from wrk's text output."""
    rate = re.search(r"Requests/sec:\s*([\d.]+)", text)
    total = re.search(r"(\d+) requests in", text)
    latency = {
        percent: float(number) * MILLISECONDS[unit]
        for percent, number, unit in re.findall(r"^\s*(\d+)%\s+([\d.]+)(\w+)\s*$", text, re.M)
    }
    if not (rate and total and "50" in latency and "99" in latency):
        raise CannotMeasure(f"could not read wrk's output:\n{text}")
    socket_errors = re.search(r"Socket errors: (.*)", text)
    errors = sum(int(n) for n in re.findall(r"\d+", socket_errors[1])) if socket_errors else 0
    bad_status = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors += int(bad_status[1]) if bad_status else 0
    return Round(float(rate[1]), latency["50"], latency["99"], int(total[1]), errors)


def child_pids(parent: int) -> list[int]:
    """The processes whose parent is parent: a gunicorn master's workers."""
    if Path("/proc").is_dir():
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                # The name in (brackets) may hold spaces; the parent id follows it.
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                children.append(int(stat.parent.name))
        return sorted(children)
    listing = subprocess.run(["ps", "-A", "-o", "pid=,ppid="], capture_output=True, text=True)
    pairs = (line.split() for line in listing.stdout.splitlines())
    return sorted(int(pid) for pid, ppid in pairs if int(ppid) == parent)


def rss_mb(pid: int) -> float:
    """A process's resident memory in MB (10^6 bytes)."""
    status = Path(f"/proc/{pid}/status")
    if status.exists():
        found = re.search(r"VmRSS:\s*(\d+)", status.read_text())
        kilobytes = found[1] if found else "0"
    else:
        listing = subprocess.run(
            ["ps", "-o", "rss=", "-p", str(pid)], capture_output=True, text=True
        )
        kilobytes = listing.stdout.strip() or "0"
    return int(kilobytes) * 1024 / 1e6


def import_seconds(statement: str, env: dict[str, str], folder: Path) -> float:
    """Time statement in a fresh interpreter started in folder, from the first import to the end."""
    code = (
        f"import time; start = time.perf_counter(); {statement}; print(time.perf_counter() - start)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=folder, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise CannotMeasure(f"python -c {statement!r} failed:\n{done.stderr}")
    return float(done.stdout.split()[-1])


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        cpu = model[1].strip() if model else cpu
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    found = re.search(r"wrk (\S+)", wrk_version)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "flask": version("flask"),
        "gunicorn": version("gunicorn"),
        "wrk": found[1] if found else "unknown",
    }


def goals(results: dict[str, AppResult]) -> list[dict[str, Any]]:
    """The reference's goals (README.md, Performance): the measured value, and whether it is met."""
    reference = results["reference"]
    p99 = reference.median("p99_ms")
    rss = max(reference.worker_rss_mb)
    startup = statistics.median(reference.import_seconds)
    checks = [
        ("p99 latency at 100 connections < 50 ms", p99, p99 < 50),
        ("worker RSS (max) < 75 MB", rss, rss < 75),
        ("import + create_app() < 0.5 s", startup, startup < 0.5),
    ]
    return [{"goal": goal, "value": round(value, 3), "ok": ok} for goal, value, ok in checks]


def round_ratios(results: dict[str, AppResult], name: str, base: str = BARE) -> list[float]:
    """name/base throughput of each round: their runs were in one round, under one load."""
    pairs = zip(results[name].rounds, results[base].rounds, strict=True)
    return [run.requests_per_second / other.requests_per_second for run, other in pairs]


def ratio(results: dict[str, AppResult], name: str, base: str = BARE) -> float:
    """The median of the rounds' name/base throughput ratios."""
    return statistics.median(round_ratios(results, name, base))


def report(results: dict[str, AppResult], settings: dict[str, Any], info: dict[str, Any]) -> str:
    """The table a person reads."""
    names = list(results)
    base = LESSON_07.name if LESSON_07.name in results else "reference"  # what the speed-up changes
    lines = [
        f"Load test: wrk -t2 -c{settings['connections']} -d{settings['duration']}s --latency, "
        f"{settings['rounds']} rounds, each app once per round, in a rotated order",
        f"gunicorn -c {CONFIG.relative_to(ROOT)} --no-control-socket, "
        f"WEB_CONCURRENCY={settings['workers']}, 127.0.0.1, APP_ENV=production; the reference "
        "and the speed-up log every request at INFO, bare+log has --access-logfile -",
        "machine: {cpu}, {cores} cores, Python {python}, Flask {flask}, gunicorn {gunicorn}, "
        "wrk {wrk}".format(**info),
        "",
        row("", names),
        row("requests/s (median)", [results[name].median("requests_per_second") for name in names]),
        row(f"  x {BARE} (median of rounds)", [ratio(results, name) for name in names], ".3f"),
    ]
    for number in range(len(results[BARE].rounds)):
        rates = [results[name].rounds[number].requests_per_second for name in names]
        lines.append(row(f"  round {number + 1}", rates))
    lines += [
        row("p50 latency, ms (median)", [results[name].median("p50_ms") for name in names], ".2f"),
        row("p99 latency, ms (median)", [results[name].median("p99_ms") for name in names], ".2f"),
        row(
            "errors (all rounds)",
            [sum(run.errors for run in results[n].rounds) for n in names],
            "d",
        ),
        row("worker RSS, MB (max)", [max(results[name].worker_rss_mb) for name in names]),
        row("master RSS, MB", [results[name].master_rss_mb for name in names]),
        row(
            "import + create_app, s (median)",
            [statistics.median(results[name].import_seconds) for name in names],
            ".3f",
        ),
        "",
        f"x {BARE}: requests/s over the bare app's in the same round, the median of the rounds.",
        f"speed-up x {base}: {ratio(results, 'speed-up', base):.3f}; "
        f"bare+log x bare: {ratio(results, 'bare+log'):.3f} (what gunicorn's access log costs).",
    ]
    lines += noise_warning(results[BARE])
    lines += ["", "goals of the reference (README.md, Performance):"]
    for goal in goals(results):
        lines.append(f"  {'ok' if goal['ok'] else 'MISS':5} {goal['goal']:42} {goal['value']}")
    return "\n".join(lines)


def noise_warning(bare: AppResult) -> list[str]:
    """A warning when the same bare app ran much faster in one round than in another."""
    rates = [run.requests_per_second for run in bare.rounds]
    if min(rates) >= 0.8 * max(rates):
        return []
    return [
        f"Noisy machine: the bare app's rounds ran from {min(rates):.0f} to {max(rates):.0f} "
        "req/s; for steadier numbers, measure on a quieter machine or with more --rounds."
    ]


def row(label: str, values: list[Any], spec: str = ".1f") -> str:
    """One line of the table: the label, then one column per app."""
    cells = "".join(f"{value:>13{spec if not isinstance(value, str) else ''}}" for value in values)
    return f"{label:34}{cells}"


def rotated[T](apps: list[T], number: int) -> list[T]:
    """The apps in round number's order: each takes every place in turn, so none is always first."""
    shift = number % len(apps)
    return apps[shift:] + apps[:shift]


def measure(options: argparse.Namespace, work: Path) -> dict[str, AppResult]:
    """Start every server, warm them up, drive them in turn, and stop them."""
    env = server_env(options.workers)
    sources = {"kata": ROOT, "speed-up": speed_up.write_speed_up(work / "speed-up")}
    apps = APPS[:]
    if not speed_up.solution_is_end_of_lesson():
        sources[LESSON_07.source] = speed_up.write_reference(work / LESSON_07.source)
        apps.insert(1, LESSON_07)
    folders = {app.name: sources[app.source] for app in apps}
    envs = {app.name: app_env(env, folders[app.name]) for app in apps}
    results = {app.name: AppResult(app.target) for app in apps}
    running: dict[str, Server] = {}
    try:
        for app in apps:
            log = work / f"{app.name}.log"
            running[app.name] = Server(app, folders[app.name], envs[app.name], log)
        for server in running.values():
            server.wait_until_ready(options.workers)
        for name, server in running.items():
            progress(f"warming up {name} on port {server.port} ({options.warmup} s)")
            wrk(server.url, options.warmup, options.connections)
        for number in range(options.rounds):
            for app in rotated(apps, number):
                server = running[app.name]
                run = wrk(server.url, options.duration, options.connections)
                if server.process.poll() is not None:
                    raise CannotMeasure(server.failure("stopped during the load"))
                results[app.name].rounds.append(run)
                progress(
                    f"round {number + 1}/{options.rounds} {app.name:9} "
                    f"{run.requests_per_second:9.1f} req/s  p99 {run.p99_ms:7.2f} ms  "
                    f"errors {run.errors}"
                )
        for name, server in running.items():
            results[name].master_rss_mb = rss_mb(server.process.pid)
            results[name].worker_rss_mb = [rss_mb(pid) for pid in child_pids(server.process.pid)]
    finally:
        for server in running.values():
            server.stop()
    progress(f"timing imports ({options.import_runs} fresh interpreters each)")
    for _ in range(options.import_runs):
        for app in apps:
            seconds = import_seconds(app.statement, envs[app.name], folders[app.name])
            results[app.name].import_seconds.append(seconds)
    return results


def progress(message: str) -> None:
    """Say what is happening, on stderr, while the table waits for the end."""
    print(message, file=sys.stderr, flush=True)


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text} is not at least 1")
    return number


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: how long and how hard to measure, and where to write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=positive, default=10, help="rounds (default 10)")
    parser.add_argument("--duration", type=positive, default=4, help="seconds per run (default 4)")
    parser.add_argument("--warmup", type=positive, default=2, help="warm-up seconds (default 2)")
    parser.add_argument("--workers", type=positive, default=2, help="WEB_CONCURRENCY (default 2)")
    parser.add_argument("--connections", type=positive, default=100, help="wrk -c (default 100)")
    parser.add_argument(
        "--import-runs", type=positive, default=7, help="import timings (default 7)"
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Measure, print the table, write the JSON; 2 when there is nothing to measure with."""
    options = parse_args(argv)
    if sys.platform == "win32":
        print("gunicorn does not run on Windows: run the load test in WSL.", file=sys.stderr)
        return 2
    if shutil.which("wrk") is None:
        print(
            f"wrk is not installed, so there is no load to measure.\n{INSTALL_WRK}", file=sys.stderr
        )
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="kata-load-") as work:
            results = measure(options, Path(work))
    except CannotMeasure as error:
        print(f"Cannot measure: {error}", file=sys.stderr)
        return 2
    names = ("rounds", "duration", "warmup", "workers", "connections")
    settings = {name: getattr(options, name) for name in names}
    info = machine()
    print(report(results, settings, info))
    if options.json:
        data = {
            "machine": info,
            "settings": settings,
            "apps": {name: asdict(result) for name, result in results.items()},
            "round_ratios_to_bare": {
                name: [round(value, 4) for value in round_ratios(results, name)] for name in results
            },
            "goals": goals(results),
        }
        options.json.write_text(json.dumps(data, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
