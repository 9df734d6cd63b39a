"""The core's records: what its services return and take, as frozen dataclasses.

Rows never leave the module that reads them: each service turns them into one of these records, so a
field's name and type are checked by ``mypy --strict`` wherever it is used, and the HTTP API builds its
response models from the records' attributes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from functools import cached_property
from typing import Any, NamedTuple

from custody.actors import Actor
from custody.clock import from_us
from custody.errors import DeviceNotBound, Message
from custody.model import CaseStatus, CheckoutPurpose, Department, ItemState, Role, UnitLevel
from custody.numbers import ItemKind

# ------------------------------------------------------------------------ units, cases, items, events

# Stored values to their enum members by a dict lookup (cheaper than calling the enum on every row).
_KINDS = {kind.value: kind for kind in ItemKind}
_STATES = {state.value: state for state in ItemState}
_PURPOSES = {purpose.value: purpose for purpose in CheckoutPurpose}
_STATUSES = {status.value: status for status in CaseStatus}


@dataclass(frozen=True, slots=True)
class Unit:
    """A police unit (公安机关): the province, a city or prefecture, a county, or a special bureau."""

    code: str
    parent_code: str | None
    name_zh: str
    name_en: str
    level: UnitLevel
    note: str

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> Unit:
        return cls(
            code=row["code"],
            parent_code=row["parent_code"],
            name_zh=row["name_zh"],
            name_en=row["name_en"],
            level=UnitLevel(row["level"]),
            note=row["note"] or "",
        )


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of an item's history: a ledger event as a reader sees it (user names, not ids)."""

    seq: int
    recorded_at: str  # ISO 8601, UTC
    event_type: str
    actor: str | None  # the acting user's name; None for what a station's device recorded
    unit_code: str
    station: str
    device: str
    witness: str | None
    item_version: int | None
    payload: dict[str, Any]
    hash: str

    @classmethod
    def from_row(cls, row: Mapping[Any, Any], usernames: Mapping[int, str]) -> Event:
        actor_id, witness_id = row["actor_id"], row["witness_id"]
        return cls(
            seq=row["seq"],
            recorded_at=from_us(row["recorded_at_us"]).isoformat(),
            event_type=row["event_type"],
            actor=None if actor_id is None else usernames.get(actor_id, str(actor_id)),
            unit_code=row["unit_code"],
            station=row["station"],
            device=row["device"],
            witness=None if witness_id is None else usernames.get(witness_id),
            item_version=row["item_version"],
            payload=json.loads(row["payload"]),
            hash=row["hash"],
        )


@dataclass(frozen=True, slots=True)
class Source:
    """Where a seized gun came from (来源流向), as stored on the item."""

    maker: str | None
    workshop: str | None
    route: str | None
    seller: str | None
    notes: str | None


@dataclass(frozen=True, slots=True)
class Checkout:
    """Where a checked-out item is and when it is due back."""

    purpose: CheckoutPurpose
    to: str | None
    due_date: str | None


@dataclass(frozen=True, slots=True)
class Item:
    """A firearm, an ammunition lot or a ballistic sample: every column of its ``items`` row, with its
    case number and history where a read gives them."""

    id: int
    evidence_no: str
    kind: ItemKind
    case_id: int
    unit_code: str
    state: ItemState
    version: int
    registered_at_us: int
    description: str = ""
    firearm_type: str | None = None
    make_model: str | None = None
    serial_number: str | None = None
    calibre: str | None = None
    fires_standard_ammunition: bool | None = None
    source_maker: str | None = None
    source_workshop: str | None = None
    source_route: str | None = None
    source_seller: str | None = None
    source_notes: str | None = None
    quantity_rounds: int | None = None
    headstamp_lot: str | None = None
    sample_of_item_id: int | None = None
    checkout_purpose: CheckoutPurpose | None = None
    checked_out_to: str | None = None
    due_date: str | None = None  # ISO date, China Standard Time
    custodian_user_id: int | None = None
    tag_uid: str | None = None
    checked_out_from: ItemState | None = None  # the state a check-out left, restored by the return
    seal_no: str | None = None  # the intact seal holding the item
    location_code: str | None = None  # where the item lies in the store
    review_due: str | None = None  # a sealed item's review date (ISO date, China Standard Time)
    case_no: str | None = None  # the owning case's number (every read gives it)
    history: tuple[Event, ...] = ()  # oldest first (a read of one item gives it)

    @classmethod
    def from_row(cls, row: Mapping[Any, Any], case_no: str | None = None) -> Item:
        """An item from its ``items`` row (``case_no`` from the row when it has one)."""
        purpose = row["checkout_purpose"]
        return cls(  # positional, in field order: items are built on every act
            row["id"],
            row["evidence_no"],
            _KINDS[row["kind"]],
            row["case_id"],
            row["unit_code"],
            _STATES[row["state"]],
            row["version"],
            row["registered_at_us"],
            row["description"] or "",
            row["firearm_type"],
            row["make_model"],
            row["serial_number"],
            row["calibre"],
            row["fires_standard_ammunition"],
            row["source_maker"],
            row["source_workshop"],
            row["source_route"],
            row["source_seller"],
            row["source_notes"],
            row["quantity_rounds"],
            row["headstamp_lot"],
            row["sample_of_item_id"],
            None if purpose is None else _PURPOSES[purpose],
            row["checked_out_to"],
            row["due_date"],
            row["custodian_user_id"],
            row["tag_uid"],
            None if (left := row["checked_out_from"]) is None else _STATES[left],
            row["seal_no"],
            row["location_code"],
            row.get("review_due"),
            case_no if case_no is not None else row.get("case_no"),
        )

    def changed(self, changes: Mapping[str, Any]) -> Item:
        """The item with ``changes`` (column values, as an act's effect gives them) applied."""
        if not changes:
            return self
        values = dict(changes)
        if "state" in values:
            values["state"] = _STATES[values["state"]]
        if values.get("checkout_purpose") is not None:
            values["checkout_purpose"] = _PURPOSES[values["checkout_purpose"]]
        if values.get("checked_out_from") is not None:
            values["checked_out_from"] = _STATES[values["checked_out_from"]]
        return replace(self, **values)

    def column(self, name: str) -> Any:
        """The value of the column ``name`` (a correction names the fields it changes)."""
        return getattr(self, name)

    @property
    def registered_at(self) -> datetime:
        return from_us(self.registered_at_us)

    @property
    def source(self) -> Source:
        return Source(
            self.source_maker, self.source_workshop, self.source_route, self.source_seller, self.source_notes
        )

    @property
    def checkout(self) -> Checkout | None:
        if self.checkout_purpose is None:
            return None
        return Checkout(self.checkout_purpose, self.checked_out_to, self.due_date)


ITEM_COLUMNS = tuple(f.name for f in fields(Item) if f.name not in {"case_no", "history"})


class TimelineRow(NamedTuple):
    """One custody event as a desk lists it: the acting and witnessing users by name, its hash."""

    seq: int
    recorded_at_us: int
    event_type: str
    actor: str | None  # None: what a station's device recorded
    witness: str | None
    station: str
    device: str
    hash: str


@dataclass(frozen=True, slots=True)
class Timeline:
    """An item (with its case number) and its custody events, newest first."""

    item: Item
    rows: tuple[TimelineRow, ...]


@dataclass(frozen=True, slots=True)
class Case:
    """A criminal case (案件), owned by the unit that opened it; ``items``: those of it a reader may see
    (a case read by number lists them)."""

    id: int
    case_no: str
    unit_code: str
    title: str
    status: CaseStatus
    opened_at_us: int
    version: int
    judgment_no: str | None = None
    judgment_date: str | None = None  # ISO date
    category: str | None = None  # a CaseCategory value; None: opened before categories were kept
    filed_date: str | None = None  # 立案日期, ISO; None: opened before filed dates were kept
    solved_date: str | None = None  # 破案日期, ISO; None: not solved
    items: tuple[Item, ...] = ()

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> Case:
        return cls(
            row["id"],
            row["case_no"],
            row["unit_code"],
            row["title"] or "",
            _STATUSES[row["status"]],
            row["opened_at_us"],
            row["version"],
            row["judgment_no"],
            row["judgment_date"],
            row.get("category"),
            row.get("filed_date"),
            row.get("solved_date"),
        )

    def changed(self, changes: Mapping[str, Any]) -> Case:
        """The case with ``changes`` (column values, as a case act's effect gives them) applied."""
        values = dict(changes)
        if "status" in values:
            values["status"] = _STATUSES[values["status"]]
        return replace(self, **values)

    @property
    def opened_at(self) -> datetime:
        return from_us(self.opened_at_us)


# ------------------------------------------------------------------------- users, sessions, stations

DEVICE_NOT_BOUND = Message("station.device_not_bound", "device {device!r} is not bound to station {name}")


@dataclass(frozen=True)
class User:
    """A user as an administrator sees it: never the password's hash, but whether there is one and
    until when the account is locked by failed logins (``None``: not locked)."""

    id: int
    username: str
    full_name: str
    unit_code: str
    department: Department
    roles: tuple[Role, ...]  # sorted
    active: bool
    has_password: bool
    locked_until_us: int | None
    created_at_us: int

    @property
    def locked_until(self) -> datetime | None:
        return None if self.locked_until_us is None else from_us(self.locked_until_us)

    @property
    def created_at(self) -> datetime:
        return from_us(self.created_at_us)


@dataclass(frozen=True)
class NewSession:
    """A session just opened: its token is handed to the client once; only its SHA-256 is kept."""

    token: str
    session_id: int
    expires_at_us: int
    actor: Actor


@dataclass(frozen=True)
class ActiveSession:
    """The live session a token stands for, and who holds it."""

    session_id: int
    expires_at_us: int
    actor: Actor


@dataclass(frozen=True)
class Station:
    """A station (a desk PC, a handheld): its unit and department, the devices it may report from, and
    the hint of its live key (the key's first characters; the key itself is never kept)."""

    id: int
    name: str
    unit_code: str
    department: Department
    devices: tuple[str, ...]
    key_hint: str
    created_at_us: int
    revoked_at_us: int | None
    key_sha256: str = field(default="", repr=False)  # the live key's digest (never shown)
    location_code: str | None = None  # the storage location the station stands at

    @property
    def created_at(self) -> datetime:
        return from_us(self.created_at_us)

    @property
    def revoked_at(self) -> datetime | None:
        return None if self.revoked_at_us is None else from_us(self.revoked_at_us)

    def viewer(self) -> Actor:
        """The station as a reader: its unit's scope and no role, so every act needing one is refused."""
        return self._viewer

    @cached_property
    def _viewer(self) -> Actor:
        return Actor(
            id=-self.id,
            username=f"station:{self.name}",
            full_name=self.name,
            unit_code=self.unit_code,
            department=self.department,
            roles=frozenset(),
        )

    def require_device(self, device: str | None) -> None:
        """Refuse a device that is not bound to this station (None: no device acts)."""
        if device is not None and device not in self.devices:
            raise DeviceNotBound(DEVICE_NOT_BOUND, device=device, name=self.name)
