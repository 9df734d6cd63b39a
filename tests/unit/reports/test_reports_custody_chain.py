"""The chain-of-custody document from values made by hand: every encoding printed and read back exactly
(long Chinese payloads wrapped across lines and pages), the pieces of a wrapped value join back to it, a
chain whose encoding does not give its hash or that holds a character without a glyph is refused."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from custody_chain_world import csv_rows, pdf_encodings, pdf_text, sha256
from hypothesis import given
from hypothesis import strategies as st

from custody.custody_report import ChainEvent, ChainItem, ChainPerson, CustodyChain
from custody.model import ItemState
from custody.numbers import ItemKind
from custody.report_point import ReportPoint, SignedCheckpoint
from custody.verify_export import SEPARATOR, encode_event
from reports.custody_chain import custody_chain_csv, render_custody_chain, wrapped
from reports.document import document_font
from reports.errors import EncodingMismatch, UnprintableText

ITEM = ChainItem(
    "F220102202600000017", ItemKind.FIREARM, ItemState.SEALED, "长南公刑字〔2026〕001号", "220102",
    "南关区公安分局", "", "手枪", "54式", "54-1", "7.62mm", None, None, None,
)  # fmt: skip
CLERK = ChainPerson("ng-clerk", "南关物证管理员")


def event(seq: int, prev: str, payload: str, act: str = "registered") -> ChainEvent:
    values = [seq, prev, 1772415000000000 + seq, act, 1, 1, 2, "220102", "", "", None, seq, payload]
    encoding = encode_event(values).decode()
    digest = hashlib.sha256(encoding.encode()).hexdigest()
    return ChainEvent(seq, values[2], act, CLERK, None, (), None, None, None, "", "", prev, digest, encoding)


def chain(*payloads: str) -> CustodyChain:
    events, prev = [], "0" * 64
    for seq, payload in enumerate(payloads, start=1):
        events.append(event(seq, prev, payload))
        prev = events[-1].hash
    point = ReportPoint(
        len(events), prev, 1772415000000000, len(events) + 3, SignedCheckpoint(2, "ab" * 32, "k", "")
    )
    return CustodyChain(ITEM, tuple(events), point, None)


LONG = '{"note":"' + "扣押于南关区某出租屋内，" * 60 + '","place":"南关区物证室 1号台"}'


def test_long_chinese_payloads_print_exactly_across_pages():
    made = chain(LONG, '{"a":1}', LONG.replace("某", "一"))
    pdf = render_custody_chain(made)
    printed = pdf_encodings(pdf)
    assert [printed[e.seq][1] for e in made.events] == [e.encoding for e in made.events]
    assert all(sha256(printed[e.seq][1]) == e.hash for e in made.events)
    assert "第 2 页" in pdf_text(pdf)


def test_the_csv_holds_each_encoding_with_the_point():
    made = chain(LONG, '{"a":1}')
    rows = csv_rows(custody_chain_csv(made))
    assert [r["encoding"] for r in rows] == [e.encoding for e in made.events]
    assert {r["as_of_seq"] for r in rows} == {"2"} and SEPARATOR in rows[0]["encoding"]


@given(st.text(alphabet='ab 中文,{}":0123456789', max_size=400), st.floats(min_value=20, max_value=400))
def test_the_pieces_of_a_wrapped_value_join_back_to_it(value, room):
    font = document_font()
    pieces = wrapped(font, value, room)
    assert "".join(pieces) == value
    assert all(font.width(p, 6.5) <= room or len(p) == 1 for p in pieces[:-1])


def test_an_encoding_that_does_not_give_its_hash_is_refused():
    made = chain('{"a":1}')
    bad = replace(made, events=(replace(made.events[0], hash="0" * 64),))
    with pytest.raises(EncodingMismatch):
        render_custody_chain(bad)
    with pytest.raises(EncodingMismatch):
        custody_chain_csv(bad)


def test_a_character_without_a_glyph_refuses_the_report_rather_than_escaping_it():
    with pytest.raises(UnprintableText):
        render_custody_chain(chain('{"note":"\U0001f52b"}'))
