"""Checkpoints on a schedule: the service signs the ledger's tree head every so many minutes while it
runs (and once at start), when it holds the province's key (``CUSTODY_CHECKPOINT_KEY``).

A checkpoint over a tree already signed is not made twice; one that fails (a ledger that does not verify,
a database that is down) is logged as an error and tried again at the next turn: the service keeps
serving, and `custody ledger verify` says what is wrong."""

from __future__ import annotations

import logging
import threading

from custody.checkpoints import Checkpoints
from custody.errors import CustodyError
from custody.tlog import NoteSigner

log = logging.getLogger("custody.checkpoints")


class CheckpointSchedule:
    """Makes a checkpoint every ``every_s`` seconds on a thread of its own, from :meth:`start` to
    :meth:`stop`."""

    def __init__(self, checkpoints: Checkpoints, signer: NoteSigner, every_s: float) -> None:
        self.checkpoints, self.signer, self.every_s = checkpoints, signer, every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.made = 0  # checkpoints made (or found made) by this schedule

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="custody-checkpoints", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def turn(self) -> None:
        """One checkpoint now (its failure logged, not raised)."""
        try:
            made = self.checkpoints.make(self.signer)
        except CustodyError as refused:
            log.error("no checkpoint made: %s", refused)
        except Exception:  # the database may be down: try again at the next turn
            log.exception("no checkpoint made")
        else:
            self.made += 1
            log.info("checkpoint of tree size %d, root %s", made.tree_size, made.root_hash)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.turn()
            self._stop.wait(self.every_s)
