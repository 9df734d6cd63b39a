"""The desks: an item page of 1,000 custody events against the least work such a page needs, and the time
from a scan at the desk's scanner to the item on the desk's screen.

1. **Item page.** Set-up registers a firearm and records 999 sightings of it through the core (1,000
   events), in a migrated SQLite database. Ours: ``GET /item/{number}`` through the ASGI app, with the
   session cookie's authentication, the unit scope and the access log's entry, as a browser asks for it.
   Baseline, in the same run: the same 1,000 events read by one raw SELECT (``sqlite3``) and rendered
   into a bare Jinja2 table of the same columns. Figure: median milliseconds over ``--requests`` of each,
   alternating; ratio = ours ÷ baseline (goal ≤ 1.5).
2. **Scan to screen.** The service runs as deployed (uvicorn, its own process), a station agent
   (``custody station run``) reads a simulated scanner on a pseudo-terminal, and Debian's Chromium shows
   the desk's home page, following the station's scans. Each round scans one item's label at the
   simulator and waits for the item's page to show its evidence number; then goes home again. Figure:
   the median and 90th percentile of ``--scans`` rounds (goal: median under 300 ms).

    python -m bench desk [--events 1000] [--requests 200] [--scans 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from jinja2 import Environment

from bench._report import result, table

PASSWORD = "correct horse battery staple"
UNIT = "220102"
STATION = "bench-desk"

BARE = Environment(autoescape=True).from_string(
    "<!doctype html><html><head><title>{{ number }}</title></head><body><h1>{{ number }}</h1>"
    "<table><thead><tr><th>seq</th><th>time</th><th>event</th><th>by</th><th>witness</th><th>station</th>"
    "<th>hash</th></tr></thead><tbody>{% for r in rows %}<tr><td>{{ r[0] }}</td><td>{{ r[1] }}</td>"
    "<td>{{ r[2] }}</td><td>{{ r[3] }}</td><td>{{ r[4] }}</td><td>{{ r[5] }}</td><td>{{ r[6] }}</td></tr>"
    "{% endfor %}</tbody></table></body></html>"
)
BARE_SELECT = (
    "SELECT e.seq, e.recorded_at_us, e.event_type, u.username, w.username, e.station, e.hash "
    "FROM custody_events e LEFT JOIN users u ON u.id = e.actor_id LEFT JOIN users w ON w.id = e.witness_id "
    "WHERE e.item_id = ? ORDER BY e.seq DESC"
)


def build(path: Path, events: int, items: int = 1) -> tuple[list[str], str]:
    """A database with the units, an administrator, a clerk (the bench password), one case with
    ``items`` firearms, the first with ``events`` events, and a station; its evidence numbers and the
    station's key."""
    from custody.db.migrate import upgrade
    from custody.intake import FirearmIntake
    from custody.model import Department, Role
    from custody.scans import Scan, ScanSource
    from custody.services import Custody
    from custody.units import read_units

    custody = Custody.open(f"sqlite:///{path}")
    try:
        upgrade(custody.engine)
        custody.units.import_units(None, read_units())
        admin = custody.users.add("admin", "管理员", "220000", Department.OFFICE, {Role.ADMIN})
        clerk = custody.users.create(
            admin, "desk-clerk", "物证管理员", UNIT, Department.EVIDENCE_ROOM, {Role.CLERK}, PASSWORD
        )
        clerk_actor = custody.users.actor(clerk.username)
        custody.cases.open(clerk_actor, "长南公刑字〔2026〕900号", "非法持有枪支案")
        numbers = [
            custody.items.register_firearm(
                clerk_actor, "长南公刑字〔2026〕900号", FirearmIntake("手枪", "54式", f"B{n}", "7.62mm", True)
            ).evidence_no
            for n in range(items)
        ]
        station, key = custody.stations.add(
            admin, STATION, UNIT, Department.EVIDENCE_ROOM, ("scanner-1", "reader-1")
        )
        source = ScanSource(
            station.name, station.unit_code, station_id=station.id, key_sha256=station.key_sha256
        )
        for n in range(events - 1):
            custody.scans.record(
                source, Scan(device="scanner-1", idempotency_key=f"bench-{n}", code=numbers[0])
            )
    finally:
        custody.close()
    return numbers, key


async def _page_rounds(path: Path, number: str, requests: int) -> tuple[list[float], list[float]]:
    from api.app import create_app
    from api.deps import Services
    from custody.services import Custody

    custody = Custody.open(f"sqlite:///{path}")
    app = create_app(Services.over(custody))
    ours: list[float] = []
    bare: list[float] = []
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://desk") as client:
            form = await client.get("/")
            csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            login = await client.post(
                "/login", data={"username": "desk-clerk", "password": PASSWORD, "next": "/", "csrf": csrf}
            )
            assert login.status_code == 303, login.text
            con = sqlite3.connect(path)
            item_id = con.execute("SELECT id FROM items WHERE evidence_no = ?", (number,)).fetchone()[0]
            for _ in range(requests):
                started = time.perf_counter()
                answer = await client.get(f"/item/{number}")
                ours.append(time.perf_counter() - started)
                assert answer.status_code == 200 and number in answer.text, answer.status_code
                started = time.perf_counter()
                rows = con.execute(BARE_SELECT, (item_id,)).fetchall()
                html = BARE.render(number=number, rows=rows)
                bare.append(time.perf_counter() - started)
                assert len(rows) >= 1000 or number in html
            con.close()
    finally:
        custody.close()
    return ours, bare


def scan_to_screen(directory: Path, scans: int) -> list[float]:
    """Seconds from each scan at the simulated scanner to the item's page on the desk's screen."""
    import subprocess

    from playwright.sync_api import sync_playwright

    from api.launcher import ServiceProcess
    from simulators.scanner import ScannerSimulator

    path = directory / "scan.sqlite"
    numbers, key = build(path, 1, items=scans)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODY_")}
    env["CUSTODY_DATABASE_URL"] = f"sqlite:///{path}"
    service = ServiceProcess(
        env=env, log_level="warning", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    service.start(timeout=30)
    custody_cmd = str(Path(sys.executable).with_name("custody"))
    took: list[float] = []
    try:
        with ScannerSimulator(directory / "ttyScanner") as scanner:
            config = directory / "station.toml"
            config.write_text(
                f'[service]\nurl = "{service.url}"\nkey = "{key}"\ntimeout = 5\n\n'
                f'[outbox]\npath = "{directory / "outbox.sqlite"}"\n\n'
                f'[scanner]\nurl = "{scanner.link}"\nbaud = 9600\ndevice = "scanner-1"\n',
                encoding="utf-8",
            )
            agent = subprocess.Popen(
                [custody_cmd, "station", "run", "--config", str(config)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                if not scanner.wait_for_reader(timeout=20):
                    raise RuntimeError("the station agent did not open the scanner")
                with sync_playwright() as driver:
                    chromium = shutil.which("chromium")
                    if chromium is None:
                        raise RuntimeError("Debian's chromium is not installed (scripts/setup)")
                    browser = driver.chromium.launch(executable_path=chromium, headless=True)
                    page = browser.new_page()
                    page.goto(service.url + "/")
                    page.fill("#username", "desk-clerk")
                    page.fill("#password", PASSWORD)
                    with page.expect_navigation():
                        page.press("#password", "Enter")
                    page.goto(service.url + "/scans")
                    page.select_option("#station", STATION)
                    with page.expect_navigation():
                        page.click("form[action='/scans/station'] button")
                    for number in numbers:
                        page.goto(service.url + "/")
                        page.locator("body[data-listening]").wait_for(state="attached")
                        started = time.perf_counter()
                        scanner.scan(number)
                        page.wait_for_url(f"{service.url}/item/{number}", wait_until="domcontentloaded")
                        page.locator("h1 .number", has_text=number).wait_for()
                        took.append(time.perf_counter() - started)
                    browser.close()
            finally:
                agent.terminate()
                agent.wait(timeout=20)
    finally:
        service.stop(timeout=30)
    return took


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench desk", description=__doc__)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--scans", type=int, default=30)
    args = parser.parse_args(argv)
    directory = Path(tempfile.mkdtemp(prefix="bench-desk-"))
    try:
        started = time.perf_counter()
        path = directory / "page.sqlite"
        numbers, _key = build(path, args.events)
        setup_s = time.perf_counter() - started
        ours, bare = asyncio.run(_page_rounds(path, numbers[0], args.requests))
        ours_ms, bare_ms = statistics.median(ours) * 1000, statistics.median(bare) * 1000
        ratio = ours_ms / bare_ms
        took = sorted(scan_to_screen(directory, args.scans)) if args.scans else [0.0]
        median_ms = statistics.median(took) * 1000
        p90_ms = took[min(len(took) - 1, int(len(took) * 0.9))] * 1000
        table(
            [
                ("events on the item", str(args.events)),
                ("set-up", f"{setup_s:.1f} s"),
                ("item page (ours), median", f"{ours_ms:.2f} ms"),
                ("raw SELECT + bare Jinja2, median", f"{bare_ms:.2f} ms"),
                ("ratio (goal ≤ 1.5)", f"{ratio:.2f}"),
                ("scan to screen, median", f"{median_ms:.0f} ms over {len(took)} scans"),
                ("scan to screen, 90th percentile", f"{p90_ms:.0f} ms"),
            ]
        )
        result(
            "desk",
            round(ours_ms, 3),
            "ms",
            round(bare_ms, 3),
            round(ratio, 3),
            events=args.events,
            requests=args.requests,
            scan_to_screen_median_ms=round(median_ms, 1),
            scan_to_screen_p90_ms=round(p90_ms, 1),
            scans=len(took) if args.scans else 0,
        )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
