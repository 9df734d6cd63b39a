"""A full disk, for real: the database on a small tmpfs filled to the last byte.

The service answers 503 storage-full with Retry-After (never 500), logs the condition once, reports it
on /health, loses nothing committed, and recovers by itself when space returns.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_harness import Harness, problem, unique

from custody.clock import FixedClock
from custody.services import Custody

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs of its own, unmounted afterwards."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Fill ``disk`` to the last byte (again: whatever SQLite freed is taken too); the filler file, to
    delete when space should return."""
    filler = disk / "filler"
    with open(filler, "ab", buffering=0) as out, contextlib.suppress(OSError):
        while True:
            out.write(b"\0" * 4096)
    with open(filler, "ab", buffering=0) as out, contextlib.suppress(OSError):  # a last partial page
        while True:
            out.write(b"\0")
    return filler


@pytest.fixture
def api_on_small_disk(small_disk: Path, sqlite_template: Path, clock: FixedClock) -> Iterator[Harness]:
    path = small_disk / "custody.sqlite"
    shutil.copyfile(sqlite_template, path)
    custody = Custody.open(f"sqlite:///{path}", clock)
    harness = Harness(custody, clock, own_app=True)
    harness.give_passwords("ng-clerk")
    try:
        with harness.running():
            yield harness
    finally:
        custody.close()


def open_case(api: Harness, headers: dict[str, str]):
    return api.client.post("/api/v1/cases", headers=headers, json={"case_no": unique("满盘案")})


def test_a_full_disk_answers_503_logs_once_and_recovers_without_losing_a_record(
    api_on_small_disk: Harness, small_disk: Path, caplog: pytest.LogCaptureFixture
):
    api = api_on_small_disk
    clerk = api.login("ng-clerk")
    before = open_case(api, clerk)
    assert before.status_code == 201, before.text
    kept = before.json()["case_no"]
    filler = fill(small_disk)
    caplog.set_level(logging.INFO)
    caplog.clear()

    for _ in range(5):
        answer = open_case(api, clerk)
        problem(answer, 503, "storage-full")
        assert int(answer.headers["Retry-After"]) > 0
        fill(small_disk)
    reading = api.client.get("/api/v1/items", headers=clerk)  # its access-log entry cannot be written
    problem(reading, 503, "storage-full")
    health = api.client.get("/health")
    assert health.status_code == 503 and health.json()["status"] == "storage-full"
    logged = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage().split(":")[0] for r in logged] == ["storage full"]
    assert all(r.exc_info is None for r in caplog.records)

    filler.unlink()
    after = open_case(api, clerk)
    assert after.status_code == 201, after.text
    assert api.client.get("/health").json()["status"] == "ok"
    assert api.client.get(f"/api/v1/cases/{kept}", headers=clerk).status_code == 200
    assert api.custody.verify().ok
    ends = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(ends) == 2 and ends[1].startswith("storage: writes succeed again")
