"""The chain-of-custody report of one item on SQLite and PostgreSQL: every event of the item up to the
ledger point, each with its canonical encoding, whose SHA-256 is the hash the ledger holds, read back from
the PDF (wraps re-joined) and the CSV; an earlier point gives fewer events and the same figures however
many events follow; the particulars are the ones the events up to the point leave; the inclusion proof
of the last event checks against the signed checkpoint. Out of scope is unknown, other roles are
refused, a point the ledger does not hold is refused; nothing is written by any of it."""

from __future__ import annotations

import pytest
from custody_chain_world import (
    ACTS,
    csv_rows,
    first_page_png,
    ledger_hashes,
    pdf_encodings,
    pdf_text,
    sha256,
    sight,
    walked_item,
)
from destruction_world import add_people, sealed_items

from custody.custody_report import _events
from custody.errors import ChainBroken, InvalidInput, NotPermitted, UnknownItem
from custody.intake import FirearmIntake
from custody.numbers import EvidenceNumber, ItemKind
from custody.services import Custody
from custody.tlog import NoteSigner
from custody.verify_export import encode_event, leaf_hash, verify_inclusion
from reports.custody_chain import custody_chain_csv, render_custody_chain


@pytest.fixture
def walked(custody: Custody) -> str:
    return walked_item(custody)


def test_every_event_of_the_item_with_an_encoding_that_hashes_to_the_ledgers_hash(custody, walked):
    chain = custody.custody_reports.chain(custody.users.actor("ng-clerk"), walked)
    history = custody.items.item(None, walked).history
    assert [e.act for e in chain.events] == ACTS
    assert [e.seq for e in chain.events] == [h.seq for h in history]
    held = ledger_hashes(custody)
    for event in chain.events:
        assert sha256(event.encoding) == event.hash == held[event.seq]
        assert held[event.seq - 1] == event.prev_hash if event.seq > 1 else True
    assert custody.ledger.verify().ok
    sealed, sighted = chain.events[3], chain.events[4]
    assert (sealed.actor and sealed.actor.username, sealed.witness) == ("ng-custodian", "ng-witness")
    assert sealed.seal_no is not None and sealed.location == "L220102-A-1-01"
    assert chain.events[1].receiver == "ng-custodian"
    assert (sighted.actor, sighted.station, sighted.location) == (None, "ng-desk-1", "南关区物证室 1号台")
    item = chain.item
    assert (item.evidence_no, item.kind, item.unit_code, item.calibre) == (
        walked,
        ItemKind.FIREARM,
        "220102",
        "7.62mm",
    )
    assert item.case_no.startswith("长南公刑字") and item.state.value == "sealed"
    assert (chain.point.seq, chain.point.head_seq) == (custody.ledger.head().seq,) * 2


def test_the_pdf_prints_each_encoding_exactly_and_the_csv_holds_it(custody, walked, tmp_path):
    chain = custody.custody_reports.chain(custody.users.actor("ng-custodian"), walked)
    pdf = render_custody_chain(chain)
    (tmp_path / "custody.pdf").write_bytes(pdf)
    first_page_png(tmp_path / "custody.pdf", tmp_path / "custody-1.png")
    assert (tmp_path / "custody-1.png").stat().st_size > 10_000
    text = pdf_text(pdf)
    wanted = ("证据保管链报告", "Chain of custody", chain.item.case_no, "南关区物证室 1号台", "南关治安")
    for fragment in wanted:
        assert fragment in text
    assert "custody ledger verify" in text and "custody-verify-export" in text
    held = ledger_hashes(custody)
    printed = pdf_encodings(pdf)
    assert sorted(printed) == [e.seq for e in chain.events]
    for event in chain.events:
        digest, encoding = printed[event.seq]
        assert encoding == event.encoding
        assert sha256(encoding) == digest == held[event.seq]
        assert f"seq {event.seq}" in text and event.hash in text
    rows = csv_rows(custody_chain_csv(chain))
    assert [int(r["seq"]) for r in rows] == [e.seq for e in chain.events]
    for row in rows:
        assert sha256(row["encoding"]) == row["hash"] == held[int(row["seq"])]
        assert row["as_of_seq"] == str(chain.point.seq) and row["evidence_no"] == walked
    assert rows[-1]["location"] == "南关区物证室 1号台" and rows[3]["witness"] == "ng-witness"


def test_an_earlier_point_gives_fewer_events_and_the_same_figures_after_more_events(custody, walked):
    clerk = custody.users.actor("ng-clerk")
    whole = custody.custody_reports.chain(clerk, walked)
    point = whole.events[3].seq  # sealed
    earlier = custody.custody_reports.chain(clerk, walked, as_of=point)
    assert [e.act for e in earlier.events] == ACTS[:4]
    assert earlier.point.seq == point and earlier.events == whole.events[:4]
    before = custody_chain_csv(earlier)
    sight(custody, walked, "k-2")
    sight(custody, walked, "k-3")
    again = custody.custody_reports.chain(clerk, walked, as_of=point)
    assert custody_chain_csv(again) == before
    assert (again.events, again.item, again.point.hash) == (earlier.events, earlier.item, earlier.point.hash)
    assert again.point.head_seq > earlier.point.head_seq
    assert len(custody.custody_reports.chain(clerk, walked).events) == len(ACTS) + 2


def test_particulars_are_those_the_events_up_to_the_point_leave(custody, case):
    clerk = custody.users.actor("ng-clerk")
    intake = FirearmIntake("手枪", "54式", "54-1", "7.62mm", True)
    gun = custody.items.register_firearm(clerk, case.case_no, intake)
    point = custody.ledger.head().seq
    custody.items.correct(clerk, gun.evidence_no, 1, {"serial_number": "54-2"}, "笔误")
    assert custody.custody_reports.chain(clerk, gun.evidence_no, point).item.serial_number == "54-1"
    assert custody.custody_reports.chain(clerk, gun.evidence_no).item.serial_number == "54-2"


def test_a_sample_names_its_firearm(custody):
    add_people(custody)
    sealed = sealed_items(custody, samples=(ItemKind.BULLET_SAMPLE,))
    chain = custody.custody_reports.chain(custody.users.actor("ng-auditor"), sealed.samples[0].evidence_no)
    assert chain.item.firearm_evidence_no == sealed.gun.evidence_no
    assert "所属枪支" in pdf_text(render_custody_chain(chain))


def test_the_last_event_is_proved_in_the_checkpoint_that_holds_it(custody, walked):
    clerk = custody.users.actor("ng-clerk")
    assert custody.custody_reports.chain(clerk, walked).proof is None  # nothing signed yet
    custody.checkpoints.make(NoteSigner.generate("test.custody/ledger"))
    chain = custody.custody_reports.chain(clerk, walked)
    last, proof, signed = chain.events[-1], chain.proof, chain.point.checkpoint
    assert proof is not None and signed is not None and proof.seq == last.seq
    assert (proof.tree_size, proof.root_hash) == (signed.tree_size, signed.root_hash)
    steps = [bytes.fromhex(p) for p in proof.proof]
    leaf = leaf_hash(last.encoded)
    assert verify_inclusion(last.seq - 1, proof.tree_size, leaf, steps, bytes.fromhex(signed.root_hash))
    text = pdf_text(render_custody_chain(chain))
    assert proof.root_hash in text and proof.leaf_hash in text
    sight(custody, walked, "k-4")  # beyond the checkpoint: not proved until the next one
    later = custody.custody_reports.chain(clerk, walked)
    assert later.proof is None and later.point.checkpoint == signed
    assert f"custody checkpoint prove {later.events[-1].seq}" in pdf_text(render_custody_chain(later))


def test_out_of_scope_is_unknown_and_other_roles_are_refused_writing_nothing(custody, walked):
    head = custody.ledger.head()
    missing = str(EvidenceNumber(ItemKind.FIREARM, "220102", 2026, 4242))
    with pytest.raises(UnknownItem) as hidden:
        custody.custody_reports.chain(custody.users.actor("jl-clerk"), walked)
    with pytest.raises(UnknownItem) as unknown:
        custody.custody_reports.chain(custody.users.actor("jl-clerk"), missing)
    assert str(hidden.value) == f"unknown item {walked}" and unknown.value.key == hidden.value.key
    with pytest.raises(NotPermitted):
        custody.custody_reports.chain(custody.users.actor("admin"), walked)
    assert custody.custody_reports.chain(custody.users.actor("cc-clerk"), walked).events  # the city above
    assert custody.ledger.head() == head


@pytest.mark.parametrize("as_of", [0, -1, 10_000])
def test_a_point_the_ledger_does_not_hold_is_refused(custody, walked, as_of):
    head = custody.ledger.head()
    with pytest.raises(InvalidInput) as refused:
        custody.custody_reports.chain(custody.users.actor("ng-clerk"), walked, as_of=as_of)
    assert refused.value.key == "report.as_of_not_in_ledger"
    assert custody.ledger.head() == head


def test_an_event_whose_encoding_does_not_give_its_hash_refuses_the_chain(custody, walked):
    with custody.store.reading() as conn:
        row = conn.exec_driver_sql(
            "SELECT seq, prev_hash, recorded_at_us, event_type, item_id, case_id, actor_id, unit_code, "
            "station, device, witness_id, item_version, payload, hash FROM custody_events "
            "WHERE event_type = 'registered' ORDER BY seq DESC LIMIT 1"
        ).one()
        values = list(row)
        assert sha256(encode_event(values[:-1]).decode()) == values[-1]
        values[12] = values[12].replace("54式", "64式")
        with pytest.raises(ChainBroken) as broken:
            _events(conn, walked, [tuple(values)])
    assert broken.value.key == "custody_report.hash_mismatch"
