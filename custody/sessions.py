"""Sessions: logging in, the session a token stands for, logging out, and changing one's password.

A login proves the password (:class:`custody.passwords.Passwords`: counted, throttled and locked
before any hashing) and opens a session whose opaque token is returned once and stored only as its
SHA-256. A session ends at its expiry, at logout, or when ended otherwise (a password set or changed,
a deactivation, an administrator's revocation); every request looks the token up again, so an end holds
from the next request on.
"""

from __future__ import annotations

import secrets
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection

from custody.actors import Actor, actor_from_row
from custody.credentials import SESSION_PREFIX, Randomness, digest, looks_like, mint
from custody.db.tables import SessionRow, UserRow
from custody.db.unit_of_work import Store
from custody.errors import InvalidInput, Message, NotAuthenticated
from custody.passwords import Account, Passwords, read_account, write_password
from custody.records import ActiveSession, NewSession

_users = cast(Table, UserRow.__table__)
_sessions = cast(Table, SessionRow.__table__)

NO_SESSION_TOKEN = Message("auth.no_session_token", "no valid session token")
SESSION_NOT_LIVE = Message(
    "auth.session_not_live", "the session token is unknown, expired or revoked: log in again"
)
PASSWORD_UNCHANGED = Message("password.unchanged", "the new password must differ from the current one")
CURRENT_PASSWORD_WRONG = Message("password.current_wrong", "the current password does not match")

_BY_TOKEN = select(
    _users, _sessions.c.id.label("session_id"), _sessions.c.expires_at_us, _sessions.c.revoked_at_us
).select_from(_sessions.join(_users, _users.c.id == _sessions.c.user_id))


def end_sessions_in(conn: Connection, where: Any, reason: str, now: int) -> int:
    """End the live sessions ``where`` selects, inside the caller's transaction; return how many."""
    done = conn.execute(
        update(_sessions)
        .where(where, _sessions.c.revoked_at_us.is_(None), _sessions.c.expires_at_us > now)
        .values(revoked_at_us=now, revoked_reason=reason)
    )
    return int(done.rowcount)


def of_user(user_id: int) -> Any:
    """The sessions of one user (for :func:`end_sessions_in`)."""
    return _sessions.c.user_id == user_id


class Sessions:
    """Logins and the sessions they open, over one :class:`Store`."""

    def __init__(self, store: Store, passwords: Passwords, randomness: Randomness | None = None) -> None:
        self.store = store
        self.passwords = passwords
        self._randomness = randomness or secrets.token_bytes

    def login(self, username: str, password: str, client: str = "") -> NewSession:
        """Open a session for the right password; raise :class:`~custody.errors.LoginFailed` or
        :class:`~custody.errors.LoginThrottled`."""
        passwords = self.passwords
        attempt, account = passwords.prove(username, password, client)
        assert account.password_hash is not None  # proven
        rehashed = passwords.hash(password) if passwords.needs_rehash(account.password_hash) else None
        token = mint(SESSION_PREFIX, self._randomness)
        now = self.store.now_us()
        expires = now + passwords.policy.session_seconds * 1_000_000

        def open_session(conn: Connection) -> int:
            passwords.succeeded(conn, attempt, rehashed)
            values = {
                "token_sha256": digest(token),
                "user_id": account.id,
                "created_at_us": now,
                "expires_at_us": expires,
                "client": client[:200],
            }
            return int(conn.execute(insert(_sessions).values(**values)).inserted_primary_key[0])  # type: ignore[index]

        session_id = self.store.write(open_session)
        return NewSession(token, session_id, expires, account.actor)

    def authenticate(self, token: object) -> ActiveSession:
        """The live session of ``token``; raise :class:`~custody.errors.NotAuthenticated` for anything
        else."""
        if not looks_like(token, SESSION_PREFIX):
            raise NotAuthenticated(NO_SESSION_TOKEN)
        with self.store.reading() as conn:
            row = (
                conn.execute(_BY_TOKEN.where(_sessions.c.token_sha256 == digest(str(token))))
                .mappings()
                .first()
            )
        now = self.store.now_us()
        if (
            row is None
            or row["revoked_at_us"] is not None
            or row["expires_at_us"] <= now
            or not row["active"]
        ):
            raise NotAuthenticated(SESSION_NOT_LIVE)
        return ActiveSession(row["session_id"], row["expires_at_us"], actor_from_row(row))

    def logout(self, session_id: int) -> None:
        self.end(_sessions.c.id == session_id, "logout")

    def end(self, where: Any, reason: str) -> int:
        """End the live sessions ``where`` selects (:func:`of_user`); return how many."""
        now = self.store.now_us()
        return self.store.write(lambda conn: end_sessions_in(conn, where, reason, now))

    def change_password(self, actor: Actor, session_id: int | None, current: str, new: str) -> None:
        """A user's own change: needs the current password (counted against the account before it is
        checked, as a login); ends the user's other sessions."""
        passwords = self.passwords
        passwords.check_password(new, actor.username, "new_password")
        if new == current:
            raise InvalidInput(PASSWORD_UNCHANGED, field="new_password")
        now = self.store.now_us()

        def count(conn: Connection) -> tuple[Account | None, bool]:
            account = read_account(conn, actor.username)
            if account is None or account.password_hash is None:
                return account, False
            return account, passwords.count_against_account(conn, account, now)

        account, verify = self.store.write(count)
        if account is None or account.password_hash is None or not verify:
            if not verify:
                passwords.spend_decoy(current)
            raise InvalidInput(CURRENT_PASSWORD_WRONG, field="current_password")
        if not passwords.matches(account.password_hash, current):
            raise InvalidInput(CURRENT_PASSWORD_WRONG, field="current_password")
        hashed = passwords.hash(new)
        others = of_user(actor.id)
        if session_id is not None:
            others = others & (_sessions.c.id != session_id)

        def change(conn: Connection) -> None:  # the new password and the end of the other sessions: one
            write_password(conn, actor.id, hashed, now)
            end_sessions_in(conn, others, "password changed", now)

        self.store.write(change)
