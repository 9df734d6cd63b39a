"""Printers as transports: each moves a job's bytes to one place and knows nothing of labels.

* :class:`FilePrinter` — writes the job to a file (or a device node such as ``/dev/usb/lp0``);
* :class:`CupsPrinter` — queues the job with CUPS through ``lp`` (raw by default: the bytes reach the
  printer unchanged, which ZPL needs; ``raw=False`` lets CUPS filter a PDF for an office printer);
* :class:`RawTcpPrinter` — sends the job to a network printer's raw port (JetDirect, TCP 9100).

:func:`printer_for` picks one from a URI. ``send`` either delivers the whole job or raises
:class:`~labels.errors.PrinterError`; sending the same bytes again is the retry.
"""

from __future__ import annotations

import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from labels.errors import PrinterError

RAW_PORT = 9100


class Printer(Protocol):
    def send(self, data: bytes) -> None:
        """Deliver one job, or raise :class:`PrinterError`."""


@dataclass(frozen=True)
class FilePrinter:
    path: Path

    def send(self, data: bytes) -> None:
        try:
            with open(self.path, "wb") as target:
                target.write(data)
        except OSError as error:
            raise PrinterError(f"cannot write the job to {self.path}: {error.strerror or error}") from error


@dataclass(frozen=True)
class CupsPrinter:
    queue: str
    server: str | None = None  # host[:port] or a socket path; default: the client's (CUPS_SERVER)
    raw: bool = True
    timeout: float = 60.0
    lp: str = "lp"

    def send(self, data: bytes) -> None:
        command = [self.lp]
        if self.server:  # before -d: lp looks the queue up as soon as it reads -d
            command += ["-h", self.server]
        command += ["-d", self.queue]
        if self.raw:
            command += ["-o", "raw"]
        try:
            done = subprocess.run(command, input=data, capture_output=True, timeout=self.timeout, check=False)
        except FileNotFoundError as error:
            raise PrinterError(f"{self.lp!r} not found; install the CUPS client (cups-client)") from error
        except subprocess.TimeoutExpired as error:
            raise PrinterError(
                f"CUPS did not accept the job for {self.queue} within {self.timeout} s"
            ) from error
        if done.returncode != 0:
            reason = done.stderr.decode("utf-8", "replace").strip() or f"lp exited with {done.returncode}"
            raise PrinterError(f"CUPS refused the job for queue {self.queue}: {reason}")


@dataclass(frozen=True)
class RawTcpPrinter:
    """Raw TCP printing: connect, send, half-close, and wait for the printer to close its side.

    A refused connection or one reset before the printer closed is a :class:`PrinterError`.
    """

    host: str
    port: int = RAW_PORT
    timeout: float = 10.0

    def send(self, data: bytes) -> None:
        where = f"{self.host}:{self.port}"
        try:
            connection = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except ConnectionRefusedError as error:
            raise PrinterError(f"printer {where} refused the connection; the job was not sent") from error
        except OSError as error:
            raise PrinterError(f"cannot reach printer {where} ({error}); the job was not sent") from error
        with connection:
            try:
                connection.sendall(data)
                connection.shutdown(socket.SHUT_WR)
            except OSError as error:
                raise PrinterError(
                    f"connection to printer {where} was dropped while sending ({error}); send the job again"
                ) from error
            try:
                while connection.recv(4096):
                    pass  # printers may report status; the job is done when they close
            except TimeoutError as error:
                raise PrinterError(
                    f"printer {where} took all {len(data)} bytes but did not close the connection within "
                    f"{self.timeout} s; check the printer before sending the job again"
                ) from error
            except OSError as error:
                raise PrinterError(
                    f"connection to printer {where} was dropped before it confirmed the job ({error}); "
                    "send the job again"
                ) from error


def _flag(query: dict[str, list[str]], name: str, default: bool) -> bool:
    values = query.get(name)
    if not values:
        return default
    if values[-1].lower() in {"1", "yes", "true", "on"}:
        return True
    if values[-1].lower() in {"0", "no", "false", "off"}:
        return False
    raise PrinterError(f"printer option {name}={values[-1]!r}: use 1 or 0")


def printer_for(uri: str) -> Printer:
    """The printer a URI names.

    ``file:///path`` (or ``file:relative/path``); ``cups://QUEUE``, ``cups://HOST[:PORT]/QUEUE`` or
    ``lp:QUEUE``, with ``?raw=0`` to let CUPS filter the job; ``tcp://HOST[:PORT]`` or
    ``socket://HOST[:PORT]``, port 9100 by default.
    """
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    query = parse_qs(parts.query)
    if scheme == "file":
        path = unquote(parts.path)
        if not path or parts.netloc not in {"", "localhost"}:
            raise PrinterError(f"printer URI {uri!r}: expected file:///absolute/path")
        return FilePrinter(Path(path))
    if scheme in {"cups", "lp"}:
        raw = _flag(query, "raw", True)
        if scheme == "lp":
            queue, server = parts.path, None
        elif parts.path.strip("/"):
            queue, server = parts.path.strip("/"), parts.netloc
        else:
            queue, server = parts.netloc, None
        if not queue or "/" in queue:
            raise PrinterError(f"printer URI {uri!r}: expected cups://QUEUE, cups://HOST/QUEUE or lp:QUEUE")
        return CupsPrinter(unquote(queue), server=server or None, raw=raw)
    if scheme in {"tcp", "socket"}:
        try:
            port = parts.port or RAW_PORT
        except ValueError as error:
            raise PrinterError(f"printer URI {uri!r}: bad port") from error
        if not parts.hostname:
            raise PrinterError(f"printer URI {uri!r}: expected tcp://HOST[:PORT]")
        return RawTcpPrinter(parts.hostname, port)
    raise PrinterError(
        f"unknown printer URI {uri!r}: use file:///path, cups://QUEUE, lp:QUEUE or tcp://HOST:9100"
    )
