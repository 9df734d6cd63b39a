"""Printer URIs pick a transport; the file and CUPS transports hand over the bytes unchanged."""

import stat
from pathlib import Path

import pytest

from labels import CupsPrinter, FilePrinter, PrinterError, RawTcpPrinter, printer_for

JOB = b"^XA^CI28^FD\xe9\x95\xbf\xe6\x98\xa5^FS^XZ\n\x00\xff"


@pytest.mark.parametrize(
    ("uri", "printer"),
    [
        ("file:///tmp/label.zpl", FilePrinter(Path("/tmp/label.zpl"))),
        ("cups://Zebra_GK420", CupsPrinter("Zebra_GK420")),
        ("cups://Zebra_GK420?raw=0", CupsPrinter("Zebra_GK420", raw=False)),
        ("cups://print.example:631/Zebra_GK420", CupsPrinter("Zebra_GK420", server="print.example:631")),
        ("lp:Zebra_GK420", CupsPrinter("Zebra_GK420")),
        ("tcp://192.0.2.7", RawTcpPrinter("192.0.2.7", 9100)),
        ("tcp://192.0.2.7:9101", RawTcpPrinter("192.0.2.7", 9101)),
        ("socket://printer.example", RawTcpPrinter("printer.example", 9100)),
    ],
)
def test_uris_name_their_transport(uri, printer):
    assert printer_for(uri) == printer


@pytest.mark.parametrize(
    "uri",
    [
        "http://printer/",
        "cups://",
        "lp:",
        "tcp://",
        "tcp://host:port",
        "file://server/x",
        "cups://Q?raw=maybe",
    ],
)
def test_unusable_uris_are_refused_with_a_reason(uri):
    with pytest.raises(PrinterError, match=r"printer|raw"):
        printer_for(uri)


def test_a_file_printer_writes_exactly_the_job(tmp_path):
    target = tmp_path / "job.zpl"
    printer_for(f"file://{target}").send(JOB)
    assert target.read_bytes() == JOB


def test_a_file_printer_that_cannot_write_says_where(tmp_path):
    with pytest.raises(PrinterError, match="missing"):
        FilePrinter(tmp_path / "missing" / "job.zpl").send(JOB)


def fake_lp(tmp_path, script: str):
    lp = tmp_path / "lp"
    lp.write_text("#!/bin/sh\n" + script)
    lp.chmod(lp.stat().st_mode | stat.S_IEXEC)
    return lp


def test_cups_gets_the_bytes_on_stdin_raw_for_the_named_queue_and_server(tmp_path):
    lp = fake_lp(tmp_path, f'echo "$@" > {tmp_path}/args\ncat > {tmp_path}/stdin\necho "request id is Q-1"\n')
    CupsPrinter("Zebra_GK420", server="127.0.0.1:16310", lp=str(lp)).send(JOB)
    assert (tmp_path / "stdin").read_bytes() == JOB
    arguments = (tmp_path / "args").read_text().split()
    assert arguments == ["-h", "127.0.0.1:16310", "-d", "Zebra_GK420", "-o", "raw"]


def test_cups_filters_the_job_when_asked_not_to_send_it_raw(tmp_path):
    lp = fake_lp(tmp_path, f'echo "$@" > {tmp_path}/args\ncat > /dev/null\n')
    CupsPrinter("Office", raw=False, lp=str(lp)).send(b"%PDF-1.4")
    assert (tmp_path / "args").read_text().split() == ["-d", "Office"]


def test_a_refused_cups_job_reports_what_lp_said(tmp_path):
    lp = fake_lp(
        tmp_path, 'cat > /dev/null\necho "lp: Error - The printer or class does not exist." >&2\nexit 1\n'
    )
    with pytest.raises(PrinterError, match="queue Nowhere: lp: Error - The printer or class does not exist"):
        CupsPrinter("Nowhere", lp=str(lp)).send(JOB)


def test_a_missing_lp_command_is_named(tmp_path):
    with pytest.raises(PrinterError, match="cups-client"):
        CupsPrinter("Q", lp=str(tmp_path / "no-lp")).send(JOB)
