"""Tag-write jobs: a desk's page cannot reach the desk's reader, so its user asks the station the reader
hangs off to write the tag (an item's, bound to the item once it reads back; a seal's), and the station's
agent takes the job from its own feed, writes, reads back and reports.

Users who bind an item's tag (or seal with one) ask for a job and read it while it runs; only the
station itself, by its key, reads its open jobs, takes one and reports. Its feed is a long poll,
``GET /api/v1/stations/{name}/tag-jobs?wait=25``: answered at once when a job is open, else as soon as
one is asked for, or with none after ``wait`` seconds. A long poll rather than server-sent events: the
agent is a plain HTTP client that retries a poll like any of its requests, nothing holds a stream open
through a proxy that buffers, and each poll reads the database, so every service process answers alike.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, StrictBool

from api.deps import API_PREFIX, Admits, Caller, ServicesDep, StationsOnly
from api.errors import responses
from api.schemas import RequestBody
from custody.clock import from_us
from custody.errors import Message, Param
from custody.records import Station
from custody.tag_job_records import DEFAULT_WAIT_S, MAX_WAIT_S, MIN_WAIT_S, TagJob, TagJobKind, TagResult
from custody.tag_jobs import TAG_JOB_ROLES

STATIONS_ONLY = Message(
    "tagjob.stations_only", "only a station takes and reports its tag-write jobs, by its own key"
)
MAX_POLL_S = 60.0
POLL_EVERY_S = 0.25

router = APIRouter(prefix=API_PREFIX, tags=["tag-write jobs"])
ACTS = responses(401, 403, 404, 409, 422)


TagWriter = Annotated[Caller, Depends(Admits(*sorted(TAG_JOB_ROLES)))]
StationItself = Annotated[
    Caller, Depends(StationsOnly(STATIONS_ONLY, "stations only (their own tag-write jobs)"))
]
JobId = Annotated[int, Path(ge=1, le=2**53, description="The tag-write job's number")]
StationName = Annotated[str, Path(min_length=1, max_length=64, description="The station's own name")]


class TagJobIn(RequestBody):
    station: str = Field(min_length=1, max_length=64, description="The station whose reader writes the tag")
    kind: Literal["item_tag", "seal_tag_read", "seal_tag_write"] = Field(
        default="item_tag",
        description="item_tag: write the item's evidence number and bind the tag to the item; "
        "seal_tag_read: read a blank tamper-evident tag for a seal; seal_tag_write: write a seal's "
        "number on its bound tag",
    )
    evidence_no: str | None = Field(default=None, max_length=64, description="The item (item_tag)")
    seal_no: str | None = Field(default=None, max_length=64, description="The seal (seal_tag_write)")
    wait_s: int = Field(
        default=DEFAULT_WAIT_S,
        ge=MIN_WAIT_S,
        le=MAX_WAIT_S,
        description="Seconds the station waits for a tag",
    )


class TagResultIn(RequestBody):
    """What the station's reader did: the tag read back, or why not (the driver's error kind)."""

    done: StrictBool = Field(description="True: the tag was written (or read) and read back")
    uid: str | None = Field(default=None, max_length=32, description="The tag's UID in hex")
    tag_type: str = Field(default="", max_length=32, description="The tag's model, e.g. NTAG215")
    tamper: Literal["closed", "open", "not_measured", "unreadable"] | None = Field(
        default=None, description="A tamper-evident tag's loop"
    )
    tamper_opened_before: StrictBool | None = Field(default=None, description="The tag recorded an open loop")
    error_kind: str = Field(
        default="", max_length=32, pattern=r"^[a-z0-9_]*$", description="e.g. tag_removed"
    )
    error_message: str = Field(default="", max_length=500, description="The driver's own words")


class TagJobFailureOut(BaseModel):
    kind: str = Field(description="The station's error kind (no_tag, tag_removed…) or the service's reason")
    key: str = Field(description="Stable message key, for translation")
    params: dict[str, Param]
    detail: str = Field(description="The reason in English")
    station_said: str = Field(description="What the station's driver said, if anything")


class TagJobOut(BaseModel):
    id: int
    kind: TagJobKind
    station: str
    status: str = Field(description="pending, taken, done, failed, cancelled, or expired")
    requested_by: str
    text: str = Field(description="What the station writes on the tag (empty when it only reads)")
    evidence_no: str | None
    seal_no: str | None
    expected_uid: str | None = Field(description="The one tag the station may write (a seal's)")
    wait_s: int
    requested_at: str
    taken_at: str | None
    finished_at: str | None
    expires_at: str | None
    device: str
    uid: str | None
    tag_type: str | None
    tamper: str | None
    failure: TagJobFailureOut | None


class TagJobList(BaseModel):
    jobs: list[TagJobOut]


def _time(us: int | None) -> str | None:
    return None if us is None else from_us(us).isoformat()


def tag_job_out(job: TagJob) -> TagJobOut:
    failure = job.failure
    return TagJobOut(
        id=job.id,
        kind=job.kind,
        station=job.station,
        status=job.status.value,
        requested_by=job.requested_by,
        text=job.text,
        evidence_no=job.evidence_no,
        seal_no=job.seal_no,
        expected_uid=job.expected_uid,
        wait_s=job.wait_s,
        requested_at=from_us(job.requested_at_us).isoformat(),
        taken_at=_time(job.taken_at_us),
        finished_at=_time(job.finished_at_us),
        expires_at=_time(job.expires_at_us),
        device=job.device,
        uid=job.uid,
        tag_type=job.tag_type,
        tamper=job.tamper,
        failure=None
        if failure is None
        else TagJobFailureOut(
            kind=failure.kind,
            key=failure.key,
            params=dict(failure.params),
            detail=failure.text,
            station_said=failure.detail,
        ),
    )


def _station(caller: Caller) -> Station:
    assert caller.station is not None  # StationsOnly admits stations alone
    return caller.station


@router.post("/tag-jobs", status_code=201, response_model=TagJobOut, responses=ACTS)
def request_tag_job(body: TagJobIn, caller: TagWriter, services: ServicesDep) -> TagJobOut:
    """Ask a live station of the caller's scope to write a tag (an item's evidence number, bound to the
    item once it reads back; a seal's number on its tag) or read a blank seal tag. The same open job
    asked again by the same user is answered as it stands."""
    job = services.custody.tag_jobs.request(
        caller.actor, body.station, body.kind, body.evidence_no, body.seal_no, body.wait_s
    )
    return tag_job_out(job)


@router.get("/tag-jobs/{job_id}", response_model=TagJobOut, responses=responses(401, 403, 404, 422))
def show_tag_job(job_id: JobId, caller: TagWriter, services: ServicesDep) -> TagJobOut:
    """A tag-write job as it stands: pending, taken, done (the tag's UID and type), failed (why),
    cancelled, or expired."""
    return tag_job_out(services.custody.tag_jobs.get(caller.actor, job_id))


@router.post("/tag-jobs/{job_id}/cancel", response_model=TagJobOut, responses=ACTS)
def cancel_tag_job(job_id: JobId, caller: TagWriter, services: ServicesDep) -> TagJobOut:
    """Cancel an open job: the station no longer takes it, and a report of it is refused."""
    return tag_job_out(services.custody.tag_jobs.cancel(caller.actor, job_id))


@router.get("/stations/{name}/tag-jobs", response_model=TagJobList, responses=responses(401, 403, 404, 422))
async def station_tag_jobs(
    name: StationName,
    caller: StationItself,
    services: ServicesDep,
    request: Request,
    wait: Annotated[float, Query(ge=0, le=MAX_POLL_S, description="Seconds to wait for a job")] = 0,
) -> TagJobList:
    """The station's own open jobs, oldest first: at once when there are some, else as soon as one is
    asked for within ``wait`` seconds (none after them)."""
    station = _station(caller)
    jobs = services.custody.tag_jobs
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        found = await run_in_threadpool(jobs.open_jobs, station, name)
        left = deadline - loop.time()
        if found or left <= 0 or await request.is_disconnected():
            return TagJobList(jobs=[tag_job_out(job) for job in found])
        await asyncio.sleep(min(POLL_EVERY_S, left))


@router.post(
    "/stations/{name}/tag-jobs/{job_id}/take",
    response_model=TagJobOut,
    responses=ACTS,
)
def take_tag_job(name: StationName, job_id: JobId, caller: StationItself, services: ServicesDep) -> TagJobOut:
    """The station takes a pending job of its own (a job taken, cancelled or expired is refused: 409)."""
    return tag_job_out(services.custody.tag_jobs.take(_station(caller), name, job_id, caller.device))


@router.post(
    "/stations/{name}/tag-jobs/{job_id}/result",
    response_model=TagJobOut,
    responses=ACTS,
)
def report_tag_job(
    name: StationName, job_id: JobId, body: TagResultIn, caller: StationItself, services: ServicesDep
) -> TagJobOut:
    """What the station's reader did with a job it took. An item's tag written and read back is bound
    to the item in the transaction that records the job done (the item's ``tag_bound`` event, as the
    user who asked); a binding the item refuses fails the job with that reason. A report sent again is
    answered as recorded."""
    result = TagResult(
        done=body.done,
        uid=body.uid,
        tag_type=body.tag_type,
        tamper=body.tamper,
        tamper_opened_before=body.tamper_opened_before,
        error_kind=body.error_kind,
        error_message=body.error_message,
    )
    job = services.custody.tag_jobs.report(_station(caller), name, job_id, result, caller.device)
    return tag_job_out(job)
