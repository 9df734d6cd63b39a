"""Every error the API answers, as RFC 9457 ``application/problem+json``, mapped here and nowhere else.

Each refusal of the core is a :class:`custody.errors.CustodyError` with a stable ``code``; the table
below gives each code its HTTP status and title, and the problem's ``type`` is ``/problems/<code>``
(served by the API itself, with the same description). A subclass without its own entry answers as its
nearest mapped ancestor. Request validation, unknown routes, unexpected failures and an unreachable
database get problem documents too, so a client only ever parses one error format.

Members: ``type``, ``title``, ``status``, ``detail``, ``instance`` (the request path), ``key`` and
``params`` (the refusal's stable message key and its parameters: a client shows the refusal in its own
language from these, never by matching ``detail``; a problem that is not a refusal of the core has its
code as key and no parameters) and, for invalid input, ``field`` (the first field to blame) and
``errors`` (every field with its message).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.storage import RETRY_AFTER_S, first_line, storage_of
from custody.db.engine import storage_full
from custody.db.failures import DATABASE_UNAVAILABLE
from custody.errors import CustodyError, InvalidInput, ItemRefusal
from reports.errors import ReportError

log = logging.getLogger("api")

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "/problems/"


@dataclass(frozen=True)
class ProblemType:
    code: str
    status: int
    title: str
    description: str

    @property
    def uri(self) -> str:
        return PROBLEM_BASE + self.code


def _types(*entries: ProblemType) -> dict[str, ProblemType]:
    return {entry.code: entry for entry in entries}


PROBLEMS: dict[str, ProblemType] = _types(
    # --- the core's refusals (custody.errors and the identity, station and scan modules)
    ProblemType("custody-error", 400, "Request refused", "The custody core refused the request."),
    ProblemType("invalid-input", 422, "Invalid input", "A field is missing or malformed; `field` names it."),
    ProblemType(
        "invalid-evidence-number",
        422,
        "Invalid evidence number",
        "Not an evidence number: wrong shape, unknown kind letter, or check digits that do not match.",
    ),
    ProblemType(
        "invalid-seal-number",
        422,
        "Invalid seal number",
        "Not a seal number: wrong shape, or check digits that do not match.",
    ),
    ProblemType(
        "invalid-location-code",
        422,
        "Invalid location code",
        "Not a storage location code (L, a 6-digit region code, 1 to 4 parts after hyphens).",
    ),
    ProblemType(
        "not-found",
        404,
        "Not found",
        "No such thing, or none the caller may see: the two are answered alike, so nothing leaks.",
    ),
    ProblemType("unknown-item", 404, "Unknown item", "No such item in the caller's scope."),
    ProblemType("unknown-case", 404, "Unknown case", "No such case in the caller's scope."),
    ProblemType("unknown-unit", 404, "Unknown unit", "No police unit has this code."),
    ProblemType("unknown-user", 404, "Unknown user", "No such user in the caller's scope."),
    ProblemType("unknown-station", 404, "Unknown station", "No such station in the caller's scope."),
    ProblemType("unknown-device", 404, "Unknown device", "The device is not bound to the station."),
    ProblemType(
        "station-change-refused",
        409,
        "Station change refused",
        "The station is revoked, the device is its last one or bound already, or the station changed "
        "meanwhile.",
    ),
    ProblemType("already-exists", 409, "Already exists", "Something with this number or name exists."),
    ProblemType(
        "username-unavailable",
        409,
        "Username unavailable",
        "The username is taken somewhere in the province (answered to administrators only, and recorded "
        "in the access log with the name).",
    ),
    ProblemType(
        "not-permitted",
        403,
        "Not permitted",
        "The caller lacks the role for this request, or acts outside its unit, or is a station on an "
        "endpoint that is not for stations.",
    ),
    ProblemType(
        "device-not-bound", 403, "Device not bound", "The station named a device that is not one of its own."
    ),
    ProblemType(
        "illegal-transition",
        409,
        "Illegal transition",
        "The act is not allowed from the item's current lifecycle state (or for its kind).",
    ),
    ProblemType(
        "transition-refused",
        409,
        "Transition refused",
        "The act is allowed from this state, but one of its conditions does not hold.",
    ),
    ProblemType(
        "list-refused",
        409,
        "Act on a list refused",
        "One or more items of the list may not undergo the act; nothing of the list was recorded. "
        "`refusals` names every refused item with its reason.",
    ),
    ProblemType(
        "conflict",
        409,
        "Item changed since it was read",
        "The version sent is not the item's current version: read the item again and decide again.",
    ),
    ProblemType(
        "idempotency-conflict",
        409,
        "Idempotency key reused",
        "The idempotency key was used before for a different request.",
    ),
    ProblemType(
        "label-refused",
        409,
        "Label refused",
        "The item's label cannot be made as asked (a character its font lacks, text that does not fit "
        "the layout), or no label printer is configured: download the label instead. Nothing was printed.",
    ),
    ProblemType(
        "printer-failed",
        502,
        "Printer failed",
        "The label printer or print server did not take the job; nothing was printed. Check the printer "
        "and send the job again.",
    ),
    ProblemType("ledger-error", 500, "Ledger error", "The custody ledger could not be read or written."),
    ProblemType(
        "import-refused",
        409,
        "County store not moved",
        "A county's store cannot be moved into this database as it stands; nothing of it was written.",
    ),
    ProblemType(
        "tag-job-refused",
        409,
        "Tag-write job refused",
        "The tag-write job cannot be requested, taken, reported or cancelled as asked (a revoked station, "
        "a seal without a tag, a job taken, finished, cancelled or expired already); nothing was written.",
    ),
    ProblemType(
        "unauthenticated",
        401,
        "Authentication required",
        "No credentials, or a session token or station key that is unknown, expired or revoked.",
    ),
    ProblemType(
        "login-failed",
        401,
        "Login failed",
        "Wrong username or password, or the account is locked or inactive (not told apart).",
    ),
    ProblemType(
        "second-person-not-confirmed",
        422,
        "Second person not confirmed",
        "The receiver or witness of a two-person act did not confirm with their own password (wrong "
        "username or password, or an account locked, inactive or outside the caller's scope); `field` "
        "names the password field.",
    ),
    ProblemType(
        "too-many-attempts",
        429,
        "Too many failed logins",
        "Too many failed logins from this address: wait the number of seconds in Retry-After.",
    ),
    # --- the HTTP layer's own
    ProblemType("no-such-route", 404, "No such route", "No endpoint answers this path."),
    ProblemType("method-not-allowed", 405, "Method not allowed", "The endpoint does not answer this method."),
    ProblemType(
        "malformed-request",
        400,
        "Malformed request",
        "The request body is not valid JSON of the declared type.",
    ),
    ProblemType(
        "content-too-large",
        413,
        "Content too large",
        "The request body is larger than the service takes (1 MiB); nothing of it was read past the limit.",
    ),
    ProblemType("http-error", 400, "Bad request", "The request could not be handled as sent."),
    ProblemType(
        "report-refused",
        409,
        "Report refused",
        "The records cannot make the document as asked (its totals do not add up, or a value holds a "
        "character the document's font cannot print); no document was made.",
    ),
    ProblemType(
        "service-unavailable",
        503,
        "Service unavailable",
        "The database cannot be reached just now; nothing was changed. Try again later.",
    ),
    ProblemType(
        "storage-full",
        503,
        "Storage full",
        "The database's disk is full: nothing was written, nothing recorded is lost. Try again after the "
        "seconds in Retry-After.",
    ),
    ProblemType("internal-error", 500, "Internal error", "An unexpected failure; it has been logged."),
    ProblemType(
        "recorded-but-not-logged",
        500,
        "Recorded, access entry not written",
        "The act was recorded, but its access-log entry could not be written (e.g. a full disk): do not "
        "send it again; read the item or case back to see it.",
    ),
)


class ItemRefusalOut(BaseModel):
    """One refused item of an act on a list."""

    evidence_no: str
    type: str = Field(description="URI reference of the item's problem type")
    key: str = Field(description="Stable message key of the item's refusal")
    detail: str
    params: dict[str, str | int | float | bool | None]


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(description="URI reference of the problem type: /problems/<code>")
    title: str
    status: int
    detail: str
    instance: str | None = Field(default=None, description="The request path")
    key: str = Field(description="Stable message key of the refusal, for translation")
    params: dict[str, str | int | float | bool | None] = Field(
        description="The message's parameters, by name (the values `detail` was made from)"
    )
    field: str | None = Field(default=None, description="For invalid input: the first field to blame")
    errors: list[dict[str, str]] | None = Field(
        default=None, description="For invalid input: every field to blame, with its message"
    )
    refusals: list[ItemRefusalOut] | None = Field(
        default=None, description="For an act on a list: every refused item, with its reason"
    )


def problem_type_of(error: CustodyError) -> ProblemType:
    """The problem type of a refusal: its own code's, or its nearest mapped ancestor's."""
    for cls in type(error).__mro__:
        code = getattr(cls, "code", None)
        if isinstance(code, str) and code in PROBLEMS:
            return PROBLEMS[code]
    return PROBLEMS["custody-error"]


def problem_response(
    request: Request,
    kind: ProblemType,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **members: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": kind.uri,
        "title": kind.title,
        "status": kind.status,
        "detail": detail,
        "instance": request.url.path,
        "key": kind.code,
        "params": {},
    }
    body.update({k: v for k, v in members.items() if v is not None})
    return JSONResponse(body, status_code=kind.status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _field_name(location: tuple[Any, ...]) -> str:
    """A pydantic location as a field name: ``body.source.maker`` → ``source.maker``."""
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) if parts else ".".join(str(p) for p in location)


async def _custody_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, CustodyError)
    kind = problem_type_of(error)
    request.state.access_note = error.audit_note()  # the access log keeps it (api.access)
    headers: dict[str, str] = {}
    if kind.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="custody"'
    retry_after = getattr(error, "retry_after_s", None)
    if isinstance(retry_after, int):
        headers["Retry-After"] = str(retry_after)
    if kind.status >= 500:
        log.error("refusal answered with %s: %s", kind.status, error)
    return problem_response(request, kind, str(error), headers=headers or None, **_members(error))


def refusal_body(request: Request, error: CustodyError) -> dict[str, Any]:
    """The problem document of a refusal, as a body (one part of an answer, e.g. a scan of a batch)."""
    kind = problem_type_of(error)
    body: dict[str, Any] = {
        "type": kind.uri,
        "title": kind.title,
        "status": kind.status,
        "detail": str(error),
        "instance": request.url.path,
    }
    body.update({k: v for k, v in _members(error).items() if v is not None})
    return body


def _members(error: CustodyError) -> dict[str, Any]:
    field = error.field if isinstance(error, InvalidInput) else None
    refusals = getattr(error, "refusals", None)
    return {
        "key": error.key,
        "params": error.params,
        "field": field,
        "errors": [{"field": field, "message": str(error)}] if field else None,
        "refusals": None if refusals is None else [_refusal(r) for r in refusals],
    }


def _refusal(refusal: ItemRefusal) -> dict[str, Any]:
    return {
        "evidence_no": refusal.evidence_no,
        "type": PROBLEM_BASE + refusal.code,
        "key": refusal.key,
        "detail": refusal.text,
        "params": dict(refusal.params),
    }


def _blame(error: Any) -> dict[str, str]:
    """A validation error as ``field`` and ``message``. A body that is not JSON at all blames ``body``
    (FastAPI puts the character position where the field would be)."""
    location = tuple(error.get("loc", ()))
    if error.get("type") == "json_invalid":
        where = next((p for p in location if isinstance(p, int)), None)
        reason = str((error.get("ctx") or {}).get("error", "")) or str(error.get("msg", ""))
        at = "" if where is None else f" (at character {where})"
        return {"field": "body", "message": f"the body is not valid JSON: {reason}{at}"}
    return {"field": _field_name(location), "message": str(error.get("msg", ""))}


async def refusal_response(request: Request, error: CustodyError) -> JSONResponse:
    """The problem answering a refusal of the core (for middleware, which sits outside the handlers)."""
    return await _custody_error(request, error)


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [_blame(e) for e in error.errors()]
    first = errors[0] if errors else {"field": "", "message": "invalid request"}
    detail = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    return problem_response(
        request, PROBLEMS["invalid-input"], detail, field=first["field"] or None, errors=errors
    )


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = {
        400: "malformed-request",
        404: "no-such-route",
        405: "method-not-allowed",
        413: "content-too-large",
    }.get(error.status_code)
    kind = PROBLEMS[code] if code else ProblemType("http-error", error.status_code, "HTTP error", "")
    headers = dict(error.headers) if error.headers else None
    return problem_response(request, kind, str(error.detail), headers=headers)


def failure_response(request: Request, error: BaseException) -> JSONResponse:
    """The one answer to a failure that is not a refusal: 503 ``storage-full`` when the database's disk
    is full, 503 ``service-unavailable`` when it cannot be reached, else 500 ``internal-error``; each
    logged. The handlers, the admission gate and the access-log middleware all answer through it."""
    if is_storage_full(request, error):
        return storage_full_response(request, error)
    if isinstance(error, DATABASE_UNAVAILABLE):
        log.error("database unavailable: %s", first_line(error))
        kind = PROBLEMS["service-unavailable"]
        return problem_response(request, kind, kind.description, headers={"Retry-After": "5"})
    log.error("unexpected failure on %s %s", request.method, request.url.path, exc_info=error)
    kind = PROBLEMS["internal-error"]
    return problem_response(request, kind, kind.description)


def unrecorded_response(request: Request, error: BaseException, committed: bool = False) -> JSONResponse:
    """The answer to a request whose access-log entry could not be written (it fails rather than go
    unrecorded): as :func:`failure_response`. ``committed``: the request's act was already recorded, so
    the answer must not invite a retry that repeats it."""
    if not committed:
        return failure_response(request, error)
    if is_storage_full(request, error):
        storage_of(request.scope).write_failed(first_line(error))
    log.error(
        "act recorded, access entry not written on %s %s: %s",
        request.method,
        request.url.path,
        first_line(error),
    )
    kind = PROBLEMS["recorded-but-not-logged"]
    return problem_response(request, kind, kind.description)


def storage_full_response(request: Request, error: BaseException) -> JSONResponse:
    """503 ``storage-full`` with Retry-After; the condition is noted (and logged once) for ``/health``."""
    storage_of(request.scope).write_failed(first_line(error))
    kind = PROBLEMS["storage-full"]
    return problem_response(request, kind, kind.description, headers={"Retry-After": str(RETRY_AFTER_S)})


def is_storage_full(request: Request, error: BaseException) -> bool:
    services = getattr(request.app.state, "services", None)
    return storage_full(error, None if services is None else services.custody.engine)


async def _report_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ReportError)
    request.state.access_note = error.code
    return problem_response(request, PROBLEMS["report-refused"], str(error))


async def _failure(request: Request, error: Exception) -> JSONResponse:
    return failure_response(request, error)


def install(app: FastAPI) -> None:
    """Register the handlers: the one place where errors become HTTP answers."""
    app.add_exception_handler(CustodyError, _custody_error)
    app.add_exception_handler(ReportError, _report_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for unavailable in DATABASE_UNAVAILABLE:
        app.add_exception_handler(unavailable, _failure)
    app.add_exception_handler(Exception, _failure)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem statuses an endpoint may answer (the schema is added by the app)."""
    return {status: {"description": _STATUS_TEXT.get(status, "Problem")} for status in statuses}


_STATUS_TEXT = {
    400: "Malformed request: the body is not valid JSON",
    401: "Not authenticated: no, unknown, expired or revoked credentials",
    403: "Not permitted: role, unit, or a station on an endpoint not for stations",
    404: "Not found, or outside the caller's scope (answered alike)",
    409: "Conflict: the item changed, the act is not allowed now, or it exists already",
    413: "Content too large: the body is over 1 MiB (a photo: 10 MB)",
    422: "Invalid input: `field` names the field",
    429: "Too many failed logins: see Retry-After",
    503: "Database unavailable, or its disk full: see Retry-After",
}
