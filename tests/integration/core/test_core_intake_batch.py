"""Intake within one writer transaction and across them: a registration reuses the case and the
evidence-number sequence the registration before it read only while nothing was recorded since."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from custody.db.writer import Writer
from custody.errors import TransitionRefused
from custody.numbers import EvidenceNumber
from custody.records import Case, Item
from custody.services import Custody


def _held(custody: Custody) -> tuple[threading.Event, Future[None]]:
    """A batch held open by its first act until the returned event is set."""
    started, gate = threading.Event(), threading.Event()

    def hold(_conn: object) -> None:
        started.set()
        assert gate.wait(10)

    held = custody.store.write_future(hold)
    assert started.wait(10)
    return gate, held


def _queued(custody: Custody, pool: ThreadPoolExecutor, acts: list[Callable[[], Any]]) -> list[Future[Any]]:
    """Submit ``acts`` one after another, each queued before the next (the order of the batch)."""
    futures: list[Future[Any]] = []
    for act in acts:
        waiting = custody.writer._queue.qsize()
        futures.append(pool.submit(act))
        while custody.writer._queue.qsize() <= waiting:
            time.sleep(0.001)
    return futures


def _sequence(item: Item) -> int:
    return EvidenceNumber.parse(item.evidence_no).sequence


def test_a_registration_after_its_case_closed_in_the_same_transaction_is_refused(custody, case, firearm):
    clerk = custody.users.actor("ng-clerk")
    before = custody.ledger.head().seq
    gate, held = _held(custody)
    with ThreadPoolExecutor(3) as pool:
        first, closed, second = _queued(
            custody,
            pool,
            [
                lambda: custody.items.register_firearm(clerk, case.case_no, firearm("A-1")),
                lambda: custody.cases.close(clerk, case.case_no),
                lambda: custody.items.register_firearm(clerk, case.case_no, firearm("A-2")),
            ],
        )
        gate.set()
        held.result(10)
        assert isinstance(first.result(10), Item)
        assert isinstance(closed.result(10), Case)
        with pytest.raises(TransitionRefused, match="is closed: items are registered to open cases"):
            second.result(10)
    assert custody.writer.batches >= 1
    assert [i.serial_number for i in custody.cases.get(clerk, case.case_no).items] == ["A-1"]
    result = custody.ledger.verify()
    assert result.ok and result.events == before + 2


def test_a_registration_rolled_back_gives_its_number_back_to_the_next_one(custody, case, firearm):
    clerk = custody.users.actor("ng-clerk")
    before = custody.ledger.head().seq

    def refuse(_conn: object, _item: object) -> None:
        raise TransitionRefused("refused after the item was registered")

    gate, held = _held(custody)
    with ThreadPoolExecutor(3) as pool:
        first, refused, second = _queued(
            custody,
            pool,
            [
                lambda: custody.items.register_firearm(clerk, case.case_no, firearm("B-1")),
                lambda: custody.items.register_firearm(clerk, case.case_no, firearm("B-2"), also=refuse),
                lambda: custody.items.register_firearm(clerk, case.case_no, firearm("B-3")),
            ],
        )
        gate.set()
        held.result(10)
        with pytest.raises(TransitionRefused, match="refused after the item was registered"):
            refused.result(10)
        assert _sequence(second.result(10)) == _sequence(first.result(10)) + 1
    result = custody.ledger.verify()
    assert result.ok and result.events == before + 2


def test_what_another_service_records_between_two_registrations_is_seen(
    custody, case, database_url, clock, firearm
):
    clerk = custody.users.actor("ng-clerk")
    first = custody.items.register_firearm(clerk, case.case_no, firearm("C-1"))
    other = Custody.open(database_url, clock, pool_size=1)
    try:
        taken = other.items.register_firearm(clerk, case.case_no, firearm("C-2"))
        assert _sequence(taken) == _sequence(first) + 1
        after = custody.items.register_firearm(clerk, case.case_no, firearm("C-3"))
        assert _sequence(after) == _sequence(taken) + 1
        other.cases.close(clerk, case.case_no)
    finally:
        other.close()
    with pytest.raises(TransitionRefused, match="is closed"):
        custody.items.register_firearm(clerk, case.case_no, firearm("C-4"))
    assert custody.ledger.verify().ok


def test_callers_that_find_no_batch_running_run_it_themselves_and_answer_the_others(custody, case, firearm):
    """Many threads registering at once: every call returns its own committed item, the numbers stay
    gapless, and the acts share commits."""
    clerk = custody.users.actor("ng-clerk")
    batches = custody.writer.batches
    barrier = threading.Barrier(8)

    def work(i: int) -> list[Item]:
        barrier.wait()
        return [custody.items.register_firearm(clerk, case.case_no, firearm(f"D-{i}-{k}")) for k in range(10)]

    with ThreadPoolExecutor(8) as pool:
        items = [item for batch in pool.map(work, range(8)) for item in batch]
    assert sorted(_sequence(item) for item in items) == list(range(1, 81))
    assert len({item.id for item in items}) == 80
    for item in items[::9]:
        assert custody.items.item(clerk, item.evidence_no).serial_number == item.serial_number
    assert custody.writer.batches - batches < 80
    assert custody.ledger.verify().ok


def test_an_act_queued_without_a_waiting_caller_is_run_after_the_caller_leading_returns(custody):
    """A caller leading a batch hands the lead on once its own act is answered: an act queued through a
    future meanwhile (no caller waits for it in the writer) is then run by the writer thread."""
    writer = Writer(custody.engine, max_batch=1)  # the future cannot join the held batch
    started, gate = threading.Event(), threading.Event()

    def hold(_conn: object) -> str:
        started.set()
        assert gate.wait(10)
        return threading.current_thread().name

    try:
        with ThreadPoolExecutor(1, thread_name_prefix="caller") as pool:
            leading = pool.submit(writer.submit, hold)
            assert started.wait(10)
            later = writer.submit_future(lambda _conn: threading.current_thread().name)
            gate.set()
            assert leading.result(10).startswith("caller")
        assert later.result(10) == "custody-writer"
        assert writer.submit(lambda _conn: threading.current_thread().name) == "MainThread"
    finally:
        writer.close()
