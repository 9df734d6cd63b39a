"""Concurrent acts: one winner per version, gapless sequences and an intact chain, on both back ends."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from custody.db.ledger_store import append_event
from custody.errors import StaleVersion, TransitionRefused
from custody.numbers import EvidenceNumber
from custody.records import Item
from custody.services import Custody

WORKERS = 50


def race(n: int, work: Callable[[int], object]) -> list[object]:
    """Run ``work(i)`` in ``n`` threads released together; return each result or raised exception."""
    barrier = threading.Barrier(n)

    def run(i: int) -> object:
        barrier.wait()
        try:
            return work(i)
        except Exception as error:  # noqa: BLE001 - the outcome under test
            return error

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def _one_winner(custody: Custody, outcomes: list[object], number: str, events_before: int) -> None:
    winners = [o for o in outcomes if isinstance(o, Item)]
    losers = [o for o in outcomes if not isinstance(o, Item)]
    assert len(winners) == 1
    assert all(isinstance(o, StaleVersion) for o in losers), {str(o)[:200] for o in losers}
    assert all("changed since it was read" in str(o) for o in losers)
    item = custody.items.item(None, number)
    assert item.version == 2
    assert [e.event_type for e in item.history] == ["registered", "transferred"]
    result = custody.ledger.verify()
    assert result.ok and result.events == events_before + 1


def test_fifty_workers_with_their_own_connections_transfer_the_same_item_once(
    custody, gun, database_url, clock
):
    before = custody.ledger.head().seq
    clerk = custody.users.actor("prov-clerk")  # sees the item wherever it goes
    # one connection each (the writer's): 50 of PostgreSQL's 100 by default
    services = [Custody.open(database_url, clock, pool_size=1) for _ in range(WORKERS)]
    try:
        outcomes = race(
            WORKERS,
            lambda i: services[i].items.transfer(clerk, gun.evidence_no, 1, "220100" if i % 2 else "220200"),
        )
    finally:
        for service in services:
            service.close()
    _one_winner(custody, outcomes, gun.evidence_no, before)


def test_fifty_threads_sharing_one_service_transfer_the_same_item_once(custody, gun):
    before = custody.ledger.head().seq
    clerk = custody.users.actor("prov-clerk")  # sees the item wherever it goes
    outcomes = race(WORKERS, lambda i: custody.items.transfer(clerk, gun.evidence_no, 1, "220100"))
    _one_winner(custody, outcomes, gun.evidence_no, before)


def test_evidence_numbers_stay_gapless_under_concurrent_intake(custody, case, database_url, clock, firearm):
    services = [Custody.open(database_url, clock, pool_size=1) for _ in range(8)]
    try:
        clerk = custody.users.actor("ng-clerk")
        outcomes = race(
            8,
            lambda i: [
                services[i].items.register_firearm(clerk, case.case_no, firearm(f"{i}-{k}")) for k in range(6)
            ],
        )
    finally:
        for service in services:
            service.close()
    numbers = [EvidenceNumber.parse(item.evidence_no) for batch in outcomes for item in batch]  # type: ignore[union-attr]
    assert sorted(n.sequence for n in numbers) == list(range(1, 49))
    assert custody.ledger.verify().ok


def test_an_act_refused_after_appending_its_event_leaves_the_rest_of_its_batch_on_an_intact_chain(
    custody, case, firearm
):
    """The writer holds the chain head across the acts of one transaction: an act rolled back to its
    savepoint after its event was appended takes that event, and that head, back with it."""
    clerk = custody.users.actor("ng-clerk")
    before = custody.ledger.head().seq
    started, gate = threading.Event(), threading.Event()

    def hold(_conn: object) -> None:
        started.set()
        assert gate.wait(10)

    def appends_then_refuses(conn: object) -> None:
        append_event(
            conn,  # type: ignore[arg-type]
            {
                "recorded_at_us": custody.clock.now_us(),
                "event_type": "case_closed",
                "actor_id": clerk.id,
                "unit_code": clerk.unit_code,
                "case_id": case.id,
                "payload": "{}",
            },
        )
        raise TransitionRefused("refused after its event was appended")

    held = custody.store.write_future(hold)
    assert started.wait(10)
    refused = custody.store.write_future(appends_then_refuses)
    with ThreadPoolExecutor(2) as pool:
        register = custody.items.register_firearm
        registered = [pool.submit(register, clerk, case.case_no, firearm(s)) for s in "12"]
        while custody.writer._queue.qsize() < 3:  # the three wait for the same transaction
            time.sleep(0.001)
        gate.set()
        items = [r.result(10) for r in registered]
    held.result(10)
    with pytest.raises(TransitionRefused):
        refused.result(10)
    seqs = sorted(custody.items.item(None, item.evidence_no).history[0].seq for item in items)
    assert seqs == [before + 1, before + 2]
    result = custody.ledger.verify()
    assert result.ok and result.events == before + 2
