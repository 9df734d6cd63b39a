"""Audit sessions of the sealed store (检查): opened by an independent auditor over locations of a unit's
store (or the whole store), read in rounds, reconciled when closed.

* :meth:`Audits.open` checks the auditor's independence, takes every item of the store in scope as a
  candidate, ranks each category in the draw order (:mod:`custody.audit_sampling`) and draws the first
  round: everything (``full``) or the sized sample of each category (``sample``). A store marked for a
  full audit (a change of custodian, an item reported lost) takes only a full one.
* reads come in through :mod:`custody.audit_intake` while a round is open;
* :meth:`Audits.submit` ends a round: the discrepancies among the items it drew escalate the draw of
  their category, and a new round opens for them; otherwise the audit is ready to close;
* :meth:`Audits.close` reconciles (:mod:`custody.reconcile`) in one writer act: a discrepancy row per
  finding that is not ``found``, an ``audited`` event per audited item, the ledger head it closed at;
  a full audit clears the marks of its store.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from typing import cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection

from custody import lifecycle
from custody.actors import Actor, require_role
from custody.audit_draw import escalate, items_by_id, owners, ranked
from custody.audit_queries import (
    audit_row,
    candidate_rows,
    load_reconciliation_input,
    not_independent,
    open_audit_of_station,
)
from custody.audit_records import UNKNOWN_SHOWN, Audit, AuditProgress, SubmittedRound
from custody.batch_site import STATION_AT_SITE, site_of_station
from custody.clock import china_date
from custody.codes import LocationCode
from custody.db.audit_tables import AuditCandidateRow, AuditLocationRow, AuditRow, DiscrepancyRow
from custody.db.storage_tables import StoreMarkRow
from custody.db.tables import EventRow, ItemRow, StationRow
from custody.db.unit_of_work import Store
from custody.errors import InvalidInput, Message, TransitionRefused, UnknownAudit, UnknownStation
from custody.intake import clean_text
from custody.ledger import GENESIS_HASH
from custody.list_acts import record_act
from custody.locations import Locations
from custody.model import AuditCategory, AuditMode, AuditStatus, DiscrepancyStatus, EventType, Finding, Role
from custody.reconcile import Reconciliation, paused_collector, reconcile
from custody.stations import UNKNOWN_STATION

UNKNOWN_AUDIT = Message("audit.unknown", "unknown audit {audit_id}")
NOT_INDEPENDENT = Message(
    "audit.not_independent",
    "{username} took part in the custody of {evidence_no} within the last {days} days: an auditor audits "
    "only what they had no part in",
)
CUSTODIAN_AUDITS = Message(
    "audit.custodian_of_unit", "{username} is a custodian of unit {unit_code}: they cannot audit its store"
)
LOCATION_OF_OTHER_UNIT = Message(
    "audit.location_other_unit", "location {location_code} belongs to unit {location_unit}, not {unit_code}"
)
FULL_REQUIRED = Message(
    "audit.full_required",
    "the store of unit {unit_code} is marked for a full audit ({reason}): sample refused",
)
STATION_BUSY = Message("audit.station_busy", "station {name} reads for audit {audit_id} already")
STATION_OTHER_UNIT = Message(
    "audit.station_other_unit", "station {name} belongs to unit {station_unit}, not {unit_code}"
)
NOT_OPENER = Message("audit.not_opener", "audit {audit_id} was opened by {username}: only they carry it on")
CLOSED = Message("audit.closed", "audit {audit_id} is closed")
ROUND_SUBMITTED = Message(
    "audit.round_submitted", "round {round} of audit {audit_id} is submitted: close the audit"
)
ROUND_OPEN = Message(
    "audit.round_open", "round {round} of audit {audit_id} is not submitted yet: submit it before closing"
)
BAD_PERIOD = Message("audit.bad_period", "the independence period is 1 to 3650 days, got {days}")

AUDIT_ROLES = frozenset({Role.AUDITOR})
PERIOD_DAYS = 365  # an auditor had no part in the audited items' custody for this long
DUE_DAYS = 30  # a discrepancy's owner has this long to resolve it
_DAY_US = 86_400_000_000

_audits = cast(Table, AuditRow.__table__)
_audit_locations = cast(Table, AuditLocationRow.__table__)
_candidates = cast(Table, AuditCandidateRow.__table__)
_discrepancies = cast(Table, DiscrepancyRow.__table__)
_marks = cast(Table, StoreMarkRow.__table__)
_items = cast(Table, ItemRow.__table__)
_stations = cast(Table, StationRow.__table__)
_events = cast(Table, EventRow.__table__)


class Audits:
    """Audit sessions, each act one writer transaction."""

    def __init__(self, store: Store, locations: Locations) -> None:
        self.store = store
        self.locations = locations

    # ------------------------------------------------------------------------------------------ acts

    def open(
        self,
        actor: Actor,
        unit_code: str,
        locations: Sequence[str] = (),
        mode: AuditMode = AuditMode.SAMPLE,
        blind: bool = False,
        seed: str | None = None,
        station: str | None = None,
        period_days: int = PERIOD_DAYS,
    ) -> Audit:
        """Open an audit of the unit's store (or of ``locations`` in it) and draw its first round."""
        require_role(actor, AUDIT_ROLES, "open audits")
        places = sorted({str(LocationCode.parse(code)) for code in locations})
        drawn_seed = clean_text(seed, "seed") or str(secrets.randbits(64))
        if not 1 <= period_days <= 3650:
            raise InvalidInput(BAD_PERIOD, "period_days", days=period_days)
        if Role.CUSTODIAN in actor.roles and actor.unit_code == unit_code:
            raise TransitionRefused(CUSTODIAN_AUDITS, username=actor.username, unit_code=unit_code)

        def change(conn: Connection) -> Audit:
            self.store.require_unit(actor, unit_code, "audit stores", conn)
            for place in places:
                found = self.locations.find(conn, actor, place)
                if found.unit_code != unit_code:
                    raise TransitionRefused(
                        LOCATION_OF_OTHER_UNIT,
                        location_code=place,
                        location_unit=found.unit_code,
                        unit_code=unit_code,
                    )
            mark = conn.execute(
                select(_marks.c.reason).where(
                    _marks.c.unit_code == unit_code, _marks.c.cleared_at_us.is_(None)
                )
            ).first()
            if mark is not None and mode is not AuditMode.FULL:
                raise TransitionRefused(FULL_REQUIRED, unit_code=unit_code, reason=mark[0])
            if station is not None:
                self._check_station(conn, actor, station, unit_code)
            now = self.store.now_us()
            candidates = candidate_rows(conn, unit_code, places)
            since = now - period_days * _DAY_US
            involved = not_independent(conn, actor.id, [c[0] for c in candidates], since)
            if involved is not None:
                raise TransitionRefused(
                    NOT_INDEPENDENT, username=actor.username, evidence_no=involved, days=period_days
                )
            audit_id = conn.execute(
                insert(_audits)
                .values(
                    unit_code=unit_code,
                    mode=mode.value,
                    blind=blind,
                    seed=drawn_seed,
                    station_name=station,
                    opened_by_id=actor.id,
                    opened_at_us=now,
                    period_days=period_days,
                    status=AuditStatus.OPEN.value,
                    round=1,
                    submitted_round=0,
                )
                .returning(_audits.c.id)
            ).scalar_one()
            if places:
                conn.execute(
                    insert(_audit_locations), [{"audit_id": audit_id, "location_code": p} for p in places]
                )
            rows = ranked(audit_id, drawn_seed, mode, candidates)
            if rows:
                conn.execute(insert(_candidates), rows)
            return self._read(conn, actor, audit_id)

        return self.store.write(change)

    def submit(self, actor: Actor, audit_id: int) -> SubmittedRound:
        """End the current round: escalate the draw of each category by its round's discrepancies (a new
        round then opens), or leave the audit ready to close."""
        require_role(actor, AUDIT_ROLES, "submit audit rounds")

        def change(conn: Connection) -> SubmittedRound:
            audit = self.carried_on(conn, actor, audit_id)
            if not audit.reading:
                raise TransitionRefused(ROUND_SUBMITTED, round=audit.round, audit_id=audit_id)
            outcome = self.reconciliation(conn, audit)
            this_round = set(
                conn.execute(
                    select(_candidates.c.item_id).where(
                        _candidates.c.audit_id == audit_id, _candidates.c.drawn_round == audit.round
                    )
                ).scalars()
            )
            found_wrong = Counter(
                d.category
                for d in outcome.discrepancies
                if d.item_id in this_round and d.category is not None
            )
            added: dict[AuditCategory, int] = {}
            if audit.mode is AuditMode.SAMPLE:
                for category, count in found_wrong.items():
                    added[category] = escalate(conn, audit, category, count)
            escalated = any(added.values())
            conn.execute(
                update(_audits)
                .where(_audits.c.id == audit_id)
                .values(
                    submitted_round=audit.round,
                    round=audit.round + 1 if escalated else audit.round,
                )
            )
            return SubmittedRound(self._read(conn, actor, audit_id), audit.round, dict(found_wrong), added)

        return self.store.write(change)

    def close(self, actor: Actor, audit_id: int) -> tuple[Audit, Reconciliation]:
        """Close the audit after its last round: record its discrepancies and an ``audited`` event for
        every audited item, and the ledger point it closed at."""
        require_role(actor, AUDIT_ROLES, "close audits")
        transition = lifecycle.transition_for(EventType.AUDITED)

        def change(conn: Connection) -> tuple[Audit, Reconciliation]:
            audit = self.carried_on(conn, actor, audit_id)
            if audit.reading:
                raise TransitionRefused(ROUND_OPEN, round=audit.round, audit_id=audit_id)
            outcome = self.reconciliation(conn, audit)
            now = self.store.now_us()
            owner_of = owners(conn, audit, outcome, actor.id)
            due = (china_date(now) + timedelta(days=DUE_DAYS)).isoformat()
            rows = [
                {
                    "audit_id": audit_id,
                    "unit_code": audit.unit_code,
                    "finding": d.finding.value,
                    "category": None if d.category is None else d.category.value,
                    "item_id": d.item_id,
                    "code": d.code,
                    "detail": d.detail,
                    "owner_id": owner_of.get(d.item_id, owner_of[None]),
                    "due_date": due,
                    "opened_at_us": now,
                    "status": DiscrepancyStatus.OPEN.value,
                }
                for d in outcome.discrepancies
            ]
            if rows:
                conn.execute(insert(_discrepancies), rows)
            audited = [
                (o.item_id, o.finding)
                for o in (*outcome.found, *outcome.discrepancies)
                if o.item_id is not None
            ]
            items = items_by_id(conn, [item_id for item_id, _f in audited])
            head = None  # no item audited: the ledger as it stands is the point the audit closed at
            for item_id, finding in audited:
                payload = {"audit_id": audit_id, "finding": finding.value, "round": audit.round}
                _after, head = record_act(conn, transition, items[item_id], payload, actor, now, "", "", None)
            closing = (head.seq, head.hash) if head is not None else _newest(conn)
            if audit.mode is AuditMode.FULL and not audit.locations:
                conn.execute(
                    update(_marks)
                    .where(
                        _marks.c.unit_code == audit.unit_code,
                        _marks.c.cleared_at_us.is_(None),
                        _marks.c.marked_at_us <= audit.opened_at_us,
                    )
                    .values(cleared_at_us=now)
                )
            conn.execute(
                update(_audits)
                .where(_audits.c.id == audit_id)
                .values(
                    status=AuditStatus.CLOSED.value,
                    closed_at_us=now,
                    closed_seq=closing[0],
                    closed_hash=closing[1],
                )
            )
            return self._read(conn, actor, audit_id), outcome

        return self.store.write(change)

    # ----------------------------------------------------------------------------------------- reads

    def get(self, viewer: Actor | None, audit_id: int) -> Audit:
        """The audit in the viewer's scope; outside it, answered as missing."""
        with self.store.reading() as conn:
            return self._read(conn, viewer, audit_id)

    def progress(self, audit: Audit) -> AuditProgress:
        """What the audit's reads show so far (a read of an audit already in the viewer's scope)."""
        with paused_collector():
            with self.store.reading() as conn:
                expected, reads = load_reconciliation_input(conn, audit.id)
            outcome = reconcile(audit.unit_code, audit.locations, expected, reads)
        unknown = [d.code for d in outcome.discrepancies if d.finding is Finding.UNKNOWN_CODE]
        return AuditProgress(
            reads=sum(1 for r in reads if not r.location),
            unknown_codes=tuple(unknown[:UNKNOWN_SHOWN]),
            drawn=len(expected),
            findings=outcome.counts(),
        )

    def reconciliation(self, conn: Connection, audit: Audit) -> Reconciliation:
        """The findings of the audit as its reads stand (every drawn item, everything read). The
        collector stays off from loading to the findings: one pass afterwards, not one between."""
        with paused_collector():
            expected, reads = load_reconciliation_input(conn, audit.id)
            return reconcile(audit.unit_code, audit.locations, expected, reads)

    # ------------------------------------------------------------------------------------- helpers

    def _read(self, conn: Connection, viewer: Actor | None, audit_id: int) -> Audit:
        found = audit_row(conn, audit_id)
        if found is None or not self.store.sees(viewer, found.unit_code, conn):
            raise UnknownAudit(UNKNOWN_AUDIT, audit_id=audit_id)
        return found

    def carried_on(self, conn: Connection, actor: Actor, audit_id: int) -> Audit:
        """The open audit, carried on by the auditor who opened it."""
        audit = self._read(conn, actor, audit_id)
        if audit.status is not AuditStatus.OPEN:
            raise TransitionRefused(CLOSED, audit_id=audit_id)
        if audit.opened_by_id != actor.id:
            raise TransitionRefused(NOT_OPENER, audit_id=audit_id, username=audit.opened_by or "")
        return audit

    def _check_station(self, conn: Connection, actor: Actor, name: str, unit_code: str) -> None:
        row = conn.execute(select(_stations).where(_stations.c.name == name)).mappings().first()
        if (
            row is None
            or row["revoked_at_us"] is not None
            or not self.store.sees(actor, row["unit_code"], conn)
        ):
            raise UnknownStation(UNKNOWN_STATION, name=name)
        if row["unit_code"] != unit_code:
            raise TransitionRefused(
                STATION_OTHER_UNIT, name=name, station_unit=row["unit_code"], unit_code=unit_code
            )
        busy = open_audit_of_station(conn, name)
        if busy is not None:
            raise TransitionRefused(STATION_BUSY, name=name, audit_id=busy)
        if site_of_station(conn, name) is not None:
            raise TransitionRefused(STATION_AT_SITE, name=name, batch_id=site_of_station(conn, name))


def _newest(conn: Connection) -> tuple[int, str]:
    """The newest event's seq and hash (an empty ledger's head: 0 and the genesis hash)."""
    row = conn.execute(select(_events.c.seq, _events.c.hash).order_by(_events.c.seq.desc()).limit(1)).first()
    return (0, GENESIS_HASH) if row is None else (int(row[0]), str(row[1]))
