"""The hash chain as a pure function of rows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custody.ledger import (
    GENESIS_HASH,
    HASHED_COLUMNS,
    Head,
    canonical_payload,
    encode_event,
    event_hash,
    parse_history,
    verify_rows,
)


def chain(n: int) -> list[list]:
    rows, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        row = [
            seq,
            prev,
            1_700_000_000_000_000 + seq,
            "registered",
            seq,
            1,
            1,
            "220102",
            "",
            "",
            None,
            1,
            canonical_payload({"n": seq, "名": "枪"}),
        ]
        prev = event_hash(row)
        rows.append([*row, prev])
    return rows


def test_an_intact_chain_verifies_and_reports_its_head():
    rows = chain(20)
    result = verify_rows(rows)
    assert result.ok and result.events == 20 and result.head == Head(20, rows[-1][-1])


def test_an_empty_ledger_verifies():
    assert verify_rows([]).ok


def test_encoding_is_the_documented_one():
    row = [1, GENESIS_HASH, 5, "registered", None, 2, 3, "220102", "desk", "", None, 1, '{"a":1}']
    assert (
        encode_event(row)
        == (
            "\x1f".join(
                [
                    "1",
                    GENESIS_HASH,
                    "5",
                    "registered",
                    "None",
                    "2",
                    "3",
                    "220102",
                    "desk",
                    "",
                    "None",
                    "1",
                    '{"a":1}',
                ]
            )
        ).encode()
    )
    assert len(HASHED_COLUMNS) == len(row)


def test_payload_is_canonical_json():
    assert canonical_payload({"b": 1, "a": "枪"}) == '{"a":"枪","b":1}'


@given(st.integers(1, 19), st.integers(0, 13), st.text(min_size=1, max_size=3))
def test_any_change_to_any_value_is_named(seq, column, extra):
    rows = chain(20)
    value = rows[seq - 1][column]
    rows[seq - 1][column] = value + 1 if isinstance(value, int) else (f"{value}{extra}" if value else extra)
    result = verify_rows(rows)
    assert not result.ok and result.first_bad_seq == seq


def test_moving_a_separator_between_columns_is_caught():
    rows = chain(3)
    rows[1][8], rows[1][9] = "desk\x1fscanner", ""  # station/device shifted: same bytes if joined naively
    original = chain(3)
    original[1][8], original[1][9] = "desk", "scanner"
    assert encode_event(rows[1][:-1]) != encode_event(original[1][:-1]) or not verify_rows(rows).ok
    assert not verify_rows(rows).ok


def test_a_gap_names_the_missing_seq():
    rows = chain(10)
    del rows[4]
    result = verify_rows(rows)
    assert (result.ok, result.first_bad_seq, result.reason) == (False, 5, "seq 5 missing")


def test_a_cut_end_is_caught_only_with_the_expected_head():
    rows = chain(10)
    head = Head(10, rows[-1][-1])
    assert verify_rows(rows[:7]).ok
    result = verify_rows(rows[:7], head)
    assert (result.ok, result.first_bad_seq) == (False, 8)


def test_head_text_round_trips():
    head = Head(42, "ab" * 32)
    assert Head.parse(str(head)) == head


def rewritten_from(rows: list[list], seq: int) -> list[list]:
    """``rows`` with the event at ``seq`` changed and every later hash recomputed: consistent in itself."""
    out = [list(r) for r in rows[: seq - 1]]
    prev = out[-1][-1] if out else GENESIS_HASH
    for row in rows[seq - 1 :]:
        values = list(row[:-1])
        values[1] = prev
        if values[0] == seq:
            values[-1] = canonical_payload({"rewritten": True})
        prev = event_hash(values)
        out.append([*values, prev])
    return out


def test_a_head_alone_reports_a_mismatch_and_names_no_seq_with_pairs_from_one_event():
    rows = chain(92)
    tampered = rewritten_from(rows, 20)
    assert verify_rows(tampered).ok
    result = verify_rows(tampered, Head(92, rows[-1][-1]))
    assert (result.ok, result.head_mismatch, result.first_bad_seq) == (False, True, None)
    assert result.found_head == Head(92, tampered[91][-1]) and result.head == Head(92, tampered[91][-1])
    report = result.as_dict()
    assert "first_bad_seq" not in report and report["found_head"] == f"92:{tampered[91][-1]}"


def test_a_head_in_the_middle_is_checked_at_its_seq():
    rows = chain(30)
    tampered = rewritten_from(rows, 20)
    assert verify_rows(tampered, Head(19, rows[18][-1])).ok  # the history up to 19 is intact
    assert verify_rows(tampered, Head(25, rows[24][-1])).head_mismatch


def test_the_history_names_the_first_seq_that_differs():
    rows = chain(92)
    history = parse_history(f"{r[0]}:{r[-1]}" for r in rows)
    result = verify_rows(rewritten_from(rows, 20), expect_history=history)
    assert (result.ok, result.first_differing_seq, result.first_bad_seq) == (False, 20, None)
    assert verify_rows(rows, expect_history=history).ok
    assert verify_rows(rows[:90], expect_history=history).first_differing_seq == 91


@pytest.mark.parametrize(
    "line", ["", "7", "7:", "x:" + "a" * 64, "7:" + "g" * 64, '{"seq": "7", "hash": 1}', "{", '{"seq": 7}']
)
def test_a_history_line_that_is_not_one_is_refused_by_line_number(line):
    good = f"1:{'a' * 64}"
    if not line:
        assert parse_history([good, line]) == {1: "a" * 64}  # blank lines are skipped
        return
    with pytest.raises(ValueError, match="line 2"):
        parse_history([good, line])


def test_a_history_giving_one_seq_two_hashes_is_refused():
    with pytest.raises(ValueError, match="twice"):
        parse_history([f"1:{'a' * 64}", '{"seq": 1, "hash": "' + "b" * 64 + '"}'])
