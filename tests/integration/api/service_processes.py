"""`custody serve` as separate service processes on ports of their own, for the tests of a province
deployment (several processes on one PostgreSQL database)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from api.launcher import free_port

CUSTODY = str(Path(sys.executable).with_name("custody"))


class Process:
    """`custody serve` on a port of its own, answering once started."""

    def __init__(self, url: str, password: str, **env: str) -> None:
        self.password = password
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [CUSTODY, "serve", "--port", str(self.port), "--log-level", "warning"],
            env={**os.environ, "CUSTODY_DATABASE_URL": url, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the service ended at start"
            try:
                if httpx.get(self.base + "/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        pytest.fail("the service did not answer within 60 s")

    def token(self, username: str, password: str | None = None) -> httpx.Response:
        given = self.password if password is None else password
        return httpx.post(
            self.base + "/api/v1/auth/login", json={"username": username, "password": given}, timeout=30
        )

    def bearer(self, username: str) -> dict[str, str]:
        answer = self.token(username)
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['token']}"}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)
