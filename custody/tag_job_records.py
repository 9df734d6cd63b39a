"""Tag-write jobs as the core hands them out: their kinds and statuses, the result a station reports,
and why a job failed, as a message key and its parameters (a desk shows it in the user's language).

A job is one of three kinds:

* ``item_tag``: write an item's evidence number on a tag and, once it reads back, bind the tag to the
  item (the item's ``tag_bound`` act, as the user who asked);
* ``seal_tag_read``: read a blank tamper-evident seal tag, so that a seal can be made bound to its UID
  (a seal's tag is bound when the seal is made, and its number exists only from then on);
* ``seal_tag_write``: write a seal's number on the tag already bound to the seal (that tag only).

Its status goes pending → taken → done or failed; the user may cancel it while it is open. An open job
nobody finishes in time is shown as expired: a pending one :data:`TAKE_WITHIN_S` after it was asked
for, a taken one :data:`REPORT_GRACE_S` after the station's wait for a tag ran out.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import BigInteger, ColumnElement, Table, and_, literal, or_
from sqlalchemy import cast as cast_to

from custody import text as policy
from custody.codes import SealNumber
from custody.db.tag_job_tables import TagJobRow
from custody.errors import MESSAGES, CustodyError, InvalidInput, ListRefused, Message, Param
from custody.numbers import canonical_number

_jobs = cast(Table, TagJobRow.__table__)

TAKE_WITHIN_S = 90  # a pending job the station has not taken by then expires
REPORT_GRACE_S = 30  # a taken job expires this long after its wait for a tag ran out
DEFAULT_WAIT_S = 30
MIN_WAIT_S, MAX_WAIT_S = 5, 120  # how long a station waits for a tag to be put on its reader


class TagJobKind(enum.StrEnum):
    ITEM_TAG = "item_tag"
    SEAL_TAG_READ = "seal_tag_read"
    SEAL_TAG_WRITE = "seal_tag_write"


class TagJobStatus(enum.StrEnum):
    PENDING = "pending"
    TAKEN = "taken"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # shown, never stored: an open job past its time

    @property
    def open(self) -> bool:
        return self in (TagJobStatus.PENDING, TagJobStatus.TAKEN)


# Why a job failed at the station (the driver's error kinds), in words a desk can translate.
STATION_FAILURES: dict[str, Message] = {
    "no_tag": Message("tagjob.no_tag", "no tag was put on the reader of station {station} within {wait_s} s"),
    "tag_removed": Message(
        "tagjob.tag_removed", "the tag left the reader before it was written whole: put it back and try again"
    ),
    "tag_locked": Message("tagjob.tag_locked", "the tag is locked (read-only): take another tag"),
    "tag_too_small": Message(
        "tagjob.tag_too_small", "the number does not fit on this tag: take a larger tag"
    ),
    "not_ndef": Message("tagjob.not_ndef", "this tag cannot carry the number: take an NTAG tag"),
    "write_not_verified": Message(
        "tagjob.write_not_verified",
        "the tag did not read back what was written: try again, or take another tag",
    ),
    "tag_not_blank": Message(
        "tagjob.tag_not_blank", "the tag on the reader carries another number: take a blank tag"
    ),
    "wrong_tag": Message(
        "tagjob.wrong_tag", "the tag on the reader is not the seal's tag {expected_uid}: put that tag on it"
    ),
    "interrupted": Message("tagjob.interrupted", "station {station} stopped during the job: try again"),
}
READER_FAILED = Message("tagjob.reader_failed", "the reader of station {station} failed ({kind}): try again")
# Why the service did not accept a tag the station read or wrote.
NOT_A_SEAL_TAG = Message(
    "tagjob.not_a_seal_tag", "a seal takes a tamper-evident tag (NTAG 213 TT); this tag is a {tag_type}"
)
SEAL_TAG_OPENED = Message(
    "tagjob.seal_tag_opened", "this seal tag's tamper loop is open or was opened: it cannot seal anything"
)
TAG_IN_USE = Message("tagjob.tag_in_use", "tag {uid} is bound already: take a blank tag")
REQUESTER_GONE = Message(
    "tagjob.requester_gone", "{username} may no longer act: the tag was written but not bound"
)
OTHER_TAG = Message("tagjob.other_tag", "the station wrote tag {uid}, not the seal's tag {expected_uid}")
BAD_KIND = Message("tagjob.bad_kind", "a tag-write job is one of {kinds}, got {kind!r}")
BAD_WAIT = Message("tagjob.bad_wait", "a station waits {low} to {high} s for a tag, not {wait_s}")
NEEDS_NUMBER = Message("tagjob.needs_number", "a {kind} job names its {name}")


@dataclass(frozen=True, slots=True)
class TagResult:
    """What a station reports of one job: the tag it read back, or why it could not (``error_kind``,
    the driver's kind of error, and ``error_message``, its own words). ``uid`` may come with a
    failure: a tag that left mid-write after its UID was read."""

    done: bool
    uid: str | None = None
    tag_type: str = ""
    tamper: str | None = None  # a tamper-evident tag's loop: closed, open, not_measured, unreadable
    tamper_opened_before: bool | None = None
    error_kind: str = ""
    error_message: str = ""


@dataclass(frozen=True, slots=True)
class TagJobFailure:
    """Why a job failed: ``kind`` (the station's error kind, or the service's reason), the message key
    and parameters to show it by, its English text, and what the station said (``detail``)."""

    kind: str
    key: str
    params: Mapping[str, Param]
    text: str
    detail: str = ""

    @classmethod
    def of(cls, kind: str, message: Message, detail: str = "", /, **params: Param) -> TagJobFailure:
        named = {name: params.get(name) for name in message.params}
        return cls(kind, message.key, named, message.render(named), detail)

    @classmethod
    def stored(cls, kind: str, key: str, params_json: str | None, detail: str | None) -> TagJobFailure:
        params: dict[str, Param] = json.loads(params_json) if params_json else {}
        declared = MESSAGES.get(key)
        text = declared.render(params) if declared is not None and declared.params <= params.keys() else key
        return cls(kind, key, params, text, detail or "")

    @classmethod
    def refused(cls, refusal: CustodyError) -> TagJobFailure:
        """A binding the item's act refused, as a job's failure: the one item's own reason."""
        if isinstance(refusal, ListRefused) and len(refusal.refusals) == 1:
            one = refusal.refusals[0]
            return cls("bind_refused", one.key, dict(one.params), one.text)
        return cls("bind_refused", refusal.key, dict(refusal.params), str(refusal))

    def columns(self) -> dict[str, Any]:
        """The job's error columns."""
        return {
            "error_kind": self.kind[:32],
            "error_key": self.key,
            "error_params": json.dumps(dict(self.params), ensure_ascii=False),
            "error_detail": self.detail,
        }


def job_kind_of(kind: object) -> TagJobKind:
    try:
        return TagJobKind(str(kind))
    except ValueError:
        kinds = ", ".join(k.value for k in TagJobKind)
        raise InvalidInput(BAD_KIND, field="kind", kinds=kinds, kind=str(kind)[:40]) from None


def named_number(kind: TagJobKind, evidence_no: str | None, seal_no: str | None, wait_s: object) -> str:
    """The canonical number a job of ``kind`` names (an item's or a seal's; "" for a kind that names
    none), once its wait for a tag is in bounds."""
    if not isinstance(wait_s, int) or isinstance(wait_s, bool) or not MIN_WAIT_S <= wait_s <= MAX_WAIT_S:
        raise InvalidInput(BAD_WAIT, field="wait_s", low=MIN_WAIT_S, high=MAX_WAIT_S, wait_s=str(wait_s))
    if kind is TagJobKind.ITEM_TAG:
        if evidence_no is None:
            raise InvalidInput(NEEDS_NUMBER, field="evidence_no", kind=kind.value, name="evidence_no")
        return canonical_number(evidence_no)
    if kind is TagJobKind.SEAL_TAG_WRITE:
        if seal_no is None:
            raise InvalidInput(NEEDS_NUMBER, field="seal_no", kind=kind.value, name="seal_no")
        return str(SealNumber.parse(seal_no))
    return ""


def station_failure(result: TagResult, station: str, wait_s: int, expected_uid: str | None) -> TagJobFailure:
    """The failure a station reported, in the core's words (an unforeseen kind: the reader failed)."""
    kind = policy.shown(result.error_kind, 32) or "unknown"
    message = STATION_FAILURES.get(kind, READER_FAILED)
    return TagJobFailure.of(
        kind,
        message,
        policy.shown(result.error_message, 500),
        station=station,
        wait_s=wait_s,
        kind=kind,
        expected_uid=expected_uid or "",
    )


@dataclass(frozen=True, slots=True)
class TagJob:
    """A tag-write job as its user and its station see it. ``status`` is as of the read (an open job
    past its time reads as expired); ``expires_at_us`` is when an open job expires."""

    id: int
    kind: TagJobKind
    station: str
    unit_code: str
    requested_by: str  # username
    status: TagJobStatus
    text: str  # what the station writes: the evidence or seal number ("" when it only reads)
    evidence_no: str | None
    seal_no: str | None
    expected_uid: str | None  # the one tag the station may write (a seal's)
    wait_s: int
    requested_at_us: int
    taken_at_us: int | None
    finished_at_us: int | None
    expires_at_us: int | None
    device: str
    uid: str | None
    tag_type: str | None
    tamper: str | None
    failure: TagJobFailure | None

    @property
    def open(self) -> bool:
        return self.status.open


def expires_at(status: str, requested_at_us: int, taken_at_us: int | None, wait_s: int) -> int | None:
    """When a job of this stored status expires (None once it is finished)."""
    if status == TagJobStatus.PENDING:
        return requested_at_us + TAKE_WITHIN_S * 1_000_000
    if status == TagJobStatus.TAKEN and taken_at_us is not None:
        return taken_at_us + (wait_s + REPORT_GRACE_S) * 1_000_000
    return None


def live_jobs(now_us: int) -> ColumnElement[bool]:
    """:func:`expires_at` in SQL: pending or taken, and not expired as of ``now_us``. An expired job keeps
    its stored status, so a listing of open jobs filters by this, not by the status alone."""
    pending = and_(
        _jobs.c.status == TagJobStatus.PENDING.value,
        _jobs.c.requested_at_us > literal(now_us - TAKE_WITHIN_S * 1_000_000, BigInteger),
    )
    taken = and_(
        _jobs.c.status == TagJobStatus.TAKEN.value,
        _jobs.c.taken_at_us + cast_to(_jobs.c.wait_s + REPORT_GRACE_S, BigInteger) * 1_000_000
        > literal(now_us, BigInteger),
    )
    return or_(pending, taken)


def job_of(row: Mapping[Any, Any], now_us: int) -> TagJob:
    """A job from its row joined with its station's name, its user's name and its item's or seal's
    number (``station``, ``requested_by``, ``evidence_no``, ``seal_no``), as of ``now_us``."""
    stored = row["status"]
    deadline = expires_at(stored, row["requested_at_us"], row["taken_at_us"], row["wait_s"])
    status = TagJobStatus(stored)
    if deadline is not None and now_us >= deadline:
        status = TagJobStatus.EXPIRED
    failure = None
    if row["error_key"]:
        failure = TagJobFailure.stored(
            row["error_kind"] or "", row["error_key"], row["error_params"], row["error_detail"]
        )
    return TagJob(
        id=row["id"],
        kind=TagJobKind(row["kind"]),
        station=row["station"],
        unit_code=row["unit_code"],
        requested_by=row["requested_by"],
        status=status,
        text=row["text"],
        evidence_no=row["evidence_no"],
        seal_no=row["seal_no"],
        expected_uid=row["expected_uid"],
        wait_s=row["wait_s"],
        requested_at_us=row["requested_at_us"],
        taken_at_us=row["taken_at_us"],
        finished_at_us=row["finished_at_us"],
        expires_at_us=deadline,
        device=row["device"],
        uid=row["uid"],
        tag_type=row["tag_type"],
        tamper=row["tamper"],
        failure=failure,
    )
