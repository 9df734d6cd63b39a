"""Start pcscd for the tests and the demo when none is running; reuse one that is.

Debian 12's pcscd (pcsc-lite 1.9.9) listens on ``/run/pcscd/pcscd.comm`` whatever the environment says
(only the client library reads ``PCSCLITE_CSOCK_NAME``), so there is one pcscd per machine. Ours runs
in the foreground as a child process with info-level logging on a pipe: its "daemon ready" line is the
signal that it serves, and the log tail explains a failed start. The vpcd driver it loads (package
``vsmartcard-vpcd``) listens on all interfaces: for the demo and tests only, never on a production
station.

A pcscd killed without cleaning up leaves its pid file and socket behind and refuses to start again
("Another pcscd seems to be running"); stale files of a dead pid are removed before starting.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import threading
import time
from collections import deque
from pathlib import Path
from types import TracebackType

RUN_DIR = Path("/run/pcscd")
SOCKET_PATH = RUN_DIR / "pcscd.comm"
PID_PATH = RUN_DIR / "pcscd.pid"
VPCD_CONFIG = Path("/etc/reader.conf.d/vpcd")
_READY_LINE = "daemon ready"


class PcscdError(RuntimeError):
    """pcscd could not be started, or is not ours to stop."""


def pcscd_running(socket_path: Path = SOCKET_PATH) -> bool:
    """True when something accepts connections on pcscd's socket."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(socket_path))
    except OSError:
        return False
    finally:
        probe.close()
    return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_files() -> bool:
    """Remove the pid file and socket of a pcscd that died without cleaning up; True if removed."""
    try:
        pid = int(PID_PATH.read_text().strip("\x00\n "))
    except (OSError, ValueError):
        pid = 0
    if not PID_PATH.exists() and not SOCKET_PATH.exists():
        return False
    if pid and _pid_alive(pid):
        return False
    for path in (PID_PATH, SOCKET_PATH):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return True


class Pcscd:
    """A pcscd to use: :meth:`start` reuses a running one or starts ours; only ours can be stopped."""

    def __init__(self, executable: str = "pcscd", ready_timeout: float = 15.0) -> None:
        self.executable = executable
        self.ready_timeout = ready_timeout
        self.process: subprocess.Popen[str] | None = None
        self.log: deque[str] = deque(maxlen=200)
        self._ready = threading.Event()
        self._log_thread: threading.Thread | None = None

    @property
    def owned(self) -> bool:
        return self.process is not None

    def start(self) -> Pcscd:
        if self.process is not None:
            return self
        if not VPCD_CONFIG.exists():
            raise PcscdError(f"{VPCD_CONFIG} is missing: install the vsmartcard-vpcd package")
        if pcscd_running():
            return self
        path = shutil.which(self.executable) or shutil.which(self.executable, path="/usr/sbin:/sbin")
        if path is None:
            raise PcscdError(f"{self.executable!r} not found: install the pcscd package")
        remove_stale_files()
        self._ready.clear()
        self.log.clear()
        self.process = subprocess.Popen(
            [path, "--foreground", "--info"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        self._log_thread = threading.Thread(target=self._follow_log, name="pcscd-log", daemon=True)
        self._log_thread.start()
        if not self._wait_until_serving():
            tail = "\n".join(list(self.log)[-15:])
            self.stop()
            raise PcscdError(f"pcscd did not become ready within {self.ready_timeout:g} s:\n{tail}")
        return self

    def _wait_until_serving(self) -> bool:
        """Wait for the "daemon ready" line, then for the socket, which pcscd opens just after it."""
        deadline = time.monotonic() + self.ready_timeout
        if not self._ready.wait(self.ready_timeout):
            return False
        while self.process is not None and self.process.poll() is None:
            if pcscd_running():
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return False

    def _follow_log(self) -> None:
        process = self.process
        assert process is not None and process.stdout is not None
        for line in process.stdout:
            self.log.append(line.rstrip())
            if _READY_LINE in line:
                self._ready.set()
        self._ready.set()  # exited: wake the starter, which checks the exit

    def stop(self) -> None:
        """Stop our pcscd (SIGTERM, then SIGKILL) and wait for it; refuse to stop someone else's."""
        process, self.process = self.process, None
        if process is None:
            if pcscd_running():
                raise PcscdError("the running pcscd was not started here; it is not ours to stop")
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        if self._log_thread is not None:
            self._log_thread.join(5)
        remove_stale_files()

    def restart(self) -> Pcscd:
        self.stop()
        return self.start()

    def __enter__(self) -> Pcscd:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.owned:
            self.stop()
