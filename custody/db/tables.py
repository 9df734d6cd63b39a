"""Tables of the custody database (SQLAlchemy 2 typed declarative mapping).

The schema is created only by the Alembic migrations in ``custody/db/migrations``; these classes describe
it for queries. ``custody_events`` is the ledger: append-only (database triggers refuse UPDATE, DELETE and
TRUNCATE) and stored as plain integers and text so that its hash chain is computed over the values exactly
as the database returns them (see :mod:`custody.ledger`).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite STRICT tables accept only INTEGER/TEXT/...; PostgreSQL wants BIGINT for microsecond times.
BigInt = Integer().with_variant(BigInteger(), "postgresql")


class Base(DeclarativeBase):
    pass


class UnitRow(Base):
    """A police unit (公安机关): the province, a city/prefecture, a county, or a special bureau."""

    __tablename__ = "units"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"))
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(Text)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    department: Mapped[str] = mapped_column(String(32))
    roles: Mapped[str] = mapped_column(Text)  # comma-separated Role values, sorted
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at_us: Mapped[int] = mapped_column(BigInt)


class CaseRow(Base):
    """A criminal case (案件) that owns items; its status is changed only by ledger events."""

    __tablename__ = "cases"
    # A case number is unique within its owning unit (two units may use the same one; migration 0004).
    __table_args__ = (
        UniqueConstraint("unit_code", "case_no", name="uq_cases_unit_case_no"),
        Index("ix_cases_case_no", "case_no"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_no: Mapped[str] = mapped_column(String(64))
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    title: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    judgment_no: Mapped[str | None] = mapped_column(Text)
    judgment_date: Mapped[str | None] = mapped_column(String(10))  # ISO date
    opened_at_us: Mapped[int] = mapped_column(BigInt)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # migration 0013: what the monthly statistics count (None for cases opened before)
    category: Mapped[str | None] = mapped_column(String(16))  # a CaseCategory value
    filed_date: Mapped[str | None] = mapped_column(String(10))  # 立案日期, ISO date
    solved_date: Mapped[str | None] = mapped_column(String(10))  # 破案日期, ISO date


class ItemRow(Base):
    """A firearm, an ammunition lot or a ballistic sample.

    The row is the current state, derived from the item's events; ``custody ledger replay`` rebuilds it
    from the ledger and reports any difference.
    """

    __tablename__ = "items"
    __table_args__ = (
        Index("ix_items_unit_state", "unit_code", "state"),
        Index("ix_items_serial", "serial_number"),
        Index("ix_items_case", "case_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evidence_no: Mapped[str] = mapped_column(String(19), unique=True)
    kind: Mapped[str] = mapped_column(String(1))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    state: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    registered_at_us: Mapped[int] = mapped_column(BigInt)
    description: Mapped[str] = mapped_column(Text, default="")
    # firearm
    firearm_type: Mapped[str | None] = mapped_column(Text)
    make_model: Mapped[str | None] = mapped_column(Text)
    serial_number: Mapped[str | None] = mapped_column(Text)
    calibre: Mapped[str | None] = mapped_column(Text)
    fires_standard_ammunition: Mapped[bool | None] = mapped_column(Boolean)
    # source and flow of the gun (来源流向)
    source_maker: Mapped[str | None] = mapped_column(Text)
    source_workshop: Mapped[str | None] = mapped_column(Text)
    source_route: Mapped[str | None] = mapped_column(Text)
    source_seller: Mapped[str | None] = mapped_column(Text)
    source_notes: Mapped[str | None] = mapped_column(Text)
    # ammunition lot
    quantity_rounds: Mapped[int | None] = mapped_column(Integer)
    headstamp_lot: Mapped[str | None] = mapped_column(Text)
    # ballistic sample
    sample_of_item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    # check-out
    checkout_purpose: Mapped[str | None] = mapped_column(String(16))
    checked_out_to: Mapped[str | None] = mapped_column(Text)
    due_date: Mapped[str | None] = mapped_column(String(10))  # ISO date, China Standard Time
    # sealed storage, filled by later lifecycle steps
    custodian_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # the RFID/NFC tag bound to the item (UID in hex), unique
    tag_uid: Mapped[str | None] = mapped_column(String(20), unique=True)
    # the state a check-out left (registered or handed_over), restored by the return
    checked_out_from: Mapped[str | None] = mapped_column(String(16))
    # sealed storage: the intact seal holding the item, and where the item lies in the store
    seal_no: Mapped[str | None] = mapped_column(String(19), index=True)
    location_code: Mapped[str | None] = mapped_column(String(40), index=True)
    # destruction: when a sealed item is next reviewed for disposal (ISO date, China Standard Time)
    review_due: Mapped[str | None] = mapped_column(String(10))


class NumberSequenceRow(Base):
    """The gapless evidence-number sequence per unit and intake year."""

    __tablename__ = "number_sequences"
    __table_args__ = (UniqueConstraint("unit_code", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    year: Mapped[int] = mapped_column(Integer)
    last_sequence: Mapped[int] = mapped_column(Integer)


class EventRow(Base):
    """One act in the custody ledger. Columns in hash order; see :mod:`custody.ledger`."""

    __tablename__ = "custody_events"
    __table_args__ = (
        Index("ix_custody_events_item", "item_id", "seq"),
        Index("ix_custody_events_case", "case_id", "seq"),
        # migration 0013, for the statistics: the acts of a period by type; an item's acts by type
        Index("ix_custody_events_type", "event_type", "recorded_at_us"),
        Index("ix_custody_events_item_type", "item_id", "seq", "event_type"),
        {"sqlite_strict": True},
    )

    seq: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=False)
    prev_hash: Mapped[str] = mapped_column(Text)
    recorded_at_us: Mapped[int] = mapped_column(BigInt)
    event_type: Mapped[str] = mapped_column(Text)
    item_id: Mapped[int | None] = mapped_column(BigInt, ForeignKey("items.id"))
    case_id: Mapped[int | None] = mapped_column(BigInt, ForeignKey("cases.id"))
    actor_id: Mapped[int | None] = mapped_column(BigInt, ForeignKey("users.id"))  # None: a station's device
    unit_code: Mapped[str] = mapped_column(Text)
    station: Mapped[str] = mapped_column(Text)
    device: Mapped[str] = mapped_column(Text)
    witness_id: Mapped[int | None] = mapped_column(BigInt, ForeignKey("users.id"))
    item_version: Mapped[int | None] = mapped_column(BigInt)
    payload: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(Text)


class ScanReceiptRow(Base):
    """A station's scan as received: its idempotency key, a digest of its body and the event it made.

    A retry with the same key and body gets the same answer and writes nothing; a different body under
    the same key is refused.
    """

    __tablename__ = "scan_receipts"
    __table_args__ = (UniqueConstraint("station", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    body_sha256: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(BigInt, ForeignKey("custody_events.seq"))
    answer: Mapped[str] = mapped_column(Text)
    received_at_us: Mapped[int] = mapped_column(BigInt)


# ------------------------------------------------------------------------------- identity and access
# Added by migration 0002. Secrets are never stored in clear: see custody.credentials.


class CredentialRow(Base):
    """A user's password, as its argon2id hash only, and the count of failed logins behind a lockout."""

    __tablename__ = "user_credentials"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(Text)
    changed_at_us: Mapped[int] = mapped_column(BigInt)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until_us: Mapped[int | None] = mapped_column(BigInt)


class SessionRow(Base):
    """A login: the SHA-256 of its opaque token, its expiry and, once ended, when and why."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at_us: Mapped[int] = mapped_column(BigInt)
    expires_at_us: Mapped[int] = mapped_column(BigInt)
    revoked_at_us: Mapped[int | None] = mapped_column(BigInt)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    client: Mapped[str] = mapped_column(Text, default="")


class StationRow(Base):
    """A desk PC or handheld with its own API key (SHA-256 only), bound to a unit and its devices."""

    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    department: Mapped[str] = mapped_column(String(32))
    devices: Mapped[str] = mapped_column(Text)  # JSON array of device ids
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    key_hint: Mapped[str] = mapped_column(String(16))  # the key's first characters, to tell keys apart
    created_at_us: Mapped[int] = mapped_column(BigInt)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at_us: Mapped[int | None] = mapped_column(BigInt)
    # the storage location the station stands at (its sightings are recorded there), if bound to one
    location_code: Mapped[str | None] = mapped_column(ForeignKey("locations.code"))


class AccessLogRow(Base):
    """Who read or changed what, when, from where: one row per API request. Append-only (triggers) and
    hash-chained (migration 0004; see :mod:`custody.access_chain`)."""

    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_unit", "unit_code", "seq"),
        Index("ix_access_log_user", "user_id", "seq"),
        Index("ix_access_log_station", "station_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=True)
    at_us: Mapped[int] = mapped_column(BigInt)
    caller: Mapped[str] = mapped_column(String(16))  # user, station, anonymous
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"))
    unit_code: Mapped[str | None] = mapped_column(String(6))
    device: Mapped[str] = mapped_column(Text, default="")
    client: Mapped[str] = mapped_column(Text, default="")
    method: Mapped[str] = mapped_column(String(16))
    route: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text)
    query: Mapped[str] = mapped_column(Text, default="")  # credential-looking values redacted
    status: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")  # what a refusal disclosed, e.g. a taken username
    prev_hash: Mapped[str] = mapped_column(Text)
    hash_version: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(Text)


class LoginAttemptRow(Base):
    """A login under way or failed, counted before its password is hashed: the per-address throttle.

    A row is written (in the writer's transaction, so across processes too) before any argon2 work and
    removed when that login succeeds; rows older than the throttle window are pruned as new ones come.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_client", "client", "at_us"),
        Index("ix_login_attempts_at", "at_us"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client: Mapped[str] = mapped_column(String(200))
    at_us: Mapped[int] = mapped_column(BigInt)


class DemoAccountRow(Base):
    """A user created by the demo loader (its password is public): a service started without the demo
    refuses to start while one of them is active."""

    __tablename__ = "demo_accounts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


class IdempotencyKeyRow(Base):
    """A creating request's idempotency key, with a digest of the request and the answer it got.

    Written in the same transaction as the act it names (migration 0005): a retry with the same key and
    request gets the first answer and writes nothing; the same key with another request is refused.
    Keys belong to their caller (a user or a station): one caller's key never answers another's request.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("principal", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    principal: Mapped[str] = mapped_column(String(80))  # user:<id> or station:<id>
    idempotency_key: Mapped[str] = mapped_column(String(128))
    request_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    answer: Mapped[str] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(Text)
    created_at_us: Mapped[int] = mapped_column(BigInt)


# The tables of sealed storage (handovers, locations, seals), of audits, of destruction and of the ledger's
# checkpoints are declared in their own modules, on the same metadata; importing them here makes every
# table known wherever the schema is read.
from custody.db import (  # noqa: E402, F401
    audit_tables,
    batch_tables,
    checkpoint_tables,
    destruction_tables,
    storage_tables,
)
