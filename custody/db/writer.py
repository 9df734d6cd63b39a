"""Group commit: one writer connection, a savepoint per act, every caller answered after the commit.

Callers from many threads hand an act (a function of a write connection) to :meth:`Writer.submit`, which
blocks until the transaction holding that act has committed, then returns the act's result or raises its
refusal. The writer takes whatever acts are waiting, runs each inside its own savepoint (a refused act
rolls back to its savepoint and leaves the others alone) and commits them together: SQLite's fsync per
commit is shared by the batch. On PostgreSQL the batch's transaction first takes the ledger's advisory
lock, so writers in other processes append to the chain one at a time.

The callers a batch answered mostly come straight back with their next act. Before a new batch starts,
the writer lets them in: it gives up the interpreter lock (``time.sleep(0)``) a bounded number of times
while fewer acts wait than it last answered. Otherwise their own work interleaves with the batch's
statements, each of which hands the interpreter lock over and back while callers are runnable.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

from custody.db.engine import WRITE_OPTION, is_sqlite
from custody.db.ledger_store import chain_held, head_mark, restore_head

T = TypeVar("T")
Change = Callable[[Connection], Any]  # what the writer runs in one savepoint (not a lifecycle act)

# Key of the PostgreSQL advisory lock that serialises appends to the custody ledger.
LEDGER_LOCK_KEY = 0x637573746F6479  # "custody"
_STOP = object()


class _LoopWaiter:
    """An asyncio caller's future, settled on its own event loop."""

    __slots__ = ("future", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any]) -> None:
        self.loop = loop
        self.future = future


class _ThreadWaiter:
    """A blocked thread's answer: a lock the writer releases once the outcome is set (lighter than a
    ``Future``, whose condition variable and callbacks a caller waiting in :meth:`Writer.submit` needs
    none of)."""

    __slots__ = ("lock", "ok", "value")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lock.acquire()
        self.ok = False
        self.value: Any = None

    def settle(self, ok: bool, value: Any) -> None:
        self.ok = ok
        self.value = value
        self.lock.release()

    def outcome(self) -> Any:
        self.lock.acquire()
        if self.ok:
            return self.value
        error, self.value = self.value, None
        try:
            raise error
        finally:
            del error  # the traceback holds this frame: no cycle back to the error


Waiter = Future[Any] | _LoopWaiter | _ThreadWaiter
Outcome = tuple[Waiter, bool, Any]


def _settle(future: Future[Any] | asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # the caller went away (cancelled): the act is committed all the same
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


def _settle_all(outcomes: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for outcome in outcomes:
        _settle(*outcome)


def _answer(outcomes: list[Outcome]) -> None:
    """Settle every waiter of a finished batch: thread futures at once, each event loop with one
    call (one wake-up per loop and batch, not per act)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
    for waiter, ok, value in outcomes:
        if isinstance(waiter, _ThreadWaiter):
            waiter.settle(ok, value)
        elif isinstance(waiter, _LoopWaiter):
            by_loop.setdefault(waiter.loop, []).append((waiter.future, ok, value))
        else:
            _settle(waiter, ok, value)
    for loop, settled in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop is closed: no one is left to answer
            loop.call_soon_threadsafe(_settle_all, settled)


class Writer:
    def __init__(self, engine: Engine, max_batch: int = 64) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.batches = 0
        self.acts = 0
        self._answered = 0  # acts of the last batch: the callers likely to come back at once

    def submit(self, change: Callable[[Connection], T]) -> T:
        """Run ``change`` in a write transaction; return once it is committed (or raise its error)."""
        waiter = _ThreadWaiter()
        self._ensure_started()
        self._queue.put((change, waiter))
        return waiter.outcome()  # type: ignore[no-any-return]

    def submit_future(self, act: Callable[[Connection], T]) -> Future[T]:
        """Queue ``act``; the future resolves once its transaction has committed (for async callers)."""
        future: Future[T] = Future()
        self._ensure_started()
        self._queue.put((act, future))
        return future

    async def submit_async(self, act: Callable[[Connection], T]) -> T:
        """As :meth:`submit`, for coroutines: awaits the commit without holding a thread."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._ensure_started()
        self._queue.put((act, _LoopWaiter(loop, future)))
        return await future

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join()

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="custody-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        conn: Connection | None = None
        try:
            while True:
                batch = self._next_batch()
                if batch is None:
                    return
                try:
                    if conn is None:
                        conn = self._engine.connect()
                        conn.execution_options(**{WRITE_OPTION: True})
                    self._commit(conn, batch)
                except Exception as failed:  # noqa: BLE001 - connection lost: fail the batch, reconnect
                    self._answered = len(batch)
                    _answer([(waiter, False, failed) for _act, waiter in batch])
                    if conn is not None:
                        conn.invalidate()
                        conn.close()
                    conn = None
        finally:
            if conn is not None:
                conn.close()

    def _next_batch(self) -> list[tuple[Change, Waiter]] | None:
        first = self._queue.get()
        if first is _STOP:
            return None
        batch = [first]
        self._let_callers_in()
        self._take_more(batch)
        return batch

    def _let_callers_in(self) -> None:
        """Yield the interpreter lock while the callers answered last are still submitting (at most
        twice per caller: callers that do not come back delay the batch by a few microseconds)."""
        expected = self._answered
        waiting = self._queue.qsize
        for _ in range(2 * expected):
            if waiting() + 1 >= expected:
                return
            time.sleep(0)

    def _commit(self, conn: Connection, batch: list[tuple[Change, Waiter]]) -> None:
        """Run the batch, and whatever arrives meanwhile, in one transaction; then answer every caller."""
        outcomes: list[Outcome] = []
        with conn.begin():
            if not is_sqlite(conn):
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LEDGER_LOCK_KEY})
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            done = 0
            with chain_held(conn):
                while done < len(batch):
                    act, future = batch[done]
                    done += 1
                    mark = head_mark(conn)
                    cursor.execute("SAVEPOINT custody_act")
                    try:
                        outcome = act(conn)
                    except Exception as refused:  # noqa: BLE001 - handed to the caller, who re-raises it
                        cursor.execute("ROLLBACK TO SAVEPOINT custody_act")
                        restore_head(conn, mark)
                        outcomes.append((future, False, refused))
                    else:
                        outcomes.append((future, True, outcome))
                    cursor.execute("RELEASE SAVEPOINT custody_act")
                    if done == len(batch):
                        self._take_more(batch)
        self.batches += 1
        self.acts += len(batch)
        self._answered = len(batch)
        _answer(outcomes)

    def _take_more(self, batch: list[tuple[Change, Waiter]]) -> None:
        """Acts waiting in the queue join the batch, up to its size: those that came with the first,
        and those that arrived while it ran (group commit grows under load)."""
        while len(batch) < self._max_batch:
            try:
                nxt = self._queue.get_nowait()
            except queue.Empty:
                return
            if nxt is _STOP:
                self._queue.put(_STOP)
                return
            batch.append(nxt)
