"""Request and response bodies. Requests refuse unknown fields; every text field is held to the core's
text policy and length limits (:mod:`custody.text`), so the API and the core refuse the same input.

Responses about units, cases, items and events are built from the core's records
(:mod:`custody.records`) by their attributes (``Model.model_validate(record)``); users and stations from
the core's views by the ``*_out`` functions at the bottom. Internal row ids and stored secrets' digests
never leave the service: a response model names every field it shows. Times are ISO 8601 in UTC; dates
(due dates, judgment dates) are calendar dates in China Standard Time, as the core keeps them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from custody import text
from custody.clock import from_us
from custody.lifecycle import MAX_SEQ
from custody.model import (
    CaseCategory,
    CaseStatus,
    CheckoutPurpose,
    Department,
    HandoverStatus,
    ItemState,
    LocationLevel,
    Role,
    SealStatus,
    UnitLevel,
)
from custody.numbers import ItemKind
from custody.seal_reads import SealView
from custody.units import UNIT_CODE_LENGTH, UNIT_CODE_PATTERN


@dataclass(frozen=True)
class StoredText:
    """The core's text policy for the stored text field ``name``, as ``Annotated`` metadata
    (``Annotated[str, StoredText("note")]``): the value is normalised and checked by the policy (a
    refusal answers 422 naming the field) and its limit is shown in the OpenAPI document."""

    name: str
    required: bool = False

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        policy, required = text.field(self.name), self.required

        def check(value: str) -> str:
            return text.normalised(value, policy, required=required)

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        shown = handler(schema)
        shown["maxLength"] = text.field(self.name).max_length
        if self.required:
            shown["minLength"] = 1
        return shown


Username = Annotated[str, StoredText("username", required=True)]
CaseNumber = Annotated[str, StoredText("case_no", required=True)]
SearchText = Annotated[str, StoredText("q")]
UnitCode = Annotated[str, StringConstraints(pattern=f"^{UNIT_CODE_PATTERN}$")]
# The owning unit of a case named by number, when several units in the caller's scope use the number.
CaseUnit = Annotated[
    str | None,
    Query(
        max_length=UNIT_CODE_LENGTH,
        description="The case's owning unit, when several units in scope use its number",
    ),
]
# Passwords are taken as typed (never normalised or trimmed), up to the core's limit.
Password = Annotated[str, StringConstraints(min_length=1, max_length=text.PASSWORD_LENGTH)]
Version = Annotated[StrictInt, Field(ge=1, le=2**31 - 1, description="The item version the caller read")]
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def iso_date_only(value: object) -> object:
    """Dates travel as ``YYYY-MM-DD`` text only (pydantic would also take a number of seconds)."""
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("a date is written YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(iso_date_only)]


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------------------------------ auth


class LoginIn(RequestBody):
    username: Username
    password: Password


class PasswordChangeIn(RequestBody):
    current_password: Password
    new_password: Password


class PasswordSetIn(RequestBody):
    password: Password


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # from a custody.records.User

    username: str
    full_name: str
    unit_code: str
    department: Department
    roles: list[Role]
    active: bool
    has_password: bool
    locked_until: datetime | None = Field(description="Set while the account is locked by failed logins")
    created_at: datetime


class LoginOut(BaseModel):
    token: str = Field(description="Opaque session token: send it as Authorization: Bearer <token>")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme's name, not a secret
    expires_at: datetime
    user: UserOut


class MeOut(BaseModel):
    kind: Literal["user", "station"]
    name: str = Field(description="Username, or station name")
    full_name: str
    unit_code: str
    department: Department
    roles: list[Role]
    devices: list[str] = Field(description="A station's bound devices (empty for users)")
    device: str | None = Field(description="The device named by this request (stations)")
    session_expires_at: datetime | None


# ----------------------------------------------------------------------------------------- units


class UnitIn(RequestBody):
    code: UnitCode
    parent_code: UnitCode
    name_zh: Annotated[str, StoredText("name_zh", required=True)]
    name_en: Annotated[str, StoredText("name_en", required=True)]
    level: UnitLevel
    note: Annotated[str, StoredText("note")] = ""


class UnitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    parent_code: str | None
    name_zh: str
    name_en: str
    level: str
    note: str


# ----------------------------------------------------------------------------------------- users


class UserIn(RequestBody):
    username: Username
    full_name: Annotated[str, StoredText("full_name", required=True)]
    unit_code: UnitCode
    department: Department
    roles: Annotated[list[Role], Field(min_length=1, max_length=len(Role))]
    password: Password


class UserPage(BaseModel):
    users: list[UserOut]
    next_cursor: str | None


class RevokedOut(BaseModel):
    revoked: int = Field(description="Sessions ended")


# -------------------------------------------------------------------------------------- stations


class StationIn(RequestBody):
    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]
    unit_code: UnitCode
    department: Department
    devices: Annotated[list[Annotated[str, StoredText("devices", required=True)]], Field(min_length=1)]
    location_code: str | None = Field(
        default=None,
        max_length=40,
        description="The storage location the station stands at (of its unit or below): its sightings "
        "are recorded there",
    )


class StationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # from a custody.records.Station

    name: str
    unit_code: str
    department: Department
    devices: list[str]
    key_hint: str = Field(description="The key's first characters, to tell keys apart (never the key)")
    created_at: datetime
    revoked_at: datetime | None
    location_code: str | None = Field(description="The storage location its sightings are recorded at")


class NewStationOut(BaseModel):
    station: StationOut
    key: str | None = Field(
        description="The station's API key: shown this once, stored only as its SHA-256. A retry under the "
        "same Idempotency-Key answers null here: the key is never kept; if the first answer was lost, "
        "rotate the key (POST /api/v1/stations/{name}/key)."
    )


class StationPage(BaseModel):
    stations: list[StationOut]
    next_cursor: str | None


# ----------------------------------------------------------------------------------------- cases


class CaseIn(RequestBody):
    case_no: CaseNumber
    title: Annotated[str, StoredText("title")] = ""
    unit_code: UnitCode | None = Field(default=None, description="Owning unit (default: the caller's)")
    category: CaseCategory | None = Field(default=None, description="What the gun case is about")
    filed_date: IsoDate | None = Field(
        default=None, description="Filed (立案) on (default: the day of opening, China Standard Time)"
    )


class SolvedIn(RequestBody):
    solved_date: IsoDate = Field(description="Solved (破案) on; not in the future")


class CaseCorrectionIn(RequestBody):
    """The fields to correct (at least one), and why: a new record; the earlier one stays."""

    category: CaseCategory | None = None
    filed_date: IsoDate | None = None
    solved_date: IsoDate | None = None
    reason: Annotated[str, StoredText("reason", required=True)]

    def changes(self) -> dict[str, str]:
        given = {"category": self.category, "filed_date": self.filed_date, "solved_date": self.solved_date}
        return {
            k: str(v.isoformat() if isinstance(v, date) else v) for k, v in given.items() if v is not None
        }


class JudgmentIn(RequestBody):
    judgment_no: Annotated[str, StoredText("judgment_no", required=True)]
    judgment_date: IsoDate


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    case_no: str
    unit_code: str
    title: str
    status: CaseStatus
    judgment_no: str | None
    judgment_date: str | None
    category: CaseCategory | None = None
    filed_date: str | None = None
    solved_date: str | None = None
    opened_at: datetime
    version: int


class CasePage(BaseModel):
    cases: list[CaseOut]
    next_cursor: str | None


# ----------------------------------------------------------------------------------------- items


class SourceIn(RequestBody):
    """Where a seized gun came from (来源流向)."""

    maker: Annotated[str, StoredText("source_maker")] | None = None
    workshop: Annotated[str, StoredText("source_workshop")] | None = None
    route: Annotated[str, StoredText("source_route")] | None = None
    seller: Annotated[str, StoredText("source_seller")] | None = None
    notes: Annotated[str, StoredText("source_notes")] | None = None


class FirearmIn(RequestBody):
    case_no: CaseNumber
    firearm_type: Annotated[str, StoredText("firearm_type", required=True)]
    make_model: Annotated[str, StoredText("make_model", required=True)]
    serial_number: Annotated[str, StoredText("serial_number", required=True)]
    calibre: Annotated[str, StoredText("calibre", required=True)]
    fires_standard_ammunition: StrictBool = Field(description="Can it fire standard-issue ammunition?")
    source: SourceIn = Field(default_factory=SourceIn)
    description: Annotated[str, StoredText("description")] = ""


class AmmunitionIn(RequestBody):
    case_no: CaseNumber
    calibre: Annotated[str, StoredText("calibre", required=True)]
    quantity_rounds: Annotated[StrictInt, Field(ge=1, le=10_000_000)]
    headstamp_lot: Annotated[str, StoredText("headstamp_lot")] = ""
    source: SourceIn = Field(default_factory=SourceIn)
    description: Annotated[str, StoredText("description")] = ""


class SourceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    maker: str | None
    workshop: str | None
    route: str | None
    seller: str | None
    notes: str | None


class CheckoutOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    purpose: str
    to: str | None
    due_date: str | None


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    evidence_no: str
    kind: ItemKind
    state: ItemState
    version: int
    unit_code: str
    registered_at: datetime
    description: str
    firearm_type: str | None
    make_model: str | None
    serial_number: str | None
    calibre: str | None
    fires_standard_ammunition: bool | None
    quantity_rounds: int | None
    headstamp_lot: str | None
    source: SourceOut
    checkout: CheckoutOut | None
    review_due: str | None = Field(default=None, description="A sealed item's next review for disposal")


class ItemListed(ItemOut):
    case_no: str


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    recorded_at: datetime
    event_type: str
    actor: str | None
    unit_code: str
    station: str
    device: str
    witness: str | None
    item_version: int | None
    payload: dict[str, Any]
    hash: str


class ItemDetail(ItemListed):
    sample_of: str | None = Field(
        default=None, description="A ballistic sample's firearm (its evidence number); none otherwise"
    )
    history: list[EventOut]


class ItemPage(BaseModel):
    items: list[ItemListed]
    next_cursor: str | None


class CaseDetail(CaseOut):
    items: list[ItemOut]


class OverdueOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    evidence_no: str
    unit_code: str
    checkout_purpose: str | None
    checked_out_to: str | None
    due_date: str | None
    version: int


# ----------------------------------------------------------------------------------- transitions


class TransferIn(RequestBody):
    version: Version
    to_unit: UnitCode
    reason: Annotated[str, StoredText("reason")] = ""


class CheckoutIn(RequestBody):
    version: Version
    purpose: CheckoutPurpose
    to: Annotated[str, StoredText("to", required=True)] = Field(
        description="Who takes it: a person, the lab, the court"
    )
    due_date: IsoDate = Field(description="Due back (China Standard Time)")


class ReturnIn(RequestBody):
    version: Version
    note: Annotated[str, StoredText("note")] = ""


class CorrectionIn(RequestBody):
    version: Version
    changes: Annotated[
        dict[
            Annotated[str, StringConstraints(max_length=64)],
            StrictBool | Annotated[str, StringConstraints(max_length=text.LONG_LENGTH)],
        ],
        Field(
            min_length=1,
            max_length=20,
            description="Corrected fields and their values (each held to its field's text policy)",
        ),
    ]
    reason: Annotated[str, StoredText("reason", required=True)]
    corrects_seq: Annotated[StrictInt, Field(ge=1, le=MAX_SEQ)] | None = Field(
        default=None, description="The ledger seq of the record being corrected"
    )


class CountIn(RequestBody):
    version: Version
    quantity: Annotated[StrictInt, Field(ge=0, le=10_000_000)]
    reason: Annotated[str, StoredText("reason", required=True)]


class ConsumptionIn(RequestBody):
    version: Version
    rounds: Annotated[StrictInt, Field(ge=1, le=10_000_000)]
    reason: Annotated[str, StoredText("reason", required=True)]


# ---------------------------------------------------------------------------------------- ledger


class HeadOut(BaseModel):
    seq: int
    hash: str
    head: str = Field(description="SEQ:HASH, as reports carry it")


class VerificationOut(BaseModel):
    ok: bool
    events: int
    head: str
    first_bad_seq: int | None = None
    reason: str | None = None
    head_mismatch: bool | None = None
    expected_head: str | None = None
    found_head: str | None = None
    first_differing_seq: int | None = None


class AccessEntryOut(BaseModel):
    seq: int
    at: datetime
    caller: Literal["user", "station", "anonymous"]
    username: str | None
    station: str | None
    unit_code: str | None
    device: str
    client: str
    method: str
    route: str
    path: str
    query: str
    status: int
    note: str
    hash: str


class AccessLogPage(BaseModel):
    entries: list[AccessEntryOut]
    next_cursor: str | None


class ProblemTypeOut(BaseModel):
    type: str
    code: str
    status: int
    title: str
    description: str


class HealthOut(BaseModel):
    status: Literal["ok", "storage-full"]
    storage_full_since: datetime | None = Field(
        default=None, description="Since when writes have failed on a full disk"
    )


# ---------------------------------------------------------------------------- from the core's rows


def when(us: int | None) -> datetime | None:
    return None if us is None else from_us(us)


# ------------------------------------------------------------------------------------- handovers


def evidence_number(value: str) -> str:
    """An evidence number as stored (a malformed one is invalid input: 422 naming its place)."""
    from custody.errors import CustodyError
    from custody.numbers import canonical_number

    try:
        return canonical_number(value)
    except CustodyError as refused:
        raise ValueError(str(refused)) from None


EvidenceNo = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(evidence_number)]


class HandoverOfferIn(RequestBody):
    case_no: CaseNumber
    custodian: Username = Field(description="The same-level public-order custodian the items are offered to")
    evidence_nos: Annotated[list[EvidenceNo], Field(min_length=1, max_length=500)] = Field(
        description="Items of the case, each named once, all offered in one act (or none)"
    )

    @field_validator("evidence_nos")
    @classmethod
    def _each_once(cls, numbers: list[str]) -> list[str]:
        twice = sorted({n for n in numbers if numbers.count(n) > 1})
        if twice:
            raise ValueError(f"named more than once: {', '.join(twice)}")
        return numbers


class HandoverRefusalIn(RequestBody):
    reason: Annotated[str, StoredText("reason", required=True)]


class HandoverOut(BaseModel):
    """A handover: offered by a clerk to a custodian, who alone accepts or refuses it."""

    id: int
    case_no: str
    unit_code: str
    status: HandoverStatus
    offered_by: str
    custodian: str
    offered_at: datetime
    decided_at: datetime | None = Field(description="When the custodian accepted or refused it")
    refusal_reason: str | None
    evidence_nos: list[str]


class HandoverPage(BaseModel):
    handovers: list[HandoverOut]
    next_cursor: str | None


# ------------------------------------------------------------------ sealed storage: locations and seals
# Codes are checked by the core (custody.codes), which names what is wrong; here only their length.
LocationCodeText = Annotated[str, StringConstraints(min_length=1, max_length=64)]
NumberText = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class LocationIn(RequestBody):
    code: LocationCodeText = Field(description="L + unit code + store[-room[-shelf[-bin]]], e.g. L220102-A-2")
    name: Annotated[str, StoredText("name", required=True)]


class LocationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # from a custody.records.Location

    code: str
    unit_code: str
    level: LocationLevel
    parent_code: str | None
    name: str


class LocationList(BaseModel):
    locations: list[LocationOut]


class SealIn(RequestBody):
    """Seal accepted items before a witness, who confirms with their own session (X-Witness-Token)."""

    location_code: LocationCodeText
    evidence_nos: list[NumberText] = Field(min_length=1, max_length=1000)
    tag_uid: Annotated[str, StringConstraints(max_length=32)] | None = Field(
        None, description="The UID of the seal tag carrying the seal number, if any"
    )
    review_due: IsoDate | None = Field(
        None, description="The items' review date, after today (default: a year after sealing)"
    )


class SealOpenIn(RequestBody):
    """Open a seal before a witness (X-Witness-Token), for a reason kept in the record."""

    reason: Annotated[str, StoredText("reason", required=True)]


class SealMoveIn(RequestBody):
    to: LocationCodeText


class SealItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    evidence_no: str
    kind: ItemKind
    state: ItemState
    version: int


class TagReadingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    tamper: str | None = Field(
        description="The tamper loop at the last read: closed, open, not_measured, unreadable, or null"
    )
    opened_before: bool | None = Field(description="The tag had recorded its loop open at an earlier read")
    broken: bool = Field(description="The read shows the seal broken: its loop open, now or before")
    seq: int
    recorded_at: datetime
    station: str


class SealOut(BaseModel):
    seal_no: str
    status: SealStatus
    unit_code: str
    location_code: str
    location_name: str
    custodian: str
    witness: str
    tag_uid: str | None
    sealed_at: datetime
    voided_at: datetime | None
    void_reason: str | None
    items: list[SealItemOut]
    last_reading: TagReadingOut | None = Field(description="The last read of the seal's tag by a station")


class CustodianChangeIn(RequestBody):
    """Hand a store to another custodian, who confirms with their own session (X-Second-Token)."""

    unit_code: UnitCode


class CustodianChangeOut(BaseModel):
    unit_code: str
    to: str
    items: list[str]
    store_mark: int
    marked_seq: int


def seal_out(view: SealView) -> SealOut:
    seal = view.seal
    reading = view.last_reading
    return SealOut(
        seal_no=seal.seal_no,
        status=seal.status,
        unit_code=seal.unit_code,
        location_code=seal.location_code,
        location_name=view.location.name,
        custodian=view.custodian,
        witness=view.witness,
        tag_uid=seal.tag_uid,
        sealed_at=from_us(seal.sealed_at_us),
        voided_at=when(seal.voided_at_us),
        void_reason=seal.void_reason,
        items=[SealItemOut.model_validate(item) for item in view.items],
        last_reading=None if reading is None else TagReadingOut.model_validate(reading),
    )
