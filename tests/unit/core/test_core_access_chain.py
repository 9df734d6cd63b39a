"""The access log's hash chain as a pure function of rows: the documented encoding, gaps allowed
before the chain existed, links and hash versions checked."""

from __future__ import annotations

import hashlib

from custody.access_chain import HASHED_COLUMNS, chained, entry_hash, verify_entries
from custody.ledger import GENESIS_HASH, Head


def entries(seqs: list[int]) -> list[list]:
    rows, head = [], Head(0, GENESIS_HASH)
    for seq in seqs:
        values = {
            "at_us": 1_700_000_000_000_000 + seq,
            "caller": "user",
            "user_id": 3,
            "station_id": None,
            "unit_code": "220102",
            "device": "",
            "client": "10.0.0.7",
            "method": "GET",
            "route": "/api/v1/items/{evidence_no}",
            "path": "/api/v1/items/F220100202600012787",
            "query": "",
            "status": 200,
            "note": "",
        }
        entry = chained(Head(seq - 1, head.hash), values)
        rows.append([entry[c] for c in (*HASHED_COLUMNS, "hash")])
        head = Head(seq, entry["hash"])
    return rows


def test_the_encoding_is_the_documented_one():
    row = entries([1])[0]
    text = "custody-access-log\x1f" + "\x1f".join(str(v) for v in row[:-1])
    assert row[-1] == hashlib.sha256(text.encode("utf-8")).hexdigest() == entry_hash(row[:-1])
    assert "\x1fNone\x1f" in text and row[2] == 1  # NULL as None; hash version 1


def test_a_chain_with_gaps_before_it_existed_verifies_and_a_removed_entry_breaks_the_link():
    rows = entries([1, 2, 5, 6, 7])
    result = verify_entries(rows)
    assert (result.ok, result.events, result.head) == (True, 5, Head(7, rows[-1][-1]))
    broken = verify_entries(rows[:2] + rows[3:])
    assert (broken.ok, broken.first_bad_seq) == (False, 6)


def test_entries_out_of_order_and_unknown_versions_are_named():
    rows = entries([1, 2, 3])
    assert verify_entries([rows[0], rows[2], rows[1]]).first_bad_seq == 3
    rows[1][2] = 2
    result = verify_entries(rows)
    assert (result.ok, result.first_bad_seq) == (False, 2) and "version" in (result.reason or "")


def test_a_ledger_hash_is_never_an_access_log_hash():
    from custody.ledger import event_hash

    row = entries([1])[0]
    assert event_hash(row[:-1]) != row[-1]  # domain-separated
