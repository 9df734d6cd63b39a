"""Starting the service under uvicorn: the one launcher of the CLI, the tests and the benchmarks.

Two ways, with the same server settings (no ``Server`` header, forwarded headers believed only from
``CUSTODY_TRUSTED_PROXIES``, see :mod:`api.serving`):

- :func:`serve` runs an app in this process until it is stopped (``custody serve``);
- :class:`ServiceProcess` runs ``python -m uvicorn APP`` as a child process, as a deployment does
  (``uvicorn api.serving:app --factory``): :meth:`~ServiceProcess.start` on a port (0: any free one),
  returns once the service answers HTTP, and says where it listens (:attr:`~ServiceProcess.url`);
  :meth:`~ServiceProcess.stop` ends it with SIGTERM (uvicorn's graceful shutdown: the app's shutdown
  closes the store), killing it only if it does not end in time. Started again, it listens on the
  same port, so clients configured with its address find it.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

import httpx

from api.serving import uvicorn_proxy_flags, uvicorn_proxy_options
from custody.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

SERVICE_APP = "api.serving:app"
"""The service's app factory (``--factory``): its database from ``CUSTODY_DATABASE_URL``."""

READY_PATH = "/health"
STARTS_ON_A_FREE_PORT = 3  # a port found free may be taken before the child binds it: try another


class LaunchError(RuntimeError):
    """The service ended while starting, or did not answer in time."""


def serve(app: FastAPI, host: str, port: int, log_level: str = "info") -> None:
    """Run ``app`` under uvicorn in this process until it is stopped (SIGINT or SIGTERM)."""
    import uvicorn

    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level,
        server_header=False,
        workers=1,
        **uvicorn_proxy_options(Settings()),
    )


def serve_workers(database_url: str, host: str, port: int, log_level: str, workers: int) -> None:
    """Run ``workers`` service processes on one port under uvicorn's supervisor, each opening the
    database at ``database_url`` itself (the app factory :data:`SERVICE_APP`), until stopped."""
    import os

    import uvicorn

    os.environ["CUSTODY_DATABASE_URL"] = database_url  # what each process's factory reads
    uvicorn.run(
        SERVICE_APP,
        factory=True,
        host=host,
        port=port,
        log_level=log_level,
        server_header=False,
        workers=workers,
        **uvicorn_proxy_options(Settings()),
    )


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class ServiceProcess:
    """``python -m uvicorn APP`` as a child process (see the module's description).

    ``env``: the child's whole environment (default: this process's); ``args``: more uvicorn flags
    (``--loop uvloop``, ``--no-access-log``, …); ``stdout``/``stderr``: as :class:`subprocess.Popen`
    (default: this process's own); ``new_session``: the child in its own session, so that a Ctrl-C at
    the terminal reaches only this process, which stops the child when it chooses.
    """

    def __init__(
        self,
        app: str = SERVICE_APP,
        *,
        factory: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        env: Mapping[str, str] | None = None,
        log_level: str = "info",
        args: Sequence[str] = (),
        stdout: int | IO[Any] | None = None,
        stderr: int | IO[Any] | None = None,
        new_session: bool = False,
    ) -> None:
        self.app, self.factory, self.host, self.port = app, factory, host, port
        self.env = dict(env) if env is not None else None
        self.log_level, self.args = log_level, list(args)
        self.stdout, self.stderr, self.new_session = stdout, stderr, new_session
        self.process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        """Where the service answers (once started)."""
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def _settings(self) -> Settings:
        """The child's settings where they shape the command line: its own environment's proxies."""
        if self.env is None:
            return Settings()
        return Settings(trusted_proxies=self.env.get("CUSTODY_TRUSTED_PROXIES", ""))

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "uvicorn",
            self.app,
            *(["--factory"] if self.factory else []),
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--log-level",
            self.log_level,
            "--no-server-header",
            *uvicorn_proxy_flags(self._settings()),
            *self.args,
        ]

    def start(self, timeout: float = 60.0) -> ServiceProcess:
        """Start the child and return once it answers HTTP; :class:`LaunchError` if it ends first
        or does not answer within ``timeout`` seconds (then it is stopped)."""
        any_port = self.port == 0
        for attempt in range(1, STARTS_ON_A_FREE_PORT + 1):
            if any_port:
                self.port = free_port(self.host)
            self.process = subprocess.Popen(
                self.command(),
                env=self.env,
                stdout=self.stdout,
                stderr=self.stderr,
                text=True,
                start_new_session=self.new_session,
            )
            try:
                self._wait_until_answering(timeout)
                return self
            except LaunchError:
                if self.process.poll() is None or not any_port or attempt == STARTS_ON_A_FREE_PORT:
                    self.stop()
                    raise
        raise AssertionError("unreachable")

    def _wait_until_answering(self, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=1.0) as client:
            while True:
                if self.process.poll() is not None:
                    raise LaunchError(f"the service ended at start (status {self.process.returncode})")
                try:
                    client.get(READY_PATH)  # any answer: the app is started and the port is ours
                    return
                except httpx.HTTPError:
                    pass  # not listening yet
                if time.monotonic() > deadline:
                    raise LaunchError(f"the service did not answer at {self.url} within {timeout:g} s")
                time.sleep(0.05)

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, as a service manager stops it, then SIGKILL after ``timeout`` seconds; the exit
        status (uvicorn re-raises the signal after its graceful shutdown: -SIGTERM either way)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def __enter__(self) -> ServiceProcess:
        return self.start() if self.process is None else self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
