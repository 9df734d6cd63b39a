"""The tag monitor's decisions, driven by a scripted pcscd: what it reports for each change of state.

The script stands in for ``SCardGetStatusChange``; time passes only when a wait times out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from devices.rfid.errors import CommunicationError, PcscUnavailable, RfidError, TagLeftField
from devices.rfid.events import TagEvent
from devices.rfid.frontend import TagReading
from devices.rfid.monitor import TagMonitor
from devices.rfid.ntag import NTAG215
from devices.rfid.pcsc import PNP_NOTIFICATION, STATE_CHANGED, STATE_EMPTY, STATE_PRESENT, ReaderState

R0, R1 = "Virtual PCD 00 00", "Virtual PCD 00 01"
UID_A, UID_B = bytes.fromhex("04AAAAAAAAAAAA"), bytes.fromhex("04BBBBBBBBBBBB")


def present(count: int) -> int:
    return count << 16 | STATE_PRESENT | STATE_CHANGED


def empty(count: int) -> int:
    return count << 16 | STATE_EMPTY | STATE_CHANGED


def reading(uid: bytes, reader: str = R0) -> TagReading:
    return TagReading(reader, uid, b"", NTAG215, "get_version", "text", "F220100202600012787", None)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class ScriptedPcscd:
    """Each wait answers the next step: {reader: state} (``"pnp"``: readers changed), "timeout", or an
    exception. ``readers`` is what SCardListReaders says. The monitor is stopped when the script ends."""

    def __init__(self, steps: list[Any], clock: Clock, readers: list[str] | None = None) -> None:
        self.steps = steps
        self.clock = clock
        self.readers_now = list(readers or [R0])
        self.monitor: TagMonitor | None = None
        self.closed = 0

    def readers(self) -> list[str]:
        return list(self.readers_now)

    def wait_for_change(self, states: list[ReaderState], timeout: float) -> list[ReaderState] | None:
        if not self.steps:
            assert self.monitor is not None
            self.monitor.stop()
            return None
        step = self.steps.pop(0)
        if step == "timeout":
            self.clock.now += timeout
            return None
        if isinstance(step, BaseException):
            raise step
        if "readers" in step:
            self.readers_now = step["readers"]
        answer = [ReaderState(PNP_NOTIFICATION, STATE_CHANGED if "readers" in step else 0)]
        for state in states[1:]:
            answer.append(ReaderState(state.name, step.get(state.name, state.state)))
        return answer

    def cancel(self) -> None:
        pass

    def close(self) -> None:
        self.closed += 1


class Reads:
    """What each read of a tag gives, in order: a reading or an error to raise."""

    def __init__(self, *outcomes: TagReading | Exception) -> None:
        self.outcomes = list(outcomes)
        self.count = 0

    def __call__(self, context: Any, reader: str, families: Any) -> TagReading:
        self.count += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def run(pcscd: ScriptedPcscd | list[ScriptedPcscd | RfidError], reads: Reads, clock: Clock) -> list[str]:
    """Run a monitor over the script; the events it reported, as short strings."""
    contexts: Iterator[ScriptedPcscd | RfidError] = iter(pcscd if isinstance(pcscd, list) else [pcscd])
    events: list[TagEvent] = []

    def factory() -> Any:
        context = next(contexts)
        if isinstance(context, RfidError):
            raise context
        return context

    monitor = TagMonitor(
        events.append,
        clock=clock,
        context_factory=factory,
        read=reads,
        retry_interval=0.2,
        reconnect_interval=0,
    )
    for context in pcscd if isinstance(pcscd, list) else [pcscd]:
        if isinstance(context, ScriptedPcscd):
            context.monitor = monitor
    monitor.run()
    return [_short(event) for event in events]


def _short(event: TagEvent) -> str:
    json = event.to_json()
    detail = json.get("uid") or json.get("kind") or json.get("reader")
    return f"{json['event']} {str(detail)[:4]}" if json["event"] != "error" else f"error {detail}"


def test_tag_arrives_and_leaves() -> None:
    clock = Clock()
    pcscd = ScriptedPcscd([{R0: present(1)}, {R0: empty(2)}], clock)
    assert run(pcscd, Reads(reading(UID_A)), clock) == ["reader_added Virt", "arrived 04AA", "removed 04AA"]


def test_tag_swapped_between_two_polls_reads_as_removal_and_arrival() -> None:
    clock = Clock()
    pcscd = ScriptedPcscd([{R0: present(1)}, {R0: present(3)}], clock)
    events = run(pcscd, Reads(reading(UID_A), reading(UID_B)), clock)
    assert events == ["reader_added Virt", "arrived 04AA", "removed 04AA", "arrived 04BB"]


def test_busy_reader_state_changes_do_not_reread_the_tag() -> None:
    clock = Clock()
    in_use = present(1) | 0x100  # SCARD_STATE_INUSE while someone is connected
    pcscd = ScriptedPcscd([{R0: present(1)}, {R0: in_use}, {R0: present(1)}], clock)
    reads = Reads(reading(UID_A))
    assert run(pcscd, reads, clock) == ["reader_added Virt", "arrived 04AA"]
    assert reads.count == 1


def test_failed_read_is_retried_and_not_reported_when_the_retry_succeeds() -> None:
    clock = Clock()
    pcscd = ScriptedPcscd([{R0: present(1)}, "timeout"], clock)
    reads = Reads(CommunicationError("garbled"), reading(UID_A))
    assert run(pcscd, reads, clock) == ["reader_added Virt", "arrived 04AA"]


def test_read_failing_every_attempt_is_one_error_and_no_arrival() -> None:
    clock = Clock()
    pcscd = ScriptedPcscd([{R0: present(1)}, "timeout", "timeout", {R0: empty(2)}], clock)
    reads = Reads(*(CommunicationError("garbled") for _ in range(3)))
    assert run(pcscd, reads, clock) == ["reader_added Virt", "error communication"]
    assert reads.count == 3


def test_tag_that_stays_after_failed_reads_is_retried_slowly_and_arrives_once_readable() -> None:
    clock = Clock()
    pcscd = ScriptedPcscd([{R0: present(1)}, "timeout", "timeout", "timeout", "timeout", "timeout"], clock)
    reads = Reads(*(CommunicationError("garbled") for _ in range(4)), reading(UID_A))
    assert run(pcscd, reads, clock) == ["reader_added Virt", "error communication", "arrived 04AA"]
    assert reads.count == 5


def test_tag_leaving_during_the_read_is_one_removal_error_and_nothing_else() -> None:
    clock = Clock()
    pcscd = ScriptedPcscd([{R0: present(1)}, {R0: empty(2)}], clock)
    reads = Reads(TagLeftField("response of 0 bytes"))
    assert run(pcscd, reads, clock) == ["reader_added Virt", "error tag_removed"]


def test_tag_leaving_after_its_uid_was_read_is_reported_with_its_uid_and_type() -> None:
    clock = Clock()
    pcscd = ScriptedPcscd([{R0: present(1)}, {R0: empty(2)}], clock)
    events: list[TagEvent] = []
    reads = Reads(TagLeftField("response of 0 bytes", uid=UID_A, tag_type="NTAG215"))
    monitor = TagMonitor(events.append, clock=clock, context_factory=lambda: pcscd, read=reads)
    pcscd.monitor = monitor
    monitor.run()
    [error] = [event.to_json() for event in events if event.to_json()["event"] == "error"]
    assert (error["kind"], error["uid"], error["type"]) == ("tag_removed", UID_A.hex().upper(), "NTAG215")
    assert "text" not in error


def test_tag_leaving_before_its_uid_was_read_is_reported_without_one() -> None:
    clock = Clock()
    pcscd = ScriptedPcscd([{R0: present(1)}, {R0: empty(2)}], clock)
    events: list[TagEvent] = []
    monitor = TagMonitor(
        events.append, clock=clock, context_factory=lambda: pcscd, read=Reads(TagLeftField("gone"))
    )
    pcscd.monitor = monitor
    monitor.run()
    [error] = [event.to_json() for event in events if event.to_json()["event"] == "error"]
    assert (error["kind"], error["uid"], error["type"]) == ("tag_removed", None, None)


def test_failed_reads_that_disagree_on_the_uid_report_none() -> None:
    clock = Clock()
    pcscd = ScriptedPcscd([{R0: present(1)}, "timeout", {R0: empty(2)}], clock)
    events: list[TagEvent] = []
    reads = Reads(TagLeftField("cut", uid=UID_A), TagLeftField("cut", uid=UID_B))
    monitor = TagMonitor(events.append, clock=clock, context_factory=lambda: pcscd, read=reads)
    pcscd.monitor = monitor
    monitor.run()
    [error] = [event.to_json() for event in events if event.to_json()["event"] == "error"]
    assert (error["kind"], error["uid"]) == ("tag_removed", None)


def test_pcscd_gone_is_reported_once_and_the_tag_is_seen_again_when_it_returns() -> None:
    clock = Clock()
    gone = PcscUnavailable("no service")
    before = ScriptedPcscd([{R0: present(1)}, gone], clock)
    after = ScriptedPcscd([{R0: present(1)}], clock)
    script: list[ScriptedPcscd | RfidError] = [before, gone, gone, after]
    events = run(script, Reads(reading(UID_A), reading(UID_A)), clock)
    assert events == [
        "reader_added Virt",
        "arrived 04AA",
        "error pcscd_unavailable",
        "removed 04AA",
        "reader_removed Virt",
        "reader_added Virt",
        "arrived 04AA",
    ]
    assert before.closed == 1


def test_reader_plugged_in_is_reported_and_watched() -> None:
    clock = Clock()
    pcscd = ScriptedPcscd([{"readers": [R0, R1]}, {R1: present(1)}], clock)
    assert run(pcscd, Reads(reading(UID_B, R1)), clock) == [
        "reader_added Virt",
        "reader_added Virt",
        "arrived 04BB",
    ]


def test_unforeseen_failure_of_a_read_is_an_error_event_and_the_monitor_goes_on() -> None:
    clock = Clock()
    steps: list[Any] = [{R0: present(1)}, "timeout", "timeout", {R0: empty(2)}, {R0: present(3)}]
    pcscd = ScriptedPcscd(steps, clock)
    reads = Reads(*(IndexError("page 300") for _ in range(3)), reading(UID_B))
    assert run(pcscd, reads, clock) == ["reader_added Virt", "error driver_fault", "arrived 04BB"]


def test_an_error_in_the_applications_callback_ends_the_monitor_rather_than_being_reported() -> None:
    clock = Clock()
    pcscd = ScriptedPcscd([{R0: present(1)}], clock)

    def broken(event: TagEvent) -> None:
        raise ValueError("bug in the application")

    monitor = TagMonitor(broken, clock=clock, context_factory=lambda: pcscd, read=Reads(reading(UID_A)))
    pcscd.monitor = monitor
    with pytest.raises(Exception, match="on_event raised ValueError") as raised:
        monitor.run()
    assert isinstance(raised.value.__cause__, ValueError)
    assert pcscd.closed == 1
