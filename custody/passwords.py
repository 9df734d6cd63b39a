"""Passwords: their policy, their argon2id hashes, and proving one, counted against guessing.

A password is kept only as its argon2id hash (:mod:`custody.credentials`). Proving one (a login, a
second person's confirmation, the current password of a change) is held back twice. Per account:
``lock_after`` consecutive failures lock it for ``lock_seconds`` (an administrator may unlock it
sooner); while locked even the right password fails. Per client address: after ``throttle_failures``
failures within ``throttle_seconds`` further attempts are refused outright with the time to wait,
before any hashing, which also bounds the CPU and memory an attacker can make argon2 spend. A failure
gives the same answer whether the user is unknown, inactive, locked or the password wrong, and costs
one argon2 verification in every case (a decoy hash stands in for a missing or locked one), so the
answers do not tell which usernames exist.

Both counts live in the database and every attempt is counted *before* its password is hashed, in a
write transaction, which is serialised across processes (SQLite ``BEGIN IMMEDIATE``, the PostgreSQL
ledger lock): the address's attempt is recorded (and removed again if the password is right) and the
account's failure count raised, locking it at the ``lock_after``-th attempt. Guesses sent at once, to
one process or several, are therefore no better than guesses sent one after another: at most
``lock_after`` of them are verified against an account's hash, at most ``throttle_failures`` per
address pass in the window.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from custody import lifecycle
from custody.actors import Actor
from custody.credentials import mint, password_hasher
from custody.db.tables import CredentialRow, LoginAttemptRow, UserRow
from custody.db.unit_of_work import Store
from custody.errors import InvalidInput, LoginFailed, LoginThrottled, Message, SecondPersonNotConfirmed
from custody.model import Department, EventType, Role
from custody.records import User

_users = cast(Table, UserRow.__table__)
_credentials = cast(Table, CredentialRow.__table__)
_attempts = cast(Table, LoginAttemptRow.__table__)

# ``name``: the field the password was given in (password, new_password, ...)
PASSWORD_NOT_TEXT = Message("password.not_text", "{name} must be text")
PASSWORD_TOO_SHORT = Message("password.too_short", "{name} needs at least {min_length} characters")
PASSWORD_TOO_LONG = Message("password.too_long", "{name} may have at most {max_length} characters")
PASSWORD_IS_USERNAME = Message("password.is_username", "{name} may not be the username")
SECOND_PERSON_PASSWORD_MISSING = Message(
    "auth.second_person_password_missing", "the {part} confirms with their own password"
)


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
class Account:
    """A user's row with its password's state, as proving a password and administration read it."""

    id: int
    username: str
    full_name: str
    unit_code: str
    department: str
    roles: str  # comma-separated, as stored
    active: bool
    created_at_us: int
    password_hash: str | None
    failed_logins: int
    locked_until_us: int | None

    @property
    def actor(self) -> Actor:
        department = Department(self.department)
        return Actor(
            self.id, self.username, self.full_name, self.unit_code, department, frozenset(self.sorted_roles)
        )

    @property
    def sorted_roles(self) -> tuple[Role, ...]:
        return tuple(sorted(Role(r) for r in self.roles.split(",") if r))

    def user(self, now_us: int) -> User:
        """The account as an administrator sees it (a lock that ran out is no lock)."""
        locked_until = self.locked_until_us
        if locked_until is not None and locked_until <= now_us:
            locked_until = None
        return User(
            id=self.id,
            username=self.username,
            full_name=self.full_name,
            unit_code=self.unit_code,
            department=Department(self.department),
            roles=self.sorted_roles,
            active=bool(self.active),
            has_password=self.password_hash is not None,
            locked_until_us=locked_until,
            created_at_us=self.created_at_us,
        )


ACCOUNTS = select(
    _users, _credentials.c.password_hash, _credentials.c.failed_logins, _credentials.c.locked_until_us
).select_from(_users.outerjoin(_credentials, _credentials.c.user_id == _users.c.id))


def account_of(row: Mapping[Any, Any]) -> Account:
    return Account(
        id=row["id"],
        username=row["username"],
        full_name=row["full_name"],
        unit_code=row["unit_code"],
        department=row["department"],
        roles=row["roles"],
        active=bool(row["active"]),
        created_at_us=row["created_at_us"],
        password_hash=row["password_hash"],
        failed_logins=row["failed_logins"] or 0,
        locked_until_us=row["locked_until_us"],
    )


def read_account(conn: Connection, username: str) -> Account | None:
    row = conn.execute(ACCOUNTS.where(_users.c.username == username)).mappings().first()
    return None if row is None else account_of(row)


def write_password(conn: Connection, user_id: int, hashed: str, now: int) -> None:
    """Set a user's password hash (clearing any lockout), inside the caller's transaction."""
    values = {"password_hash": hashed, "changed_at_us": now, "failed_logins": 0, "locked_until_us": None}
    where = _credentials.c.user_id == user_id
    if conn.execute(select(_credentials.c.user_id).where(where)).first() is None:
        conn.execute(insert(_credentials).values(user_id=user_id, **values))
    else:
        conn.execute(update(_credentials).where(where).values(**values))


@dataclass(frozen=True)
class Attempt:
    """A password attempt counted before its password is checked: the account (if any) and whether its
    own hash may be verified (``False`` while it is locked: a decoy stands in, for the same time and
    cost)."""

    attempt_id: int
    account: Account | None
    verify: bool


def retry_after_s(oldest_us: int, window_us: int, now_us: int) -> int:
    """Whole seconds until the oldest attempt in the window leaves it (at least one)."""
    return max(1, -(-(oldest_us + window_us - now_us) // 1_000_000))


class Passwords:
    """The password policy, hashing, and proving a password (counted, throttled, locked)."""

    def __init__(self, store: Store, policy: LoginPolicy | None = None, hasher: PasswordHasher | None = None):
        self.store = store
        self.policy = policy or LoginPolicy()
        self._hasher = hasher or password_hasher()
        self._hashing = threading.BoundedSemaphore(self.policy.parallel_hashes)
        self._decoy: str | None = None

    # ------------------------------------------------------------------------------------ hashing

    def hash(self, password: str) -> str:
        with self._hashing:
            return self._hasher.hash(password)

    def matches(self, stored: str, password: str) -> bool:
        with self._hashing:
            try:
                return self._hasher.verify(stored, password)
            except (VerificationError, InvalidHashError):
                return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)

    def spend_decoy(self, password: object) -> None:
        """Verify against a hash of nothing anyone knows, where there is no real one (same cost)."""
        if self._decoy is None:
            self._decoy = self.hash(mint("decoy_"))
        self.matches(self._decoy, str(password))

    def check_password(self, password: object, username: str, field: str = "password") -> str:
        """Refuse a password that is too short, too long or the username itself."""
        policy = self.policy
        if not isinstance(password, str):
            raise InvalidInput(PASSWORD_NOT_TEXT, field=field, name=field)
        if len(password) < policy.min_password_length:
            raise InvalidInput(
                PASSWORD_TOO_SHORT, field=field, name=field, min_length=policy.min_password_length
            )
        if len(password) > policy.max_password_length:
            raise InvalidInput(
                PASSWORD_TOO_LONG, field=field, name=field, max_length=policy.max_password_length
            )
        if password.strip().casefold() == username.casefold():
            raise InvalidInput(PASSWORD_IS_USERNAME, field=field, name=field)
        return password

    # --------------------------------------------------------------------------- proving one

    def prove(self, username: str, password: str, client: str) -> tuple[Attempt, Account]:
        """Count the attempt, then verify: the account of a right password, else :class:`LoginFailed`
        (or :class:`LoginThrottled`, before any hashing). The caller clears the attempt
        (:meth:`succeeded`) in the transaction that acts on it.

        The attempt is committed (per address, and against the account) before any hashing, in a
        write transaction, serialised across processes: however many guesses arrive at once, at most
        ``lock_after`` of them are verified against an account's hash and at most
        ``throttle_failures`` pass an address's throttle.
        """
        now = self.store.now_us()
        attempt = self.store.write(lambda conn: self._count_attempt(conn, username, client, now))
        account = attempt.account
        if account is None or not attempt.verify or account.password_hash is None:
            self.spend_decoy(password)
            raise LoginFailed() if account is None else LoginFailed(account.id, account.unit_code)
        if not self.matches(account.password_hash, password):
            raise LoginFailed(account.id, account.unit_code)
        return attempt, account

    def _count_attempt(self, conn: Connection, username: str, client: str, now: int) -> Attempt:
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
        account = read_account(conn, username)
        if account is None or not account.active or account.password_hash is None:
            return Attempt(attempt_id, account, False)
        return Attempt(attempt_id, account, self.count_against_account(conn, account, now))

    def count_against_account(self, conn: Connection, account: Account, now: int) -> bool:
        """Count one more attempt against the account; False when it is locked (nothing to verify).

        The attempt that reaches ``lock_after`` locks the account before it is verified; a right
        password among the counted ones clears the count and the lock again."""
        locked_until = account.locked_until_us
        if locked_until is not None and locked_until > now:
            return False
        failures = (0 if locked_until is not None else account.failed_logins) + 1
        locks = failures >= self.policy.lock_after
        conn.execute(
            update(_credentials)
            .where(_credentials.c.user_id == account.id)
            .values(
                failed_logins=failures,
                locked_until_us=now + self.policy.lock_seconds * 1_000_000 if locks else None,
            )
        )
        return True

    @staticmethod
    def succeeded(conn: Connection, attempt: Attempt, rehashed: str | None) -> None:
        """A right password: the attempt leaves the address's count and the account's count is cleared.

        Refused if, while the password was being checked, the account was deactivated or its password
        changed (the password checked is no longer the account's)."""
        account = attempt.account
        assert account is not None
        current = read_account(conn, account.username)
        if current is None or not current.active or current.password_hash != account.password_hash:
            raise LoginFailed(account.id, account.unit_code)
        changes: dict[str, Any] = {"failed_logins": 0, "locked_until_us": None}
        if rehashed is not None:
            changes["password_hash"] = rehashed
        where = _credentials.c.user_id == account.id
        conn.execute(update(_credentials).where(where).values(**changes))
        conn.execute(delete(_attempts).where(_attempts.c.id == attempt.attempt_id))

    # --------------------------------------------------------------------------- confirmations

    def confirm(self, username: str, password: str, client: str = "") -> Actor:
        """Prove a person's presence by their own password (a witness, a receiver, a command's acting
        user) without opening a session: counted, throttled and locked exactly as a login."""
        attempt, account = self.prove(username, password, client)
        self.store.write(lambda conn: self.succeeded(conn, attempt, None))
        return account.actor

    def confirm_second_person(
        self, actor: Actor, username: str, password: str, part: str, client: str = ""
    ) -> Actor:
        """The second person of ``actor``'s two-person act (``part``: receiver, witness), proven by their
        own password (:meth:`confirm`). A wrong password and a person outside the actor's scope are
        refused alike (:class:`SecondPersonNotConfirmed`), so naming someone tells nothing about users
        one may not see; the act itself then checks the person's role and unit."""
        try:
            person = self.confirm(username, password, client)
        except LoginFailed:
            raise SecondPersonNotConfirmed(part) from None
        if not self.store.sees(actor, person.unit_code):
            raise SecondPersonNotConfirmed(part)
        return person

    def confirm_second_persons(
        self,
        actor: Actor,
        event: EventType,
        payload: Mapping[str, Any],
        witness: str | None = None,
        passwords: Mapping[str, str] | None = None,
        client: str = "",
    ) -> None:
        """Every second person an act names (the transition's ``second_persons`` fields, and a witness)
        confirms with their own password, ``passwords[part]`` (:meth:`confirm_second_person`); a
        missing or wrong one refuses the act before anything of it is written."""
        parts = lifecycle.transition_for(event).second_persons
        named = {part: str(payload[part]) for part in parts if payload.get(part) is not None}
        if witness is not None:
            named["witness"] = witness
        given = passwords or {}
        for part in named:
            if part not in given:
                raise InvalidInput(SECOND_PERSON_PASSWORD_MISSING, field=f"{part}_password", part=part)
        for part, username in named.items():
            self.confirm_second_person(actor, username, given[part], part, client)
