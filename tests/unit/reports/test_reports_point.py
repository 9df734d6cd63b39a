"""What every report says of the ledger it was computed from, and the CSV convention of reports."""

from __future__ import annotations

from custody.report_point import ReportPoint, SignedCheckpoint
from reports.document import csv_bytes, ledger_point_lines


def test_a_point_at_the_head_without_a_checkpoint_says_none_is_signed():
    point = ReportPoint(12, "ab" * 32, 1, 12, None)
    assert point.text == f"12:{'ab' * 32}"
    assert ledger_point_lines(point) == [
        ("账本位置 (ledger point)", f"seq 12  {'ab' * 32}"),
        ("签名检查点 (checkpoint)", "none signed yet"),
    ]


def test_a_point_before_the_head_names_both_and_the_checkpoint():
    signed = SignedCheckpoint(10, "cd" * 32, "jilin-province", "note")
    lines = dict(ledger_point_lines(ReportPoint(7, "ef" * 32, 1, 15, signed)))
    assert lines["账本当前 (ledger head)"] == "seq 15 (computed as of seq 7)"
    assert lines["签名检查点 (checkpoint)"] == f"tree size 10  root {'cd' * 32}"
    assert lines["签名密钥 (key)"] == "jilin-province"


def test_csv_is_utf8_with_a_bom_and_crlf_and_empty_for_none():
    data = csv_bytes([("单位", "枪支"), ("南关", 3), ("宽城", None)])
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == "单位,枪支\r\n南关,3\r\n宽城,\r\n"
