"""Tag-write jobs at the station's reader, for the desks' pages (which cannot reach the reader).

A runner thread asks the service for the station's own open jobs (a long poll), takes the oldest pending
one, waits for a tag on the reader, writes the job's text as the tag's one NDEF Text record and reads it
back (or, for a blank seal tag, only reads it), and reports what it read back or the driver's error kind.
It holds no domain rule: the service decides whether the tag is bound, and to what. The job only says
what to write and, for a seal's tag, which tag may be written; the runner never writes over a tag that
carries another text than the job's.

Tags are known from the tag monitor's arrivals and removals (:class:`Presence`): an arrival is reported
once the tag was read whole, so a job never writes a tag the monitor is still reading. A tag that arrives
while a job waits, or that a job used and that has not left the reader since, is the job's: no sighting
of it is posted, and no later job takes it again before it has left, but one that names that very tag
(a seal's number written on the seal tag just read for it).

A reader or a tag that misbehaves fails the job with the driver's kind of error; nothing it does ends
the runner. A service that cannot be reached, or that refuses the station's key, is asked again with
backoff, said once on stderr.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

if TYPE_CHECKING:
    from devices.rfid import TagReading
    from station.config import StationConfig

Emit = Callable[[dict[str, Any]], None]
Job = Mapping[str, Any]
WriteTag = Callable[[Job, str, bytes], "TagReading"]

RETRY_INITIAL = 0.2
REPORT_FOR_S = 120.0  # how long a report is sent again while the service cannot be reached


class TagUnfit(Exception):
    """The tag on the reader is not one the job may write (another tag than the seal's, a tag carrying
    another text); ``kind`` is what the service is told."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class Presence:
    """The tags on the reader as the monitor reports them, and those the jobs have used since."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._present: dict[bytes, str] = {}  # UID → the reader it lies on
        self._used: set[bytes] = set()
        self._waiting = 0

    def arrived(self, uid: bytes, reader: str) -> bool:
        """A tag read whole on ``reader``; True when it is a job's (no sighting of it is to be posted)."""
        with self._changed:
            self._present[uid] = reader
            self._changed.notify_all()
            return self._waiting > 0 or uid in self._used

    def is_jobs(self, uid: bytes) -> bool:
        with self._changed:
            return self._waiting > 0 or uid in self._used

    def removed(self, uid: bytes) -> None:
        with self._changed:
            self._present.pop(uid, None)
            self._used.discard(uid)
            self._changed.notify_all()

    def claim(
        self, timeout: float, stopping: threading.Event, wanted: bytes | None = None
    ) -> tuple[bytes, str] | None:
        """A tag on the reader that no job has used since it arrived, or the ``wanted`` one (a job that
        names its tag may take it again), waiting up to ``timeout`` seconds for it to be put on the
        reader; now used. None when none came."""
        deadline = time.monotonic() + timeout
        with self._changed:
            self._waiting += 1
            try:
                while True:
                    for uid, reader in self._present.items():
                        if uid == wanted or (wanted is None and uid not in self._used):
                            self._used.add(uid)
                            return uid, reader
                    left = deadline - time.monotonic()
                    if left <= 0 or stopping.is_set():
                        return None
                    self._changed.wait(min(left, 0.2))
            finally:
                self._waiting -= 1


def write_on_reader(job: Job, reader: str, uid: bytes) -> TagReading:
    """Do the job on the tag ``uid`` lying on ``reader``: read it (a blank seal tag), or write the job's
    text and read it back; a tag that carries another text, or is not the one the job names, is left
    as it is (:class:`TagUnfit`)."""
    from devices.rfid import PcscContext, open_tag
    from devices.rfid.errors import TagLeftField

    with PcscContext() as context, open_tag(context, reader) as handle:
        if handle.uid != uid:
            raise TagLeftField("another tag lies on the reader now", reader=reader)
        if job.get("kind") == "seal_tag_read":
            return handle.read()
        expected = job.get("expected_uid")
        if expected and handle.uid.hex().upper() != expected:
            raise TagUnfit("wrong_tag", f"tag {handle.uid.hex().upper()} is not the seal's tag {expected}")
        text = str(job.get("text") or "")
        before = handle.read()
        if before.text not in (None, text):
            raise TagUnfit("tag_not_blank", f"the tag carries {before.text!r}")
        return handle.write_text(text)


def _uid_of(text: object) -> bytes | None:
    """The UID a job names (a seal's tag), or None."""
    try:
        return bytes.fromhex(text) if isinstance(text, str) and text else None
    except ValueError:
        return None


def _result_of(reading: TagReading) -> dict[str, Any]:
    result: dict[str, Any] = {"done": True, "uid": reading.uid_hex, "tag_type": reading.type.name[:32]}
    if reading.tamper is not None:
        result.update(tamper=reading.tamper.loop, tamper_opened_before=reading.tamper.opened_before)
    return result


def _failure(kind: str, message: str, uid: bytes | None = None) -> dict[str, Any]:
    text = "".join(c if c.isprintable() else "?" for c in message[:500])
    result: dict[str, Any] = {"done": False, "error_kind": kind[:32], "error_message": text}
    if uid is not None:
        result["uid"] = uid.hex().upper()
    return result


class TagJobRunner:
    """Takes the station's tag-write jobs from the service and does them on its reader, one at a time."""

    def __init__(
        self,
        config: StationConfig,
        presence: Presence,
        emit: Emit,
        key: Callable[[], str],
        warn: Callable[[str], None],
        client: httpx.Client | None = None,
        write: WriteTag = write_on_reader,
    ) -> None:
        assert config.tag_jobs is not None and config.reader is not None
        self._presence = presence
        self._emit = emit
        self._key = key
        self._warn = warn
        self._write = write
        self._device = config.reader.device
        self._poll = config.tag_jobs.poll
        self._path = f"/api/v1/stations/{quote(config.tag_jobs.station, safe='')}/tag-jobs"
        self._retry_max = config.service.retry_max
        self._owns_client = client is None
        timeout = httpx.Timeout(config.service.timeout, read=config.service.timeout + config.tag_jobs.poll)
        self._client = client or httpx.Client(base_url=config.service.url, timeout=timeout)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._trouble: str | None = None  # what was last said on stderr about the service

    def start(self) -> TagJobRunner:
        self._thread = threading.Thread(target=self.run, name="tag-jobs", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """End the runner: a job in hand is finished (its wait for a tag cut short) and reported."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(15)
        if self._owns_client:
            self._client.close()

    def run(self) -> None:
        delay = RETRY_INITIAL
        while not self._stop.is_set():
            jobs = self.fetch()
            if jobs is None:
                self._stop.wait(delay)
                delay = min(delay * 2, self._retry_max)
                continue
            delay = RETRY_INITIAL
            for job in jobs:
                if self._stop.is_set():
                    break
                try:
                    self.handle(job)
                except Exception as error:  # noqa: BLE001 - a job gone wrong never ends the runner
                    self._emit({"event": "tag_job_error", "job": job.get("id"), "reason": repr(error)[:200]})

    def _headers(self) -> dict[str, str]:
        return {"X-Station-Key": self._key(), "X-Station-Device": self._device}

    def fetch(self) -> list[Job] | None:
        """The station's open jobs (waiting for one up to the poll time), or None when the service did
        not answer with them."""
        try:
            answer = self._client.get(self._path, params={"wait": self._poll}, headers=self._headers())
        except httpx.HTTPError as error:
            self._troubled(f"the service cannot be reached ({type(error).__name__})")
            return None
        body = _json(answer)
        jobs = body.get("jobs") if answer.status_code == 200 else None
        if not isinstance(jobs, list):
            self._troubled(f"the service answered {answer.status_code} {body.get('type') or ''}".strip())
            return None
        if self._trouble is not None:
            self._trouble = None
            self._emit({"event": "tag_jobs_resumed"})
        return [job for job in jobs if isinstance(job, dict) and isinstance(job.get("id"), int)]

    def _troubled(self, what: str) -> None:
        if what != self._trouble:
            self._trouble = what
            self._warn(f"station: tag-write jobs: {what}; asking again")
            self._emit({"event": "tag_jobs_held", "reason": what})

    def handle(self, job: Job) -> None:
        """One job of the feed: a pending one taken, done and reported; one taken before (this agent
        stopped during it) reported as interrupted."""
        if job.get("status") == "taken":
            self.report(job, _failure("interrupted", "the station agent stopped during the job"))
            return
        if job.get("status") != "pending":
            return
        try:
            answer = self._client.post(f"{self._path}/{job['id']}/take", headers=self._headers())
        except httpx.HTTPError:
            return  # asked again at the next poll
        if answer.status_code != 200:
            self._emit({"event": "tag_job_skipped", "job": job["id"], "status": answer.status_code})
            return
        taken = _json(answer)
        self._emit(
            {"event": "tag_job_taken", "job": job["id"], "kind": taken.get("kind"), "text": taken.get("text")}
        )
        self.report(taken, self.perform(taken))

    def perform(self, job: Job) -> dict[str, Any]:
        """The result of one job at the reader: the tag read back, or why not."""
        wait_s = job.get("wait_s")
        wait = float(wait_s) if isinstance(wait_s, int | float) else 30.0
        claimed = self._presence.claim(wait, self._stop, _uid_of(job.get("expected_uid")))
        if claimed is None:
            return _failure("no_tag", f"no tag on the reader within {wait:g} s")
        uid, reader = claimed
        self._emit({"event": "tag_job_tag", "job": job.get("id"), "uid": uid.hex().upper(), "reader": reader})
        from devices.rfid.errors import RfidError, TagLeftField

        try:
            return _result_of(self._write(job, reader, uid))
        except TagUnfit as unfit:
            return _failure(unfit.kind, unfit.message, uid)
        except TagLeftField as left:
            return _failure(left.kind, left.message, left.uid or uid)
        except RfidError as error:
            return _failure(error.kind, error.message, uid)
        except Exception as error:  # noqa: BLE001 - a misbehaving device fails the job, not the agent
            return _failure("driver_fault", f"{type(error).__name__}: {error}", uid)

    def report(self, job: Job, result: dict[str, Any]) -> None:
        """Send the result until the service answers it (an outage is retried with backoff, up to
        :data:`REPORT_FOR_S`; a refusal, e.g. of a job cancelled meanwhile, is said and dropped)."""
        path = f"{self._path}/{job['id']}/result"
        deadline = time.monotonic() + REPORT_FOR_S
        delay = RETRY_INITIAL
        while True:
            try:
                answer = self._client.post(path, json=result, headers=self._headers())
            except httpx.HTTPError as error:
                answer = None
                reason = type(error).__name__
            if answer is not None and answer.status_code < 500:
                body = _json(answer)
                event = "tag_job_" + (str(body.get("status")) if answer.status_code == 200 else "refused")
                self._emit({"event": event, "job": job["id"], "status": answer.status_code, **_summary(body)})
                return
            if answer is not None:
                reason = str(answer.status_code)
            if self._stop.is_set() or time.monotonic() + delay > deadline:
                self._warn(f"station: the result of tag-write job {job['id']} could not be sent ({reason})")
                self._emit({"event": "tag_job_unreported", "job": job["id"], "reason": reason, **result})
                return
            time.sleep(delay)
            delay = min(delay * 2, self._retry_max)


def _summary(body: Mapping[str, Any]) -> dict[str, Any]:
    failure = body.get("failure")
    summary = {"uid": body.get("uid"), "text": body.get("text")}
    if isinstance(failure, dict):
        summary.update(kind=failure.get("kind"), reason=failure.get("detail"))
    elif body.get("type"):
        summary.update(type=body.get("type"), reason=body.get("detail"))
    return summary


def _json(answer: httpx.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
