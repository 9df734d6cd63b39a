"""The people who act: adding a user, looking an active user up as an :class:`~custody.actors.Actor`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select
from sqlalchemy.engine import Connection

from custody.actors import Actor
from custody.db.tables import UnitRow, UserRow
from custody.db.unit_of_work import Store
from custody.errors import InvalidInput, UnknownUnit, UnknownUser, UsernameUnavailable
from custody.intake import clean_text
from custody.model import Department, Role

_users = cast(Table, UserRow.__table__)
_units = cast(Table, UnitRow.__table__)
USER_BY_NAME = select(_users).where(_users.c.username == bindparam("username"))


def actor_from_row(row: Mapping[str, Any] | Any) -> Actor:
    return Actor(
        id=row["id"],
        username=row["username"],
        full_name=row["full_name"],
        unit_code=row["unit_code"],
        department=Department(row["department"]),
        roles=frozenset(Role(r) for r in row["roles"].split(",") if r),
    )


def active_user(conn: Connection, username: str) -> Actor | None:
    """The active user of this name, or None."""
    row = conn.execute(USER_BY_NAME, {"username": username}).mappings().first()
    return None if row is None or not row["active"] else actor_from_row(row)


class People:
    """Users as the acts see them: who they are, their unit, department and roles."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def user_count(self) -> int:
        with self.store.reading() as conn:
            return int(conn.execute(select(func.count()).select_from(_users)).scalar_one())

    def actor(self, username: str) -> Actor:
        with self.store.reading() as conn:
            found = active_user(conn, username)
        if found is None:
            raise UnknownUser(f"unknown or inactive user {username!r}")
        return found

    def add_user(
        self,
        username: str,
        full_name: str,
        unit_code: str,
        department: Department,
        roles: Iterable[Role],
        then: Callable[[Connection, Actor], object] | None = None,
    ) -> Actor:
        """Add a user; ``then`` runs in the same transaction (a first password, a demo mark)."""

        def change(conn: Connection) -> Actor:
            return self.add_user_in(conn, username, full_name, unit_code, department, roles, then)

        return self.store.write(change)

    def add_user_in(
        self,
        conn: Connection,
        username: str,
        full_name: str,
        unit_code: str,
        department: Department,
        roles: Iterable[Role],
        then: Callable[[Connection, Actor], object] | None = None,
    ) -> Actor:
        """:meth:`add_user` inside a write the caller holds."""
        name = clean_text(username, "username", required=True)
        role_set = sorted({Role(r).value for r in roles})
        if not role_set:
            raise InvalidInput("a user needs at least one role", "roles")
        if conn.execute(select(_units.c.code).where(_units.c.code == unit_code)).first() is None:
            raise UnknownUnit(f"unknown unit {unit_code}")
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
