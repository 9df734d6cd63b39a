"""A scanner behind a serial device server: the same driver over ``socket://host:port``."""

from __future__ import annotations

import socket

import pytest
from scanner_harness import WAIT, EventLog

from devices.scanner import Connected, Disconnected, Framing, PortSettings, Reconnected, SerialScanner

pytestmark = pytest.mark.devices

# A serial server forwards bytes as they come: no pause to resynchronise on is needed here.
FRAMING = Framing(idle_timeout=0.2, quiet_gap=0)


def test_scans_over_a_serial_server_survive_the_server_dropping_the_connection():
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(WAIT)
        host, port = server.getsockname()
        log = EventLog()
        scanner = SerialScanner(PortSettings(f"socket://{host}:{port}", backoff_max=0.1), FRAMING)
        scanner.start(log.append)
        try:
            connection, _ = server.accept()
            with connection:
                log.wait_for_event(Connected)
                connection.sendall(b"F220100202600012787\r\nA2201002026000")
                connection.sendall(b"12844\r\nB22010020260")
                log.wait_for_scans(2)
            log.wait_for_event(Disconnected)
            connection, _ = server.accept()
            with connection:
                log.wait_for_event(Reconnected)
                connection.sendall(b"C220100202600013059\r\n")
                log.wait_for_scans(3)
                # Stopped before this end hangs up: a hang-up now would be a disconnection of its own.
                scanner.close()
        finally:
            scanner.close()
    assert log.codes == ["F220100202600012787", "A220100202600012844", "C220100202600013059"]
    assert [(e.kind.value, e.raw) for e in log.errors] == [("cut_off", b"B22010020260")]
    assert [e.event for e in log.events if e.event not in ("scan", "error")] == [
        "connected",
        "disconnected",
        "reconnected",
    ]
