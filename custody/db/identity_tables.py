"""Tables of identity and access (migration 0002): credentials, sessions, station keys, the access log.

They share :class:`custody.db.tables.Base` with the custody tables. Secrets are never stored in clear:
see :mod:`custody.credentials`. ``access_log`` is append-only like the ledger (database triggers refuse
UPDATE and DELETE, and TRUNCATE on PostgreSQL).
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from custody.db.tables import Base, BigInt


class Credential(Base):
    """A user's password, as its argon2id hash only, and the count of failed logins behind a lockout."""

    __tablename__ = "user_credentials"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(Text)
    changed_at_us: Mapped[int] = mapped_column(BigInt)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until_us: Mapped[int | None] = mapped_column(BigInt)


class UserSession(Base):
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


class Station(Base):
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


class AccessLogEntry(Base):
    """Who read or changed what, when, from where: one row per API request."""

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
    query: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[int] = mapped_column(Integer)
