"""The reference behind a real nginx, as lesson 07 advises: slow clients and forwarded headers.

gunicorn's sync workers each serve one connection at a time, so as many slow clients as there
are workers starve everyone else. nginx reads each request whole before it passes it on, so
behind it the same slow clients cost gunicorn nothing. And with TRUSTED_PROXIES=1 the app logs
the address nginx saw, never one that the client wrote into X-Forwarded-For itself.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from lessons import servers
from tests.support import require

CONFIG = """
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log info;
{user}
events {{ worker_connections 256; }}
http {{
    access_log {folder}/nginx-access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""
SLOW_START = b"GET /hello HTTP/1.1\r\nHost: localhost\r\nX-Slow: "  # and never the rest
CLIENT = "127.0.0.2"  # another loopback address, so the client is not nginx's 127.0.0.1


@contextmanager
def nginx(folder: Path, upstream: int) -> Iterator[int]:
    """nginx on 127.0.0.1 and a free port, passing requests to gunicorn; always stopped."""
    program = require("nginx", "/usr/sbin/nginx")
    port = servers.free_port()
    # As root, nginx's workers would switch to an unprivileged user that cannot use the folder.
    user = "user root root;" if hasattr(os, "geteuid") and os.geteuid() == 0 else ""
    config = folder / "nginx.conf"
    config.write_text(CONFIG.format(folder=folder, port=port, upstream=upstream, user=user))
    command = [program, "-p", str(folder), "-c", str(config), "-e", str(folder / "nginx-error.log")]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + servers.STARTUP_SECONDS
        while not answers(port) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        log = (folder / "nginx-error.log").read_text(errors="replace")
        assert process.poll() is None and answers(port), log
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def answers(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def get(
    port: int, headers: dict[str, str] | None = None, source: str | None = None, timeout: float = 10
):
    """GET /hello on 127.0.0.1:port, perhaps from another loopback address; status and headers."""
    address = (source, 0) if source else None
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=timeout, source_address=address
    )
    try:
        connection.request("GET", "/hello", headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status, dict(response.getheaders())
    finally:
        connection.close()


def slow_clients(stack: ExitStack, port: int, count: int) -> None:
    """Open count connections that send the start of a request, then nothing, until closed."""
    for _ in range(count):
        client = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=5))
        client.sendall(SLOW_START)


def second_loopback() -> bool:
    try:
        with socket.socket() as probe:
            probe.bind((CLIENT, 0))
    except OSError:
        return False
    return True


@pytest.fixture
def behind_nginx(kata_root, process_env, isolated):
    """The reference under gunicorn (2 workers, TRUSTED_PROXIES=1) with nginx in front."""
    env = {**servers.production(process_env), "FLASK_TRUSTED_PROXIES": "1"}
    with servers.gunicorn(kata_root, env, isolated, WEB_CONCURRENCY="2") as gunicorn:
        assert gunicorn.port, gunicorn.output()
        assert len(gunicorn.wait_for(servers.BOOTING, count=2)) == 2, gunicorn.output()
        with nginx(isolated, gunicorn.port) as port:
            yield gunicorn, port


def test_slow_clients_starve_sync_workers_but_not_behind_nginx(behind_nginx):
    gunicorn, port = behind_nginx
    with ExitStack() as stack:
        slow_clients(stack, port, count=10)  # five times as many as there are workers
        status, _ = get(port)
        assert status == 200  # nginx holds the slow requests; the workers stay free
    with ExitStack() as stack:
        slow_clients(stack, gunicorn.port, count=2)  # as many as there are workers, directly
        time.sleep(0.2)  # let each worker accept one of them
        # Each worker now waits for the rest of a request that will not come (up to timeout,
        # 30 s): a third client gets no answer at all. This is what nginx is there for.
        with pytest.raises(TimeoutError):
            get(gunicorn.port, timeout=1.5)


@pytest.mark.skipif(not second_loopback(), reason=f"{CLIENT} is not a loopback address here")
def test_behind_nginx_the_log_names_the_client_nginx_saw(behind_nginx):
    gunicorn, port = behind_nginx
    forged = {
        "X-Forwarded-For": "198.51.100.99",
        "X-Forwarded-Proto": "https",
        "X-Request-ID": "kata-nginx",
    }
    status, headers = get(port, forged, source=CLIENT)
    assert status == 200 and headers["X-Request-ID"] == "kata-nginx"
    assert "Strict-Transport-Security" not in headers  # nginx says http, whatever the client says
    [line] = gunicorn.wait_for(r".*request_id=kata-nginx", seconds=5)
    assert f"solution: {CLIENT} GET /hello 200 " in line[0], gunicorn.output()
    assert "198.51.100.99" not in line[0]
