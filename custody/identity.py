"""Acts on items as the entry points record them: every second person an act names (a receiver, a
witness) first proves who they are with their own password, then the act is recorded.

Proving a password is :mod:`custody.passwords`; logins and sessions :mod:`custody.sessions`; the
administration of users :mod:`custody.users`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from custody.actors import Actor
from custody.model import EventType
from custody.passwords import Passwords
from custody.records import Item

if TYPE_CHECKING:
    from custody.services import Custody


class Identity:
    """Two-person acts over one :class:`Custody` and the :class:`Passwords` that confirm them."""

    def __init__(self, custody: Custody, passwords: Passwords | None = None) -> None:
        self.custody = custody
        self.passwords = passwords or custody.passwords

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
        """An act on an item: every second person it names (the transition's ``second_persons``
        fields, and a witness) first confirms with their own password, ``passwords[part]``
        (:meth:`Passwords.confirm_second_persons`); then the act. A missing or wrong password refuses
        the act before anything is written."""
        self.passwords.confirm_second_persons(actor, event, payload, witness, passwords, client)
        return self.custody.items.act(actor, evidence_no, event, version, payload, witness=witness)
