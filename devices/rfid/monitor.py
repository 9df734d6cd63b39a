"""The tag monitor: one thread that watches every reader through pcscd and reports events.

It blocks in ``SCardGetStatusChange`` on all readers plus the ``\\\\?PnP?\\Notification`` pseudo-reader
(readers added or removed), with a timeout so that retries and stopping never wait long. On a new
tag it reads the tag whole (:func:`~devices.rfid.frontend.read_tag`). A read that fails is retried a
few times, then reported as one :class:`DeviceError` (never as an arrival) and retried slowly while
the tag stays: vpcd, like any reader that polls, can miss a tag that leaves and comes straight back.
pcsc-lite keeps an event counter in each reader state, so a tag swapped between two polls still reads
as a removal and an arrival. When pcscd goes away (or the context breaks) the monitor reports it
once, reports its tags and readers as gone, and reconnects until pcscd is back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from devices.rfid.errors import CommunicationError, DriverFault, PcscUnavailable, RfidError, TagLeftField
from devices.rfid.events import DeviceError, ReaderAdded, ReaderRemoved, TagArrived, TagEvent, TagRemoved
from devices.rfid.frontend import TagReading, matching_readers, read_tag
from devices.rfid.pcsc import PNP_NOTIFICATION, STATE_CHANGED, PcscContext, ReaderState
from devices.rfid.readers import ReaderFamilies

ReadTag = Callable[[PcscContext, str, ReaderFamilies], TagReading]


class _CallbackFailed(Exception):
    """``on_event`` raised: the application's error, not the driver's, so it ends the monitor."""


class _Slot:
    """What the monitor knows of one reader."""

    __slots__ = ("failures", "gave_up", "mute_reported", "name", "reading", "retry_at", "state")

    def __init__(self, name: str) -> None:
        self.name = name
        self.state = ReaderState(name, 0)
        self.reading: TagReading | None = None
        self.failures: list[RfidError] = []
        self.retry_at = 0.0
        self.gave_up = False
        self.mute_reported = False


class TagMonitor:
    """Watch readers (all, or those whose name contains ``reader``) and call ``on_event`` for each event.

    ``on_event`` runs on the monitor's thread. :meth:`run` blocks until :meth:`stop`; :meth:`start`
    runs it on a thread of its own.
    """

    def __init__(
        self,
        on_event: Callable[[TagEvent], None],
        *,
        reader: str | None = None,
        poll_interval: float = 1.0,
        retry_interval: float = 0.2,
        read_attempts: int = 3,
        reconnect_interval: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        context_factory: Callable[[], PcscContext] = PcscContext,
        read: ReadTag = read_tag,
    ) -> None:
        self._on_event = on_event
        self._reader_filter = reader
        self._poll_interval = poll_interval
        self._retry_interval = retry_interval
        self._read_attempts = max(1, read_attempts)
        self._reconnect_interval = reconnect_interval
        self._clock = clock
        self._context_factory = context_factory
        self._read = read
        self._families = ReaderFamilies()
        self._slots: dict[str, _Slot] = {}
        self._notification = ReaderState(PNP_NOTIFICATION, 0)
        self._context: PcscContext | None = None
        self._context_lock = threading.Lock()
        self._stopping = threading.Event()
        self._outage_reported = False
        self._thread: threading.Thread | None = None

    # -- running

    def run(self) -> None:
        try:
            while not self._stopping.is_set():
                self._cycle()
        finally:
            self._close_context()

    def start(self) -> TagMonitor:
        self._thread = threading.Thread(target=self.run, name="tag-monitor", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float | None = 5.0) -> None:
        self._stopping.set()
        with self._context_lock:
            if self._context is not None:
                self._context.cancel()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def __enter__(self) -> TagMonitor:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- one turn of the loop

    def _cycle(self) -> None:
        try:
            if self._context is None:
                context = self._context_factory()
                with self._context_lock:
                    self._context = context
                self._sync_readers(context)
            self._step(self._context)
        except _CallbackFailed:
            raise
        except RfidError as error:  # pcscd went away, or the context broke: start again with a new one
            self._lose_context(error)
            self._stopping.wait(self._reconnect_interval)
        except Exception as exc:  # noqa: BLE001 - the monitor thread must outlive any surprise
            self._lose_context(DriverFault(f"{type(exc).__name__}: {exc}"))
            self._stopping.wait(self._reconnect_interval)

    def _step(self, context: PcscContext) -> None:
        now = self._clock()
        due = [slot.retry_at for slot in self._slots.values() if self._retrying(slot)]
        timeout = max(0.0, min(due) - now) if due else self._poll_interval
        request = [self._notification, *(slot.state for slot in self._slots.values())]
        changed = context.wait_for_change(request, timeout)
        self._outage_reported = False
        if self._stopping.is_set():
            return
        if changed is None:
            for slot in list(self._slots.values()):
                if self._retrying(slot) and self._clock() >= slot.retry_at:
                    self._read_slot(context, slot)
            return
        readers_changed = bool(changed[0].state & STATE_CHANGED)
        self._notification = changed[0].settled()
        for state in changed[1:]:
            watched = self._slots.get(state.name)
            if watched is not None:
                self._update(context, watched, state.settled())
        if readers_changed or any(state.gone for state in changed[1:]):
            self._sync_readers(context)

    # -- readers

    def _sync_readers(self, context: PcscContext) -> None:
        names = matching_readers(context.readers(), self._reader_filter)
        for name in [name for name in self._slots if name not in names]:
            self._forget(self._slots.pop(name))
        for name in names:
            if name not in self._slots:
                self._slots[name] = _Slot(name)
                self._emit(ReaderAdded(name, self._clock()))

    def _forget(self, slot: _Slot) -> None:
        self._tag_gone(slot)
        self._families.forget(slot.name)
        self._emit(ReaderRemoved(slot.name, self._clock()))

    def _lose_context(self, error: RfidError) -> None:
        """Report the loss once per outage; the tags and readers seen through the context are gone."""
        if not self._outage_reported:
            self._outage_reported = True
            self._emit(DeviceError(error, self._clock()))
        for slot in list(self._slots.values()):
            self._forget(slot)
        self._slots.clear()
        self._notification = ReaderState(PNP_NOTIFICATION, 0)
        self._close_context()

    def _close_context(self) -> None:
        with self._context_lock:
            context, self._context = self._context, None
        if context is not None:
            context.close()

    # -- tags

    def _update(self, context: PcscContext, slot: _Slot, new: ReaderState) -> None:
        old, slot.state = slot.state, new
        if new.gone:
            return
        swapped = old.state != 0 and new.event_count != old.event_count
        if not new.present or swapped:
            self._tag_gone(slot)
        if new.mute and not slot.mute_reported:
            slot.mute_reported = True
            mute = CommunicationError("the card in the field does not answer", reader=slot.name)
            self._emit(DeviceError(mute, self._clock(), slot.name))
        if not new.mute:
            slot.mute_reported = False
        if new.present and slot.reading is None and not slot.failures and not slot.gave_up:
            self._read_slot(context, slot)

    def _tag_gone(self, slot: _Slot) -> None:
        """The tag on ``slot`` (if any) left: report it, or report the read it cut short."""
        if slot.reading is not None:
            self._emit(TagRemoved(slot.name, slot.reading.uid, self._clock()))
            slot.reading = None
        if slot.failures:
            self._give_up(slot, removed=True)
        slot.gave_up = False

    def _retrying(self, slot: _Slot) -> bool:
        return (bool(slot.failures) or slot.gave_up) and slot.state.present

    def _read_slot(self, context: PcscContext, slot: _Slot) -> None:
        try:
            reading = self._read(context, slot.name, self._families)
        except PcscUnavailable:
            raise
        except RfidError as error:
            self._failed(slot, error)
            return
        except Exception as exc:  # noqa: BLE001 - an answer nobody foresaw is reported, never fatal
            self._failed(slot, DriverFault(f"{type(exc).__name__}: {exc}", reader=slot.name))
            return
        slot.failures.clear()
        slot.gave_up = False
        slot.reading = reading
        self._emit(TagArrived(reading, self._clock()))

    def _failed(self, slot: _Slot, error: RfidError) -> None:
        """Retry soon, a few times; then report once, and go on retrying slowly while the tag stays."""
        if not slot.gave_up:
            slot.failures.append(error)
            if len(slot.failures) >= self._read_attempts:
                self._give_up(slot, removed=False)
        soon = slot.failures and not slot.gave_up
        slot.retry_at = self._clock() + (self._retry_interval if soon else self._poll_interval)

    def _give_up(self, slot: _Slot, *, removed: bool) -> None:
        failures, slot.failures = slot.failures, []
        slot.gave_up = not removed
        first = failures[0]
        if removed or any(isinstance(error, TagLeftField) for error in failures):
            uid, tag_type = _identity_read(failures)
            what = "nothing else was read whole" if uid is not None else "nothing was delivered"
            error: RfidError = TagLeftField(
                f"the tag left the field during the read, {what} "
                f"({len(failures)} attempt(s); first error: {first.message})",
                reader=slot.name,
                uid=uid,
                tag_type=tag_type,
            )
        else:
            error = failures[-1]
        self._emit(DeviceError(error, self._clock(), slot.name))

    def _emit(self, event: TagEvent) -> None:
        try:
            self._on_event(event)
        except Exception as exc:
            raise _CallbackFailed(f"on_event raised {type(exc).__name__}") from exc


def _identity_read(failures: list[RfidError]) -> tuple[bytes | None, str | None]:
    """The UID (and type) the failed reads of one tag got whole before it left, if they agree."""
    found = {
        (error.uid, error.tag_type)
        for error in failures
        if isinstance(error, TagLeftField) and error.uid is not None
    }
    uids = {uid for uid, _type in found}
    if len(uids) != 1:
        return None, None
    uid = uids.pop()
    types = {tag_type for _uid, tag_type in found if tag_type is not None}
    return uid, types.pop() if len(types) == 1 else None
