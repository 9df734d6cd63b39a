"""The station agent's tag-write jobs without a reader: which tag a job takes, what it reports for each
way a device can fail (never ending the agent), a job taken before a restart, a report sent again after
an outage, and the configuration that turns the jobs on."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from devices.rfid.errors import TagLeftField, TagLocked
from devices.rfid.frontend import TagReading
from devices.rfid.ntag import NTAG215
from station.config import (
    ConfigError,
    OutboxConfig,
    ReaderConfig,
    ServiceConfig,
    StationConfig,
    TagJobsConfig,
    load_config,
)
from station.tag_jobs import Presence, TagJobRunner, TagUnfit

UID, OTHER = bytes.fromhex("04C0FFEE000001"), bytes.fromhex("04C0FFEE000002")
READER = "Virtual PCD 00 00"
NUMBER = "F220102202600000174"


class Service:
    """The service's tag-job routes as a mock transport: the feed, take and result."""

    def __init__(self, jobs: list[dict[str, Any]], fail_reports: int = 0) -> None:
        self.jobs = jobs
        self.reports: list[tuple[int, dict[str, Any]]] = []
        self.fail_reports = fail_reports

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET":
            jobs, self.jobs = self.jobs, []
            return httpx.Response(200, json={"jobs": jobs})
        job_id = int(path.split("/")[-2])
        if path.endswith("/take"):
            return httpx.Response(200, json={**_job(job_id), "status": "taken"})
        if self.fail_reports:
            self.fail_reports -= 1
            return httpx.Response(503, json={"type": "/problems/service-unavailable"})
        body = json.loads(request.content)
        self.reports.append((job_id, body))
        return httpx.Response(
            200, json={"status": "done" if body["done"] else "failed", "uid": body.get("uid")}
        )


def _job(job_id: int = 1, status: str = "pending", **more: Any) -> dict[str, Any]:
    return {"id": job_id, "status": status, "kind": "item_tag", "text": NUMBER, "wait_s": 5, **more}


def _config(tmp_path: Path) -> StationConfig:
    return StationConfig(
        service=ServiceConfig(url="http://service", key="k", retry_max=0.01),
        outbox=OutboxConfig(path=tmp_path / "outbox.sqlite"),
        reader=ReaderConfig(name="00 00", device="reader-1"),
        tag_jobs=TagJobsConfig(station="ng-desk", poll=0.1),
    )


def _runner(tmp_path: Path, service: Service, write: Any, presence: Presence | None = None) -> TagJobRunner:
    client = httpx.Client(base_url="http://service", transport=httpx.MockTransport(service))
    seen = presence or Presence()
    return TagJobRunner(_config(tmp_path), seen, lambda _e: None, lambda: "k", lambda _w: None, client, write)


def _reading(text: str = NUMBER) -> TagReading:
    return TagReading(READER, UID, b"", NTAG215, "get_version", "text", text, None)


def _on_reader(*uids: bytes) -> Presence:
    presence = Presence()
    for uid in uids:
        presence.arrived(uid, READER)
    return presence


def test_a_job_writes_the_tag_on_the_reader_and_reports_what_read_back(tmp_path):
    service = Service([_job()])
    written: list[tuple[str, bytes]] = []

    def write(job: dict[str, Any], reader: str, uid: bytes) -> TagReading:
        written.append((reader, uid))
        return _reading()

    runner = _runner(tmp_path, service, write, _on_reader(UID))
    jobs = runner.fetch()
    assert jobs is not None
    runner.handle(jobs[0])
    assert written == [(READER, UID)]
    assert service.reports == [(1, {"done": True, "uid": UID.hex().upper(), "tag_type": "NTAG215"})]


@pytest.mark.parametrize(
    ("raised", "kind"),
    [
        (TagLocked("page 4 is locked"), "tag_locked"),
        (TagLeftField("left", uid=UID), "tag_removed"),
        (TagUnfit("tag_not_blank", "the tag carries 'F…'"), "tag_not_blank"),
        (RuntimeError("the driver fell over"), "driver_fault"),
        (ValueError("\x00garbled\x1b"), "driver_fault"),
    ],
)
def test_every_way_a_device_fails_fails_the_job_and_only_the_job(tmp_path, raised, kind):
    service = Service([_job(1), _job(2)])

    def write(job: dict[str, Any], reader: str, uid: bytes) -> TagReading:
        if job["id"] == 1:
            raise raised
        return _reading()

    presence = _on_reader(UID, OTHER)
    runner = _runner(tmp_path, service, write, presence)
    for job in runner.fetch() or []:
        runner.handle(job)
    (first_id, first), (second_id, second) = service.reports
    assert (first_id, first["done"], first["error_kind"], first["uid"]) == (1, False, kind, UID.hex().upper())
    assert first["error_message"].isprintable()
    assert (second_id, second["done"]) == (2, True)  # the next job, on the next tag


def test_no_tag_within_the_jobs_wait_and_a_used_tag_is_taken_again_only_by_name(tmp_path):
    presence = _on_reader(UID)
    assert presence.claim(0.1, threading.Event()) == (UID, READER)
    assert presence.claim(0.1, threading.Event()) is None  # still lying there: used
    assert presence.claim(0.1, threading.Event(), wanted=UID) == (UID, READER)  # a job naming it takes it
    assert presence.claim(0.1, threading.Event(), wanted=OTHER) is None
    assert presence.is_jobs(UID)
    presence.removed(UID)
    assert not presence.is_jobs(UID)
    assert presence.arrived(UID, READER) is False  # back on the reader, nobody waiting: a sighting
    service = Service([_job(wait_s=0.2)])
    runner = _runner(tmp_path, service, lambda *_a: _reading(), Presence())
    runner.handle((runner.fetch() or [])[0])
    assert service.reports[0][1]["error_kind"] == "no_tag"


def test_a_tag_arriving_while_a_job_waits_is_the_jobs(tmp_path):
    presence = Presence()
    claimed: list[Any] = []
    waiting = threading.Thread(target=lambda: claimed.append(presence.claim(5, threading.Event())))
    waiting.start()
    while not presence.is_jobs(UID):
        pass
    assert presence.arrived(UID, READER) is True  # no sighting posted of it
    waiting.join(5)
    assert claimed == [(UID, READER)]


def test_a_job_taken_before_a_restart_is_reported_interrupted(tmp_path):
    service = Service([_job(7, status="taken")])
    runner = _runner(tmp_path, service, lambda *_a: pytest.fail("nothing is written"))
    runner.handle((runner.fetch() or [])[0])
    [(job_id, body)] = service.reports
    assert (job_id, body["done"], body["error_kind"]) == (7, False, "interrupted")


def test_a_report_is_sent_again_while_the_service_cannot_answer(tmp_path):
    service = Service([_job()], fail_reports=2)
    runner = _runner(tmp_path, service, lambda *_a: _reading(), _on_reader(UID))
    runner.handle((runner.fetch() or [])[0])
    assert [job_id for job_id, _body in service.reports] == [1]


def test_the_runner_keeps_running_when_the_service_is_away(tmp_path):
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    runner = _runner(tmp_path, down, lambda *_a: _reading())
    assert runner.fetch() is None
    runner.start()
    runner.stop()


def test_tag_jobs_need_a_reader(tmp_path):
    path = tmp_path / "station.toml"
    path.write_text(
        '[service]\nurl = "http://x"\nkey = "k"\n[scanner]\nurl = "/dev/null"\n[tag_jobs]\nstation = "a"\n'
    )
    with pytest.raises(ConfigError, match="tag_jobs"):
        load_config(path)
    path.write_text('[service]\nurl = "http://x"\nkey = "k"\n[reader]\n[tag_jobs]\nstation = "ng-desk"\n')
    assert load_config(path).tag_jobs == TagJobsConfig(station="ng-desk", poll=25)
