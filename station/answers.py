"""What the service's answer to a scan means for the scan waiting in the outbox.

The agent holds no domain rule; it only has to tell three kinds of answer apart, from the status and
the problem+json ``type`` (``/problems/<code>``) of the service's scan intake:

* **final** — an answer about the scan itself: accepted, or refused because of what was read (an
  unknown number or seal, a void seal, a tag bound to nothing, an evidence or seal number whose check
  digits fail, a malformed location code, a scan that is not valid input, a key reused for another
  scan). The scan leaves the outbox with that answer.
* **held** — an answer about the station, not the scan: its key is unknown, mistyped or revoked
  (401), or it may not post from this device (403 ``device-not-bound``, or any other 403), or the
  answer is not the scan intake's at all (a wrong service URL: 404 ``no-such-route``, 405, a
  redirect, a proxy's page). Every later scan (of that device, for a binding) would get the same
  answer, so none is sent until the key or the binding is fixed; the scans stay queued.
* **retry** — the service could not answer just now (5xx, 408, 429): the same scan is sent again
  with backoff.

Anything not known to be about the scan is held rather than dropped: a wrongly held scan waits for an
operator, a wrongly dropped one is lost.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

PROBLEM_PREFIX = "/problems/"

# Problem codes the scan intake answers about the scan it was sent (see api/errors.py and
# api/routes/scans.py), with the statuses they come with.
SCAN_REFUSALS: dict[str, frozenset[int]] = {
    "unknown-item": frozenset({404}),  # an unknown number, a tag bound to nothing, out of scope (alike)
    "not-found": frozenset({404}),
    "invalid-evidence-number": frozenset({422}),
    "invalid-seal-number": frozenset({422}),  # a seal number whose check digits fail
    "invalid-location-code": frozenset({422}),
    "invalid-input": frozenset({422}),
    "malformed-request": frozenset({400}),
    "custody-error": frozenset({400}),
    "idempotency-conflict": frozenset({409}),
    "transition-refused": frozenset({409}),  # e.g. a tag that carries one item's number, bound to another
    "illegal-transition": frozenset({409}),
    "conflict": frozenset({409}),
}
RETRY_STATUSES = frozenset({408, 429})


class Verdict(enum.Enum):
    ACCEPTED = "accepted"
    REFUSED = "refused"
    HELD = "held"
    RETRY = "retry"


class HoldReason(enum.Enum):
    CREDENTIALS = "credentials"  # the station key is unknown, mistyped, expired or revoked
    BINDING = "binding"  # the device is not one of the station's own
    PERMISSION = "permission"  # the station may not post scans
    SERVICE = "service"  # the answer is not the scan intake's: check service.url


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    status: int
    problem: str | None  # the problem code, e.g. "unknown-item"; None when the answer had none
    hold: HoldReason | None = None


def problem_code(answer: dict[str, Any]) -> str | None:
    """The code of a problem document's ``type`` (``/problems/unknown-item`` or an absolute URI)."""
    kind = answer.get("type")
    if not isinstance(kind, str) or PROBLEM_PREFIX not in kind:
        return None
    code = kind.rsplit(PROBLEM_PREFIX, 1)[1]
    return code or None


def judge(status: int, answer: dict[str, Any]) -> Judgement:
    """The verdict on one answer of the scan intake (``answer``: its JSON body, ``{}`` if none)."""
    code = problem_code(answer)
    if 200 <= status < 300:
        return Judgement(Verdict.ACCEPTED, status, None)
    if status >= 500 or status in RETRY_STATUSES:
        return Judgement(Verdict.RETRY, status, code)
    if status == 401:
        return Judgement(Verdict.HELD, status, code, HoldReason.CREDENTIALS)
    if status == 403:
        reason = HoldReason.BINDING if code == "device-not-bound" else HoldReason.PERMISSION
        return Judgement(Verdict.HELD, status, code, reason)
    if code is not None and status in SCAN_REFUSALS.get(code, ()):
        return Judgement(Verdict.REFUSED, status, code)
    return Judgement(Verdict.HELD, status, code, HoldReason.SERVICE)


ADVICE: dict[HoldReason, str] = {
    HoldReason.CREDENTIALS: "the service does not accept the station key (unknown, mistyped or revoked)",
    HoldReason.BINDING: "the service says the device is not bound to this station",
    HoldReason.PERMISSION: "the service does not let this station post scans",
    HoldReason.SERVICE: "the answer is not the scan intake's (check service.url)",
}
