"""The figures of an audit report from the database, on SQLite and PostgreSQL: a sample of 48 of 50 lots
escalated by a missing one to the last two, round by round; the counts per finding and category, the
discrepancy with its owner, the ledger point; refused for an open audit and outside the viewer's scope;
the point an audit that audited nothing closed at."""

from __future__ import annotations

import hashlib

import pytest
from seal_world import SHELF_2, accepted_items, add_locations

from custody.audit_records import ReadIn
from custody.audit_report import AuditReports
from custody.errors import TransitionRefused, UnknownAudit
from custody.model import AuditCategory, AuditMode, DiscrepancyStatus, Finding
from custody.services import Custody
from reports import render_audit

SEED = "2026-s"


def test_a_sample_escalated_by_a_missing_lot_reports_every_round(custody: Custody):
    add_locations(custody)
    items = accepted_items(custody, 51)  # a firearm and 50 lots
    gun, lots = items[0].evidence_no, [i.evidence_no for i in items[1:]]
    me = custody.users.actor("ng-auditor")
    reports = AuditReports(custody.audits)
    audit = custody.audits.open(me, "220102", mode=AuditMode.SAMPLE, seed=SEED)
    order = sorted(lots, key=lambda n: hashlib.sha256((SEED + n).encode()).hexdigest())

    _audit, draws = reports.draw(me, audit.id)
    by = {d.category: d for d in draws}
    assert (by[AuditCategory.FIREARM].population, by[AuditCategory.FIREARM].rounds) == (1, (1,))
    ammunition = by[AuditCategory.AMMUNITION]
    assert (ammunition.population, ammunition.rounds, ammunition.drawn_items) == (
        50,
        (48,),
        tuple(order[:48]),
    )
    with pytest.raises(TransitionRefused) as early:
        reports.report(me, audit.id)
    assert early.value.key == "audit.report_open"

    withheld = order[0]
    custody.audit_reads.read(me, audit.id, [ReadIn(code=n) for n in [gun, *order[1:48]]])
    first = custody.audits.submit(me, audit.id)
    assert dict(first.added) == {AuditCategory.AMMUNITION: 2}  # 10% of 50, at least 10, of the 2 left
    _audit, draws = reports.draw(me, audit.id)
    assert next(d for d in draws if d.category is AuditCategory.AMMUNITION).rounds == (48, 2)
    custody.audit_reads.read(me, audit.id, [ReadIn(code=n) for n in order[48:]])
    assert not custody.audits.submit(me, audit.id).escalated
    closed, _outcome = custody.audits.close(me, audit.id)

    report = reports.report(me, audit.id)
    assert (report.rounds, report.seed, report.mode, report.unit_name) == (
        2,
        SEED,
        AuditMode.SAMPLE,
        "南关区公安分局",
    )
    assert (report.auditor.username, report.auditor.name) == ("ng-auditor", "南关督察")
    assert (report.closed_seq, report.closed_hash) == (closed.closed_seq, closed.closed_hash)
    assert report.closed_seq == custody.ledger.head().seq
    lots_drawn = next(d for d in report.draws if d.category is AuditCategory.AMMUNITION)
    assert (lots_drawn.first_round, lots_drawn.drawn, lots_drawn.drawn_items) == (48, 50, ())
    assert report.count(Finding.FOUND, AuditCategory.FIREARM) == 1
    assert report.count(Finding.FOUND, AuditCategory.AMMUNITION) == 49
    assert report.count(Finding.MISSING, AuditCategory.AMMUNITION) == 1
    assert sum(c.count for c in report.counts) == 51
    [missing] = report.discrepancies
    assert (missing.finding, missing.category, missing.code) == (
        Finding.MISSING,
        AuditCategory.AMMUNITION,
        withheld,
    )
    assert (missing.owner.username, missing.owner.name, missing.status) == (
        "ng-custodian",
        "南关治安",
        DiscrepancyStatus.OPEN,
    )
    assert render_audit(report).startswith(b"%PDF")

    with pytest.raises(UnknownAudit):
        reports.report(custody.users.actor("kc-clerk"), audit.id)
    assert reports.report(custody.users.actor("cc-clerk"), audit.id) == report  # the city sees its county


def test_an_audit_that_audited_nothing_reports_the_ledger_point_it_closed_at(custody: Custody):
    add_locations(custody)
    accepted_items(custody, 2)  # on no shelf: nothing at shelf 2
    me = custody.users.actor("ng-auditor")
    audit = custody.audits.open(me, "220102", [SHELF_2], mode=AuditMode.FULL)
    custody.audits.submit(me, audit.id)
    head = custody.ledger.head()
    closed, _outcome = custody.audits.close(me, audit.id)
    report = AuditReports(custody.audits).report(me, audit.id)
    assert (report.closed_seq, report.closed_hash) == (head.seq, head.hash)
    assert report.draws == () and report.counts == () and report.discrepancies == ()
    assert (closed.closed_seq, closed.closed_hash) == (head.seq, head.hash)  # the ledger as it stood
    assert render_audit(report).startswith(b"%PDF")
