"""`custody scanner listen` and `custody sim scanner`, run as commands against real pseudo-terminals."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scanner_harness import WAIT, EventLog, OutputLines

from devices.scanner import Framing, PortSettings, Reconnected, SerialScanner

pytestmark = pytest.mark.devices

CUSTODY = str(Path(sys.executable).parent / "custody")
GS = "\x1d"


def start(*args: str) -> tuple[subprocess.Popen[str], OutputLines]:
    process = subprocess.Popen(
        [CUSTODY, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8"
    )
    return process, OutputLines(process.stdout)


def finish(process: subprocess.Popen[str]) -> int:
    try:
        return process.wait(WAIT)
    finally:
        process.kill()
        process.wait()


def test_listen_prints_one_json_line_per_event(simulator):
    process, output = start("scanner", "listen", str(simulator.link), "--baud", "115200", "--count", "2")
    output.wait_for(1, "the connected line")
    assert simulator.wait_for_reader()
    simulator.scan("F220100202600012787")
    simulator.scan("A220100202600012844")
    assert finish(process) == 0
    connected, first, second = output.records
    assert connected["event"] == "connected"
    assert connected["port"] == str(simulator.link)
    assert (first["event"], first["code"], first["symbology"], first["gs1"]) == (
        "scan",
        "F220100202600012787",
        None,
        None,
    )
    assert first["raw"] == b"F220100202600012787".hex()
    assert first["utc"].endswith("Z")
    assert second["code"] == "A220100202600012844"


def test_listen_with_aim_prints_gs1_fields_and_errors(simulator):
    process, output = start(
        "scanner",
        "listen",
        str(simulator.link),
        "--baud",
        "115200",
        "--aim",
        "--suffix",
        "CR",
        "--count",
        "2",
    )
    output.wait_for(1, "the connected line")
    assert simulator.wait_for_reader()
    simulator.scan("SEAL-0042", aim="]C0")
    simulator.write(b"\x00\xff\xfe\r")
    simulator.idle(0.3)
    simulator.scan(f"0106901234567892{GS}10LOT-42{GS}21SN0001", aim="]d2")
    assert finish(process) == 0
    _, seal, error, gs1 = output.records
    assert (seal["code"], seal["symbology"], seal["aim"], seal["gs1"]) == (
        "SEAL-0042",
        "code128",
        "]C0",
        None,
    )
    assert (error["event"], error["kind"], error["raw"]) == ("error", "garbled", "00fffe")
    assert (gs1["symbology"], gs1["aim"]) == ("gs1-datamatrix", "]d2")
    assert gs1["gs1"] == {"01": "06901234567892", "10": "LOT-42", "21": "SN0001"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--suffix", "XYZ"], "not a terminator"),
        (["--idle-timeout", "0"], "idle_timeout"),
        (["--baud", "0"], "0"),
    ],
)
def test_listen_refuses_settings_that_cannot_work(options, message):
    result = subprocess.run(
        [CUSTODY, "scanner", "listen", "/dev/null", *options],
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr


def test_listen_reports_a_missing_port_and_keeps_trying_until_stopped(tmp_path):
    process, output = start("scanner", "listen", str(tmp_path / "no-scanner-here"))
    (line,) = output.wait_for(1, "the disconnected line")
    assert '"event": "disconnected"' in line
    process.send_signal(signal.SIGTERM)
    assert finish(process) == 0


def test_sim_scanner_prints_its_port_and_scans_once_a_reader_opens_it(tmp_path):
    link = tmp_path / "desk-scanner"
    process, output = start(
        "sim", "scanner", "--link", str(link), "--baud", "115200", "--interval", "0.05", "--count", "3",
        "--code", "F220100202600012787", "--code", "A220100202600012844", "--code", "B220100202600012901",
    )  # fmt: skip
    assert output.wait_for(1, "the port path") == [str(link)]
    log = EventLog()
    scanner = SerialScanner(PortSettings(str(link), baudrate=115200), Framing(idle_timeout=0.2))
    scanner.start(log.append)
    try:
        log.wait_for_scans(3)
        assert log.codes == ["F220100202600012787", "A220100202600012844", "B220100202600012901"]
        assert finish(process) == 0
    finally:
        scanner.close()


def read_like_a_plain_pyserial_loop(link: Path, frames: int) -> tuple[bytes, str | None]:
    """``read(4096)`` with a 0.2 s timeout until ``frames`` CRs came, as many scanner readers do; the
    bytes and, if the port hung up first, pyserial's complaint (the bytes of that read are lost)."""
    import serial

    data = b""
    with serial.Serial(str(link), 9600, timeout=0.2) as port:
        deadline = time.monotonic() + WAIT
        while data.count(b"\r") < frames and time.monotonic() < deadline:
            try:
                data += port.read(4096)
            except serial.SerialException as error:
                return data, str(error)
    return data, None


def done_record(process: subprocess.Popen[str]) -> dict:
    assert process.stderr is not None
    lines = [json.loads(line) for line in process.stderr.read().splitlines() if line.startswith("{")]
    return next(record for record in lines if record["event"] == "done")


def test_sim_scanner_stays_until_a_plain_pyserial_loop_has_every_code_and_closes(tmp_path):
    link = tmp_path / "scanner"
    process, output = start("sim", "scanner", "--mode", "clean", "--link", str(link), "--count", "20",
                            "--interval", "0")  # fmt: skip
    output.wait_for(1, "the port path")
    data, hung_up = read_like_a_plain_pyserial_loop(link, 20)
    assert hung_up is None
    assert len(data.split(b"\r")[:-1]) == 20
    assert finish(process) == 0  # the reader closed the port: the simulator is done
    assert done_record(process)["closed_by_reader"] is True


def test_sim_scanner_hangs_up_after_lingering_when_the_reader_stays(tmp_path):
    import serial

    link = tmp_path / "scanner"
    process, output = start("sim", "scanner", "--link", str(link), "--count", "2", "--interval", "0",
                            "--linger", "0.3")  # fmt: skip
    output.wait_for(1, "the port path")
    with serial.Serial(str(link), 9600, timeout=0.2) as port:
        data, deadline = b"", time.monotonic() + WAIT
        while data.count(b"\r") < 2 and time.monotonic() < deadline:
            data += port.read(4096)
        assert data.count(b"\r") == 2
        assert finish(process) == 0  # the port still open on this side
        assert done_record(process)["closed_by_reader"] is False


def test_sim_scanner_unplugs_and_comes_back_behind_the_same_link(tmp_path):
    link = tmp_path / "scanner"
    process, output = start(
        "sim", "scanner", "--mode", "unplug", "--link", str(link), "--baud", "115200",
        "--interval", "0.05", "--count", "4", "--unplug-every", "2", "--down-for", "0.3",
    )  # fmt: skip
    output.wait_for(1, "the port path")
    log = EventLog()
    scanner = SerialScanner(
        PortSettings(str(link), baudrate=115200, backoff_max=0.1), Framing(idle_timeout=0.2)
    )
    scanner.start(log.append)
    try:
        log.wait_for_scans(4)
        assert len(set(log.codes)) == 4
        assert sum(isinstance(event, Reconnected) for event in log.events) >= 1
        assert log.errors == []
        assert finish(process) == 0
    finally:
        scanner.close()


def test_sim_scanner_in_trigger_mode_scans_when_triggered(tmp_path):
    link = tmp_path / "scanner"
    process, output = start(
        "sim", "scanner", "--mode", "trigger", "--link", str(link), "--baud", "115200", "--count", "1",
        "--interval", "0", "--code", "TRIGGERED-0001",
    )  # fmt: skip
    output.wait_for(1, "the port path")
    log = EventLog()
    scanner = SerialScanner(PortSettings(str(link), baudrate=115200), Framing(idle_timeout=0.2))
    scanner.start(log.append)
    try:
        log.wait_for(bool, "connected")
        scanner.trigger()
        assert log.wait_for_scans(1)[0].code == "TRIGGERED-0001"
        assert finish(process) == 0
    finally:
        scanner.close()


def test_listen_with_trigger_triggers_on_connecting_and_after_every_scan(simulator):
    process, output = start(
        "scanner", "listen", str(simulator.link), "--baud", "115200", "--trigger", "--count", "2"
    )
    assert simulator.wait_for_command(b"\x16T\r"), "no trigger on connecting"
    assert simulator.wait_for_reader()
    simulator.scan("F220100202600012787")
    assert simulator.wait_for_command(b"\x16T\r"), "no trigger after the scan"
    simulator.scan("A220100202600012844")
    assert finish(process) == 0
    assert [record.get("code") for record in output.records] == [
        None,
        "F220100202600012787",
        "A220100202600012844",
    ]
