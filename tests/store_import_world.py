"""A county store worth moving: the closed destruction batch of :mod:`batch_report_world` (cases,
firearms, lots, samples, handovers, seals opened and made again, applications, a batch approved,
witnessed, read at its site, photographed and closed) and a closed audit of the Nanguan store that
found a lot missing (its discrepancy open), and a firearm whose serial number was corrected (the
correction naming the registration's seq), with a few hundred events in all."""

from __future__ import annotations

from batch_report_world import add_readers, closed_batch
from seal_world import accepted_items

from custody.audit_records import ReadIn
from custody.clock import FixedClock
from custody.intake import FirearmIntake
from custody.model import AuditMode
from custody.services import Custody


def county_store(custody: Custody, clock: FixedClock) -> int:
    """Build it; returns the batch's id."""
    add_readers(custody)
    batch = closed_batch(custody, clock)
    items = accepted_items(custody, 40)
    me = custody.users.actor("ng-auditor")
    audit = custody.audits.open(me, "220102", mode=AuditMode.FULL, seed="county")
    custody.audit_reads.read(me, audit.id, [ReadIn(code=i.evidence_no) for i in items[1:]])
    custody.audits.submit(me, audit.id)
    custody.audits.close(me, audit.id)
    clerk = custody.users.actor("ng-clerk")
    case = custody.cases.open(clerk, "NG-CORRECTED-1")
    gun = custody.items.register_firearm(
        clerk, case.case_no, FirearmIntake("手枪", "54式", "54-1", "7.62mm", True)
    )
    registered = custody.ledger.head().seq
    custody.items.correct(
        clerk, gun.evidence_no, 1, {"serial_number": "54-2"}, "笔误", corrects_seq=registered
    )
    return batch.batch_id
