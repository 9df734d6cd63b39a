"""Who a caller is: users' passwords, logins, sessions, lockout, and the administration of users.

A login checks the password against its argon2id hash (:mod:`custody.credentials`) and opens a session
whose opaque token is returned once and stored only as its SHA-256. A session ends at its expiry, at
logout, or when revoked (password reset, deactivation, an administrator's revocation); every request
looks the token up again, so a revocation holds from the next request on.

Guessing is held back twice. Per account: ``lock_after`` consecutive failed logins lock it for
``lock_seconds`` (an administrator may unlock it sooner); while locked even the right password fails.
Per client address: after ``throttle_failures`` failed logins within ``throttle_seconds`` further
attempts are refused outright with the time to wait, before any hashing, which also bounds the CPU and
memory an attacker can make argon2 spend. A failed login gives the same answer whether the user is
unknown, inactive, locked or the password wrong, and costs one argon2 verification in every case (a
decoy hash stands in for a missing or locked one), so logins do not tell which usernames exist.

Both counts live in the database and every attempt is counted *before* its password is hashed, in the
writer's transaction, which is serialised across processes (SQLite ``BEGIN IMMEDIATE``, the PostgreSQL
ledger lock): the address's attempt is recorded (and removed again if the password is right) and the
account's failure count raised, locking it at the ``lock_after``-th attempt. Guesses sent at once, to
one process or several, are therefore no better than guesses sent one after another: at most
``lock_after`` of them are verified against an account's hash, at most ``throttle_failures`` per
address pass in the window. The same count guards a second person's confirmation (:meth:`confirm`) and
the current password of a password change.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Table, delete, func, insert, literal, select, update
from sqlalchemy.engine import Connection

from custody import lifecycle
from custody.actors import Actor, require_role
from custody.credentials import SESSION_PREFIX, Randomness, digest, looks_like, mint, password_hasher
from custody.db.tables import CredentialRow, LoginAttemptRow, SessionRow, UserRow
from custody.errors import (
    CustodyError,
    InvalidInput,
    NotPermitted,
    TransitionRefused,
    UnknownUnit,
    UnknownUser,
)
from custody.model import Department, EventType, Role
from custody.people import actor_from_row
from custody.queries import Page, Queries, check_limit, fetch_page
from custody.records import Item
from custody.services import Custody

_users = cast(Table, UserRow.__table__)
_credentials = cast(Table, CredentialRow.__table__)
_sessions = cast(Table, SessionRow.__table__)
_attempts = cast(Table, LoginAttemptRow.__table__)

ADMINS = frozenset({Role.ADMIN})


class NotAuthenticated(CustodyError):
    """No credentials, or a session token or station key that is unknown, expired or revoked."""

    code = "unauthenticated"


class SecondPersonNotConfirmed(InvalidInput):
    """The second person of a two-person act (a receiver, a witness) did not prove who they are: wrong
    username or password, an account locked, inactive or outside the actor's scope (not told apart).
    ``field`` names the password field (``receiver_password``, ``witness_password``)."""

    code = "second-person-not-confirmed"

    def __init__(self, part: str) -> None:
        super().__init__(
            f"the {part} was not confirmed: wrong username or password, or the account is locked or "
            "inactive",
            f"{part}_password",
        )


class LoginFailed(NotAuthenticated):
    """Wrong username or password, or an inactive or locked account (deliberately not told apart).

    ``user_id`` and ``unit_code`` name the account when one exists, for the access log only.
    """

    code = "login-failed"

    def __init__(self, user_id: int | None = None, unit_code: str | None = None) -> None:
        super().__init__("wrong username or password, or the account is locked or inactive")
        self.user_id = user_id
        self.unit_code = unit_code


class LoginThrottled(CustodyError):
    """Too many failed logins from one client address: wait ``retry_after_s`` seconds."""

    code = "too-many-attempts"

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many failed logins from this address: try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class LoginPolicy:
    session_seconds: int = 8 * 3600  # a working shift
    lock_after: int = 5  # consecutive failed logins that lock an account ...
    lock_seconds: int = 15 * 60  # ... for this long
    throttle_failures: int = 10  # failed logins from one client address ...
    throttle_seconds: int = 5 * 60  # ... within this window, then refused until the window frees
    min_password_length: int = 10
    max_password_length: int = 256
    parallel_hashes: int = 2  # argon2 computations at once (each takes its memory cost)


@dataclass(frozen=True)
class NewSession:
    token: str  # handed to the client once; only its SHA-256 is kept
    session_id: int
    expires_at_us: int
    actor: Actor


@dataclass(frozen=True)
class ActiveSession:
    session_id: int
    expires_at_us: int
    actor: Actor


@dataclass(frozen=True)
class _Attempt:
    """A login counted before its password is checked: the account (if any) and whether its own hash
    may be verified (``False`` while it is locked: a decoy stands in, for the same time and cost)."""

    attempt_id: int
    account: dict[str, Any] | None
    verify: bool


def retry_after_s(oldest_us: int, window_us: int, now_us: int) -> int:
    """Whole seconds until the oldest attempt in the window leaves it (at least one)."""
    return max(1, -(-(oldest_us + window_us - now_us) // 1_000_000))


class Identity:
    """Passwords, sessions and user administration over one :class:`Custody`."""

    def __init__(
        self,
        custody: Custody,
        policy: LoginPolicy | None = None,
        hasher: PasswordHasher | None = None,
        randomness: Randomness | None = None,
    ) -> None:
        self.custody = custody
        self.policy = policy or LoginPolicy()
        self._hasher = hasher or password_hasher()
        self._randomness = randomness or secrets.token_bytes
        self._hashing = threading.BoundedSemaphore(self.policy.parallel_hashes)
        self._decoy: str | None = None
        self._queries = Queries(custody)

    # ---------------------------------------------------------------------------------- passwords

    def _hash(self, password: str) -> str:
        with self._hashing:
            return self._hasher.hash(password)

    def _matches(self, stored: str, password: str) -> bool:
        with self._hashing:
            try:
                return self._hasher.verify(stored, password)
            except (VerificationError, InvalidHashError):
                return False

    def _decoy_hash(self) -> str:
        """A hash of nothing anyone knows, verified against when there is no real one (same cost)."""
        if self._decoy is None:
            self._decoy = self._hash(mint("decoy_"))
        return self._decoy

    def check_password(self, password: object, username: str, field: str = "password") -> str:
        """Refuse a password that is too short, too long or the username itself."""
        policy = self.policy
        if not isinstance(password, str):
            raise InvalidInput(f"{field} must be text", field)
        if len(password) < policy.min_password_length:
            raise InvalidInput(f"{field} needs at least {policy.min_password_length} characters", field)
        if len(password) > policy.max_password_length:
            raise InvalidInput(f"{field} may have at most {policy.max_password_length} characters", field)
        if password.strip().casefold() == username.casefold():
            raise InvalidInput(f"{field} may not be the username", field)
        return password

    # ------------------------------------------------------------------------------------- logins

    def login(self, username: str, password: str, client: str = "") -> NewSession:
        """Open a session for the right password; raise :class:`LoginFailed` or :class:`LoginThrottled`."""
        attempt, row = self._checked(username, password, client)
        rehashed = self._hash(password) if self._hasher.check_needs_rehash(row["password_hash"]) else None
        token = mint(SESSION_PREFIX, self._randomness)
        now = self.custody.clock.now_us()
        expires = now + self.policy.session_seconds * 1_000_000

        def act(conn: Connection) -> int:
            self._succeeded(conn, attempt, rehashed)
            values = {
                "token_sha256": digest(token),
                "user_id": row["id"],
                "created_at_us": now,
                "expires_at_us": expires,
                "client": client[:200],
            }
            return int(conn.execute(insert(_sessions).values(**values)).inserted_primary_key[0])  # type: ignore[index]

        session_id = self.custody.writer.submit(act)
        return NewSession(token, session_id, expires, actor_from_row(row))

    def confirm(self, username: str, password: str, client: str = "") -> Actor:
        """Prove a second person's presence by their own password (a witness, a receiver) without
        opening a session: counted, throttled and locked exactly as a login."""
        attempt, row = self._checked(username, password, client)
        self.custody.writer.submit(lambda conn: self._succeeded(conn, attempt, None))
        return actor_from_row(row)

    def confirm_second_person(
        self, actor: Actor, username: str, password: str, part: str, client: str = ""
    ) -> Actor:
        """The second person of ``actor``'s two-person act (``part``: receiver, witness), proven by their
        own password (:meth:`confirm`: counted, throttled and locked as a login). A wrong password and a
        person outside the actor's scope are refused alike (:class:`SecondPersonNotConfirmed`), so
        naming someone tells nothing about users one may not see; the act itself then checks the
        person's role and unit."""
        try:
            person = self.confirm(username, password, client)
        except LoginFailed:
            raise SecondPersonNotConfirmed(part) from None
        if not self.custody.store.units().within(person.unit_code, actor.unit_code):
            raise SecondPersonNotConfirmed(part)
        return person

    def act(
        self,
        actor: Actor,
        evidence_no: str,
        event: EventType,
        version: int,
        payload: Mapping[str, Any],
        witness: str | None = None,
        passwords: Mapping[str, str] | None = None,
        client: str = "",
    ) -> Item:
        """An act on an item as the entry points record it: every second person it names (the
        transition's ``second_persons`` fields, and a witness) first confirms with their own password,
        ``passwords[part]`` (:meth:`confirm_second_person`); then :meth:`custody.items.Items.act`. A
        missing or wrong password refuses the act before anything is written."""
        parts = lifecycle.transition_for(event).second_persons
        named = {part: str(payload[part]) for part in parts if payload.get(part) is not None}
        if witness is not None:
            named["witness"] = witness
        given = passwords or {}
        for part in named:
            if part not in given:
                raise InvalidInput(f"the {part} confirms with their own password", f"{part}_password")
        for part, username in named.items():
            self.confirm_second_person(actor, username, given[part], part, client)
        return self.custody.items.act(actor, evidence_no, event, version, payload, witness=witness)

    def _checked(self, username: str, password: str, client: str) -> tuple[_Attempt, dict[str, Any]]:
        """Count the attempt, then verify: the account row of a right password, else a refusal.

        The attempt is committed (per address, and against the account) before any hashing, in the
        writer's transaction, which is serialised across processes (SQLite ``BEGIN IMMEDIATE``, the
        PostgreSQL ledger lock): however many guesses arrive at once, at most ``lock_after`` of them are
        verified against an account's hash and at most ``throttle_failures`` pass an address's throttle.
        """
        now = self.custody.clock.now_us()
        attempt = self.custody.writer.submit(lambda conn: self._count_attempt(conn, username, client, now))
        row = attempt.account
        if row is None or not attempt.verify:
            self._matches(self._decoy_hash(), str(password))
            raise LoginFailed() if row is None else LoginFailed(row["id"], row["unit_code"])
        if not self._matches(row["password_hash"], password):
            raise LoginFailed(row["id"], row["unit_code"])
        return attempt, row

    def _count_attempt(self, conn: Connection, username: str, client: str, now: int) -> _Attempt:
        window = self.policy.throttle_seconds * 1_000_000
        client = client[:200]
        conn.execute(delete(_attempts).where(_attempts.c.at_us <= now - window))
        recent, oldest = conn.execute(
            select(func.count(), func.min(_attempts.c.at_us)).where(_attempts.c.client == client)
        ).one()
        if recent >= self.policy.throttle_failures:
            raise LoginThrottled(retry_after_s(oldest, window, now))
        attempt_id = int(
            conn.execute(insert(_attempts).values(client=client, at_us=now)).inserted_primary_key[0]  # type: ignore[index]
        )
        row = self._account(conn, username)
        if row is None or not row["active"] or row["password_hash"] is None:
            return _Attempt(attempt_id, row, False)
        return _Attempt(attempt_id, row, self._count_against_account(conn, row, now))

    def _count_against_account(self, conn: Connection, row: dict[str, Any], now: int) -> bool:
        """Count one more attempt against the account; False when it is locked (nothing to verify).

        The attempt that reaches ``lock_after`` locks the account before it is verified; a right
        password among the counted ones clears the count and the lock again."""
        locked_until = row["locked_until_us"]
        if locked_until is not None and locked_until > now:
            return False
        failures = (0 if locked_until is not None else row["failed_logins"]) + 1
        locks = failures >= self.policy.lock_after
        conn.execute(
            update(_credentials)
            .where(_credentials.c.user_id == row["id"])
            .values(
                failed_logins=failures,
                locked_until_us=now + self.policy.lock_seconds * 1_000_000 if locks else None,
            )
        )
        return True

    def _succeeded(self, conn: Connection, attempt: _Attempt, rehashed: str | None) -> None:
        """A right password: the attempt leaves the address's count and the account's count is cleared.

        Refused if, while the password was being checked, the account was deactivated or its password
        changed (the password checked is no longer the account's)."""
        account = attempt.account
        assert account is not None
        current = self._account(conn, account["username"])
        if current is None or not current["active"] or current["password_hash"] != account["password_hash"]:
            raise LoginFailed(account["id"], account["unit_code"])
        changes: dict[str, Any] = {"failed_logins": 0, "locked_until_us": None}
        if rehashed is not None:
            changes["password_hash"] = rehashed
        where = _credentials.c.user_id == account["id"]
        conn.execute(update(_credentials).where(where).values(**changes))
        conn.execute(delete(_attempts).where(_attempts.c.id == attempt.attempt_id))

    def _account(self, conn: Connection, username: str) -> dict[str, Any] | None:
        query = (
            select(
                _users,
                _credentials.c.password_hash,
                _credentials.c.failed_logins,
                _credentials.c.locked_until_us,
            )
            .select_from(_users.outerjoin(_credentials, _credentials.c.user_id == _users.c.id))
            .where(_users.c.username == username)
        )
        row = conn.execute(query).mappings().first()
        return None if row is None else dict(row)

    def authenticate(self, token: object) -> ActiveSession:
        """The live session of ``token``; raise :class:`NotAuthenticated` for anything else."""
        if not looks_like(token, SESSION_PREFIX):
            raise NotAuthenticated("no valid session token")
        query = (
            select(
                _users,
                _sessions.c.id.label("session_id"),
                _sessions.c.expires_at_us,
                _sessions.c.revoked_at_us,
            )
            .select_from(_sessions.join(_users, _users.c.id == _sessions.c.user_id))
            .where(_sessions.c.token_sha256 == digest(str(token)))
        )
        with self.custody.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        now = self.custody.clock.now_us()
        if (
            row is None
            or row["revoked_at_us"] is not None
            or row["expires_at_us"] <= now
            or not row["active"]
        ):
            raise NotAuthenticated("the session token is unknown, expired or revoked: log in again")
        return ActiveSession(row["session_id"], row["expires_at_us"], actor_from_row(row))

    def logout(self, session_id: int) -> None:
        self._end_sessions(_sessions.c.id == session_id, "logout")

    def _end_sessions(self, where: Any, reason: str) -> int:
        now = self.custody.clock.now_us()
        return self.custody.writer.submit(lambda conn: self._end_sessions_in(conn, where, reason, now))

    @staticmethod
    def _end_sessions_in(conn: Connection, where: Any, reason: str, now: int) -> int:
        done = conn.execute(
            update(_sessions)
            .where(where, _sessions.c.revoked_at_us.is_(None), _sessions.c.expires_at_us > now)
            .values(revoked_at_us=now, revoked_reason=reason)
        )
        return int(done.rowcount)

    def change_password(self, actor: Actor, session_id: int | None, current: str, new: str) -> None:
        """A user's own change: needs the current password (counted against the account before it is
        checked, as a login); ends the user's other sessions."""
        self.check_password(new, actor.username, "new_password")
        if new == current:
            raise InvalidInput("the new password must differ from the current one", "new_password")
        now = self.custody.clock.now_us()

        def count(conn: Connection) -> tuple[dict[str, Any] | None, bool]:
            row = self._account(conn, actor.username)
            if row is None or row["password_hash"] is None:
                return row, False
            return row, self._count_against_account(conn, row, now)

        row, verify = self.custody.writer.submit(count)
        if row is None or not verify or not self._matches(row["password_hash"], current):
            if not verify:
                self._matches(self._decoy_hash(), str(current))
            raise InvalidInput("the current password does not match", "current_password")
        hashed = self._hash(new)
        others = _sessions.c.user_id == actor.id
        if session_id is not None:
            others = others & (_sessions.c.id != session_id)

        def act(conn: Connection) -> None:  # the new password and the end of the other sessions: one act
            self._write_password(conn, actor.id, hashed, now)
            self._end_sessions_in(conn, others, "password changed", now)

        self.custody.writer.submit(act)

    # ---------------------------------------------------------------------------- administration

    def _in_scope(self, viewer: Actor, username: str) -> dict[str, Any]:
        """The user row if ``viewer``'s unit covers the user's; otherwise unknown, like a missing one."""
        with self.custody.engine.connect() as conn:
            row = self._account(conn, username)
        if row is None or not self.custody.store.units().within(row["unit_code"], viewer.unit_code):
            raise UnknownUser(f"unknown user {username}")
        return row

    def user(self, viewer: Actor, username: str) -> dict[str, Any]:
        """A user as an administrator sees it (never the hash): roles, active, lock state."""
        return self.view(self._in_scope(viewer, username))

    def view(self, row: dict[str, Any]) -> dict[str, Any]:
        locked_until = row.get("locked_until_us")
        if locked_until is not None and locked_until <= self.custody.clock.now_us():
            locked_until = None
        return {
            "id": row["id"],
            "username": row["username"],
            "full_name": row["full_name"],
            "unit_code": row["unit_code"],
            "department": row["department"],
            "roles": sorted(r for r in row["roles"].split(",") if r),
            "active": bool(row["active"]),
            "has_password": row.get("password_hash") is not None,
            "locked_until_us": locked_until,
            "created_at_us": row["created_at_us"],
        }

    def create_user(
        self,
        admin: Actor,
        username: str,
        full_name: str,
        unit_code: str,
        department: Department,
        roles: Iterable[Role],
        password: str | None,
    ) -> dict[str, Any]:
        """Add a user, with a first password or none yet, in the administrator's unit or a unit below
        it: the user and the password are one transaction."""
        require_role(admin, ADMINS, "add users")
        tree = self.custody.store.units()
        if unit_code not in tree:
            raise UnknownUnit(f"unknown unit {unit_code}")
        if not tree.within(unit_code, admin.unit_code):
            raise NotPermitted(f"{admin.username} may not add users to unit {unit_code}")
        hashed = None if password is None else self._hash(self.check_password(password, str(username)))
        now = self.custody.clock.now_us()

        def act(conn: Connection) -> dict[str, Any]:
            added = self.custody.people.add_user_in(conn, username, full_name, unit_code, department, roles)
            if hashed is not None:
                self._write_password(conn, added.id, hashed, now)
            row = self._account(conn, added.username)
            assert row is not None  # added just now, in this transaction
            return self.view(row)

        # The act's result is the new user's view, read in its own transaction (an Idempotency-Key
        # recorded with the act keeps exactly this answer).
        return self.custody.writer.submit(act)

    def create_first_admin(
        self, username: str, full_name: str, unit_code: str, department: Department, password: str
    ) -> dict[str, Any]:
        """The first administrator of an empty database, with a password, in one transaction that is
        refused if any other user exists by then (two set-ups racing: one wins)."""
        hashed = self._hash(self.check_password(password, str(username)))
        now = self.custody.clock.now_us()

        def with_password(conn: Connection, added: Actor) -> None:
            if conn.execute(select(func.count()).select_from(_users)).scalar_one() != 1:
                raise NotPermitted("users exist already: an administrator adds the next ones")
            self._write_password(conn, added.id, hashed, now)

        added = self.custody.people.add_user(
            username, full_name, unit_code, department, ADMINS, with_password
        )
        return self.user(added, added.username)

    def set_password(self, admin: Actor, username: str, password: str) -> None:
        """An administrator sets a new password: clears any lockout and ends the user's sessions."""
        require_role(admin, ADMINS, "set passwords")
        row = self._in_scope(admin, username)
        hashed = self._hash(self.check_password(password, row["username"]))
        now = self.custody.clock.now_us()

        def act(conn: Connection) -> None:
            self._write_password(conn, row["id"], hashed, now)
            where = _sessions.c.user_id == row["id"]
            self._end_sessions_in(conn, where, "password set by an administrator", now)

        self.custody.writer.submit(act)

    @staticmethod
    def _write_password(conn: Connection, user_id: int, hashed: str, now: int) -> None:
        values = {"password_hash": hashed, "changed_at_us": now, "failed_logins": 0, "locked_until_us": None}
        where = _credentials.c.user_id == user_id
        if conn.execute(select(_credentials.c.user_id).where(where)).first() is None:
            conn.execute(insert(_credentials).values(user_id=user_id, **values))
        else:
            conn.execute(update(_credentials).where(where).values(**values))

    def unlock(self, admin: Actor, username: str) -> dict[str, Any]:
        require_role(admin, ADMINS, "unlock accounts")
        row = self._in_scope(admin, username)

        def act(conn: Connection) -> None:
            conn.execute(
                update(_credentials)
                .where(_credentials.c.user_id == row["id"])
                .values(failed_logins=0, locked_until_us=None)
            )

        self.custody.writer.submit(act)
        return self.user(admin, username)

    def set_active(self, admin: Actor, username: str, active: bool) -> dict[str, Any]:
        """Activate or deactivate an account; deactivation ends its sessions in the same transaction."""
        require_role(admin, ADMINS, "activate or deactivate users")
        row = self._in_scope(admin, username)
        if not active and row["id"] == admin.id:
            raise TransitionRefused("an administrator cannot deactivate their own account")
        now = self.custody.clock.now_us()

        def act(conn: Connection) -> None:
            conn.execute(update(_users).where(_users.c.id == row["id"]).values(active=active))
            if not active:
                self._end_sessions_in(conn, _sessions.c.user_id == row["id"], "account deactivated", now)

        self.custody.writer.submit(act)
        return self.user(admin, username)

    def revoke_sessions(self, admin: Actor, username: str) -> int:
        """End every live session of a user; return how many were ended."""
        require_role(admin, ADMINS, "revoke sessions")
        row = self._in_scope(admin, username)
        return self._end_sessions(_sessions.c.user_id == row["id"], "revoked by an administrator")

    def users(
        self,
        viewer: Actor,
        unit_code: str | None = None,
        role: Role | None = None,
        active: bool | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page:
        """Users of the viewer's unit and below (or of ``unit_code`` and below), oldest first."""
        check_limit(limit)
        query = select(_users, _credentials.c.password_hash, _credentials.c.locked_until_us).select_from(
            _users.outerjoin(_credentials, _credentials.c.user_id == _users.c.id)
        )
        units = self._queries.scope(viewer, unit_code)
        if units is not None:
            query = query.where(_users.c.unit_code.in_(sorted(units)))
        if role is not None:
            query = query.where(
                (literal(",") + _users.c.roles + literal(",")).contains(f",{Role(role).value},")
            )
        if active is not None:
            query = query.where(_users.c.active.is_(active))
        return fetch_page(
            self.custody.engine, query, _users.c.id, cursor, limit, self.view, newest_first=False
        )
