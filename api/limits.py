"""Limits on what a request may carry: its body's size, and what its path and query may hold.

The body: 1 MiB (a photo of a destruction site: 10 MB, and the form's envelope around it when the site
desk uploads it), checked on the announced length first, then counted as bytes arrive.

A body announced larger (``Content-Length``) answers 413 ``content-too-large`` before a byte of it is
read; a body sent without a length (chunked) is counted as it arrives and refused as soon as it passes
the limit, so the service never holds more than the limit of one request's body. (FastAPI's own
``max_body_size`` answers an announced oversize body in plain text; this one answers a problem
document like every other refusal.)

The path and the query: no value may hold a character the text policy refuses (:mod:`custody.text`:
controls, NUL included, format and invisible characters); such a request answers 422 naming the query
parameter (or ``path``) before anything is looked up, so a NUL never reaches a database (PostgreSQL
refuses it with an error, SQLite ends the string there).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from fastapi import Request
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import PROBLEMS, problem_response, refusal_response
from custody.batch_photos import MAX_PHOTO_BYTES
from custody.errors import InvalidInput
from custody.text import require_plain

MAX_BODY_BYTES = 1024 * 1024
MULTIPART_ALLOWANCE = 64 * 1024  # a form's fields and part headers around the file it uploads
# the routes that take a larger body, and their limit: a photo of a destruction site (at most 10 MB), as
# the request body or uploaded by the site desk's form
LARGER_BODIES = (
    (re.compile(r"^/api/v1/destruction-batches/[0-9]+/photos$"), MAX_PHOTO_BYTES),
    (re.compile(r"^/batch/[0-9]+/photos$"), MAX_PHOTO_BYTES + MULTIPART_ALLOWANCE),
)


def _too_large(limit: int) -> str:
    return f"the request body is larger than {limit} bytes"


class BodyLimit:
    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = MAX_BODY_BYTES,
        larger: tuple[tuple[re.Pattern[str], int], ...] = LARGER_BODIES,
    ) -> None:
        self.app = app
        self.default_bytes = max_bytes
        self.larger = larger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = next((n for pattern, n in self.larger if pattern.match(path)), self.default_bytes)
        await self._limited(scope, receive, send, limit)

    async def _limited(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        announced = _content_length(scope)
        if announced is not None and (not announced.isdigit() or int(announced) > limit):
            request = Request(scope)
            if announced.isdigit():
                response = problem_response(request, PROBLEMS["content-too-large"], _too_large(limit))
            else:
                response = problem_response(
                    request, PROBLEMS["malformed-request"], "Content-Length is not a number"
                )
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, _too_large(limit))
            return message

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return str(value.decode("latin-1").strip())
    return None


class PlainParameters:
    """Refuse a path or query value holding a character the text policy refuses (422, naming it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            try:
                _check_parameters(scope)
            except InvalidInput as refused:
                await (await refusal_response(Request(scope), refused))(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _check_parameters(scope: Scope) -> None:
    require_plain(scope.get("path", ""), "path")
    query = (scope.get("query_string") or b"").decode("utf-8", errors="surrogateescape")
    for name, value in parse_qsl(query, keep_blank_values=True, errors="surrogatepass"):
        require_plain(name, "query")
        require_plain(value, name)
