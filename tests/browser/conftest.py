"""Browser tests of the desks: Playwright for Python driving Debian's ``chromium`` (no browser download),
headless, against the service served by uvicorn on a real port, over a fresh SQLite database with the
test cast. axe-core (vendored, ``vendor/``) checks each page's accessibility in the same browser.

A missing ``chromium`` fails the run: the set-up installs it. Screenshots go to ``artefacts/desks``
(``CUSTODY_ARTEFACTS`` to put them elsewhere).
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

sys.path.insert(0, str(Path(__file__).parents[1] / "integration" / "api"))
from api_harness import Harness
from desk_browser import Live
from playwright.sync_api import Browser, Playwright, sync_playwright

from custody.clock import FixedClock
from custody.services import Custody

ROOT = Path(__file__).parents[2]
CAST = (
    "admin",
    "ng-clerk",
    "ng-clerk2",
    "ng-custodian",
    "ng-investigator",
    "ng-auditor",
    "cc-clerk",
    "kc-clerk",
)


def chromium_path() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.fail("Debian's chromium is not installed: run scripts/setup")
    return found


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
    print(f"\nbrowser: Debian chromium {browser.version}, Playwright driving it")
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def artefacts() -> Path:
    folder = Path(os.environ.get("CUSTODY_ARTEFACTS", ROOT / "artefacts")) / "desks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def live(custody: Custody, clock: FixedClock) -> Iterator[Live]:
    """The app over a fresh SQLite database with the test cast, served by uvicorn on a free port."""
    harness = Harness(custody, clock)
    harness.give_passwords(*CAST)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(harness.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the service did not start")
        time.sleep(0.02)
    with harness.running():
        yield Live(harness, f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: str) -> str:
    """Browser tests run on SQLite: the pages are the same on either back end, and the HTTP tests of the
    pages (tests/integration/api/test_web_*.py) run on both."""
    path = tmp_path / "custody.sqlite"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"
