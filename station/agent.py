"""The station agent: device events in, HTTP out, through the outbox.

Scanner and reader threads turn each scan and tag read into a request body with an idempotency key
derived from the device event, and put it in the outbox (committed before anything is sent). One delivery
loop sends the oldest waiting event to the service's scan intake until it has an answer about the scan:
accepted, or refused with the reason (both leave the queue); an outage or a server error is retried with
backoff, with the same key, so the service records each scan once. An answer about the station itself (its
key refused, its device not bound) holds delivery with every scan still queued until a reload or restart
(:mod:`station.answers`). Every answer and device event is printed as one JSON line.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from station.answers import ADVICE, HoldReason, Judgement, Verdict, judge
from station.config import ConfigError, StationConfig, load_config
from station.outbox import Outbox, Pending
from station.tag_jobs import Presence, TagJobRunner

if TYPE_CHECKING:
    from devices.rfid import TamperStatus

SCAN_PATH = "/api/v1/scans"
BATCH_PATH = "/api/v1/scans/batch"
BATCH_LIMIT = 50  # scans per batch: the service takes at most 50
BATCH_WITHIN = 0.1  # seconds a scan waits for others to go with it
RETRY_INITIAL = 0.2

Emit = Callable[[dict[str, Any]], None]


def print_json(record: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def event_key(device: str, when: datetime, data: bytes) -> str:
    """An idempotency key for one device event: the device, its UTC time to the microsecond, its bytes."""
    stamp = when.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{device}:{stamp}:{hashlib.sha256(data).hexdigest()[:16]}"


def print_warning(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _printable(text: str, limit: int = 200) -> str:
    """A service-supplied text fit for one terminal line: control characters replaced, length capped."""
    return "".join(c if c.isprintable() else "?" for c in text[:limit])


class Delivery:
    """Sends what waits in the outbox to the service, oldest first, until each has an answer.

    An answer about the station rather than the scan (see :mod:`station.answers`) holds delivery:
    the scan stays queued and nothing more is sent (a device not bound to the station holds only that
    device's scans; a refused key holds all), and each hold is said once on stdout (``held``) and
    once on stderr. :meth:`request_resume` (a reload, e.g. SIGHUP) ends every hold with the key
    ``reread`` returns; a restart starts unheld.
    """

    def __init__(
        self,
        config: StationConfig,
        outbox: Outbox,
        emit: Emit = print_json,
        client: httpx.Client | None = None,
        warn: Callable[[str], None] = print_warning,
        reread: Callable[[], str] | None = None,
    ) -> None:
        """``reread`` gives the station key afresh on a resume (or raises :class:`ConfigError`)."""
        self._outbox = outbox
        self._emit = emit
        self._warn = warn
        self._reread = reread
        self._owns_client = client is None
        self._client = client or httpx.Client(base_url=config.service.url, timeout=config.service.timeout)
        self._key = config.service.key
        self._stop = threading.Event()
        self._delay = RETRY_INITIAL
        self._retry_max = config.service.retry_max
        self._held: Judgement | None = None
        self._held_devices: dict[str, Judgement] = {}
        self._resume_requested = False  # a plain flag: set from a signal handler, read by the loop
        self._batches = True  # False once the service answered that it takes no batches (an older one)

    @property
    def key(self) -> str:
        """The station key in use (a reload may have reread it)."""
        return self._key

    @property
    def held(self) -> Judgement | None:
        """Why delivery of every scan is held, or None while it is not."""
        return self._held

    @property
    def held_devices(self) -> frozenset[str]:
        """The devices whose scans are held (not bound to the station)."""
        return frozenset(self._held_devices)

    def stop(self) -> None:
        """Ask the loop to end; an attempt in flight finishes first (its answer is recorded)."""
        self._stop.set()

    def request_resume(self) -> None:
        """Ask the loop to reread the key and send again (safe from a signal handler: sets a flag)."""
        self._resume_requested = True

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def run(self) -> None:
        while not self._stop.is_set():
            if self._resume_requested:
                self._resume_requested = False
                self.resume()
            if self._held is not None:
                self._stop.wait(0.2)
                continue
            pending = self.next_pending(timeout=0.5)
            if pending is None:
                continue
            batch = [pending]
            if self._batches:
                batch = self._outbox.gather(pending, BATCH_LIMIT, BATCH_WITHIN, self.held_devices)
            done = self.deliver_batch(batch) if len(batch) > 1 else self.deliver(pending)
            if not done and not self._holds(pending):
                self._stop.wait(self._delay)
                self._delay = min(self._delay * 2, self._retry_max)

    def next_pending(self, timeout: float = 0.0) -> Pending | None:
        """The oldest event that may be sent now (none while every scan is held)."""
        if self._held is not None:
            return None
        return self._outbox.wait(timeout, self.held_devices)

    def _holds(self, pending: Pending) -> bool:
        return self._held is not None or pending.body.get("device") in self._held_devices

    def resume(self) -> None:
        """End a hold: reread the key (a bad configuration keeps the hold and says why) and send again."""
        if self._reread is not None:
            try:
                self._key = self._reread()
            except ConfigError as error:
                held = self._held is not None or self._held_devices
                state = "delivery stays held" if held else "the station key is unchanged"
                self._warn(f"station: reload failed, {state}: {_printable(str(error))}")
                self._emit({"event": "reload_failed", "reason": str(error)})
                return
        was_held = self._held is not None or bool(self._held_devices)
        self._held = None
        self._held_devices.clear()
        self._delay = RETRY_INITIAL
        self._emit({"event": "resumed", "was_held": was_held, **self._outbox.counts()})

    def deliver_batch(self, batch: list[Pending]) -> bool:
        """One attempt at a batch (``POST /api/v1/scans/batch``): each scan answered there is settled
        as if it had been sent alone; True when the first one has its final answer. A failure of the
        whole request is settled on the first scan (the others stay queued and go again)."""
        for pending in batch:
            self._outbox.attempted(pending.id)
        try:
            headers = {"X-Station-Key": self._key}
            response = self._client.post(BATCH_PATH, json={"scans": [p.body for p in batch]}, headers=headers)
        except httpx.HTTPError as error:
            for pending in batch:
                reason = str(error) or type(error).__name__
                self._emit({"event": "retrying", "key": pending.idempotency_key, "reason": reason})
            return False
        if response.status_code in (404, 405):  # a service without batches: one scan at a time
            self._batches = False
            return self.deliver(batch[0])
        answer = _json_of(response)
        results = answer.get("results") if response.status_code == 200 else None
        if not isinstance(results, list) or len(results) != len(batch):
            return self.settle(batch[0], response.status_code, answer, response.reason_phrase)
        settled = True
        for pending, result in zip(batch, results, strict=True):
            status = result.get("status") if isinstance(result, dict) else None
            body = result.get("answer") if isinstance(result, dict) else None
            if not isinstance(status, int) or not isinstance(body, dict):
                status, body = 502, {"detail": "the service answered this scan with nothing"}
            done = self.settle(pending, status, body, "")
            settled = settled and done
            if self._held is not None:
                break
        return settled

    def deliver(self, pending: Pending) -> bool:
        """One attempt; True when the scan has its final answer (accepted or refused), False when it
        stays queued (to retry later, or held)."""
        self._outbox.attempted(pending.id)
        try:
            headers = {"X-Station-Key": self._key, "X-Station-Device": str(pending.body["device"])}
            response = self._client.post(SCAN_PATH, json=pending.body, headers=headers)
        except httpx.HTTPError as error:
            self._emit(
                {
                    "event": "retrying",
                    "key": pending.idempotency_key,
                    "reason": str(error) or type(error).__name__,
                }
            )
            return False
        return self.settle(pending, response.status_code, _json_of(response), response.reason_phrase)

    def settle(self, pending: Pending, status: int, answer: dict[str, Any], phrase: str) -> bool:
        """What one answer means for its scan: accepted or refused (kept in the outbox as answered),
        to retry, or held."""
        judgement = judge(status, answer)
        if judgement.verdict is Verdict.RETRY:
            self._emit({"event": "retrying", "key": pending.idempotency_key, "status": status})
            return False
        reason = str(answer.get("detail") or answer.get("title") or phrase)
        if judgement.verdict is Verdict.HELD:
            self._hold(judgement, pending, reason, answer)
            return False
        self._delay = RETRY_INITIAL
        self._outbox.answered(pending.id, status, answer)
        if judgement.verdict is Verdict.ACCEPTED:
            self._emit({"event": "accepted", "key": pending.idempotency_key, **answer})
            for warning in answer.get("warnings") or ():
                if isinstance(warning, dict):
                    self._warn(f"station: WARNING {_printable(str(warning.get('text') or warning))}")
        else:
            self._emit(
                {
                    "event": "refused",
                    "key": pending.idempotency_key,
                    "status": status,
                    "reason": reason,
                    "type": answer.get("type"),
                }
            )
        return True

    def _hold(self, judgement: Judgement, pending: Pending, reason: str, answer: dict[str, Any]) -> None:
        assert judgement.hold is not None
        device = str(pending.body.get("device"))
        if judgement.hold is HoldReason.BINDING:
            first = device not in self._held_devices and self._held is None
            self._held_devices[device] = judgement
        else:
            first = self._held is None
            self._held = judgement
        if not first:
            return
        counts = self._outbox.counts()
        self._emit(
            {
                "event": "held",
                "hold": judgement.hold.value,
                "status": judgement.status,
                "type": answer.get("type"),
                "reason": reason,
                "key": pending.idempotency_key,
                "device": device,
                "scope": "device" if judgement.hold is HoldReason.BINDING else "station",
                **counts,
            }
        )
        binding = judgement.hold is HoldReason.BINDING
        whose = f"of {_printable(device)}'s scans" if binding else "of every scan"
        self._warn(
            f"station: delivery {whose} held, {counts['pending']} scan(s) kept in the outbox: "
            f"{ADVICE[judgement.hold]} ({judgement.status} {_printable(str(answer.get('type') or ''))}: "
            f"{_printable(reason)}). Fix it, then restart the agent or send it SIGHUP."
        )


def _json_of(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        answer = None
    return answer if isinstance(answer, dict) else {"detail": response.text[:200]}


class StationAgent:
    """Opens the configured devices and forwards their events until :meth:`stop`."""

    def __init__(
        self,
        config: StationConfig,
        emit: Emit = print_json,
        client: httpx.Client | None = None,
        config_path: Path | None = None,
    ) -> None:
        """``config_path``: the file ``config`` came from, reread for the key by :meth:`reload`."""
        self.config = config
        self.emit = emit
        self.outbox = Outbox(config.outbox.path)
        reread = None if config_path is None else (lambda: load_config(config_path).service.key)
        self.delivery = Delivery(config, self.outbox, emit, client, reread=reread)
        self.presence = Presence()  # the tags on the reader, and those tag-write jobs have used
        self.tag_jobs: TagJobRunner | None = None
        self._stoppers: list[Callable[[], None]] = []
        self._closed = False

    def queue(self, key: str, body: dict[str, Any]) -> None:
        if self.outbox.put(key, body):
            self.emit(
                {
                    "event": "queued",
                    "key": key,
                    "device": body["device"],
                    "code": body.get("code"),
                    "uid": body.get("uid"),
                    **({"tamper": body["tamper"]} if "tamper" in body else {}),
                }
            )

    # -- devices

    def on_scanner_event(self, event: Any) -> None:
        from devices.scanner import Scan

        if isinstance(event, Scan):
            key = event_key(event.device, event.utc, event.raw)
            body = {
                "device": event.device,
                "code": event.code,
                "symbology": event.symbology,
                "device_time": event.utc.isoformat(),
                "idempotency_key": key,
            }
            self.queue(key, body)
        else:
            self.emit({"source": "scanner", **event.to_json()})

    def on_tag_event(self, event: Any) -> None:
        """A tag read whole is posted with its UID and text; a tag that left after its UID was read
        whole (and before its text was) is posted as a UID-only read, which the service looks up by
        the tag's binding. No half-read text is ever posted, and no read of a tag a tag-write job
        waits for or has used (:mod:`station.tag_jobs`)."""
        from devices.rfid import DeviceError, TagArrived, TagRemoved

        if isinstance(event, TagArrived):
            if self.presence.arrived(event.uid, event.reader):
                self.emit({"event": "tag_for_job", "reader": event.reader, "uid": event.reading.uid_hex})
                return
            self.queue_tag_read(event.reader, event.uid, event.text, event.reading.tamper)
        else:
            self.emit({"source": "reader", **event.to_json()})
            if isinstance(event, TagRemoved):
                self.presence.removed(event.uid)
            if (
                isinstance(event, DeviceError)
                and event.uid is not None
                and not self.presence.is_jobs(event.uid)
            ):
                self.queue_tag_read(event.reader or "", event.uid, None)

    def queue_tag_read(
        self, reader: str, uid: bytes, text: str | None, tamper: TamperStatus | None = None
    ) -> None:
        """Queue a tag read; ``tamper`` is the reader's :class:`devices.rfid.TamperStatus` of a
        tamper-evident tag (None for other tags, and for a tag that left before it was read whole):
        its loop and whether the tag recorded it open before go with the read."""
        device = self.config.reader.device if self.config.reader else reader
        now = datetime.now(UTC)
        key = event_key(device, now, uid + (text or "").encode())
        body: dict[str, Any] = {
            "device": device,
            "uid": uid.hex().upper(),
            "text": text,
            "device_time": now.isoformat(),
            "idempotency_key": key,
        }
        if tamper is not None:
            body["tamper"] = tamper.loop
            if tamper.opened_before is not None:
                body["tamper_opened_before"] = tamper.opened_before
        self.queue(key, body)

    def start_devices(self) -> None:
        if self.config.scanner is not None:
            from devices.scanner import Framing, PortSettings, SerialScanner, terminator

            settings = self.config.scanner
            framing = Framing(
                aim=settings.aim, suffix=terminator(settings.suffix) if settings.suffix else None
            )
            scanner = SerialScanner(
                PortSettings(settings.url, baudrate=settings.baud), framing, device=settings.device
            )
            scanner.start(self.on_scanner_event)
            self._stoppers.append(scanner.close)
        if self.config.reader is not None:
            from devices.rfid import TagMonitor

            monitor = TagMonitor(self.on_tag_event, reader=self.config.reader.name).start()
            self._stoppers.append(monitor.stop)
        if self.config.tag_jobs is not None:
            delivery = self.delivery
            runner = TagJobRunner(self.config, self.presence, self.emit, lambda: delivery.key, print_warning)
            self.tag_jobs = runner.start()
            self._stoppers.append(runner.stop)

    # -- running

    def requeue_station_refusals(self) -> int:
        """Send again the events an earlier agent took as refused on an answer about the station (a
        401 or 403: the service wrote nothing for them), as this agent would have kept them queued.
        The same idempotency keys go out, so nothing is recorded twice."""
        misjudged = [
            event_id
            for event_id, status, answer in self.outbox.refusals()
            if judge(status, answer).verdict is Verdict.HELD
        ]
        reopened = self.outbox.reopen(misjudged) if misjudged else 0
        if reopened:
            self.emit({"event": "requeued", "count": reopened})
        return reopened

    def run(self) -> None:
        """Open the devices and deliver until :meth:`stop` (or Ctrl-C), then :meth:`close`."""
        try:
            self.requeue_station_refusals()
            self.start_devices()
            self.emit({"event": "started", **self.outbox.counts()})
            self.delivery.run()
        finally:
            self.close()

    def stop(self) -> None:
        """Ask :meth:`run` to end (from any thread or a signal handler); it closes everything."""
        self.delivery.stop()

    def reload(self) -> None:
        """Reread the station key and send again if delivery was held (safe from a signal handler)."""
        self.delivery.request_resume()

    def close(self) -> None:
        """Stop the devices (their threads joined), then close the outbox: every event a device
        reported before this is committed in the outbox, and waits there for the next start."""
        if self._closed:
            return
        self._closed = True
        self.delivery.stop()
        for stop in reversed(self._stoppers):
            stop()
        self._stoppers.clear()
        self.delivery.close()
        counts = self.outbox.counts()
        self.outbox.close()
        self.emit({"event": "stopped", **counts})
