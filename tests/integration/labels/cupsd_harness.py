"""A private cupsd with one queue that writes each job to a file, for the printing tests.

The scheduler runs with its own configuration directory, port and socket (``FileDevice Yes``), never
the system's. Its queue's PPD passes raw jobs through (``gziptoany``): a ``-m raw`` queue reports the
job completed and writes nothing, so it cannot show that the bytes arrived intact.

The queue's ``file:`` device is a file that exists before any job (:func:`empty_file_device`): how
the scheduler opens it changed in a Debian security update, and a prepared file suits both ways.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path

QUEUE = "labels_thermal"
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
        empty_file_device(self.output)
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

    def fresh_output(self) -> None:
        """Empty the queue's output: a scheduler that opens it without ``O_TRUNC`` writes over it."""
        empty_file_device(self.output)

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


def empty_file_device(path: Path) -> None:
    """Make ``path`` an empty regular file owned by ``lp`` with mode 0600, ready for a ``file:`` queue.

    cupsd 2.4.2-3+deb12u9 and older open a ``file:`` device with ``O_WRONLY|O_CREAT|O_TRUNC``: they
    create a missing file and empty an existing one. 2.4.2-3+deb12u10 opens it with
    ``O_WRONLY|O_EXCL`` and no ``O_CREAT``: a missing file stops the job ("the scheduler could not
    open the output file"), and an existing one is written over from its start and never shortened.
    A file created here, and emptied again before each job, prints the same under both. A symbolic
    link or anything but a regular file is refused: the scheduler writes there as root.
    """
    lp = pwd.getpwnam("lp")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o600)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise ValueError(f"{path} is not a regular file; a file: queue needs one")
        os.fchown(descriptor, lp.pw_uid, lp.pw_gid)
        os.fchmod(descriptor, 0o600)
        os.ftruncate(descriptor, 0)
    finally:
        os.close(descriptor)
