"""The handover slip (移交清单) read back from its PDF: what it names, its pages, its ledger points."""

from __future__ import annotations

import io
import re
import subprocess
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime

import pdfplumber
import pypdf
import pytest
from PIL import Image

from custody.clock import to_us
from custody.handover_slip import HandoverSlip, LedgerPoint, SlipItem, SlipPerson
from custody.numbers import EvidenceNumber, ItemKind
from reports import EmptySlip, ReportError, UnprintableText, render_slip

OFFERED = to_us(datetime(2026, 3, 2, 1, 30, tzinfo=UTC))  # 09:30 China Standard Time
ACCEPTED = to_us(datetime(2026, 3, 2, 7, 5, 9, tzinfo=UTC))  # 15:05:09 China Standard Time
CLERK = SlipPerson("ng-clerk", "南关物证管理员", "220102", "南关区公安分局")
CUSTODIAN = SlipPerson("ng-custodian", "南关治安", "220102", "南关区公安分局")
OFFER = LedgerPoint("handover.offered", 4127, "3f" * 32, OFFERED)
ACCEPTANCE = LedgerPoint("handover.accepted", 4133, "0123456789abcdef" * 4, ACCEPTED)
NUMBER = re.compile(r"[FABC][0-9]{18}")
HEADER = [
    "序号\nNo.",
    "物证编号\nEvidence no.",
    "类别\nKind",
    "枪种 / 口径\nType / calibre",
    "厂牌型号\nMake / model",
    "枪号 / 数量\nSerial no. / rounds",
]


def number(kind: ItemKind, sequence: int) -> str:
    return str(EvidenceNumber(kind, "220102", 2026, sequence))


def firearm(sequence: int) -> SlipItem:
    return SlipItem(
        number(ItemKind.FIREARM, sequence),
        ItemKind.FIREARM,
        "五四式手枪",
        "54式 手枪",
        f"54{sequence:06d}",
        "7.62mm",
        None,
    )


def lot(sequence: int, rounds: int = 50) -> SlipItem:
    return SlipItem(
        number(ItemKind.AMMUNITION, sequence), ItemKind.AMMUNITION, None, None, None, "9mm", rounds
    )


def slip(items: tuple[SlipItem, ...] = (firearm(1), lot(2)), **changes: object) -> HandoverSlip:
    accepted = HandoverSlip(
        handover_id=17,
        case_no="长南公刑字〔2026〕001号",
        unit_code="220102",
        unit_name="南关区公安分局",
        status="accepted",
        offered_by=CLERK,
        custodian=CUSTODIAN,
        offered_at_us=OFFERED,
        decided_at_us=ACCEPTED,
        refusal_reason=None,
        items=items,
        ledger=(OFFER, ACCEPTANCE),
    )
    return replace(accepted, **changes)


def pages_text(pdf: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [page.extract_text() for page in document.pages]


def item_tables(pdf: bytes) -> list[list[list[str]]]:
    """The item table's rows on each page (header first), cells as printed, wrapped lines joined by
    newlines: pdfplumber finds the table by its ruled grid."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [
            [row for row in table if row]
            for page in document.pages
            for table in page.extract_tables()
            if table and table[0][0] == HEADER[0]
        ]


def test_a_slip_names_its_items_people_case_and_ledger_points():
    the_slip = slip()
    (text,) = pages_text(render_slip(the_slip))
    for item in the_slip.items:
        assert item.evidence_no in text
    for person in (CLERK, CUSTODIAN):
        assert person.name in text and person.username in text
    assert "长南公刑字〔2026〕001号" in text and "南关区公安分局 (220102)" in text
    for point in (OFFER, ACCEPTANCE):
        assert f"seq {point.seq}" in text and point.hash in text
    assert "移交清单" in text and "Handover slip" in text
    assert "枪支" in text and "弹药" in text
    assert "五四式手枪 7.62mm" in text and "54式 手枪" in text and "54000001" in text
    assert "9mm" in text and "50 发 rounds" in text
    assert "交接人" in text and "接收人" in text and "签名 Signature" in text and "日期 Date" in text


def test_times_are_printed_in_china_standard_time():
    (text,) = pages_text(render_slip(slip()))
    assert "移交时间 Offered at 2026-03-02 09:30:00 北京时间 (UTC+8)" in text
    assert "接收时间 Accepted at 2026-03-02 15:05:09 北京时间 (UTC+8)" in text


def test_hashes_are_printed_in_full_in_a_monospaced_font():
    with pdfplumber.open(io.BytesIO(render_slip(slip()))) as document:
        chars = document.pages[0].chars
    text = "".join(char["text"] for char in chars)
    for point in (OFFER, ACCEPTANCE):
        start = text.index(point.hash)
        fonts = {char["fontname"] for char in chars[start : start + len(point.hash)]}
        assert fonts == {"Courier"}


def test_a_refused_handover_says_so_with_its_reason_and_time():
    refused = slip(
        status="refused",
        refusal_reason="封存库已满",
        ledger=(OFFER, replace(ACCEPTANCE, event="handover.refused")),
    )
    (text,) = pages_text(render_slip(refused))
    assert "已拒收 refused" in text and "拒收原因 Refusal reason 封存库已满" in text
    assert "拒收时间 Refused at 2026-03-02 15:05:09" in text and "handover.refused" in text


def test_an_open_offer_has_no_decision_time():
    offered = slip(status="offered", decided_at_us=None, ledger=(OFFER,))
    (text,) = pages_text(render_slip(offered))
    assert "待接收 offered" in text and "待接收 not yet decided" in text
    assert OFFER.hash in text and ACCEPTANCE.hash not in text


def test_the_item_table_has_one_row_per_item_with_its_particulars():
    the_slip = slip(
        (firearm(1), lot(2), replace(lot(3, 0), kind=ItemKind.CASING_SAMPLE, quantity_rounds=None))
    )
    (table,) = item_tables(render_slip(the_slip))
    assert table == [
        HEADER,
        ["1", the_slip.items[0].evidence_no, "枪支", "五四式手枪 7.62mm", "54式 手枪", "54000001"],
        ["2", the_slip.items[1].evidence_no, "弹药", "9mm", "—", "50 发 rounds"],
        ["3", the_slip.items[2].evidence_no, "弹壳样本", "9mm", "—", "—"],
    ]


@pytest.mark.parametrize("ledger", [(), (OFFER,), (OFFER, ACCEPTANCE)], ids=["none", "offer", "both"])
def test_the_footer_lists_the_ledger_points_above_the_page_number(ledger):
    (text,) = pages_text(render_slip(slip(ledger=ledger)))
    lines = text.splitlines()
    assert lines[-1] == "第 1 页 / 共 1 页"
    footer = lines[-2 - max(len(ledger), 1) : -1]
    assert footer[0].startswith("账本 Ledger")
    if ledger:
        assert [line.split()[0] for line in footer[1:]] == [p.event for p in ledger]
        assert [line.split()[-3:] for line in footer[1:]] == [["seq", str(p.seq), p.hash] for p in ledger]
    else:
        assert footer[1:] == ["—"]
    with pdfplumber.open(io.BytesIO(render_slip(slip(ledger=ledger)))) as document:
        page = document.pages[0]
        last = ledger[-1].hash if ledger else "—"
        above = max(match["bottom"] for match in page.search(last, regex=False))
        (number,) = page.search("第 1 页 / 共 1 页", regex=False)
    assert above < number["top"]  # the ledger lines and the page number do not overlap


def test_markup_characters_in_values_print_as_given():
    short = replace(firearm(3), make_model="S&W <M&P9>", serial_number="A&B<1>")
    wrapped = replace(firearm(4), make_model="Smith & Wesson <M&P9> Shield Plus, semi-automatic, 9×19mm")
    (table,) = item_tables(render_slip(slip((short, wrapped))))
    assert table[1][4:] == ["S&W <M&P9>", "A&B<1>"]
    assert "".join(table[2][4].split()) == "Smith&Wesson<M&P9>ShieldPlus,semi-automatic,9×19mm"


def test_a_value_too_long_for_its_column_wraps_within_its_cell():
    long_name = "五四式手枪（仿制）" * 4
    (table,) = item_tables(render_slip(slip((replace(firearm(5), make_model=long_name), lot(6)))))
    cell = table[1][4]
    assert "\n" in cell and cell.replace("\n", "") == long_name


def test_a_slip_of_200_items_continues_over_numbered_pages_with_every_item_once():
    items = tuple(firearm(i) if i % 3 else lot(i, i) for i in range(1, 201))
    pdf = render_slip(slip(items))
    pages = pages_text(pdf)
    assert len(pages) > 3
    printed = Counter(found for page in pages for found in NUMBER.findall(page))
    assert printed == Counter(item.evidence_no for item in items)
    tables = item_tables(pdf)
    assert len(tables) == len(pages) and all(table[0] == HEADER for table in tables)  # header repeated
    rows = [row for table in tables for row in table[1:]]
    assert [(row[0], row[1]) for row in rows] == [
        (str(i), item.evidence_no) for i, item in enumerate(items, 1)
    ]
    for index, page in enumerate(pages, start=1):
        assert re.findall(r"第 (\d+) 页 / 共 (\d+) 页", page) == [(str(index), str(len(pages)))]
        assert OFFER.hash in page and ACCEPTANCE.hash in page
        assert "长南公刑字〔2026〕001号" in page
    assert "签名 Signature" in pages[-1] and all("签名 Signature" not in page for page in pages[:-1])


def test_items_are_listed_in_the_order_given_and_numbered_from_one():
    items = (lot(9), firearm(4), lot(1))
    (table,) = item_tables(render_slip(slip(items)))
    assert [row[:2] for row in table[1:]] == [[str(i), item.evidence_no] for i, item in enumerate(items, 1)]


def test_an_empty_slip_is_refused():
    with pytest.raises(EmptySlip, match=r"handover 17 .* has no items") as refused:
        render_slip(slip(()))
    assert isinstance(refused.value, ReportError) and isinstance(refused.value, ValueError)


def test_a_character_without_a_glyph_refuses_the_slip():
    with pytest.raises(UnprintableText, match="U\\+1F52B"):
        render_slip(slip((replace(firearm(1), make_model="手枪🔫"),)))


def test_a_hash_that_is_not_ascii_is_refused():
    with pytest.raises(UnprintableText, match="hash of ledger event 4127"):
        render_slip(slip(ledger=(replace(OFFER, hash="哈希"),)))


def test_the_same_slip_gives_the_same_bytes():
    assert render_slip(slip()) == render_slip(slip())


def test_the_slip_is_a4_with_the_labels_font_embedded():
    reader = pypdf.PdfReader(io.BytesIO(render_slip(slip())))
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)
    fonts = [ref.get_object() for ref in reader.pages[0]["/Resources"]["/Font"].values()]
    embedded = [font for font in fonts if "WenQuanYiZenHei" in font["/BaseFont"]]
    assert embedded and all("/FontFile2" in font["/FontDescriptor"] for font in embedded)


def test_first_page_rasterises_to_an_a4_picture_with_the_title_inked(tmp_path):
    """The first page as pdftoppm draws it, kept as ``slip-1.png`` in the test's temporary directory."""
    source = tmp_path / "slip.pdf"
    source.write_bytes(render_slip(slip()))
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "100",
            "-f",
            "1",
            "-l",
            "1",
            "-png",
            "-singlefile",
            str(source),
            str(tmp_path / "slip-1"),
        ],
        check=True,
    )
    image = Image.open(tmp_path / "slip-1.png").convert("L")
    assert image.size == pytest.approx((827, 1169), abs=2)
    title = image.crop((250, 60, 580, 160))  # the title, centred near the top
    assert title.getextrema()[0] < 64  # dark ink
    blank = image.crop((0, 0, 827, 40))  # the top margin of the first page holds nothing
    assert blank.getextrema() == (255, 255)


def test_the_slip_names_the_latest_checkpoint_or_that_none_is_signed():
    from custody.report_point import SignedCheckpoint

    (unsigned,) = pages_text(render_slip(slip()))
    assert "Checkpoint: none signed yet" in unsigned
    signed = SignedCheckpoint(41, "ab" * 32, "jilin-province", "note")
    (text,) = pages_text(render_slip(slip(checkpoint=signed)))
    assert "tree size 41" in text and "jilin-province" in text and ("ab" * 32) in text.replace("\n", "")


def test_the_slip_as_csv_has_a_row_per_item_and_per_event():
    from reports.slip import slip_csv

    the_slip = slip()
    data = slip_csv(the_slip)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = [line.split(",") for line in data.decode("utf-8-sig").splitlines()]
    assert rows[0][:4] == ["handover_id", "case_no", "row", "evidence_no"]
    items = [r for r in rows[1:] if r[2] == "item"]
    events = [r for r in rows[1:] if r[2] == "event"]
    assert [r[3] for r in items] == [i.evidence_no for i in the_slip.items]
    assert [(int(r[11]), r[12]) for r in events] == [(p.seq, p.hash) for p in the_slip.ledger]
