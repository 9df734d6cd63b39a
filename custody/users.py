"""Users: adding them, their passwords as an administrator sets them, locks, activity, sessions.

Administrators manage the users of their unit and the units below it; a user outside an
administrator's scope is unknown to them, exactly like a missing one. Every change is one transaction:
a user and their first password, a new password and the end of the user's sessions, a deactivation and
the end of its sessions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

from sqlalchemy import Table, func, insert, literal, select, update
from sqlalchemy.engine import Connection

from custody.actors import PROVINCE_CODE, Actor, actor_from_row, require_role
from custody.db.lookups import active_user
from custody.db.pages import Page, check_limit, fetch_page
from custody.db.tables import CredentialRow, UnitRow, UserRow
from custody.db.unit_of_work import UNKNOWN_UNIT, Also, Store
from custody.errors import (
    InvalidInput,
    Message,
    NotPermitted,
    TransitionRefused,
    UnknownUnit,
    UnknownUser,
    UsernameUnavailable,
)
from custody.intake import clean_text
from custody.model import Department, Role
from custody.passwords import ACCOUNTS, Account, Passwords, account_of, read_account, write_password
from custody.records import User
from custody.sessions import end_sessions_in, of_user

_users = cast(Table, UserRow.__table__)
_units = cast(Table, UnitRow.__table__)
_credentials = cast(Table, CredentialRow.__table__)

ADMINS = frozenset({Role.ADMIN})

NO_ROLE = Message("user.no_role", "a user needs at least one role")
UNKNOWN_USER = Message("user.unknown", "unknown user {username}")
UNKNOWN_OR_INACTIVE = Message("user.unknown_or_inactive", "unknown or inactive user {username!r}")
USERS_EXIST = Message("user.users_exist", "users exist already: an administrator adds the next ones")
DESTRUCTION_OFFICER_PROVINCIAL = Message(
    "user.destruction_officer_provincial",
    "a destruction officer (省厅治安总队) is a user of the province ({province}) in its provincial "
    "public-order department ({department}): not of unit {unit_code}, department {given}",
)
DEACTIVATES_SELF = Message("user.deactivates_self", "an administrator cannot deactivate their own account")


class Users:
    """The users of one :class:`Store` and their administration."""

    def __init__(self, store: Store, passwords: Passwords) -> None:
        self.store = store
        self.passwords = passwords

    # ------------------------------------------------------------------------------- adding users

    def add(
        self,
        username: str,
        full_name: str,
        unit_code: str,
        department: Department,
        roles: Iterable[Role],
        then: Callable[[Connection, Actor], object] | None = None,
    ) -> Actor:
        """Add a user as the system (setting up, the demo); ``then`` runs in the same transaction."""
        return self.store.write(
            lambda conn: self.add_in(conn, username, full_name, unit_code, department, roles, then)
        )

    def add_in(
        self,
        conn: Connection,
        username: str,
        full_name: str,
        unit_code: str,
        department: Department,
        roles: Iterable[Role],
        then: Callable[[Connection, Actor], object] | None = None,
    ) -> Actor:
        """:meth:`add` inside a transaction the caller holds (a write)."""
        name = clean_text(username, "username", required=True)
        role_set = sorted({Role(r).value for r in roles})
        if not role_set:
            raise InvalidInput(NO_ROLE, field="roles")
        if conn.execute(select(_units.c.code).where(_units.c.code == unit_code)).first() is None:
            raise UnknownUnit(UNKNOWN_UNIT, unit_code=unit_code)
        _require_provincial_destruction_officer(unit_code, Department(department), role_set)
        if conn.execute(select(_users.c.id).where(_users.c.username == name)).first():
            raise UsernameUnavailable(str(name))
        values = {
            "username": name,
            "full_name": clean_text(full_name, "full_name", required=True),
            "unit_code": unit_code,
            "department": Department(department).value,
            "roles": ",".join(role_set),
            "active": True,
            "created_at_us": self.store.now_us(),
        }
        new_id = conn.execute(insert(_users).values(**values)).inserted_primary_key[0]  # type: ignore[index]
        added = actor_from_row({"id": new_id, **values})
        if then is not None:
            then(conn, added)
        return added

    def actor(self, username: str) -> Actor:
        """The active user of this name as an actor (the system's own lookup: no viewer, no scope)."""
        with self.store.reading() as conn:
            found = active_user(conn, username)
        if found is None:
            raise UnknownUser(UNKNOWN_OR_INACTIVE, username=username)
        return found

    def count(self) -> int:
        with self.store.reading() as conn:
            return int(conn.execute(select(func.count()).select_from(_users)).scalar_one())

    def create(
        self,
        admin: Actor,
        username: str,
        full_name: str,
        unit_code: str,
        department: Department,
        roles: Iterable[Role],
        password: str | None,
        also: Also | None = None,
    ) -> User:
        """Add a user, with a first password or none yet, in the administrator's unit or a unit below
        it: the user and the password are one transaction (``also``: the entry point's own record of it,
        in the same transaction)."""
        require_role(admin, ADMINS, "add users")
        self.store.require_unit(admin, unit_code, "add users to unit")
        hashed = None if password is None else self._hashed(password, str(username))
        now = self.store.now_us()

        def create(conn: Connection) -> User:
            added = self.add_in(conn, username, full_name, unit_code, department, roles)
            if hashed is not None:
                write_password(conn, added.id, hashed, now)
            account = read_account(conn, added.username)
            assert account is not None  # added just now, in this transaction
            return account.user(now)

        # The result is the new user as read in its own transaction (an Idempotency-Key recorded with
        # the write keeps exactly this answer).
        return self.store.write(create, also=also)

    def create_first_admin(
        self, username: str, full_name: str, unit_code: str, department: Department, password: str
    ) -> User:
        """The first administrator of an empty database, with a password, in one transaction that is
        refused if any other user exists by then (two set-ups racing: one wins)."""
        hashed = self._hashed(password, str(username))
        now = self.store.now_us()

        def with_password(conn: Connection, added: Actor) -> None:
            if conn.execute(select(func.count()).select_from(_users)).scalar_one() != 1:
                raise NotPermitted(USERS_EXIST)
            write_password(conn, added.id, hashed, now)

        added = self.add(username, full_name, unit_code, department, ADMINS, with_password)
        return self.get(added, added.username)

    def _hashed(self, password: str, username: str) -> str:
        return self.passwords.hash(self.passwords.check_password(password, username))

    # ------------------------------------------------------------------------------ reading users

    def _in_scope(self, viewer: Actor, username: str) -> Account:
        """The account if ``viewer``'s unit covers the user's; otherwise unknown, like a missing one."""
        with self.store.reading() as conn:
            account = read_account(conn, username)
            if account is None or not self.store.sees(viewer, account.unit_code, conn):
                raise UnknownUser(UNKNOWN_USER, username=username)
        return account

    def get(self, viewer: Actor, username: str) -> User:
        """A user as an administrator sees it (never the hash): roles, active, lock state."""
        return self._in_scope(viewer, username).user(self.store.now_us())

    def list(
        self,
        viewer: Actor,
        unit_code: str | None = None,
        role: Role | None = None,
        active: bool | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[User]:
        """Users of the viewer's unit and below (or of ``unit_code`` and below), oldest first."""
        check_limit(limit)
        query = ACCOUNTS
        with self.store.reading() as conn:
            units = self._scope(viewer, unit_code, conn)
            if units is not None:
                query = query.where(_users.c.unit_code.in_(sorted(units)))
            if role is not None:
                query = query.where(
                    (literal(",") + _users.c.roles + literal(",")).contains(f",{Role(role).value},")
                )
            if active is not None:
                query = query.where(_users.c.active.is_(active))
            now = self.store.now_us()
            return fetch_page(conn, query, _users.c.id, cursor, limit, self._user(now), newest_first=False)

    @staticmethod
    def _user(now: int) -> Callable[[Mapping[Any, Any]], User]:
        return lambda row: account_of(row).user(now)

    def _scope(self, viewer: Actor, unit_code: str | None, conn: Connection) -> set[str] | None:
        """Units a listing may show (None: all), narrowed to ``unit_code`` and below when given."""
        allowed = self.store.scope_of(viewer, conn)
        if unit_code is None:
            return allowed
        tree = self.store.units(conn, fresh=True)
        if unit_code not in tree:
            raise UnknownUnit(UNKNOWN_UNIT, unit_code=unit_code)
        wanted = tree.below(unit_code)
        return wanted if allowed is None else allowed & wanted

    # ------------------------------------------------------------------------ administering users

    def set_password(self, admin: Actor, username: str, password: str) -> None:
        """An administrator sets a new password: clears any lockout and ends the user's sessions."""
        require_role(admin, ADMINS, "set passwords")
        account = self._in_scope(admin, username)
        hashed = self._hashed(password, account.username)
        now = self.store.now_us()

        def set_password(conn: Connection) -> None:
            write_password(conn, account.id, hashed, now)
            end_sessions_in(conn, of_user(account.id), "password set by an administrator", now)

        self.store.write(set_password)

    def unlock(self, admin: Actor, username: str) -> User:
        require_role(admin, ADMINS, "unlock accounts")
        account = self._in_scope(admin, username)

        def unlock(conn: Connection) -> None:
            conn.execute(
                update(_credentials)
                .where(_credentials.c.user_id == account.id)
                .values(failed_logins=0, locked_until_us=None)
            )

        self.store.write(unlock)
        return self.get(admin, username)

    def set_active(self, admin: Actor, username: str, active: bool) -> User:
        """Activate or deactivate an account; deactivation ends its sessions in the same transaction."""
        require_role(admin, ADMINS, "activate or deactivate users")
        account = self._in_scope(admin, username)
        if not active and account.id == admin.id:
            raise TransitionRefused(DEACTIVATES_SELF)
        now = self.store.now_us()

        def set_active(conn: Connection) -> None:
            conn.execute(update(_users).where(_users.c.id == account.id).values(active=active))
            if not active:
                end_sessions_in(conn, of_user(account.id), "account deactivated", now)

        self.store.write(set_active)
        return self.get(admin, username)

    def revoke_sessions(self, admin: Actor, username: str) -> int:
        """End every live session of a user; return how many were ended."""
        require_role(admin, ADMINS, "revoke sessions")
        account = self._in_scope(admin, username)
        now = self.store.now_us()
        reason = "revoked by an administrator"
        return self.store.write(lambda conn: end_sessions_in(conn, of_user(account.id), reason, now))


def _require_provincial_destruction_officer(unit_code: str, department: Department, roles: list[str]) -> None:
    """Destruction is organised by the province: the role is held only in its public-order department."""
    provincial = unit_code == PROVINCE_CODE and department is Department.PROVINCIAL_PUBLIC_ORDER
    if Role.DESTRUCTION_OFFICER.value in roles and not provincial:
        raise InvalidInput(
            DESTRUCTION_OFFICER_PROVINCIAL,
            "roles",
            province=PROVINCE_CODE,
            department=Department.PROVINCIAL_PUBLIC_ORDER.value,
            unit_code=unit_code,
            given=department.value,
        )
