"""Whether the database's storage is full, as the service's last write found it.

When the disk fills, every write fails: the service answers 503 ``storage-full`` with ``Retry-After``
(nothing was written, nothing committed is lost), ``/health`` reports it, and the log says so once when
the condition starts and once when it ends, not once per request. The condition ends by itself with the
first act that succeeds again (a write request answered 2xx: its records and its access-log entry were
written). A read alone does not end it: on PostgreSQL a table with room left on its last page takes a
row while the others cannot grow, so one small write succeeding says little.
"""

from __future__ import annotations

import logging
import threading
import time

from starlette.types import Scope

log = logging.getLogger("api")

RETRY_AFTER_S = 30


class StorageCondition:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.full_since: float | None = None  # wall-clock seconds

    @property
    def full(self) -> bool:
        return self.full_since is not None

    def write_failed(self, reason: str) -> None:
        """A write failed because the disk is full (logged when the condition starts)."""
        with self._lock:
            if self.full_since is not None:
                return
            self.full_since = time.time()
        log.error("storage full: writes refused, answering 503 until space returns (%s)", reason)

    def wrote(self) -> None:
        """A write succeeded (logged when it ends the condition)."""
        if self.full_since is None:
            return
        with self._lock:
            since, self.full_since = self.full_since, None
        if since is not None:
            log.warning("storage: writes succeed again after %.0f s of a full disk", time.time() - since)


def storage_of(scope: Scope) -> StorageCondition:
    """The app's storage condition (made on first use)."""
    state = scope["app"].state
    condition: StorageCondition | None = getattr(state, "storage", None)
    if condition is None:
        condition = state.storage = StorageCondition()
    return condition


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else type(error).__name__
