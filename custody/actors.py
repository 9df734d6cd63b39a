"""Who acts: a user with a unit, a department and roles; and the unit tree that scopes what they see."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from custody.errors import Message, NotPermitted
from custody.model import Department, Role

PROVINCE_CODE = "220000"

# ``act``: what was refused, as the caller names it ("add users"); ``roles``: the roles that may, comma-joined
NEEDS_ROLE = Message("role.needed", "{username} may not {act}: needs role {roles}")
PROVINCE_ONLY = Message(
    "role.province_only", "{username} may not {act}: it concerns every unit (province only)"
)


@dataclass(frozen=True, slots=True)
class Actor:
    id: int
    username: str
    full_name: str
    unit_code: str
    department: Department
    roles: frozenset[Role]

    def has_any(self, roles: Iterable[Role]) -> bool:
        return not self.roles.isdisjoint(roles)


def actor_from_row(row: Mapping[str, Any] | Any) -> Actor:
    """The actor of a user row (its roles stored comma-separated)."""
    return Actor(
        id=row["id"],
        username=row["username"],
        full_name=row["full_name"],
        unit_code=row["unit_code"],
        department=Department(row["department"]),
        roles=frozenset(Role(r) for r in row["roles"].split(",") if r),
    )


class UnitTree:
    """The police hierarchy: a unit sees itself and every unit below it; the province sees all."""

    def __init__(self, parents: Mapping[str, str | None]) -> None:
        self._parents = dict(parents)

    def __contains__(self, code: object) -> bool:
        return code in self._parents

    def __len__(self) -> int:
        return len(self._parents)

    def ancestors(self, code: str) -> list[str]:
        """``code`` itself, then its parent, up to the root."""
        chain: list[str] = []
        current: str | None = code
        while current is not None and current not in chain:
            chain.append(current)
            current = self._parents.get(current)
        return chain

    def within(self, code: str, scope: str) -> bool:
        """True when ``code`` is ``scope`` or lies below it."""
        return scope in self.ancestors(code)

    def below(self, scope: str) -> set[str]:
        """``scope`` and every unit under it."""
        return {code for code in self._parents if self.within(code, scope)}


def require_role(actor: Actor, roles: Iterable[Role], act: str) -> None:
    allowed = frozenset(roles)
    if not actor.has_any(allowed):
        names = ", ".join(sorted(r.value for r in allowed))
        raise NotPermitted(NEEDS_ROLE, username=actor.username, act=act, roles=names)


def require_province(actor: Actor, roles: Iterable[Role], act: str) -> None:
    """``actor`` holds one of ``roles`` at the province: for acts over every unit's records."""
    require_role(actor, roles, act)
    if actor.unit_code != PROVINCE_CODE:
        raise NotPermitted(PROVINCE_ONLY, username=actor.username, act=act)
