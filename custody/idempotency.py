"""Idempotency keys of creating requests: a retry after a lost answer gets the first answer.

A client that sends a creating request (register an item, open a case) with a key and loses the answer
sends it again with the same key. :meth:`IdempotencyKeys.recall` finds the key: the same request gets the
recorded answer and nothing new is written; another request under the same key is refused
(:class:`~custody.errors.IdempotencyConflict`). :meth:`IdempotencyKeys.recorder` gives the ``also`` of
the act (see :class:`custody.db.unit_of_work.Store`): the key is recorded in the very transaction of
the act, so an act and its key are committed together or not at all, and a retry is recognised by
every service process on the same database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Connection

from custody import text
from custody.db.tables import IdempotencyKeyRow
from custody.db.unit_of_work import Also, Store
from custody.errors import IdempotencyConflict, Message

KEY_REUSED = Message("idempotency.key_reused", "idempotency key {key!r} was already used for another request")

_keys = cast(Table, IdempotencyKeyRow.__table__)


@dataclass(frozen=True)
class Answer:
    """What a creating request was answered: status, JSON body, and the created thing's location."""

    status: int
    body: str
    location: str | None = None


def request_digest(method: str, route: str, body: Any) -> str:
    """SHA-256 of a request as the key binds it: method, route and the body's canonical JSON."""
    canonical = json.dumps([method, route, body], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyKeys:
    def __init__(self, store: Store) -> None:
        self.store = store

    def recall(self, principal: str, key: str, digest: str) -> Answer | None:
        """The answer recorded under ``key`` for this request; None if the key is new. Raises
        :class:`IdempotencyConflict` if the key was used for another request."""
        key = str(text.clean(key, "idempotency_key", required=True))  # required: never None
        with self.store.reading() as conn:
            row = conn.execute(
                select(_keys.c.request_sha256, _keys.c.status, _keys.c.answer, _keys.c.location).where(
                    _keys.c.principal == principal, _keys.c.idempotency_key == key
                )
            ).first()
        if row is None:
            return None
        if row.request_sha256 != digest:
            raise IdempotencyConflict(KEY_REUSED, key=key)
        return Answer(row.status, row.answer, row.location)

    def recorder(self, principal: str, key: str, digest: str, answer_of: Callable[[Any], Answer]) -> Also:
        """The ``also`` of an act that records ``key`` with the act's answer (``answer_of`` its result)
        in the act's own transaction."""
        key = str(text.clean(key, "idempotency_key", required=True))  # required: never None

        def record(conn: Connection, result: Any) -> None:
            answer = answer_of(result)
            conn.execute(
                insert(_keys).values(
                    principal=principal,
                    idempotency_key=key,
                    request_sha256=digest,
                    status=answer.status,
                    answer=answer.body,
                    location=answer.location,
                    created_at_us=self.store.now_us(),
                )
            )

        return record
