"""A tag-write job done by the real station agent through the real stack: the service served on a TCP
port, the agent taking the job from its own feed and writing the virtual tag through pyscard → pcscd →
vpcd; the item gets its ``tag_bound`` event. A tag pulled off mid-write fails the job and records
nothing; a tag a job wrote is not written again by the next job while it lies on the reader. A blank
seal tag is read for a seal, and the seal's number then written on that very tag."""

from __future__ import annotations

import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from rfid_stack import SLOT0, WAIT, EventLog
from seal_world import SHELF_1, accepted_items, add_locations

from api.app import create_app
from api.deps import Services
from custody.intake import FirearmIntake
from custody.model import Department, EventType
from custody.records import Item
from custody.services import Custody
from custody.tag_job_records import TagJob, TagJobStatus
from devices.rfid import PcscContext, TagArrived, read_tag
from simulators.tag import VirtualTag
from station.agent import StationAgent
from station.config import OutboxConfig, ReaderConfig, ServiceConfig, StationConfig, TagJobsConfig

pytestmark = [pytest.mark.devices, pytest.mark.xdist_group("pcscd")]
MakeTag = Callable[..., VirtualTag]
STATION = "ng-desk-tags"


@pytest.fixture(params=["sqlite"])
def database_url(request, tmp_path, sqlite_template):  # one back end: the jobs are tested on both elsewhere
    path = tmp_path / "custody.sqlite"
    path.write_bytes(Path(sqlite_template).read_bytes())
    return f"sqlite:///{path}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def service_url(custody: Custody) -> Iterator[str]:
    """The app over the test's database, served by uvicorn on a free port."""
    port = _free_port()
    app = create_app(Services.over(custody))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the service did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


class Agent:
    """The station agent on a thread of its own, its JSON lines kept for the test to wait on."""

    def __init__(self, config: StationConfig) -> None:
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self.agent = StationAgent(config, emit=self.events.put)
        self.thread = threading.Thread(target=self.agent.run, daemon=True)
        self.thread.start()

    def until(self, name: str, timeout: float = WAIT) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                event = self.events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no {name!r} from the agent within {timeout:g} s; saw {self.seen[-20:]}")
            self.seen.append(event)
            if event.get("event") == name:
                return event

    def stop(self) -> None:
        self.agent.stop()
        self.thread.join(20)


@pytest.fixture
def agent(custody: Custody, service_url: str, tmp_path: Path, monitor: EventLog) -> Iterator[Agent]:
    admin = custody.users.actor("admin")
    _station, key = custody.stations.add(admin, STATION, "220102", Department.EVIDENCE_ROOM, ["reader-1"])
    config = StationConfig(
        service=ServiceConfig(url=service_url, key=key, retry_max=1),
        outbox=OutboxConfig(path=tmp_path / "outbox.sqlite"),
        reader=ReaderConfig(name="00 00", device="reader-1"),
        tag_jobs=TagJobsConfig(station=STATION, poll=2),
    )
    running = Agent(config)
    running.until("started")
    yield running
    running.stop()


@pytest.fixture
def gun(custody: Custody) -> Item:
    clerk = custody.users.actor("ng-clerk")
    custody.cases.open(clerk, "长南公刑字〔2026〕RFID号", "非法持有枪支案")
    return custody.items.register_firearm(
        clerk, "长南公刑字〔2026〕RFID号", FirearmIntake("手枪", "54式", "J-1", "7.62mm", True)
    )


def finished(custody: Custody, job_id: int, timeout: float = WAIT * 2) -> TagJob:
    clerk = custody.users.actor("ng-clerk")
    deadline = time.monotonic() + timeout
    while True:
        job = custody.tag_jobs.get(clerk, job_id)
        if not job.open:
            return job
        if time.monotonic() > deadline:
            pytest.fail(f"tag-write job {job_id} still {job.status.value} after {timeout:g} s")
        time.sleep(0.05)


def test_the_agent_writes_the_tag_and_the_item_gets_its_tag_bound_event(
    custody: Custody, agent: Agent, tags: MakeTag, monitor: EventLog, gun: Item
):
    clerk = custody.users.actor("ng-clerk")
    job = custody.tag_jobs.request(clerk, STATION, evidence_no=gun.evidence_no)
    agent.until("tag_job_taken")
    tag = tags("ntag215")
    tag.put_on_reader()
    monitor.expect(TagArrived)
    done = finished(custody, job.id)
    assert done.status is TagJobStatus.DONE, done.failure
    uid = tag.uid.hex().upper()
    assert (done.uid, done.tag_type, done.device) == (uid, "NTAG215", "reader-1")
    item = custody.items.item(clerk, gun.evidence_no)
    assert item.tag_uid == uid
    assert [e.event_type for e in item.history] == ["registered", EventType.TAG_BOUND.value]  # no sighting
    bound = item.history[-1]
    assert (bound.actor, bound.station, bound.device, bound.payload["uid"]) == (
        "ng-clerk",
        STATION,
        "reader-1",
        uid,
    )
    with PcscContext() as context:
        assert read_tag(context, SLOT0).text == gun.evidence_no
    assert agent.until("tag_job_done")["uid"] == uid
    # the written tag still lies on the reader: the next job does not write it again
    second = custody.tag_jobs.request(clerk, STATION, evidence_no=gun.evidence_no, wait_s=5)
    again = finished(custody, second.id)
    assert again.status is TagJobStatus.FAILED and again.failure is not None
    assert again.failure.kind == "no_tag"
    assert len(custody.items.item(clerk, gun.evidence_no).history) == 2


def test_a_tag_pulled_off_mid_write_fails_the_job_and_records_nothing(
    custody: Custody, agent: Agent, tags: MakeTag, monitor: EventLog, gun: Item
):
    clerk = custody.users.actor("ng-clerk")
    head = custody.ledger.head().seq
    tag = tags("ntag215")
    tag.leave_during_write(after=1)
    tag.put_on_reader()  # lying on the reader before the job is asked for: the job takes it
    monitor.expect(TagArrived)
    job = custody.tag_jobs.request(clerk, STATION, evidence_no=gun.evidence_no)
    failed = finished(custody, job.id)
    assert failed.status is TagJobStatus.FAILED and failed.failure is not None
    assert (failed.failure.kind, failed.failure.key) == ("tag_removed", "tagjob.tag_removed")
    assert failed.uid == tag.uid.hex().upper()
    assert custody.ledger.head().seq == head
    assert custody.items.item(clerk, gun.evidence_no).tag_uid is None
    assert agent.until("tag_job_failed")["kind"] == "tag_removed"
    assert agent.thread.is_alive()


def test_a_blank_seal_tag_is_read_for_a_seal_and_then_carries_its_number(
    custody: Custody, agent: Agent, tags: MakeTag, monitor: EventLog
):
    add_locations(custody)
    custodian = custody.users.actor("ng-custodian")
    tag = tags("ntag213tt")
    tag.put_on_reader()
    monitor.expect(TagArrived)
    read = finished(custody, custody.tag_jobs.request(custodian, STATION, kind="seal_tag_read").id)
    uid = tag.uid.hex().upper()
    assert (read.status, read.uid, read.tamper) == (TagJobStatus.DONE, uid, "closed")
    assert read.tag_type is not None and read.tag_type.endswith("TT")  # the tamper-evident model
    gun, lot = accepted_items(custody)
    witness = custody.users.actor("ng-auditor")
    seal = custody.seals.create(custodian, SHELF_1, [gun.evidence_no, lot.evidence_no], witness, read.uid)
    head = custody.ledger.head().seq
    asked = custody.tag_jobs.request(custodian, STATION, kind="seal_tag_write", seal_no=seal.seal_no)
    written = finished(custody, asked.id)  # the tag still lies there: the job names it, and takes it
    assert written.status is TagJobStatus.DONE, written.failure
    with PcscContext() as context:
        assert read_tag(context, SLOT0).text == seal.seal_no
    assert custody.ledger.head().seq == head  # the seal's tag was bound when the seal was made
