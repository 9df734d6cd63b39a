"""Writing the evidence number to a tag through pcscd, and what a refused or cut-off write leaves."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rfid_stack import SLOT0, EventLog

from devices.rfid import PcscContext, TagArrived, TagRemoved, open_tag, wait_for_tag
from devices.rfid.errors import NoTagPresent, ReaderUnavailable, TagLeftField, TagLocked, TagTooSmall
from simulators.tag import VirtualTag

pytestmark = [pytest.mark.devices, pytest.mark.xdist_group("pcscd")]

OLD = "F220100202600000001"
NEW = "F220100202600012787"
MakeTag = Callable[..., VirtualTag]


def test_written_number_reads_back_and_is_seen_on_the_next_arrival(monitor: EventLog, tags: MakeTag) -> None:
    tag = tags("ntag213")
    tag.put_on_reader()
    monitor.expect(TagArrived)
    with PcscContext() as context, open_tag(context, wait_for_tag(context, SLOT0, 10)) as handle:
        written = handle.write_text(NEW)
    assert (written.ndef, written.text) == ("text", NEW)
    tag.take_off_reader()
    monitor.expect(TagRemoved)
    tag.put_on_reader()
    assert monitor.expect(TagArrived).text == NEW


def test_locked_tag_refuses_the_write_and_keeps_its_number(monitor: EventLog, tags: MakeTag) -> None:
    tags("ntag215", text=OLD, locked=True).put_on_reader()
    monitor.expect(TagArrived)
    with PcscContext() as context, open_tag(context, SLOT0) as handle:
        with pytest.raises(TagLocked, match="read-only"):
            handle.write_text(NEW)
        assert handle.read().text == OLD


def test_text_too_long_for_the_tag_is_refused(monitor: EventLog, tags: MakeTag) -> None:
    tags("ntag213", text=OLD).put_on_reader()
    monitor.expect(TagArrived)
    with PcscContext() as context, open_tag(context, SLOT0) as handle:
        with pytest.raises(TagTooSmall):
            handle.write_text("封存" * 80)
        assert handle.read().text == OLD


def test_tag_pulled_away_mid_write_reads_empty_never_half_a_number(monitor: EventLog, tags: MakeTag) -> None:
    tag = tags("ntag215", text=OLD)
    tag.put_on_reader()
    monitor.expect(TagArrived)
    tag.leave_during_write(after=1)  # the NDEF TLV is marked empty, then the tag leaves
    with PcscContext() as context, open_tag(context, SLOT0) as handle, pytest.raises(TagLeftField):
        handle.write_text(NEW)
    monitor.expect(TagRemoved)
    tag.put_on_reader()
    again = monitor.expect(TagArrived)
    assert (again.reading.ndef, again.text) == ("empty", None)


def test_waiting_for_a_tag_on_an_empty_reader_gives_up_with_no_tag(pcscd: object) -> None:
    with PcscContext() as context, pytest.raises(NoTagPresent):
        wait_for_tag(context, SLOT0, timeout=0.5)


def test_waiting_for_a_tag_on_a_reader_that_does_not_exist_names_the_readers(pcscd: object) -> None:
    with PcscContext() as context, pytest.raises(ReaderUnavailable, match="Virtual PCD 00 00"):
        wait_for_tag(context, "ACR122", timeout=0.5)
