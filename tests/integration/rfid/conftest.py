"""The RFID driver through the real stack: pyscard → pcscd → vpcd → the virtual tag.

pcscd is started as a child process when none is running and stopped afterwards; when it cannot be
started (not installed, vpcd missing) the tests fail, never skip, under CI and everywhere else. There
is one pcscd per machine, so every test here is in the ``pcscd`` xdist group. Waits are on events with
a generous upper bound; vpcd polls each slot about every 0.4 s, so events normally come well within it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rfid_stack import SLOT0, SLOT1, EventLog, wait_until_empty

from devices.rfid import ReaderAdded, TagMonitor
from simulators.pcscd import Pcscd
from simulators.tag import VPCD_PORTS, VirtualTag


@pytest.fixture
def monitor(pcscd: Pcscd) -> Iterator[EventLog]:
    """A running tag monitor; both vpcd readers already reported."""
    log = EventLog()
    tag_monitor = TagMonitor(log.put, retry_interval=0.1).start()
    log.expect(ReaderAdded, SLOT0)
    log.expect(ReaderAdded, SLOT1)
    yield log
    tag_monitor.stop()


@pytest.fixture
def tags(pcscd: Pcscd) -> Iterator[Callable[..., VirtualTag]]:
    """Make virtual tags (``slot`` 0 or 1); all are taken off the readers after the test."""
    made: list[VirtualTag] = []

    def make(kind: str = "ntag215", slot: int = 0, **options: Any) -> VirtualTag:
        tag = VirtualTag(kind, port=VPCD_PORTS[slot], **options)
        made.append(tag)
        return tag

    yield make
    for tag in made:
        tag.close()
    wait_until_empty()
