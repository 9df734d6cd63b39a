"""The lifecycle driven at random against a model: after every step the ledger verifies, replay equals the
stored state, ammunition never goes negative, and a refused act wrote nothing."""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import text

from custody.clock import FixedClock
from custody.errors import CustodyError
from custody.intake import AmmunitionIntake, FirearmIntake
from custody.model import EventType
from custody.replay import replay
from custody.services import Custody

START = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # 09:30 China Standard Time
IN_CI = os.environ.get("CI") == "true"
EXAMPLES, STEPS = (60, 45) if IN_CI else (12, 30)
UNITS = ["220102", "220100", "220200"]
CUSTODIAN_OF = {"220102": "ng-custodian", "220100": "cc-custodian"}
CASES = ["K-1", "K-2"]


class Lifecycle(RuleBasedStateMachine):
    url_factory: Any = None
    steps = 0

    def __init__(self) -> None:
        super().__init__()
        self.clock = FixedClock(START)
        self.url, self.cleanup = type(self).url_factory()
        self.custody = Custody.open(self.url, self.clock)
        self.actor = self.custody.users.actor("prov-clerk")
        self.cases = {}
        self.items: dict[str, dict[str, Any]] = {}
        for case_no in CASES:
            self.custody.cases.open(self.actor, case_no, unit_code="220102")
            self.cases[case_no] = "open"

    def teardown(self) -> None:
        self.custody.close()
        self.cleanup()

    # -- helpers ---------------------------------------------------------------------------------

    def attempt(self, expected_ok: bool, call: Any) -> dict[str, Any] | None:
        type(self).steps += 1
        head = self.custody.ledger.head()
        try:
            result = call()
        except CustodyError:
            assert not expected_ok, "a legal act was refused"
            assert self.custody.ledger.head() == head, "a refused act wrote to the ledger"
            return None
        assert expected_ok, "an illegal act was accepted"
        assert self.custody.ledger.head().seq == head.seq + 1
        return result

    def item(self, data: st.DataObject) -> tuple[str, dict[str, Any]]:
        number = data.draw(st.sampled_from(sorted(self.items)))
        return number, self.items[number]

    # -- rules -----------------------------------------------------------------------------------

    @rule(case_no=st.sampled_from(CASES), ammunition=st.booleans(), rounds=st.integers(1, 60))
    def register(self, case_no: str, ammunition: bool, rounds: int) -> None:
        ok = self.cases[case_no] == "open"
        if ammunition:
            result = self.attempt(
                ok,
                lambda: self.custody.items.register_ammunition(
                    self.actor, case_no, AmmunitionIntake("7.62mm", rounds)
                ),
            )
        else:
            result = self.attempt(
                ok,
                lambda: self.custody.items.register_firearm(
                    self.actor, case_no, FirearmIntake("手枪", "54式", "S", "7.62mm", True)
                ),
            )
        if result:
            self.items[result.evidence_no] = {
                "state": "registered",
                "version": 1,
                "unit": "220102",
                "case": case_no,
                "rounds": rounds if ammunition else None,
            }

    @precondition(lambda self: self.items)
    @rule(data=st.data(), to_unit=st.sampled_from(UNITS), stale=st.booleans())
    def transfer(self, data: st.DataObject, to_unit: str, stale: bool) -> None:
        number, model = self.item(data)
        version = model["version"] - 1 if stale else model["version"]
        ok = not stale and model["state"] == "registered" and model["unit"] != to_unit
        if self.attempt(ok, lambda: self.custody.items.transfer(self.actor, number, version, to_unit)):
            model.update(unit=to_unit, version=model["version"] + 1)

    @precondition(lambda self: self.items)
    @rule(data=st.data(), due=st.sampled_from(["2026-03-10", "2026-02-01"]))
    def check_out(self, data: st.DataObject, due: str) -> None:
        number, model = self.item(data)
        # the clerk checks out of case custody; an item in the store leaves it only through its custodian
        ok = model["state"] == "registered" and due >= "2026-03-02"
        if self.attempt(
            ok, lambda: self.custody.items.check_out(self.actor, number, model["version"], "lab", "x", due)
        ):
            model.update(state="checked_out", left=model["state"], version=model["version"] + 1)

    @precondition(lambda self: self.items)
    @rule(data=st.data())
    def return_item(self, data: st.DataObject) -> None:
        number, model = self.item(data)
        ok = model["state"] == "checked_out"
        if self.attempt(ok, lambda: self.custody.items.return_item(self.actor, number, model["version"])):
            model.update(state=model["left"], version=model["version"] + 1)

    @rule(case_no=st.sampled_from(CASES), judge=st.booleans())
    def end_case(self, case_no: str, judge: bool) -> None:
        status = self.cases[case_no]
        if judge:
            ok = status in {"open", "closed"}
            done = self.attempt(
                ok, lambda: self.custody.cases.judge(self.actor, case_no, "J-1", "2026-02-28")
            )
        else:
            ok = status == "open"
            done = self.attempt(ok, lambda: self.custody.cases.close(self.actor, case_no))
        if done:
            self.cases[case_no] = "judged" if judge else "closed"

    @precondition(lambda self: self.items)
    @rule(data=st.data(), receiver=st.sampled_from(sorted(CUSTODIAN_OF.values())))
    def offer(self, data: st.DataObject, receiver: str) -> None:
        number, model = self.item(data)
        ok = (
            model["state"] == "registered"
            and self.cases[model["case"]] != "open"
            and CUSTODIAN_OF.get(model["unit"]) == receiver
        )
        offered = self.attempt(
            ok, lambda: self.custody.handovers.offer(self.actor, model["case"], receiver, [number])
        )
        if offered:
            model.update(state="offered", handover=(offered.id, receiver), version=model["version"] + 1)

    @precondition(lambda self: self.items)
    @rule(data=st.data(), accept=st.booleans(), named=st.booleans())
    def decide(self, data: st.DataObject, accept: bool, named: bool) -> None:
        _number, model = self.item(data)
        if model["state"] != "offered":
            return
        handover_id, receiver = model["handover"]
        custodian = self.custody.users.actor(receiver if named else "ng-auditor")
        handovers = self.custody.handovers
        decided = self.attempt(
            named,
            lambda: (
                handovers.accept(custodian, handover_id)
                if accept
                else handovers.refuse(custodian, handover_id, "不符")
            ),
        )
        if decided:
            model.update(state="handed_over" if accept else "registered", version=model["version"] + 1)

    @precondition(lambda self: self.items)
    @rule(data=st.data(), rounds=st.integers(1, 80))
    def consume(self, data: st.DataObject, rounds: int) -> None:
        number, model = self.item(data)
        ok = (
            model["rounds"] is not None
            and model["state"] in {"registered", "checked_out"}
            and rounds <= model["rounds"]
        )
        payload = {"rounds": rounds, "reason": "试射"}
        if self.attempt(
            ok,
            lambda: self.custody.items.act(self.actor, number, EventType.CONSUMED, model["version"], payload),
        ):
            model.update(rounds=model["rounds"] - rounds, version=model["version"] + 1)

    @precondition(lambda self: self.items)
    @rule(data=st.data(), serial=st.text("ABC123", min_size=1, max_size=6))
    def correct(self, data: st.DataObject, serial: str) -> None:
        number, model = self.item(data)
        # before the handover offer the clerk corrects; from it on the custodian, with a witness
        ok = model["state"] == "registered" or (
            model["state"] == "checked_out" and model["left"] == "registered"
        )
        if self.attempt(
            ok,
            lambda: self.custody.items.correct(
                self.actor, number, model["version"], {"description": serial}, "更正"
            ),
        ):
            model.update(version=model["version"] + 1)

    # -- invariants ------------------------------------------------------------------------------

    @invariant()
    def ledger_verifies_and_replays(self) -> None:
        result = self.custody.ledger.verify()
        assert result.ok, result.reason
        events, differences = replay(self.custody.store)
        assert differences == []
        assert events == result.events

    @invariant()
    def stored_state_matches_the_model(self) -> None:
        columns = ("evidence_no", "state", "version", "unit_code", "quantity_rounds")
        with self.custody.engine.connect() as conn:
            rows = conn.execute(text(f"SELECT {', '.join(columns)} FROM items")).all()
        stored = {row[0]: row[1:] for row in rows}
        assert set(stored) == set(self.items)
        for number, model in self.items.items():
            assert stored[number] == (model["state"], model["version"], model["unit"], model["rounds"])
            assert model["rounds"] is None or model["rounds"] >= 0


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_lifecycle_against_a_model(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")

        def fresh() -> tuple[str, Any]:
            path = tmp_path / f"{uuid.uuid4().hex}.sqlite"
            shutil.copyfile(template, path)
            return f"sqlite:///{path}", path.unlink
    else:
        server = request.getfixturevalue("postgres")
        template = request.getfixturevalue("postgres_template")

        def fresh() -> tuple[str, Any]:
            name = server.create(template=template)
            return server.database_url(name), lambda: server.drop(name)

    Lifecycle.url_factory = staticmethod(fresh)
    Lifecycle.steps = 0
    run_state_machine_as_test(
        Lifecycle,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    assert Lifecycle.steps >= (2000 if IN_CI else 100)
