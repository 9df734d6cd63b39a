"""PDF output read back: pages, positions, vector bars, embedded font and the text as given."""

import io
from datetime import date

import pdfplumber
import pypdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custody.numbers import EvidenceNumber, ItemKind
from custody.units import read_units
from labels import (
    A4_3X8,
    THERMAL_60X40,
    THERMAL_100X50,
    ItemLabel,
    LabelError,
    LocationLabel,
    MissingGlyph,
    SealLabel,
    a4_sheet,
    render_pdf,
)
from labels.code128 import encode

UNIT_NAMES = [row["name_zh"] for row in read_units()]
DAY = date(2026, 3, 1)
MM = 72 / 25.4


def item(
    sequence: int, unit: str = "长春市公安局", details=("五四式手枪 7.62mm", "编号 54012345")
) -> ItemLabel:
    number = str(EvidenceNumber(ItemKind.FIREARM, "220100", 2026, sequence))
    return ItemLabel(number, "J2201002026001", unit, DAY, details)


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def number_positions(pdf: bytes) -> list[tuple[int, float, float]]:
    """(page, x, top) in mm of every evidence number printed under a barcode."""
    found = []
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for index, page in enumerate(document.pages):
            for word in page.extract_words():
                if len(word["text"]) == 19 and word["text"][0] == "F":
                    found.append((index, word["x0"] / MM, word["top"] / MM))
    return found


def test_a_thermal_roll_gets_one_page_per_label_of_the_labels_size():
    pdf = render_pdf([item(i) for i in range(1, 4)], THERMAL_100X50)
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 3
    box = pages[0].mediabox
    assert (float(box.width) / MM, float(box.height) / MM) == pytest.approx((100, 50))


def test_text_extracted_from_the_pdf_is_the_text_given():
    label = item(127, "延边朝鲜族自治州公安局", ("七.六二毫米手枪弹 50发", "来源 私制作坊"))
    face = label.face()
    (text,) = pages_text(render_pdf([label], THERMAL_60X40))
    assert text.splitlines() == [face.heading, face.subheading, face.readable, *face.details]


@settings(max_examples=25, deadline=None)
@given(unit=st.sampled_from(UNIT_NAMES), sequence=st.integers(1, 999_999))
def test_every_unit_name_comes_back_out_of_the_pdf(unit, sequence):
    (text,) = pages_text(render_pdf([item(sequence, unit)], THERMAL_60X40))
    assert text.splitlines()[0] == unit


def test_the_font_is_embedded_once_for_the_whole_document():
    pdf = render_pdf([item(i, UNIT_NAMES[i % len(UNIT_NAMES)]) for i in range(1, 41)], THERMAL_60X40)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    fonts = {}
    for page in reader.pages:
        for reference in page["/Resources"]["/Font"].values():
            fonts[reference.idnum] = reference.get_object()
    assert fonts
    for font in fonts.values():
        assert font["/Subtype"] == "/TrueType"
        assert "WenQuanYiZenHei" in font["/BaseFont"]
        assert "/FontFile2" in font["/FontDescriptor"]
    files = {font["/FontDescriptor"].raw_get("/FontFile2").idnum for font in fonts.values()}
    assert len(files) == len(fonts) <= 2  # one subset (or two past 256 glyphs), shared by all 40 pages


def test_bars_are_vector_rectangles_not_pictures():
    label = item(127)
    with pdfplumber.open(io.BytesIO(render_pdf([label], THERMAL_60X40))) as document:
        page = document.pages[0]
        assert page.images == []
        widths = sorted(round(rect["width"] / MM / 0.25) for rect in page.rects)
    assert widths == sorted(width for _first, width in encode(label.evidence_number).bars())


def test_a_sheet_fills_positions_row_by_row_from_the_start_position():
    pdf = render_pdf([item(i) for i in range(1, 4)], A4_3X8, start=23)
    positions = number_positions(pdf)
    assert [page for page, _x, _top in positions] == [0, 0, 1]
    # Position 23 is row 8, column 2; 24 is row 8, column 3; then position 1 of the next sheet.
    slots = [(A4_3X8.origin(22), 0), (A4_3X8.origin(23), 0), (A4_3X8.origin(0), 1)]
    for (page, x, top), ((left, upper), expected_page) in zip(positions, slots, strict=True):
        assert page == expected_page
        assert left < x < left + A4_3X8.label_width
        assert upper < top < upper + A4_3X8.label_height


def test_margins_move_the_labels():
    sheet = a4_sheet(3, 8, top=10, bottom=10, left=6, right=6)
    ((_page, x, top),) = number_positions(render_pdf([item(5)], sheet))
    assert 6 < x < 6 + sheet.label_width
    assert 10 < top < 10 + sheet.label_height


def test_a_full_sheet_and_one_more_make_two_pages():
    assert len(pages_text(render_pdf([item(i) for i in range(1, 26)], A4_3X8))) == 2


@pytest.mark.parametrize("start", [0, 25])
def test_start_positions_outside_the_sheet_are_refused(start):
    with pytest.raises(LabelError, match="start position"):
        render_pdf([item(1)], A4_3X8, start=start)


def test_an_empty_job_is_refused():
    with pytest.raises(LabelError, match="no labels"):
        render_pdf([], THERMAL_60X40)


def test_one_unprintable_label_refuses_the_whole_job():
    with pytest.raises(MissingGlyph):
        render_pdf([item(1), item(2, "长春市公安局🔫")], THERMAL_60X40)


def test_the_same_labels_give_the_same_bytes():
    labels = [
        item(1),
        SealLabel("S2201-0042", "封存库", DAY, "王伟", "长春市公安局"),
        LocationLabel("L-1", "封存库"),
    ]
    assert render_pdf(labels, THERMAL_60X40) == render_pdf(labels, THERMAL_60X40)
