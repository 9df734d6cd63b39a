"""Acts on a list of items: one transaction for the whole list, every refusal named, nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from custody.db.tables import EventRow
from custody.errors import InvalidInput, ListRefused, NotPermitted
from custody.list_acts import Acted
from custody.model import EventType, ItemState

CHECKOUT = {"purpose": "lab", "to": "刑侦技术室", "due_date": "2027-01-31"}


def event_count(custody) -> int:
    with custody.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(EventRow)).scalar_one()


def test_a_list_act_records_one_event_per_item_in_one_transaction(custody, gun, ammo):
    clerk = custody.users.actor("ng-clerk")
    seen: list[list[Acted]] = []
    acted = custody.items.act_list(
        clerk,
        EventType.CHECKED_OUT,
        [(gun.evidence_no, gun.version), (ammo.evidence_no.lower(), None)],
        CHECKOUT,
        also=lambda _conn, done: seen.append(list(done)),
    )
    assert [a.item.evidence_no for a in acted] == [gun.evidence_no, ammo.evidence_no]
    assert {a.item.state for a in acted} == {ItemState.CHECKED_OUT}
    assert acted[1].head.seq == acted[0].head.seq + 1
    assert seen == [acted]
    assert custody.items.item(clerk, ammo.evidence_no).history[-1].payload["purpose"] == "lab"
    assert custody.ledger.verify().ok


def test_one_refused_item_refuses_the_whole_list_naming_each_and_writes_nothing(custody, gun, ammo):
    clerk = custody.users.actor("ng-clerk")
    custody.items.check_out(clerk, gun.evidence_no, 1, "lab", "刑侦技术室", "2027-01-31")
    before, head = event_count(custody), custody.ledger.head()
    unknown = "F220102202699999999"
    with pytest.raises(ListRefused) as refused:
        custody.items.act_list(
            clerk, EventType.CHECKED_OUT, [(ammo.evidence_no, None), (gun.evidence_no, None)], CHECKOUT
        )
    assert [(r.evidence_no, r.code) for r in refused.value.refusals] == [
        (gun.evidence_no, "illegal-transition")
    ]
    assert "checked_out" in str(refused.value) and refused.value.params["count"] == 1
    assert (event_count(custody), custody.ledger.head()) == (before, head)
    assert custody.items.item(clerk, ammo.evidence_no).state is ItemState.REGISTERED
    with pytest.raises(ListRefused) as malformed:
        custody.items.act_list(clerk, EventType.CHECKED_OUT, [(unknown, None), ("nonsense", None)], CHECKOUT)
    assert [r.key for r in malformed.value.refusals] == ["evidence_no.check_digits", "evidence_no.shape"]
    assert (event_count(custody), custody.ledger.head()) == (before, head)


def test_items_out_of_scope_stale_or_repeated_are_refused_like_missing_ones(custody, gun, ammo):
    clerk = custody.users.actor("ng-clerk")
    other_county = custody.users.actor("kc-clerk")  # 宽城, beside 南关: neither sees the other's items
    head = custody.ledger.head()
    with pytest.raises(ListRefused) as stale:
        custody.items.act_list(clerk, EventType.CHECKED_OUT, [(gun.evidence_no, 7)], CHECKOUT)
    assert stale.value.refusals[0].code == "conflict"
    with pytest.raises(ListRefused) as twice:
        custody.items.act_list(
            clerk, EventType.CHECKED_OUT, [(gun.evidence_no, None), (gun.evidence_no.lower(), None)], CHECKOUT
        )
    assert twice.value.refusals[0].key == "act.twice_in_list"
    with pytest.raises(InvalidInput):
        custody.items.act_list(clerk, EventType.CHECKED_OUT, [], CHECKOUT)
    with pytest.raises(NotPermitted):  # no role that may check out at all
        custody.items.act_list(
            custody.users.actor("ng-auditor"), EventType.CHECKED_OUT, [(gun.evidence_no, None)], CHECKOUT
        )
    with pytest.raises(ListRefused) as not_theirs:  # a custodian, but the item is in case custody
        custody.items.act_list(
            custody.users.actor("ng-custodian"), EventType.CHECKED_OUT, [(gun.evidence_no, None)], CHECKOUT
        )
    assert not_theirs.value.refusals[0].code == "not-permitted"
    with pytest.raises(ListRefused) as hidden:
        custody.items.act_list(other_county, EventType.CHECKED_OUT, [(gun.evidence_no, None)], CHECKOUT)
    assert hidden.value.refusals[0].code == "unknown-item"
    assert custody.ledger.head() == head
