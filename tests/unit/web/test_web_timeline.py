"""The item page's timeline rows are written in one pass: every text from the records is escaped (a
user, station or device name, an event label, even a hash that is not hex), and times are China
Standard Time to the second."""

from __future__ import annotations

from custody.records import TimelineRow
from web.i18n import Translator
from web.render import timeline_rows

HEX = "ab" * 32
AT = 1_772_415_000_123_456  # 2026-03-02 01:30:00.123456 UTC: 09:30:00 in China


def test_texts_are_escaped_and_times_are_china_standard_time():
    rows = [
        TimelineRow(2, AT + 61_000_000, "sighted", None, None, "<desk>", "a&b", HEX),
        TimelineRow(1, AT, "registered", "<b>x</b>", 'w"q', "", "", "<img src=x>"),
    ]
    html = str(timeline_rows(rows, Translator("en").label))
    assert "<desk>" not in html and "&lt;desk&gt;" in html and "a&amp;b" in html
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html and "w&#34;q" in html
    assert "<img" not in html and "&lt;img src=x&gt;" in html
    assert f'title="{HEX}">{HEX[:16]}…' in html
    assert "2026-03-02 09:31:01" in html and "2026-03-02 09:30:00" in html
    assert html.index("<td>2</td>") < html.index("<td>1</td>")  # in the order given: newest first


def test_labels_are_in_the_readers_language():
    rows = [TimelineRow(1, AT, "registered", "clerk", None, "desk", "scanner-1", HEX)]
    assert "Registered" in str(timeline_rows(rows, Translator("en").label))
    chinese = str(timeline_rows(rows, Translator("zh").label))
    assert "registered" not in chinese and "desk · scanner-1" in chinese
