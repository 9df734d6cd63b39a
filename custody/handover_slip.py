"""The handover slip (移交清单) as values: what a slip prints, and nothing that computes it.

A handover moves the items of one closed case from the case's unit (a clerk offers them) to a named
custodian of the same-level public-order department (治安), who accepts or refuses with their own
credentials. The slip records who offered what to whom, when, what became of the offer, and the ledger
events that hold it, so anyone can find those events again and recompute their hashes.

These records are built by the core from the ledger and rendered elsewhere (``reports.slip``); times are
UTC microseconds since the Unix epoch, as the ledger stores them.
"""

from __future__ import annotations

from dataclasses import dataclass

from custody.numbers import ItemKind
from custody.report_point import SignedCheckpoint


@dataclass(frozen=True, slots=True)
class SlipItem:
    """One item handed over: a firearm (type, make and model, serial number) or a lot or sample
    (calibre, and rounds for an ammunition lot)."""

    evidence_no: str
    kind: ItemKind
    firearm_type: str | None
    make_model: str | None
    serial_number: str | None
    calibre: str | None
    quantity_rounds: int | None


@dataclass(frozen=True, slots=True)
class SlipPerson:
    """A person named on the slip: the clerk who offers (交接人) or the custodian (接收人)."""

    username: str
    name: str
    unit_code: str
    unit_name: str


@dataclass(frozen=True, slots=True)
class LedgerPoint:
    """A ledger event of the handover (the offer, then its acceptance or refusal): where it stands in
    the chain (``seq``) and its ``hash``, in full."""

    event: str
    seq: int
    hash: str
    at_us: int


@dataclass(frozen=True, slots=True)
class HandoverSlip:
    """One handover as its slip prints it.

    ``status`` is the handover's state (offered, accepted, refused); ``decided_at_us`` is when the
    custodian accepted or refused (``None`` while the offer is open) and ``refusal_reason`` the reason
    given for a refusal. ``ledger`` lists the handover's events, oldest first.
    """

    handover_id: int
    case_no: str
    unit_code: str
    unit_name: str
    status: str
    offered_by: SlipPerson
    custodian: SlipPerson
    offered_at_us: int
    decided_at_us: int | None
    refusal_reason: str | None
    items: tuple[SlipItem, ...]
    ledger: tuple[LedgerPoint, ...]
    checkpoint: SignedCheckpoint | None = None  # the latest the province signed when the slip was made
