"""The access-log middleware: one committed entry per API request, before its answer is sent.

It wraps the app at the ASGI level: when the response starts, the status is known, and the route,
the caller (set by admission, :mod:`api.deps`) and the target are in the request scope. The entry is
appended through the core's group-commit writer and the answer goes out only once it is committed; if
it cannot be written, the request fails rather than go unrecorded: its answer is replaced by a problem
(503 ``storage-full`` when the disk is full, see :mod:`api.storage`). Only ``/api/`` paths are logged
(documentation and health checks are not), and never a header or a body, so no password, token or key.

**A route that writes its own entry.** A route whose act commits anyway (scan intake, the busiest
route; a station's change, whose entry says what changed) writes its request's entry in the act's own
transaction, saving a second commit: it passes an :class:`EntryWithAct` as the act's ``also`` (see
:class:`custody.db.unit_of_work.Store`) and, once the act is committed, calls its
:meth:`~EntryWithAct.committed`, which leaves the typed marker :class:`LoggedWithAct` in the request's
state; the middleware then writes nothing for the request. This is the only way a route and the
middleware speak to each other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import anyio.to_thread
from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import unrecorded_response
from api.storage import storage_of
from custody.access_log import ANONYMOUS, STATION, USER, Access, AccessLog
from custody.db.unit_of_work import Connection

API_PREFIX = "/api/"
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class LoggedWithAct:
    """In a request's state: its access-log entry was committed with its act (``status``, as logged)."""

    status: int


_LOGGED = "custody.access_log.logged_with_act"  # the marker's key in the request's state


def mark_logged_with_act(request: Request, status: int) -> None:
    """Tell the middleware that the request's entry was committed with its act (:class:`EntryWithAct`
    does it; a route writing its entry another way calls this once the entry is committed)."""
    request.scope.setdefault("state", {})[_LOGGED] = LoggedWithAct(status)


def logged_with_act(scope: Scope) -> LoggedWithAct | None:
    marker = (scope.get("state") or {}).get(_LOGGED)
    return marker if isinstance(marker, LoggedWithAct) else None


class EntryWithAct:
    """The request's access-log entry as the ``also`` of its act: written in the act's transaction with
    the status ``status_of(result)`` (and the note ``note_of(result)``, if given). After the act
    is committed, :meth:`committed` tells the middleware (nothing is told if the act wrote nothing:
    a refusal is logged by the middleware as usual)."""

    __slots__ = ("_access_log", "_note_of", "_request", "_status_of", "status")

    def __init__(
        self,
        request: Request,
        access_log: AccessLog,
        status_of: Callable[[Any], int],
        note_of: Callable[[Any], str] | None = None,
    ) -> None:
        self._request, self._access_log = request, access_log
        self._status_of, self._note_of = status_of, note_of
        self.status: int | None = None

    def __call__(self, conn: Connection, result: Any) -> None:
        status = self._status_of(result)
        entry = access_of(self._request.scope, status)
        if self._note_of is not None:
            entry = replace(entry, note=self._note_of(result))
        self._access_log.act_for(entry)(conn)
        self.status = status

    def committed(self) -> None:
        if self.status is not None:
            mark_logged_with_act(self._request, self.status)


def note_login_subject(request: Request, user_id: int | None, unit_code: str | None) -> None:
    """Name the account a failed login was for (when it exists), for its unit's auditors."""
    request.state.login_subject = (user_id, unit_code)


def access_of(scope: Scope, status: int) -> Access:
    state: dict[str, Any] = scope.get("state") or {}
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None) or ""
    client = scope.get("client")
    common = {
        "method": scope.get("method", ""),
        "route": template,
        "path": scope.get("path", ""),
        "query": (scope.get("query_string") or b"").decode("latin-1"),
        "status": status,
        "client": client[0] if client else "",
        "note": str(state.get("access_note") or ""),
    }
    caller = state.get("caller")
    if caller is not None and caller.station is not None:
        return Access(
            STATION,
            station_id=caller.station.id,
            unit_code=caller.station.unit_code,
            device=caller.device,
            **common,
        )
    if caller is not None:
        return Access(USER, user_id=caller.actor.id, unit_code=caller.actor.unit_code, **common)
    user_id, unit_code = state.get("login_subject") or (None, None)
    return Access(ANONYMOUS, user_id=user_id, unit_code=unit_code, **common)


class AccessLogMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        record: Callable[[Scope], Callable[[Access], object] | None],
        pages: Callable[[str], bool] = lambda _path: False,
    ) -> None:
        """``pages``: whether a path outside the API is a page, logged like an API request."""
        self.app = app
        self._recorder_for = record
        self._is_page = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(API_PREFIX) and not self._is_page(path):
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})
        record = self._recorder_for(scope)

        started = False
        replaced = False  # the answer was replaced by a problem: the entry could not be written

        async def send_after_logging(message: Message) -> None:
            nonlocal started, replaced
            if replaced:
                return
            if message["type"] == "http.response.start":
                started = True
                # a route that wrote its entry with its act says so (see EntryWithAct)
                if record is not None and logged_with_act(scope) is None:
                    try:
                        await anyio.to_thread.run_sync(record, access_of(scope, message["status"]))
                    except Exception as failed:  # noqa: BLE001 - answered as a problem, not raised
                        replaced = True
                        committed = scope.get("method") not in _READS and message["status"] < 400
                        await unrecorded_response(Request(scope), failed, committed)(scope, receive, send)
                        return
                if record is not None and scope.get("method") not in _READS and message["status"] < 400:
                    storage_of(scope).wrote()  # an act and its entry were written: the disk takes writes
            await send(message)

        try:
            await self.app(scope, receive, send_after_logging)
        except Exception:
            # an unexpected failure: the outer error middleware answers 500; the log says so first
            if not started and record is not None:
                with contextlib.suppress(Exception):  # the failure itself is what gets reported
                    await anyio.to_thread.run_sync(record, access_of(scope, 500))
            raise
