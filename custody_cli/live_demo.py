"""`custody demo --live`: the whole product running on simulated devices, for a first look.

On the demo's own database (``data/demo.sqlite`` unless ``CUSTODY_DATABASE_URL`` names one, which must
hold nothing but demo data) it loads the demo data (once), adds a
demo station with a fresh key (revoking the one of an earlier run), starts the service under uvicorn,
a scanner simulator on a pseudo-terminal and virtual tags behind vpcd (starting pcscd when none runs),
and a station agent wired to them. Then, every few seconds, it scans a demo item's label or presents a
tag, and prints every step as a JSON line: what was scanned, what the station queued, what the service
answered. Ctrl-C stops everything: the scanning, the station (devices, outbox), the service, our pcscd.

vpcd listens on all interfaces: the virtual reader is for the demo and the tests, never for a station.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

import click

from custody_cli.context import emit, fail

STATION_UNIT = "220100"  # the Changchun city bureau: its demo case is the one scanned
STATION_DEVICES = ("scanner-1", "reader-1")
READER = "Virtual PCD 00 00"
BOUND_UID = "04DE30000000A1"  # the UID-only demo tag, bound to one demo item
ANSWER_WAIT = 20.0


@dataclass(frozen=True)
class DemoDesk:
    """What the live demo needs from the database: the station's name and key, the items it shows."""

    station: str
    key: str
    labels: list[str]  # evidence numbers whose labels are scanned
    text_tag: str  # the evidence number written on the NDEF tag
    bound_tag: str  # the item the UID-only tag is bound to


def prepare_desk(database_url: str) -> DemoDesk:
    """Load the demo (once), give demo users their password, bind the demo tag, add a station."""
    from custody.demo import CASES
    from custody.errors import AlreadyExists
    from custody.model import Department
    from custody.services import Custody
    from custody_cli.serve import prepare_demo

    custody = Custody.open(database_url)
    try:
        prepare_demo(custody)
        items = [i for i in custody.cases.get(None, CASES[0][1]).items if i.state == "registered"]
        if len(items) < 3:
            raise click.ClickException("the demo case has fewer than three items in custody")
        bound = next((i for i in items if i.tag_uid == BOUND_UID), None)
        if bound is None:
            bound = items[-1]
            clerk = custody.users.actor("cc-clerk")
            custody.items.bind_tag(clerk, bound.evidence_no, bound.version, BOUND_UID, "ntag213")
        others = [i.evidence_no for i in items if i is not bound]
        admin, stations = custody.users.actor("admin"), custody.stations
        for n in count(1):
            name = f"demo-desk-{n}"
            try:
                _added, key = stations.add(
                    admin, name, STATION_UNIT, Department.EVIDENCE_ROOM, STATION_DEVICES
                )
            except AlreadyExists:
                stations.revoke(admin, name)  # an earlier run's key is not kept anywhere
                continue
            break
    finally:
        custody.close()
    return DemoDesk(name, key, others[:-1] or others, others[-1], bound.evidence_no)


@contextmanager
def running_service(database_url: str, host: str, port: int) -> Iterator[str]:
    """The service as a deployment runs it (uvicorn, the app factory), in its own session so that
    Ctrl-C reaches only this command, which stops the station before the service."""
    from api.launcher import LaunchError, ServiceProcess

    env = {**os.environ, "CUSTODY_DATABASE_URL": database_url, "CUSTODY_DEMO": "true"}
    service = ServiceProcess(host=host, port=port, env=env, log_level="warning", new_session=True)
    try:
        service.start(timeout=30.0)
    except LaunchError as error:
        raise click.ClickException(str(error)) from None
    try:
        yield service.url
    finally:
        service.stop()


class Answers:
    """The station agent's JSON lines, printed as they come and counted, so the demo can wait for the
    answer to each thing it scanned."""

    def __init__(self) -> None:
        self.accepted = 0
        self.answered = 0
        self._changed = threading.Condition()

    def __call__(self, record: dict[str, Any]) -> None:
        emit(record)
        if record.get("event") in ("accepted", "refused"):
            with self._changed:
                self.answered += 1
                self.accepted += record["event"] == "accepted"
                self._changed.notify_all()

    def wait_beyond(self, answered: int, stop: threading.Event, timeout: float = ANSWER_WAIT) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.answered <= answered and not stop.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(min(remaining, 0.2))
        return self.answered > answered


def run_live_demo(host: str, port: int, interval: float, scans: int | None, stop: threading.Event) -> None:
    """Run until ``stop`` is set, or until ``scans`` scans were accepted."""
    from custody.settings import Settings
    from simulators.pcscd import Pcscd, PcscdError
    from simulators.scanner import ScannerSimulator
    from simulators.tag import VPCD_PORTS, VirtualTag
    from station.agent import StationAgent
    from station.config import OutboxConfig, ReaderConfig, ScannerConfig, ServiceConfig, StationConfig

    database_url = Settings().resolved_demo_database_url()
    desk = prepare_desk(database_url)
    with ExitStack() as cleanup:
        pcscd = Pcscd()
        try:
            pcscd.start()
        except PcscdError as error:
            fail(f"the live demo needs pcscd and vpcd for its virtual tags (bash scripts/setup): {error}")
        if pcscd.owned:
            cleanup.callback(pcscd.stop)
        url = cleanup.enter_context(running_service(database_url, host, port))
        scanner = cleanup.enter_context(ScannerSimulator())
        workdir = Path(tempfile.mkdtemp(prefix="custody-demo-station-"))
        cleanup.callback(shutil.rmtree, workdir, True)
        config = StationConfig(
            service=ServiceConfig(url=url, key=desk.key, retry_max=2.0),
            outbox=OutboxConfig(path=workdir / "outbox.sqlite"),
            scanner=ScannerConfig(url=str(scanner.link), device=STATION_DEVICES[0]),
            reader=ReaderConfig(name=READER, device=STATION_DEVICES[1]),
        )
        answers = Answers()
        agent = StationAgent(config, emit=answers)
        thread = threading.Thread(target=agent.run, name="station-agent")
        thread.start()
        cleanup.callback(thread.join)
        cleanup.callback(agent.stop)
        click.echo(
            f"custody: live demo at {url} (API documentation at /docs), station {desk.station}; "
            "demo users log in with password 'custody-demo'; Ctrl-C stops it",
            err=True,
        )
        if not scanner.wait_for_reader(ANSWER_WAIT):
            fail("the station agent did not open the simulated scanner")
        text_tag = VirtualTag("ntag215", text=desk.text_tag, port=VPCD_PORTS[0])
        bound_tag = VirtualTag("ntag213", uid=bytes.fromhex(BOUND_UID), port=VPCD_PORTS[0])
        cleanup.callback(text_tag.close)
        cleanup.callback(bound_tag.close)
        steps = _steps(desk, scanner, text_tag, bound_tag)
        while not stop.is_set() and (scans is None or answers.accepted < scans):
            before = answers.answered
            what, done = next(steps)
            emit({"event": "demo", "step": what})
            answers.wait_beyond(before, stop)
            done()
            if scans is None or answers.accepted < scans:
                stop.wait(interval)


def _steps(
    desk: DemoDesk, scanner: Any, text_tag: Any, bound_tag: Any
) -> Iterator[tuple[str, Callable[[], None]]]:
    """Scan a label, present the tag with the number in NDEF, scan another label, present the bound
    tag: forever. Each step answers what it did and how to finish it (take the tag away)."""
    for n in count():
        label = desk.labels[n % len(desk.labels)]
        scanner.scan(label)
        yield f"scanned the label of {label}", _nothing
        tag = text_tag if n % 2 == 0 else bound_tag
        tag.put_on_reader()
        name = f"tag with {desk.text_tag} in NDEF" if tag is text_tag else f"tag {BOUND_UID} (UID only)"
        yield f"presented the {name}", tag.take_off_reader


def _nothing() -> None:
    return None
