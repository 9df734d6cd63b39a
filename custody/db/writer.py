"""Group commit: one writer connection, a savepoint per act, every caller answered after the commit.

Callers from many threads hand an act (a function of a write connection) to :meth:`Writer.submit`, which
returns once the transaction holding that act has committed, with the act's result or raising its
refusal. One batch runs at a time: it takes whatever acts are waiting, runs each inside its own savepoint
(a refused act rolls back to its savepoint and leaves the others alone) and commits them together:
SQLite's fsync per commit is shared by the batch. On PostgreSQL the batch's transaction first takes the
ledger's advisory lock, so writers in other processes append to the chain one at a time.

Who runs a batch (leads): a caller of :meth:`Writer.submit` that finds none running runs it on its own
thread, answers the other callers in it and, once its own act is answered, hands the lead to the caller
of the oldest act still waiting; no act waiting, no one leads. Acts of callers that do not wait in
:meth:`Writer.submit` (:meth:`Writer.submit_future`, :meth:`Writer.submit_async`) are led by the writer
thread, started when first needed, which runs batches until no act waits. So a caller's act costs no
hand-over to another thread and back when it leads, and the one write connection is used by one thread
at a time.

The callers a batch answered mostly come straight back with their next act. Before a new batch starts,
the leader waits for them (at most :data:`GATHER_S`) until as many acts wait as it last answered. A
blocked caller whose act is answered is not woken at once, where it would only wait for the interpreter
lock that the leader still holds: a thread wakes one such caller as it is about to block in the writer
(a caller waiting for its act, the leader waiting for the callers), so each wakes to a free interpreter
lock, and the rest are woken when a batch starts, or by a caller leaving the writer while no one leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

from custody.db.engine import is_sqlite, write_connection
from custody.db.ledger_store import chain_held, head_mark, restore_head

T = TypeVar("T")
Change = Callable[[Connection], Any]  # what the writer runs in one savepoint (not a lifecycle act)

# Key of the PostgreSQL advisory lock that serialises appends to the custody ledger.
LEDGER_LOCK_KEY = 0x637573746F6479  # "custody"
# How long a batch waits at most for the callers the last one answered (they come back within
# microseconds unless busy elsewhere; a batch without them costs them a commit of their own).
GATHER_S = 0.002


class _LoopWaiter:
    """An asyncio caller's future, settled on its own event loop."""

    __slots__ = ("future", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any]) -> None:
        self.loop = loop
        self.future = future


class _ThreadWaiter:
    """A blocked caller: a lock released once its outcome is set, or once it is handed the lead (it then
    runs the batches itself; lighter than a ``Future``, whose condition variable and callbacks a caller
    waiting in :meth:`Writer.submit` needs none of)."""

    __slots__ = ("leads", "lock", "ok", "settled", "value")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lock.acquire()
        self.ok = False
        self.settled = False
        self.leads = False
        self.value: Any = None

    def hand_lead(self) -> None:
        self.leads = True
        self.lock.release()

    def wait(self) -> bool:
        """Block until settled (False) or handed the lead (True)."""
        self.lock.acquire()
        if self.leads:
            self.leads = False
            return True
        return False

    def outcome(self) -> Any:
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


def _answer(outcomes: list[Outcome], asleep: deque[_ThreadWaiter]) -> None:
    """Settle every waiter of a finished batch: futures at once, each event loop with one call (one
    wake-up per loop and batch, not per act), blocked callers without waking them (added to ``asleep``)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
    for waiter, ok, value in outcomes:
        if isinstance(waiter, _ThreadWaiter):
            waiter.ok = ok
            waiter.value = value
            waiter.settled = True
            asleep.append(waiter)
        elif isinstance(waiter, _LoopWaiter):
            by_loop.setdefault(waiter.loop, []).append((waiter.future, ok, value))
        else:
            _settle(waiter, ok, value)
    for loop, settled in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop is closed: no one is left to answer
            loop.call_soon_threadsafe(_settle_all, settled)


class _Queue(deque[Any]):
    """Acts waiting for a batch, oldest first."""

    def qsize(self) -> int:
        return len(self)


class Writer:
    def __init__(self, engine: Engine, max_batch: int = 64) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._queue = _Queue()
        self._mutex = threading.Lock()  # guards the lead, the queue's appends and the callers asleep
        self._leading = False  # a caller or the writer thread runs batches: the others wait
        self._conn: Connection | None = None
        self._thread: threading.Thread | None = None
        self._wake = threading.Lock()  # released to hand the lead to the writer thread
        self._stopping = False
        self.batches = 0
        self.acts = 0
        self._answered = 0  # acts of the last batch: the callers likely to come back at once
        self._gate: threading.Lock | None = None  # the leader waits on it for those callers
        # callers answered but not woken yet: each is woken by a thread about to block in the writer
        # (so it finds the interpreter lock free), or when no one leads by a caller leaving
        self._asleep: deque[_ThreadWaiter] = deque()

    def submit(self, change: Callable[[Connection], T]) -> T:
        """Run ``change`` in a write transaction; return once it is committed (or raise its error).

        The caller runs the batch itself when no batch is running (it leads), or when the one leading
        hands it the lead (its act is the oldest waiting); otherwise another caller's batch takes its act."""
        waiter = _ThreadWaiter()
        with self._mutex:
            self._queue.append((change, waiter))
            leads = not self._leading
            self._leading = True
            if self._gate is not None and len(self._queue) >= self._answered:
                self._gate.release()
                self._gate = None
            woken = self._asleep.popleft() if self._asleep and not leads else None
        if woken is not None:
            woken.lock.release()
        if leads or waiter.wait():
            self._lead(waiter)
        with self._mutex:
            woken = self._asleep.popleft() if self._asleep and not self._leading else None
        if woken is not None:
            woken.lock.release()
        return waiter.outcome()  # type: ignore[no-any-return]

    def submit_future(self, act: Callable[[Connection], T]) -> Future[T]:
        """Queue ``act``; the future resolves once its transaction has committed (for async callers)."""
        future: Future[T] = Future()
        self._enqueue((act, future))
        return future

    async def submit_async(self, act: Callable[[Connection], T]) -> T:
        """As :meth:`submit`, for coroutines: awaits the commit without holding a thread."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._enqueue((act, _LoopWaiter(loop, future)))
        return await future

    def close(self) -> None:
        """Take the lead once no batch runs, stop the writer thread and close the connection."""
        while True:
            with self._mutex:
                if not self._leading:
                    self._leading = True
                    break
            time.sleep(0.001)
        try:
            thread, self._thread = self._thread, None
            if thread is not None:
                self._stopping = True
                self._wake.release()
                thread.join()
                self._stopping = False
            conn, self._conn = self._conn, None
            if conn is not None:
                conn.close()
        finally:
            self._wake_all()
            self._hand_over()

    def _enqueue(self, item: tuple[Change, Waiter]) -> None:
        """Queue an act whose caller does not wait here: the writer thread leads if no one does."""
        with self._mutex:
            self._queue.append(item)
            if self._gate is not None and len(self._queue) >= self._answered:
                self._gate.release()
                self._gate = None
            if self._leading:
                return
            self._leading = True
        self._wake_thread()

    def _wake_thread(self) -> None:
        """Hand the lead to the writer thread (started on first need)."""
        if self._thread is None:
            self._wake = threading.Lock()
            self._wake.acquire()
            self._thread = threading.Thread(target=self._run, name="custody-writer", daemon=True)
            self._thread.start()
        self._wake.release()

    def _run(self) -> None:
        """The writer thread: leads when handed the lead, until no act waits."""
        while True:
            self._wake.acquire()
            if self._stopping:
                return
            self._lead(None)

    def _wake_all(self) -> None:
        """Wake every caller answered and still asleep."""
        with self._mutex:
            asleep = list(self._asleep)
            self._asleep.clear()
        for waiter in asleep:
            waiter.lock.release()

    def _lead(self, own: _ThreadWaiter | None) -> None:
        """Run batches until ``own`` is answered (``None``: until no act waits), then hand the lead on."""
        try:
            self._let_callers_in()
            while True:
                batch: list[tuple[Change, Waiter]] = []
                self._take_more(batch)
                if batch:
                    self._wake_all()  # those that did not come back (a batch holds the lead long)
                    self._run_batch(batch, own)
                if own is not None and own.settled:
                    return
                if own is None:
                    with self._mutex:
                        if not self._queue:
                            self._leading = False
                            woken = self._asleep.popleft() if self._asleep else None
                            break
            if woken is not None:
                woken.lock.release()
        finally:
            if own is not None:
                self._hand_over()

    def _hand_over(self) -> None:
        """Hand the lead to the caller of the oldest waiting act, or to the writer thread (an act of a
        caller that does not wait here); no act waiting: no one leads."""
        with self._mutex:
            if not self._queue:
                self._leading = False
                return
            oldest = self._queue[0][1]
        if isinstance(oldest, _ThreadWaiter):
            oldest.hand_lead()
        else:
            self._wake_thread()

    def _run_batch(self, batch: list[tuple[Change, Waiter]], own: _ThreadWaiter | None) -> None:
        try:
            if self._conn is None:
                self._conn = write_connection(self._engine)
            self._commit(self._conn, batch, own)
        except BaseException as failed:  # noqa: BLE001 - connection lost (or the leader's thread
            # interrupted): every caller of the batch gets the error, the leader's own among them; the
            # next batch reconnects
            self._answered = len(batch)
            self._answer([(waiter, False, failed) for _act, waiter in batch], own)
            conn, self._conn = self._conn, None
            if conn is not None:
                conn.invalidate()
                conn.close()

    def _answer(self, outcomes: list[Outcome], own: _ThreadWaiter | None) -> None:
        """Settle the batch's callers; those blocked stay asleep until woken (see ``_asleep``)."""
        asleep: deque[_ThreadWaiter] = deque()
        _answer(outcomes, asleep)
        if own is not None and own in asleep:
            asleep.remove(own)  # its thread runs the batch: awake
        with self._mutex:
            self._asleep.extend(asleep)

    def _let_callers_in(self) -> None:
        """Wait, at most :data:`GATHER_S`, until as many acts wait as the last batch answered: those
        callers mostly come straight back, and their acts had better join this batch than wait for
        the next commit. The leader blocks meanwhile, after waking one of them: each wakes the next as
        it blocks in turn, and finds the interpreter lock free."""
        with self._mutex:
            if len(self._queue) >= self._answered:
                return
            gate = self._gate = threading.Lock()
            gate.acquire()
            woken = self._asleep.popleft() if self._asleep else None
        if woken is not None:
            woken.lock.release()
        gate.acquire(timeout=GATHER_S)
        with self._mutex:
            self._gate = None

    def _commit(
        self, conn: Connection, batch: list[tuple[Change, Waiter]], own: _ThreadWaiter | None = None
    ) -> None:
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
        self._answer(outcomes, own)

    def _take_more(self, batch: list[tuple[Change, Waiter]]) -> None:
        """Acts waiting in the queue join the batch, up to its size: those that came with the first,
        and those that arrived while it ran (group commit grows under load)."""
        waiting = self._queue
        while waiting and len(batch) < self._max_batch:
            batch.append(waiting.popleft())
