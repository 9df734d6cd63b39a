"""The scanner driver as it runs: opening a real pseudo-terminal behind a symlink, fed by a simulated
scanner that misbehaves on request."""

from __future__ import annotations

import os

import pytest
from scanner_harness import TEST_FRAMING, EventLog

from devices.scanner import Connected, Disconnected, Fault, Framing, PortSettings, Reconnected, SerialScanner
from simulators.scanner import ScannerSimulator

pytestmark = pytest.mark.devices

CODES = ["F220100202600012787", "A220100202600012844", "B220100202600012901", "C220100202600013059"]
GS = "\x1d"


def test_codes_arrive_intact_in_order_with_their_bytes_and_times(simulator, listen):
    _, log = listen(simulator)
    for code in CODES:
        simulator.scan(code)
    scans = log.wait_for_scans(len(CODES))
    assert [scan.code for scan in scans] == CODES
    assert [scan.raw for scan in scans] == [code.encode() for code in CODES]
    assert all(scan.device == "test-desk" for scan in scans)
    assert [scan.monotonic for scan in scans] == sorted(scan.monotonic for scan in scans)
    assert log.errors == []


def test_a_scanner_writing_byte_by_byte_still_makes_one_scan_a_code(listen):
    with ScannerSimulator(baud=9600) as sim:
        _, log = listen(sim)
        for code in CODES:
            sim.scan(code, split=True)
        assert log.wait_for_scans(len(CODES)) and log.codes == CODES
        assert log.errors == []


def test_a_frame_hit_by_noise_is_an_error_and_the_next_scan_gets_through(simulator, listen):
    _, log = listen(simulator)
    simulator.scan(CODES[0])
    damaged = simulator.scan_with_noise(CODES[1], length=4)
    error = log.wait_for_error(Fault.BAD_BYTES, Fault.GARBLED)
    assert error.raw == damaged.rstrip(b"\r")
    simulator.idle(0.3)
    simulator.scan(CODES[2])
    log.wait_for_scans(2)
    assert log.codes == [CODES[0], CODES[2]]


def test_a_noise_burst_on_an_idle_line_is_dropped_without_touching_the_next_scan(simulator, listen):
    _, log = listen(simulator)
    simulator.noise(12)
    log.wait_for_error(Fault.IDLE_PARTIAL, Fault.GARBLED)
    simulator.scan(CODES[0])
    assert [scan.code for scan in log.wait_for_scans(1)] == [CODES[0]]


def test_a_frame_left_unfinished_is_discarded_never_joined_to_the_next(simulator, listen):
    _, log = listen(simulator)
    simulator.write(b"F2201002026")
    error = log.wait_for_error(Fault.IDLE_PARTIAL)
    assert error.raw == b"F2201002026"
    simulator.scan(CODES[1])
    assert [scan.code for scan in log.wait_for_scans(1)] == [CODES[1]]


def test_an_overlong_frame_is_rejected(simulator, listen):
    _, log = listen(simulator, Framing(idle_timeout=0.2, max_length=64))
    simulator.scan("Z" * 300)
    log.wait_for_error(Fault.TOO_LONG)
    simulator.idle(0.3)
    simulator.scan(CODES[0])
    log.wait_for_scans(1)
    assert log.codes == [CODES[0]]


@pytest.mark.parametrize(
    ("sent_at", "read_at"), [(9600, 115200), (115200, 9600), (19200, 9600), (9600, 38400)]
)
def test_a_scanner_at_the_wrong_baud_rate_delivers_nothing_and_is_reported_garbled(listen, sent_at, read_at):
    with ScannerSimulator(baud=read_at) as sim:
        _, log = listen(sim)
        for code in CODES:
            sim.scan_at_baud(code, sent_at)
            sim.idle(0.3)
        sim.scan("RECOVERED-AT-THE-RIGHT-RATE")
        log.wait_for_scans(1)
        assert log.codes == ["RECOVERED-AT-THE-RIGHT-RATE"]
        assert any(error.kind is Fault.GARBLED for error in log.errors)


def test_unplugged_and_replugged_no_complete_frame_is_lost_and_none_corrupted(simulator, listen):
    _, log = listen(simulator)
    for code in CODES:
        simulator.scan(code)
    simulator.unplug()
    log.wait_for_event(Disconnected)
    assert not simulator.link.exists()
    simulator.replug()
    assert os.readlink(simulator.link).startswith("/dev/pts/")
    log.wait_for_event(Reconnected)
    assert simulator.wait_for_reader()
    later = [f"{code[:-2]}XX" for code in CODES]
    for code in later:
        simulator.scan(code)
    log.wait_for_scans(2 * len(CODES))
    assert log.codes == CODES + later
    assert log.errors == []
    kinds = [event.event for event in log.events if event.event != "scan"]
    assert kinds == ["connected", "disconnected", "reconnected"]


def test_a_frame_cut_by_the_unplug_is_reported_and_never_delivered(simulator, listen):
    _, log = listen(simulator)
    simulator.scan(CODES[0])
    simulator.write(b"A2201002026")
    simulator.unplug()
    error = log.wait_for_error(Fault.CUT_OFF)
    assert error.raw == b"A2201002026"
    simulator.replug()
    log.wait_for_event(Reconnected)
    assert simulator.wait_for_reader()
    simulator.scan(CODES[1])
    log.wait_for_scans(2)
    assert log.codes == [CODES[0], CODES[1]]


def test_the_driver_waits_for_a_scanner_plugged_in_after_it_started(listen, tmp_path):
    with ScannerSimulator(tmp_path / "scanner", baud=115200) as sim:
        sim.unplug(drain=False)
        _, log = listen(sim, opened=False)
        disconnected = log.wait_for_event(Disconnected)
        assert str(sim.link) in disconnected.reason
        sim.replug()
        log.wait_for_event(Reconnected)
        assert sim.wait_for_reader()
        sim.scan(CODES[0])
        assert [scan.code for scan in log.wait_for_scans(1)] == [CODES[0]]


@pytest.mark.parametrize(
    ("aim", "symbology"),
    [("]C1", "gs1-128"), ("]d2", "gs1-datamatrix"), ("]Q3", "gs1-qr"), ("]e0", "gs1-databar")],
)
def test_gs1_codes_on_ammunition_boxes_are_split_into_their_fields(simulator, listen, aim, symbology):
    _, log = listen(simulator, Framing(idle_timeout=0.2, aim=True))
    simulator.scan(f"0106901234567892{GS}10LOT-7.62-42{GS}17281231{GS}21SN000123", aim=aim)
    (scan,) = log.wait_for_scans(1)
    assert (scan.symbology, scan.aim) == (symbology, aim)
    assert scan.gs1 == {"01": "06901234567892", "10": "LOT-7.62-42", "17": "281231", "21": "SN000123"}


def test_a_gs1_code_that_does_not_check_out_is_an_error(simulator, listen):
    _, log = listen(simulator, Framing(idle_timeout=0.2, aim=True))
    simulator.scan(f"0106901234567891{GS}10LOT-42", aim="]C1")
    simulator.idle(0.3)
    simulator.scan(CODES[0], aim="]C0")
    log.wait_for_scans(1)
    assert [error.kind for error in log.errors] == [Fault.GS1_INVALID]
    assert [(scan.code, scan.symbology) for scan in log.scans] == [(CODES[0], "code128")]


def test_trigger_commands_reach_the_scanner(simulator, listen):
    scanner, log = listen(simulator)
    scanner.trigger()
    assert simulator.wait_for_command(b"\x16T\r")
    simulator.scan(CODES[0])
    log.wait_for_scans(1)
    scanner.untrigger()
    assert simulator.wait_for_command(b"\x16U\r")


def test_a_burst_of_ten_thousand_codes_arrives_whole(listen):
    codes = [f"F2201002026{n:08d}" for n in range(10_000)]
    with ScannerSimulator(baud=115200, paced=False) as sim:
        _, log = listen(sim)
        sim.burst(codes)
        log.wait_for_scans(len(codes))
        assert log.codes == codes
        assert log.errors == []


@pytest.mark.parametrize("aim", [True, False], ids=["aim", "no-aim"])
def test_a_batch_upload_with_one_noisy_frame_loses_only_that_frame(listen, aim):
    """An inventory scanner uploading 2,000 stored codes back to back, one frame hit by noise: with
    AIM identifiers every other code arrives; without, the frame right after the noisy one is
    withheld too (it may be the noisy frame's tail), and no more."""
    codes = [f"F2201002026{n:06d}" for n in range(2000)]
    with ScannerSimulator(baud=115200, paced=False) as sim:
        _, log = listen(sim, Framing(aim=aim, idle_timeout=0.2))
        identifier = "]C0" if aim else ""
        frames = [sim.frame(code, identifier) for code in codes]
        frames[700] = sim.frame(b"F22\x00\xff\x80" + codes[700][6:].encode(), identifier)
        sim.write(b"".join(frames))
        lost = {700} if aim else {700, 701}
        wanted = [code for n, code in enumerate(codes) if n not in lost]
        log.wait_for_scans(len(wanted))
        sim.drain()
        assert log.codes == wanted
        kinds = [e.kind for e in log.errors]
        assert kinds == ([Fault.BAD_BYTES] if aim else [Fault.BAD_BYTES, Fault.UNSYNCHRONISED])


def test_the_simulator_link_points_at_a_pty_in_raw_mode(simulator):
    import termios
    import tty

    target = os.readlink(simulator.link)
    assert target.startswith("/dev/pts/")
    fd = os.open(target, os.O_RDWR | os.O_NOCTTY)
    try:
        lflag = termios.tcgetattr(fd)[tty.LFLAG]
        assert not lflag & (termios.ECHO | termios.ICANON)
    finally:
        os.close(fd)


def _open_by_us(device: str) -> int:
    return sum(os.path.realpath(f"/proc/self/fd/{fd}") == device for fd in os.listdir("/proc/self/fd"))


def test_closing_the_driver_ends_its_thread_and_lets_go_of_the_pty(simulator):
    scanner = SerialScanner(PortSettings(str(simulator.link), baudrate=115200), TEST_FRAMING)
    log = EventLog()
    thread = scanner.start(log.append)
    log.wait_for_event(Connected)
    assert _open_by_us(simulator.device) == 2  # the simulator's end and the driver's
    scanner.close()
    assert not thread.is_alive()
    assert _open_by_us(simulator.device) == 1
