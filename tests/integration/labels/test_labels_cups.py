"""Printing through a real, private cupsd to a queue that writes each job to a file.

The scheduler runs with its own configuration directory, port and socket (``FileDevice Yes``), never
the system's. Its queue's PPD passes raw jobs through (``gziptoany``): a ``-m raw`` queue reports the
job completed and writes nothing, so it cannot show that the bytes arrived intact.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path

import pytest

from labels import (
    THERMAL_60X40,
    CupsPrinter,
    ItemLabel,
    PrinterError,
    printer_for,
    render_pdf,
    render_zpl,
)

pytestmark = [pytest.mark.devices, pytest.mark.xdist_group("labels-cupsd")]

QUEUE = "labels_thermal"
LABEL = ItemLabel(
    "F220100202600012787", "J2201002026001", "长春市公安局", date(2026, 3, 1), ("五四式手枪 7.62mm",)
)
PPD = """*PPD-Adobe: "4.3"
*FormatVersion: "4.3"
*FileVersion: "1.0"
*LanguageVersion: English
*LanguageEncoding: ISOLatin1
*PCFileName: "LABELRAW.PPD"
*Manufacturer: "Generic"
*Product: "(Label pass-through)"
*ModelName: "Label pass-through"
*ShortNickName: "Label pass-through"
*NickName: "Label pass-through"
*PSVersion: "(3010.000) 0"
*LanguageLevel: "3"
*ColorDevice: False
*DefaultColorSpace: Gray
*FileSystem: False
*Throughput: "1"
*LandscapeOrientation: Plus90
*TTRasterizer: Type42
*cupsFilter: "application/vnd.cups-raw 0 gziptoany"
*OpenUI *PageSize/Page Size: PickOne
*DefaultPageSize: Label
*PageSize Label/Label: ""
*CloseUI: *PageSize
*DefaultImageableArea: Label
*ImageableArea Label/Label: "0 0 170 113"
*DefaultPaperDimension: Label
*PaperDimension Label/Label: "170 113"
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, what: str, limit: float = 30.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Cupsd:
    def __init__(self) -> None:
        # Filters run as user lp, so the tree must be traversable: not under pytest's private tmp.
        self.root = Path(tempfile.mkdtemp(prefix="labels-cupsd-"))
        self.root.chmod(0o755)
        for name in ("conf", "spool", "cache", "state", "log", "tmp", "out"):
            (self.root / name).mkdir()
        for name in ("tmp", "out"):
            (self.root / name).chmod(0o777)
        self.socket = str(self.root / "cups.sock")
        self.port = free_port()
        (self.root / "conf" / "cups-files.conf").write_text(
            "\n".join(
                [
                    f"ServerRoot {self.root}/conf",
                    f"RequestRoot {self.root}/spool",
                    f"CacheDir {self.root}/cache",
                    f"StateDir {self.root}/state",
                    f"TempDir {self.root}/tmp",
                    f"ErrorLog {self.root}/log/error_log",
                    f"AccessLog {self.root}/log/access_log",
                    f"PageLog {self.root}/log/page_log",
                    "FileDevice Yes",
                    "SystemGroup root",
                    "User lp",
                    "Group lp",
                    "",
                ]
            )
        )
        (self.root / "conf" / "cupsd.conf").write_text(
            f"Listen 127.0.0.1:{self.port}\nListen {self.socket}\nLogLevel warn\nBrowsing No\n"
            "WebInterface No\nDefaultAuthType None\n"
            "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
            "<Location /admin>\n  Order allow,deny\n  Allow all\n</Location>\n"
            "<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n"
        )
        (self.root / "conf" / "label-raw.ppd").write_text(PPD)
        self.process = subprocess.Popen(
            ["cupsd", "-f", "-c", f"{self.root}/conf/cupsd.conf", "-s", f"{self.root}/conf/cups-files.conf"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        wait_for(self.running, "the private cupsd to accept requests")
        self.output = self.root / "out" / f"{QUEUE}.out"
        self.run(
            "lpadmin",
            "-p",
            QUEUE,
            "-E",
            "-v",
            f"file://{self.output}",
            "-P",
            f"{self.root}/conf/label-raw.ppd",
        )

    def run(self, *command: str) -> str:
        done = subprocess.run(
            [command[0], "-h", self.socket, *command[1:]],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode == 0, f"{' '.join(command)}: {done.stderr}"
        return done.stdout

    def running(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"cupsd exited: {self.process.stderr.read().decode()}")
        done = subprocess.run(
            ["lpstat", "-h", self.socket, "-r"], capture_output=True, text=True, check=False
        )
        return "scheduler is running" in done.stdout

    def printed(self, job: bytes) -> bytes:
        """The queue's output once no job is pending, the job's size has arrived and the file is final."""

        def settled() -> bool:
            return self.run("lpstat", "-o", QUEUE).strip() == "" and (
                self.output.exists() and self.output.stat().st_size == len(job)
            )

        wait_for(settled, f"the job to reach {self.output}")
        return self.output.read_bytes()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def cupsd():
    server = Cupsd()
    yield server
    server.stop()


def test_a_zpl_job_reaches_the_queues_device_byte_for_byte(cupsd):
    job = render_zpl(LABEL, THERMAL_60X40, 203)
    CupsPrinter(QUEUE, server=cupsd.socket).send(job)
    assert cupsd.printed(job) == job


def test_a_pdf_job_sent_by_uri_over_tcp_arrives_intact(cupsd):
    job = render_pdf([LABEL], THERMAL_60X40)
    printer_for(f"cups://127.0.0.1:{cupsd.port}/{QUEUE}").send(job)
    assert cupsd.printed(job) == job


def test_the_default_server_comes_from_the_cups_environment(cupsd, monkeypatch):
    monkeypatch.setenv("CUPS_SERVER", cupsd.socket)
    job = render_zpl(LABEL, THERMAL_60X40, 300)
    printer_for(f"lp:{QUEUE}").send(job)
    assert cupsd.printed(job) == job


def test_an_unknown_queue_is_refused_with_cups_reason(cupsd):
    with pytest.raises(PrinterError, match=r"queue no_such_queue: lp: .*does not exist"):
        CupsPrinter("no_such_queue", server=cupsd.socket).send(b"^XA^XZ")
    assert os.path.exists(cupsd.socket)
