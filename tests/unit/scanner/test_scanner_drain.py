"""How the port loop empties a POSIX port before parsing: everything queued, up to a cap, and what
was read before the port failed is kept."""

from __future__ import annotations

import errno

import pytest

from devices.scanner import port


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[bytes | OSError]:
    """The script of what each read of the descriptor gives (past its end: nothing waiting)."""
    script: list[bytes | OSError] = []

    def read_now(fd: int) -> bytes:
        assert fd == 7
        step = script.pop(0) if script else b""
        if isinstance(step, OSError):
            raise step
        return step

    monkeypatch.setattr(port, "_read_now", read_now)
    return script


def test_a_drain_joins_every_chunk_the_port_has_queued(reads):
    reads += [b"FIRST\rSEC", b"OND\rTHI", b"RD\r", b"", b"LATER\r"]
    assert port.drain(7) == b"FIRST\rSECOND\rTHIRD\r"
    assert port.drain(7) == b"LATER\r"
    assert port.drain(7) == b""


def test_a_drain_stops_at_its_cap_and_leaves_the_rest_queued(reads):
    chunk = b"X" * 4095
    reads += [chunk] * 20
    first = port.drain(7)
    assert len(first) >= port._GULP and len(first) < port._GULP + len(chunk)
    assert len(first) + len(port.drain(7)) == 20 * len(chunk)


def test_bytes_read_before_the_port_fails_are_kept_and_the_failure_comes_next(reads):
    reads += [b"GOOD-1\rGOOD-2\r", OSError(errno.EIO, "Input/output error"), OSError(errno.EIO, "again")]
    assert port.drain(7) == b"GOOD-1\rGOOD-2\r"
    with pytest.raises(OSError):
        port.drain(7)
