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
decoy hash stands in for a missing one), so logins do not tell which usernames exist. The failure count
of a real account is committed before the answer, so a lockout never lags behind the attempts.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Table, insert, literal, select, update
from sqlalchemy.engine import Connection

from custody.actors import Actor, require_role
from custody.credentials import SESSION_PREFIX, Randomness, digest, looks_like, mint, password_hasher
from custody.db.tables import Credential, User, UserSession
from custody.errors import (
    CustodyError,
    InvalidInput,
    NotPermitted,
    TransitionRefused,
    UnknownUnit,
    UnknownUser,
)
from custody.model import Department, Role
from custody.queries import Page, Queries, check_limit, fetch_page
from custody.services import Custody, actor_from_row

_users = cast(Table, User.__table__)
_credentials = cast(Table, Credential.__table__)
_sessions = cast(Table, UserSession.__table__)

ADMINS = frozenset({Role.ADMIN})


class NotAuthenticated(CustodyError):
    """No credentials, or a session token or station key that is unknown, expired or revoked."""

    code = "unauthenticated"


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


class LoginThrottle:
    """Failed logins per client address in a sliding window, in this process's memory."""

    MAX_TRACKED = 100_000

    def __init__(self, limit: int, window_us: int) -> None:
        self._limit = limit
        self._window_us = window_us
        self._failures: dict[str, deque[int]] = {}
        self._lock = threading.Lock()

    def check(self, client: str, now_us: int) -> None:
        with self._lock:
            recent = self._recent(client, now_us)
            if recent is not None and len(recent) >= self._limit:
                wait_us = recent[0] + self._window_us - now_us
                raise LoginThrottled(max(1, -(-wait_us // 1_000_000)))

    def failed(self, client: str, now_us: int) -> None:
        with self._lock:
            if len(self._failures) >= self.MAX_TRACKED:
                self._forget_stale(now_us)
            recent = self._recent(client, now_us)
            if recent is None:
                recent = self._failures[client] = deque()
            recent.append(now_us)

    def _recent(self, client: str, now_us: int) -> deque[int] | None:
        recent = self._failures.get(client)
        if recent is not None:
            while recent and recent[0] <= now_us - self._window_us:
                recent.popleft()
        return recent

    def _forget_stale(self, now_us: int) -> None:
        for client in list(self._failures):
            recent = self._recent(client, now_us)
            if not recent:
                del self._failures[client]


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
        self._throttle = LoginThrottle(
            self.policy.throttle_failures, self.policy.throttle_seconds * 1_000_000
        )
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
        now = self.custody.clock.now_us()
        self._throttle.check(client, now)
        with self.custody.engine.connect() as conn:
            row = self._account(conn, username)
        if row is None or not row["active"] or row["password_hash"] is None:
            self._matches(self._decoy_hash(), str(password))
            self._throttle.failed(client, now)
            raise LoginFailed() if row is None else LoginFailed(row["id"], row["unit_code"])
        locked = row["locked_until_us"] is not None and row["locked_until_us"] > now
        if not self._matches(row["password_hash"], password) or locked:
            self._throttle.failed(client, now)
            if not locked:
                self._record_failure(row["id"], now)
            raise LoginFailed(row["id"], row["unit_code"])
        rehashed = self._hash(password) if self._hasher.check_needs_rehash(row["password_hash"]) else None
        token = mint(SESSION_PREFIX, self._randomness)
        expires = now + self.policy.session_seconds * 1_000_000

        def act(conn: Connection) -> int:
            changes: dict[str, Any] = {"failed_logins": 0, "locked_until_us": None}
            if rehashed is not None:
                changes["password_hash"] = rehashed
            conn.execute(update(_credentials).where(_credentials.c.user_id == row["id"]).values(**changes))
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

    def _record_failure(self, user_id: int, now: int) -> None:
        lock_after, lock_us = self.policy.lock_after, self.policy.lock_seconds * 1_000_000

        def act(conn: Connection) -> None:
            where = _credentials.c.user_id == user_id
            failures = conn.execute(select(_credentials.c.failed_logins).where(where)).scalar_one() + 1
            if failures >= lock_after:
                conn.execute(
                    update(_credentials).where(where).values(failed_logins=0, locked_until_us=now + lock_us)
                )
            else:
                conn.execute(update(_credentials).where(where).values(failed_logins=failures))

        self.custody.writer.submit(act)

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

        def act(conn: Connection) -> int:
            done = conn.execute(
                update(_sessions)
                .where(where, _sessions.c.revoked_at_us.is_(None), _sessions.c.expires_at_us > now)
                .values(revoked_at_us=now, revoked_reason=reason)
            )
            return int(done.rowcount)

        return self.custody.writer.submit(act)

    def change_password(self, actor: Actor, session_id: int | None, current: str, new: str) -> None:
        """A user's own change: needs the current password; ends the user's other sessions."""
        with self.custody.engine.connect() as conn:
            row = self._account(conn, actor.username)
        if row is None or row["password_hash"] is None or not self._matches(row["password_hash"], current):
            if row is not None and row["password_hash"] is not None:
                self._record_failure(row["id"], self.custody.clock.now_us())
            raise InvalidInput("the current password does not match", "current_password")
        self.check_password(new, actor.username, "new_password")
        if new == current:
            raise InvalidInput("the new password must differ from the current one", "new_password")
        self._store_password(actor.id, self._hash(new))
        others = _sessions.c.user_id == actor.id
        if session_id is not None:
            others = others & (_sessions.c.id != session_id)
        self._end_sessions(others, "password changed")

    # ---------------------------------------------------------------------------- administration

    def _in_scope(self, viewer: Actor, username: str) -> dict[str, Any]:
        """The user row if ``viewer``'s unit covers the user's; otherwise unknown, like a missing one."""
        with self.custody.engine.connect() as conn:
            row = self._account(conn, username)
        if row is None or not self.custody.units().within(row["unit_code"], viewer.unit_code):
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
        password: str,
    ) -> dict[str, Any]:
        """Add a user with a first password, in the administrator's unit or a unit below it."""
        require_role(admin, ADMINS, "add users")
        tree = self.custody.units()
        if unit_code not in tree:
            raise UnknownUnit(f"unknown unit {unit_code}")
        if not tree.within(unit_code, admin.unit_code):
            raise NotPermitted(f"{admin.username} may not add users to unit {unit_code}")
        hashed = self._hash(self.check_password(password, str(username)))
        added = self.custody.add_user(username, full_name, unit_code, department, roles)
        self._store_password(added.id, hashed)
        return self.user(admin, added.username)

    def set_password(self, admin: Actor, username: str, password: str) -> None:
        """An administrator sets a new password: clears any lockout and ends the user's sessions."""
        require_role(admin, ADMINS, "set passwords")
        row = self._in_scope(admin, username)
        self._store_password(row["id"], self._hash(self.check_password(password, row["username"])))
        self._end_sessions(_sessions.c.user_id == row["id"], "password set by an administrator")

    def _store_password(self, user_id: int, hashed: str) -> None:
        now = self.custody.clock.now_us()
        values = {"password_hash": hashed, "changed_at_us": now, "failed_logins": 0, "locked_until_us": None}

        def act(conn: Connection) -> None:
            where = _credentials.c.user_id == user_id
            if conn.execute(select(_credentials.c.user_id).where(where)).first() is None:
                conn.execute(insert(_credentials).values(user_id=user_id, **values))
            else:
                conn.execute(update(_credentials).where(where).values(**values))

        self.custody.writer.submit(act)

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
        """Activate or deactivate an account; deactivation ends its sessions at once."""
        require_role(admin, ADMINS, "activate or deactivate users")
        row = self._in_scope(admin, username)
        if not active and row["id"] == admin.id:
            raise TransitionRefused("an administrator cannot deactivate their own account")

        def act(conn: Connection) -> None:
            conn.execute(update(_users).where(_users.c.id == row["id"]).values(active=active))

        self.custody.writer.submit(act)
        if not active:
            self._end_sessions(_sessions.c.user_id == row["id"], "account deactivated")
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
