"""Records of sealed storage: handovers, storage locations and seals, as frozen dataclasses built from
their rows (see :mod:`custody.records` for the items, cases and events they refer to)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from custody.clock import from_us
from custody.model import HandoverStatus, LocationLevel, SealStatus
from custody.records import Item


@dataclass(frozen=True, slots=True)
class Handover:
    """A handover (移交) of items of one case to a named custodian: offered, then accepted or refused."""

    id: int
    case_id: int
    unit_code: str
    offered_by_id: int
    custodian_id: int
    status: HandoverStatus
    offered_at_us: int
    decided_at_us: int | None
    decided_by_id: int | None
    refusal_reason: str | None
    items: tuple[Item, ...] = ()
    case_no: str | None = None
    offered_by: str | None = None  # usernames, where a read gives them
    custodian: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> Handover:
        return cls(
            id=row["id"],
            case_id=row["case_id"],
            unit_code=row["unit_code"],
            offered_by_id=row["offered_by_id"],
            custodian_id=row["custodian_id"],
            status=HandoverStatus(row["status"]),
            offered_at_us=row["offered_at_us"],
            decided_at_us=row["decided_at_us"],
            decided_by_id=row["decided_by_id"],
            refusal_reason=row["refusal_reason"],
        )

    @property
    def offered_at(self) -> datetime:
        return from_us(self.offered_at_us)

    @property
    def decided_at(self) -> datetime | None:
        return None if self.decided_at_us is None else from_us(self.decided_at_us)


@dataclass(frozen=True, slots=True)
class Location:
    """A storage location of a unit's store (:class:`custody.codes.LocationCode`)."""

    id: int
    code: str
    unit_code: str
    level: LocationLevel
    parent_code: str | None
    name: str
    created_at_us: int

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> Location:
        return cls(
            id=row["id"],
            code=row["code"],
            unit_code=row["unit_code"],
            level=LocationLevel(row["level"]),
            parent_code=row["parent_code"],
            name=row["name"] or "",
            created_at_us=row["created_at_us"],
        )

    @property
    def created_at(self) -> datetime:
        return from_us(self.created_at_us)


@dataclass(frozen=True, slots=True)
class Seal:
    """A seal (封存) and, where a read gives them, the items it holds (or held, once void)."""

    id: int
    seal_no: str
    unit_code: str
    location_code: str
    custodian_id: int
    witness_id: int
    tag_uid: str | None
    status: SealStatus
    sealed_at_us: int
    voided_at_us: int | None
    void_reason: str | None
    items: tuple[Item, ...] = ()
    custodian: str | None = None  # usernames, where a read gives them
    witness: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> Seal:
        return cls(
            id=row["id"],
            seal_no=row["seal_no"],
            unit_code=row["unit_code"],
            location_code=row["location_code"],
            custodian_id=row["custodian_id"],
            witness_id=row["witness_id"],
            tag_uid=row["tag_uid"],
            status=SealStatus(row["status"]),
            sealed_at_us=row["sealed_at_us"],
            voided_at_us=row["voided_at_us"],
            void_reason=row["void_reason"],
        )

    @property
    def sealed_at(self) -> datetime:
        return from_us(self.sealed_at_us)

    @property
    def intact(self) -> bool:
        return self.status is SealStatus.INTACT
