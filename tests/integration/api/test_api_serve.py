"""`custody serve` and `custody station add` as an administrator runs them: real processes, a real
uvicorn on a TCP port, the embedded SQLite database. A station key is printed once, works over HTTP,
and neither it, a password nor a session token appears in the server's output."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CUSTODY = str(Path(sys.executable).with_name("custody"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [CUSTODY, *args], check=False, env=env, input=stdin, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done


class Server:
    def __init__(self, env: dict[str, str], port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [CUSTODY, "serve", "--demo", "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output: list[str] = []
        assert self.process.stdout is not None
        for line in self.process.stdout:  # wait for the server to say it listens, not for a time
            self.output.append(line)
            if "Application startup complete" in line:
                return
        raise AssertionError("custody serve ended before it started:\n" + "".join(self.output))

    def stop(self) -> str:
        self.process.send_signal(signal.SIGINT)
        rest, _ = self.process.communicate(timeout=60)
        self.output.append(rest)
        return "".join(self.output)


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODY_")}
    env["CUSTODY_DATA_DIR"] = str(tmp_path / "data")
    env["CUSTODY_DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    env["CUSTODY_SESSION_FILE"] = str(tmp_path / "session.json")
    return env


@pytest.fixture
def server(environment: dict[str, str]) -> Iterator[Server]:
    running = Server(environment, _free_port())
    yield running
    if running.process.poll() is None:
        running.stop()


def test_serve_demo_then_a_station_key_printed_once_works_and_no_secret_is_printed(environment, server):
    started = "".join(server.output)
    assert "log in with password 'custody-demo'" in started
    password = f"pw-{secrets.token_urlsafe(12)}"
    _run(environment, "login", "admin", "--password-stdin", stdin="custody-demo\n")
    _run(environment, "user", "password", "cc-clerk", "--stdin", stdin=password + "\n")
    added = _run(
        environment,
        "station",
        "add",
        "cc-desk-1",
        "--unit",
        "220100",
        "--device",
        "scanner-1",
    )
    printed = json.loads(added.stdout)
    key = printed["key"]
    assert added.stdout.count(key) == 1 and "not shown again" in added.stderr
    listed = _run(environment, "station", "list")
    assert key not in listed.stdout and json.loads(listed.stdout)["name"] == "cc-desk-1"

    with httpx.Client(base_url=server.url) as client:
        assert client.get("/health").json() == {"status": "ok"}
        wrong = client.post("/api/v1/auth/login", json={"username": "cc-clerk", "password": "custody-demo"})
        assert wrong.status_code == 401 and wrong.headers["content-type"] == "application/problem+json"
        login = client.post("/api/v1/auth/login", json={"username": "cc-clerk", "password": password})
        token = login.json()["token"]
        found = client.get("/api/v1/items?limit=1", headers={"Authorization": f"Bearer {token}"}).json()
        number = found["items"][0]["evidence_no"]
        seen = client.get(
            f"/api/v1/items/{number}", headers={"X-Station-Key": key, "X-Station-Device": "scanner-1"}
        )
        assert seen.status_code == 200 and seen.json()["unit_code"].startswith("2201")
    output = server.stop()
    assert server.process.returncode == 0
    assert f"GET /api/v1/items/{number}" in output  # uvicorn's own access lines are there
    for secret in (password, token, key):
        assert secret not in output


def test_serve_refuses_a_database_without_the_schema(environment):
    done = subprocess.run(
        [CUSTODY, "serve", "--port", str(_free_port())],
        check=False,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and "custody db upgrade" in done.stderr


LOGIN = "/api/v1/auth/login"


def _logged_clients(environment: dict[str, str]) -> set[str]:
    import sqlite3

    path = environment["CUSTODY_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT client FROM access_log")}


def _fail_ten_logins(client: httpx.Client, headers: dict[str, str] | None = None) -> None:
    for n in range(10):
        answer = client.post(LOGIN, json={"username": f"nobody-{n}", "password": "wrong"}, headers=headers)
        assert answer.status_code == 401


def test_a_forwarded_address_is_not_believed_by_default(environment, server):
    with httpx.Client(base_url=server.url) as client:
        _fail_ten_logins(client)
        spoofed = client.post(
            LOGIN,
            json={"username": "cc-clerk", "password": "custody-demo"},
            headers={"X-Forwarded-For": "10.9.8.7"},
        )
        assert spoofed.status_code == 429
        assert client.get("/api/v1/units", headers={"X-Forwarded-For": "6.6.6.6"}).status_code == 401
    server.stop()
    assert _logged_clients(environment) == {"127.0.0.1"}


def test_a_forwarded_address_is_believed_from_a_trusted_proxy(environment):
    environment["CUSTODY_TRUSTED_PROXIES"] = "127.0.0.1"
    trusted = Server(environment, _free_port())
    try:
        with httpx.Client(base_url=trusted.url) as client:
            _fail_ten_logins(client, {"X-Forwarded-For": "10.9.8.7"})
            held = client.post(
                LOGIN,
                json={"username": "cc-clerk", "password": "custody-demo"},
                headers={"X-Forwarded-For": "10.9.8.7"},
            )
            assert held.status_code == 429
            other = client.post(
                LOGIN,
                json={"username": "cc-clerk", "password": "custody-demo"},
                headers={"X-Forwarded-For": "10.1.2.3"},
            )
            assert other.status_code == 200
    finally:
        trusted.stop()
    assert {"10.9.8.7", "10.1.2.3"} <= _logged_clients(environment)


def test_serve_refuses_a_malformed_trusted_proxy_setting(environment):
    environment["CUSTODY_TRUSTED_PROXIES"] = "everyone"
    done = subprocess.run(
        [CUSTODY, "serve", "--demo", "--port", str(_free_port())],
        check=False,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and "CUSTODY_TRUSTED_PROXIES" in done.stderr
