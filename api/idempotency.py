"""The ``Idempotency-Key`` header of creating requests (:mod:`custody.idempotency` keeps the keys).

A creating POST sent with ``Idempotency-Key: <key>`` (1 to 128 characters of the text policy) is
recorded with its key in the act's own transaction. Sent again with the same key and the same body (a
retry after a lost answer), it gets the first answer again, with ``Idempotent-Replayed: true``, and
nothing new is written, whichever service process answers. The same key with another body, or on
another route, answers 409 ``idempotency-conflict``. Keys belong to the caller that sent them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import Caller, Services
from api.schemas import StoredText
from custody import text
from custody.db.failures import CONSTRAINT_VIOLATED
from custody.db.unit_of_work import Also
from custody.idempotency import Answer, IdempotencyKeys, request_digest

HEADER = "Idempotency-Key"
R = TypeVar("R")

IdempotencyKeyHeader = Annotated[
    Annotated[str, StoredText("idempotency_key")] | None,
    Header(
        alias=HEADER,
        description="A key of the client's choosing: a retry with the same key and body gets the first "
        "answer and creates nothing; the same key with another body answers 409 idempotency-conflict.",
    ),
]


def idempotency_key_of(request: Request) -> str | None:
    """The request's ``Idempotency-Key`` header, under the text policy (422 if it breaks it)."""
    value = request.headers.get(HEADER)
    return None if value is None else text.clean(value, "idempotency_key", required=True)


def principal_of(caller: Caller) -> str:
    return f"station:{caller.station.id}" if caller.station is not None else f"user:{caller.actor.id}"


def _response(answer: Answer, replayed: bool) -> JSONResponse:
    headers = {"Location": answer.location} if answer.location else {}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(json.loads(answer.body), status_code=answer.status, headers=headers)


def create_once(
    request: Request,
    services: Services,
    caller: Caller,
    key: str | None,
    body: BaseModel,
    create: Callable[[Also | None], R],
    render: Callable[[R], BaseModel],
    location: Callable[[Any], str | None] = lambda _out: None,
    secret: tuple[str, ...] = (),
    kept: Callable[[Any], BaseModel] | None = None,
) -> JSONResponse:
    """Run ``create`` (one act) unless ``key`` says it ran already; answer 201 with ``render`` of it.

    ``create`` is given the ``also`` of its act (None without a key): the core writes it in the act's
    own transaction, recording the key with the answer.

    ``secret``: body fields (a password) left out of the request's digest, so that no form of them is
    kept beside the key; a retry differing only in them gets the first answer. ``kept``: the answer as
    kept for a retry, rendered from the act's own result, when the first answer holds a secret that must
    not be stored (a station's key): a retry then gets the answer without it."""

    def answer_of(result: Any, shape: Callable[[Any], BaseModel] = render) -> Answer:
        out = shape(result)
        return Answer(201, out.model_dump_json(), location(out))

    def kept_of(result: Any) -> Answer:
        return answer_of(result, kept or render)

    if key is None:
        return _response(answer_of(create(None)), replayed=False)
    route = getattr(request.scope.get("route"), "path_format", request.url.path)
    query = sorted(request.query_params.multi_items())
    shown = body.model_dump(mode="json", exclude=set(secret))
    digest = request_digest(request.method, route, {"body": shown, "query": query})
    keys = IdempotencyKeys(services.custody.store)
    principal = principal_of(caller)
    found = keys.recall(principal, key, digest)
    if found is not None:
        return _response(found, replayed=True)
    try:
        result = create(keys.recorder(principal, key, digest, kept_of))
    except CONSTRAINT_VIOLATED:  # a concurrent request with the same key committed first
        found = keys.recall(principal, key, digest)
        if found is None:
            raise
        return _response(found, replayed=True)
    return _response(answer_of(result), replayed=False)
