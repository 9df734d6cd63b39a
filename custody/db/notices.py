"""Notices between the service processes of one PostgreSQL database (``LISTEN``/``NOTIFY``).

A write that others should hear of calls :func:`notify` inside its transaction: PostgreSQL delivers the
notice to every listening connection, of every process, when (and only if) the transaction commits. A
:class:`Listener` is a thread with a connection of its own that listens on channels and hands each
notice's payload on. On SQLite (one process per database file) :func:`notify` does nothing and there is
nothing to listen to: the process hears its own writes directly.

A notice is a hint, not a record: one sent while a listener's connection is being re-established is
lost to that listener (it reconnects within a second). What a notice names is read back from the
database, where it was committed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

SIGHTINGS = "custody_sightings"  # a scan recorded new sightings: {"station": name, "key": idempotency key}

_log = logging.getLogger("custody.notices")
_NOTIFY = text("SELECT pg_notify(:channel, :payload)")
_WAIT_S = 0.5  # how long a listener waits for a notice before it checks whether it should stop
_RECONNECT_S = 1.0


def notify(conn: Connection, channel: str, payload: str) -> None:
    """Send ``payload`` on ``channel`` when ``conn``'s transaction commits (PostgreSQL only)."""
    if conn.dialect.name == "postgresql":
        conn.execute(_NOTIFY, {"channel": channel, "payload": payload})


def listens(engine: Engine) -> bool:
    """Whether other processes may write to this database (so notices are how a process hears them)."""
    return engine.dialect.name == "postgresql"


class Listener:
    """A thread listening on ``channels`` of ``engine``'s database, calling ``received(channel,
    payload)`` for each notice, until :meth:`stop`."""

    def __init__(self, engine: Engine, channels: Sequence[str], received: Callable[[str, str], None]) -> None:
        self.engine = engine
        self.channels = tuple(channels)
        self.received = received
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="custody-listener", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        """Start listening; returns once the channels are listened to (or after ``timeout``)."""
        self._thread.start()
        self._ready.wait(timeout)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(_WAIT_S * 4)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._listen()
            except Exception:  # noqa: BLE001 - a dropped connection: listen again
                _log.warning("custody: listening for notices failed; listening again", exc_info=True)
                self._stopping.wait(_RECONNECT_S)

    def _listen(self) -> None:
        raw = self.engine.raw_connection()
        pg = raw.driver_connection
        raw.detach()  # this connection is the listener's own, never back in the pool
        try:
            assert pg is not None
            pg.rollback()  # whatever the pool's checkout began
            pg.autocommit = True
            for channel in self.channels:
                pg.execute(f'LISTEN "{channel}"')
            self._ready.set()
            while not self._stopping.is_set():
                for notice in pg.notifies(timeout=_WAIT_S):
                    self._deliver(notice.channel, notice.payload)
        finally:
            raw.close()

    def _deliver(self, channel: str, payload: str) -> None:
        try:
            self.received(channel, payload)
        except Exception:  # noqa: BLE001 - one notice that cannot be handled does not stop the others
            _log.exception("custody: a notice on %s could not be handled", channel)
