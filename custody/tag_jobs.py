"""Tag-write jobs: a desk's page cannot reach the desk's reader, so it asks the station the reader hangs
off to write the tag, and the station's agent takes the job, writes, reads back and reports.

A user of the desk (a clerk binding an item's tag; a custodian, also a seal's) asks for a job at a live
station of their scope; an item or seal outside their scope is unknown, exactly like a missing one. The
station lists its own open jobs, takes one (only a pending one of its own), and reports what it read
back or why it could not. A report that an item's tag was written binds the tag to the item in the same
transaction that finishes the job: the item's own ``tag_bound`` act (:mod:`custody.lifecycle.items`),
recorded as the user who asked, through the station and its reader. Any other outcome writes no ledger
event: a failure, a blank seal tag read (its UID is what a seal is then made with), a seal's number
written on its tag (bound when the seal was made). Jobs are operational state, not records of custody.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from sqlalchemy import Select, Table, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from custody import lifecycle
from custody import text as policy
from custody.actors import Actor, actor_from_row, require_role
from custody.clock import china_date
from custody.db.lookups import ConnectionLookups
from custody.db.storage_tables import SealRow
from custody.db.tables import ItemRow, StationRow, UserRow
from custody.db.tag_job_tables import TagJobRow
from custody.db.unit_of_work import Store
from custody.errors import (
    CustodyError,
    InvalidInput,
    Message,
    TagJobRefused,
    UnknownSeal,
    UnknownStation,
    UnknownTagJob,
)
from custody.items import Items
from custody.lifecycle.items import normal_uid
from custody.model import EventType, Role, SealStatus
from custody.records import Item, Station
from custody.seals import SEAL_ROLES, SEAL_VOID, UNKNOWN_SEAL
from custody.stations import UNKNOWN_STATION
from custody.tag_job_records import (
    DEFAULT_WAIT_S,
    NOT_A_SEAL_TAG,
    OTHER_TAG,
    REQUESTER_GONE,
    SEAL_TAG_OPENED,
    TAG_IN_USE,
    TagJob,
    TagJobFailure,
    TagJobKind,
    TagJobStatus,
    TagResult,
    job_kind_of,
    job_of,
    live_jobs,
    named_number,
    station_failure,
)

UNKNOWN_TAG_JOB = Message("tagjob.unknown", "unknown tag-write job {job_id}")
STATION_REVOKED = Message("tagjob.station_revoked", "station {station} is revoked: choose another station")
SEAL_WITHOUT_TAG = Message("tagjob.seal_without_tag", "seal {seal_no} has no tag bound: nothing to write")
NOT_PENDING = Message("tagjob.not_pending", "tag-write job {job_id} is {status}: only a pending job is taken")
NOT_TAKEN = Message("tagjob.not_taken", "tag-write job {job_id} is {status}: it takes no report now")
NOT_OPEN = Message("tagjob.not_open", "tag-write job {job_id} is {status}: it cannot be cancelled")
NEEDS_UID = Message("tagjob.needs_uid", "a tag written or read is reported with its uid")

ITEM_TAG_ROLES = lifecycle.transition_for(EventType.TAG_BOUND).roles
ROLES: dict[TagJobKind, frozenset[Role]] = {
    TagJobKind.ITEM_TAG: ITEM_TAG_ROLES,
    TagJobKind.SEAL_TAG_READ: SEAL_ROLES,
    TagJobKind.SEAL_TAG_WRITE: SEAL_ROLES,
}
TAG_JOB_ROLES = frozenset().union(*ROLES.values())  # whoever may ask for a job of some kind
OPEN_JOBS_LISTED = 20
_OPEN = (TagJobStatus.PENDING.value, TagJobStatus.TAKEN.value)


_jobs = cast(Table, TagJobRow.__table__)
_stations = cast(Table, StationRow.__table__)
_users = cast(Table, UserRow.__table__)
_items = cast(Table, ItemRow.__table__)
_seals = cast(Table, SealRow.__table__)
_JOBS: Select[Any] = (
    select(
        _jobs,
        _stations.c.name.label("station"),
        _users.c.username.label("requested_by"),
        _items.c.evidence_no,
        _seals.c.seal_no,
    )
    .join(_stations, _stations.c.id == _jobs.c.station_id)
    .join(_users, _users.c.id == _jobs.c.requested_by_id)
    .outerjoin(_items, _items.c.id == _jobs.c.item_id)
    .outerjoin(_seals, _seals.c.id == _jobs.c.seal_id)
)


class _BindRefused(Exception):
    """The item's act refused the binding: the job fails with the refusal, in a write of its own."""

    def __init__(self, refusal: CustodyError) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


class TagJobs:
    """Tag-write jobs over the :class:`Store`; an item's tag is bound through :class:`Items`."""

    def __init__(self, store: Store, items: Items) -> None:
        self.store = store
        self.items = items

    # ------------------------------------------------------------------------------------ users

    def stations(self, actor: Actor) -> list[str]:
        """The live stations of the actor's unit and the units below it, by name: where a job may go."""
        require_role(actor, TAG_JOB_ROLES, "ask a station to write a tag")
        query = select(_stations.c.name).where(_stations.c.revoked_at_us.is_(None))
        with self.store.reading() as conn:
            scope = self.store.scope_of(actor, conn)
            if scope is not None:
                query = query.where(_stations.c.unit_code.in_(sorted(scope)))
            return list(conn.execute(query.order_by(_stations.c.name)).scalars())

    def request(
        self,
        actor: Actor,
        station: str,
        kind: str = TagJobKind.ITEM_TAG,
        evidence_no: str | None = None,
        seal_no: str | None = None,
        wait_s: int = DEFAULT_WAIT_S,
    ) -> TagJob:
        """Ask ``station`` to write the tag of an item (``evidence_no``) or a seal (``seal_no``), or to
        read a blank seal tag; the station waits ``wait_s`` seconds for the tag. The same open job asked
        again by the same user is answered as it stands."""
        job_kind = job_kind_of(kind)
        require_role(actor, ROLES[job_kind], f"ask for a {job_kind.value} job")
        number = named_number(job_kind, evidence_no, seal_no, wait_s)
        now = self.store.now_us()

        def change(conn: Connection) -> TagJob:
            station_row = self._station(conn, actor, station)
            values: dict[str, Any] = {"item_id": None, "seal_id": None, "text": "", "expected_uid": None}
            if job_kind is TagJobKind.ITEM_TAG:
                item = self.items.load(conn, actor, number)
                self._may_bind(conn, actor, item, now)
                values.update(item_id=item.id, text=item.evidence_no)
            elif job_kind is TagJobKind.SEAL_TAG_WRITE:
                seal = self._seal(conn, actor, number)
                values.update(seal_id=seal["id"], text=seal["seal_no"], expected_uid=seal["tag_uid"])
            same = _JOBS.where(
                _jobs.c.station_id == station_row["id"],
                _jobs.c.requested_by_id == actor.id,
                _jobs.c.kind == job_kind.value,
                live_jobs(now),
                _jobs.c.item_id.is_not_distinct_from(values["item_id"]),
                _jobs.c.seal_id.is_not_distinct_from(values["seal_id"]),
            )
            for row in conn.execute(same.order_by(_jobs.c.id.desc())).mappings():
                if (asked := job_of(row, now)).open:
                    return asked
            new_id = conn.execute(
                insert(_jobs)
                .values(
                    kind=job_kind.value,
                    station_id=station_row["id"],
                    unit_code=station_row["unit_code"],
                    requested_by_id=actor.id,
                    wait_s=wait_s,
                    status=TagJobStatus.PENDING.value,
                    requested_at_us=now,
                    device="",
                    **values,
                )
                .returning(_jobs.c.id)
            ).scalar_one()
            return job_of(self._row(conn, new_id), now)

        return self.store.write(change)

    def get(self, viewer: Actor, job_id: int) -> TagJob:
        """A job of a station in the viewer's scope; any other is unknown, like a missing one."""
        with self.store.reading() as conn:
            return job_of(self._visible(conn, viewer, job_id), self.store.now_us())

    def cancel(self, actor: Actor, job_id: int) -> TagJob:
        """Cancel an open job (pending, or taken: a station still writing reports to no avail)."""
        require_role(actor, TAG_JOB_ROLES, "cancel tag-write jobs")
        now = self.store.now_us()

        def change(conn: Connection) -> TagJob:
            job = job_of(self._visible(conn, actor, job_id), now)
            if not job.open:
                raise TagJobRefused(NOT_OPEN, job_id=job_id, status=job.status.value)
            conn.execute(
                update(_jobs)
                .where(_jobs.c.id == job_id, _jobs.c.status.in_(_OPEN))
                .values(status=TagJobStatus.CANCELLED.value, finished_at_us=now, cancelled_by_id=actor.id)
            )
            return job_of(self._row(conn, job_id), now)

        return self.store.write(change)

    # --------------------------------------------------------------------------------- stations

    def open_jobs(self, station: Station, name: str) -> list[TagJob]:
        """The station's own pending and taken jobs that have not expired, oldest first (``name``: the
        station the request names; another station's jobs are unknown to it)."""
        _own(station, name)
        now = self.store.now_us()
        query = _JOBS.where(_jobs.c.station_id == station.id, live_jobs(now))
        with self.store.reading() as conn:
            rows = conn.execute(query.order_by(_jobs.c.id).limit(OPEN_JOBS_LISTED)).mappings().all()
        return [job_of(row, now) for row in rows]

    def take(self, station: Station, name: str, job_id: int, device: str = "") -> TagJob:
        """The station takes a pending job of its own (from its reader ``device``)."""
        _own(station, name)
        now = self.store.now_us()

        def change(conn: Connection) -> TagJob:
            job = job_of(self._station_row(conn, station, job_id), now)
            if job.status is not TagJobStatus.PENDING:
                raise TagJobRefused(NOT_PENDING, job_id=job_id, status=job.status.value)
            conn.execute(
                update(_jobs)
                .where(_jobs.c.id == job_id, _jobs.c.status == TagJobStatus.PENDING.value)
                .values(status=TagJobStatus.TAKEN.value, taken_at_us=now, device=device[:128])
            )
            return job_of(self._row(conn, job_id), now)

        return self.store.write(change)

    def report(self, station: Station, name: str, job_id: int, result: TagResult, device: str = "") -> TagJob:
        """What the station's reader did with a taken job of its own. A tag written for an item is bound
        to it in the transaction that records the job done; a binding the item's act refuses fails the
        job with that refusal, and nothing is bound. A report sent again is answered as recorded."""
        _own(station, name)
        uid = None if result.uid is None else normal_uid(result.uid)
        if result.done and uid is None:
            raise InvalidInput(NEEDS_UID, field="uid")
        now = self.store.now_us()
        values: dict[str, Any] = {
            "finished_at_us": now,
            "uid": uid,
            "tag_type": policy.shown(result.tag_type, 32) or None,
            "tamper": result.tamper,
        }
        if device:
            values["device"] = device[:128]

        def finish(conn: Connection) -> TagJob:
            row = self._station_row(conn, station, job_id)
            job = job_of(row, now)
            if job.status in (TagJobStatus.DONE, TagJobStatus.FAILED) and row["uid"] == uid:
                return job  # the same report again (its answer was lost on the way)
            if job.status is not TagJobStatus.TAKEN:
                raise TagJobRefused(NOT_TAKEN, job_id=job_id, status=job.status.value)
            failure = self._failure(conn, job, result, uid)
            if failure is None and job.kind is TagJobKind.ITEM_TAG:
                failure = self._bind(conn, row, job, station, values)
            return self._finish(conn, job_id, now, values, failure)

        try:
            return self.store.write(finish)
        except _BindRefused as refused:
            failure = TagJobFailure.refused(refused.refusal)
            return self.store.write(lambda conn: self._finish(conn, job_id, now, values, failure))

    # ---------------------------------------------------------------------------------- helpers

    def _finish(
        self, conn: Connection, job_id: int, now: int, values: dict[str, Any], failure: TagJobFailure | None
    ) -> TagJob:
        status = TagJobStatus.DONE if failure is None else TagJobStatus.FAILED
        errors = {} if failure is None else failure.columns()
        finished = conn.execute(
            update(_jobs)
            .where(_jobs.c.id == job_id, _jobs.c.status == TagJobStatus.TAKEN.value)
            .values(status=status.value, **values, **errors)
        )
        row = self._row(conn, job_id)
        if finished.rowcount != 1:
            job = job_of(row, now)
            raise TagJobRefused(NOT_TAKEN, job_id=job_id, status=job.status.value)
        return job_of(row, now)

    def _failure(
        self, conn: Connection, job: TagJob, result: TagResult, uid: str | None
    ) -> TagJobFailure | None:
        """Why the job failed: as the station reported, or because the tag it read or wrote does not do
        (not a closed seal tag, a tag bound already, another tag than the seal's); None if it does."""
        if not result.done:
            return station_failure(result, job.station, job.wait_s, job.expected_uid)
        if job.kind is TagJobKind.SEAL_TAG_READ:
            if result.tamper is None:
                shown = policy.shown(result.tag_type, 32) or "?"
                return TagJobFailure.of("not_a_seal_tag", NOT_A_SEAL_TAG, tag_type=shown)
            if result.tamper != "closed" or result.tamper_opened_before:
                return TagJobFailure.of("seal_tag_opened", SEAL_TAG_OPENED)
            if _tag_in_use(conn, uid or ""):
                return TagJobFailure.of("tag_in_use", TAG_IN_USE, uid=uid)
        if job.kind is TagJobKind.SEAL_TAG_WRITE and uid != job.expected_uid:
            return TagJobFailure.of("wrong_tag", OTHER_TAG, uid=uid, expected_uid=job.expected_uid)
        return None

    def _bind(
        self, conn: Connection, row: RowMapping, job: TagJob, station: Station, values: dict[str, Any]
    ) -> TagJobFailure | None:
        """The item's ``tag_bound`` act, as the user who asked, in this transaction."""
        found = conn.execute(select(_users).where(_users.c.id == row["requested_by_id"])).mappings().one()
        if not found["active"]:
            return TagJobFailure.of("requester_gone", REQUESTER_GONE, username=found["username"])
        payload = {"uid": values["uid"], "tag_type": values["tag_type"] or ""}
        bind = self.items.list_change(
            actor_from_row(found),
            EventType.TAG_BOUND,
            [(job.text, None)],
            payload,
            station=station.name,
            device=values.get("device") or row["device"],
        )
        try:
            bind(conn)
        except CustodyError as refused:
            raise _BindRefused(refused) from refused
        return None

    def _may_bind(self, conn: Connection, actor: Actor, item: Item, now: int) -> None:
        """The ``tag_bound`` row's checks of the item's state and kind, before any tag is written (its
        guards need the tag, and run when the station reports it)."""
        transition = lifecycle.transition_for(EventType.TAG_BOUND)
        lookups = ConnectionLookups(conn, lambda unit: self.store.sees(actor, unit, conn))
        attempt = lifecycle.Attempt(EventType.TAG_BOUND, item, actor, {}, china_date(now), lookups)
        replace(transition, guards=()).check(attempt)

    def _station(self, conn: Connection, actor: Actor, name: str) -> RowMapping:
        row = conn.execute(select(_stations).where(_stations.c.name == name)).mappings().first()
        if row is None or not self.store.sees(actor, row["unit_code"], conn):
            raise UnknownStation(UNKNOWN_STATION, name=str(name)[:64])
        if row["revoked_at_us"] is not None:
            raise TagJobRefused(STATION_REVOKED, station=name)
        return row

    def _seal(self, conn: Connection, actor: Actor, number: str) -> RowMapping:
        row = conn.execute(select(_seals).where(_seals.c.seal_no == number)).mappings().first()
        if row is None or not self.store.sees(actor, row["unit_code"], conn):
            raise UnknownSeal(UNKNOWN_SEAL, seal_no=number)
        if row["status"] != SealStatus.INTACT.value:
            raise TagJobRefused(SEAL_VOID, seal_no=number)
        if row["tag_uid"] is None:
            raise TagJobRefused(SEAL_WITHOUT_TAG, seal_no=number)
        return row

    def _row(self, conn: Connection, job_id: int) -> RowMapping:
        return conn.execute(_JOBS.where(_jobs.c.id == job_id)).mappings().one()

    def _visible(self, conn: Connection, viewer: Actor, job_id: int) -> RowMapping:
        row = conn.execute(_JOBS.where(_jobs.c.id == job_id)).mappings().first()
        if row is None or not self.store.sees(viewer, row["unit_code"], conn):
            raise UnknownTagJob(UNKNOWN_TAG_JOB, job_id=job_id)
        return row

    def _station_row(self, conn: Connection, station: Station, job_id: int) -> RowMapping:
        row = conn.execute(_JOBS.where(_jobs.c.id == job_id)).mappings().first()
        if row is None or row["station_id"] != station.id:
            raise UnknownTagJob(UNKNOWN_TAG_JOB, job_id=job_id)
        return row


def _own(station: Station, name: str) -> None:
    """A station reaches its own jobs only: another station's name is unknown to it."""
    if name != station.name:
        raise UnknownStation(UNKNOWN_STATION, name=str(name)[:64])


def _tag_in_use(conn: Connection, uid: str) -> bool:
    """A tag bound to an item or a seal (intact or void: a seal's tag is never used again)."""
    item = select(_items.c.id).where(_items.c.tag_uid == uid)
    seal = select(_seals.c.id).where(_seals.c.tag_uid == uid)
    return conn.execute(item.union_all(seal).limit(1)).first() is not None


__all__ = ["ROLES", "TAG_JOB_ROLES", "TagJobs"]
