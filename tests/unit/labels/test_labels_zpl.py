"""ZPL output read back field by field, and its geometry checked by arithmetic in printer dots."""

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custody.numbers import EvidenceNumber, ItemKind
from custody.units import read_units
from labels import (
    A4_3X8,
    THERMAL_60X40,
    THERMAL_100X50,
    DoesNotFit,
    ItemLabel,
    LabelError,
    MissingGlyph,
    SealLabel,
    default_font,
    render_zpl,
)
from labels.layout import arrange

UNIT_NAMES = [row["name_zh"] for row in read_units()]
FIREARM = "F220100202600012787"
DAY = date(2026, 3, 1)
LABEL = ItemLabel(FIREARM, "J2201002026001", "长春市公安局", DAY, ("五四式手枪 7.62mm", "编号 54012345"))
numbers = st.builds(
    lambda kind, region, sequence: str(EvidenceNumber(kind, region, 2026, sequence)),
    st.sampled_from(list(ItemKind)),
    st.from_regex(r"\A[0-9]{6}\Z"),
    st.integers(1, 999_999),
)


def parse(zpl: bytes) -> list[dict]:
    """Each ``^XA … ^XZ`` format as its settings and a list of fields (``^FO`` … ``^FS``)."""
    formats = []
    for body in re.findall(rb"\^XA(.*?)\^XZ", zpl, re.S):
        settings_, fields, field = {}, [], None
        for command in body.split(b"^")[1:]:
            name, argument = command[:2].decode(), command[2:].strip(b"\n")
            if name == "FO":
                field = {"FO": [int(v) for v in argument.split(b",")]}
            elif name == "FS":
                fields.append(field)
                field = None
            elif field is not None:
                field[name] = argument
            else:
                settings_[name] = argument.decode()
        formats.append({"settings": settings_, "fields": fields})
    return formats


def field_text(field: dict) -> str:
    data = field["FD"]
    if "FH" in field:
        data = re.sub(rb"_([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), data)
    return data.decode("utf-8")


def text_fields(fmt: dict) -> list[dict]:
    return [f for f in fmt["fields"] if "A@" in f]


def barcode_field(fmt: dict) -> dict:
    (field,) = [f for f in fmt["fields"] if "BC" in f]
    return field


def symbol_values(data: str) -> list[int]:
    """Symbol values a printer builds from ``^BC`` no-mode data (start … last data character)."""
    starts, switches = (
        {">9": (103, "A"), ">:": (104, "B"), ">;": (105, "C")},
        {">7": 101, ">6": 100, ">5": 99},
    )
    value, code_set = starts[data[:2]]
    values, i = [value], 2
    while i < len(data):
        if data[i] == ">":
            values.append(switches[data[i : i + 2]])
            code_set = {">7": "A", ">6": "B", ">5": "C"}[data[i : i + 2]]
            i += 2
        elif code_set == "C":
            values.append(int(data[i : i + 2]))
            i += 2
        else:
            values.append(ord(data[i]) - 32)
            i += 1
    return values


def decoded(data: str) -> str:
    return re.sub(r">[5-7:;9]", "", data)


@pytest.mark.parametrize("dpi", [203, 300])
def test_each_label_is_one_utf8_format_sized_to_the_label(dpi):
    (fmt,) = parse(render_zpl(LABEL, THERMAL_60X40, dpi))
    assert fmt["settings"]["CI"] == "28"
    assert int(fmt["settings"]["PW"]) == round(60 * dpi / 25.4)
    assert int(fmt["settings"]["LL"]) == round(40 * dpi / 25.4)


def test_text_fields_carry_the_labels_text_in_order():
    (fmt,) = parse(render_zpl(LABEL, THERMAL_60X40))
    face = LABEL.face()
    assert [field_text(f) for f in text_fields(fmt)] == [
        face.heading,
        face.subheading,
        face.readable,
        *face.details,
    ]


def test_text_uses_the_configured_printer_font():
    (fmt,) = parse(render_zpl(LABEL, THERMAL_60X40, printer_font="E:SIMSUN.TTF"))
    assert {f["A@"].decode().split(",")[-1] for f in text_fields(fmt)} == {"E:SIMSUN.TTF"}
    with pytest.raises(LabelError, match="not a ZPL font name"):
        render_zpl(LABEL, THERMAL_60X40, printer_font="SIMSUN^FS")


def test_zpl_special_characters_in_text_are_hex_escaped():
    label = ItemLabel(FIREARM, "J1", "长春市公安局", DAY, ("型号 ^A~B_C",))
    zpl = render_zpl(label, THERMAL_60X40)
    assert b"^A~B" not in zpl
    (fmt,) = parse(zpl)
    assert field_text(text_fields(fmt)[3]) == "型号 ^A~B_C"


@pytest.mark.parametrize(
    ("layout", "dpi", "module"),
    [(THERMAL_60X40, 203, 2), (THERMAL_60X40, 300, 3), (THERMAL_100X50, 203, 3), (THERMAL_100X50, 300, 4)],
)
def test_barcode_geometry_fits_the_print_width_with_quiet_zones(layout, dpi, module):
    (fmt,) = parse(render_zpl(LABEL, layout, dpi))
    field = barcode_field(fmt)
    assert int(field["BY"]) == module
    orientation, height, interpretation, above, check, mode = field["BC"].decode().split(",")
    assert (orientation, interpretation, above, check, mode) == ("N", "N", "N", "N", "N")
    assert int(height) == round(layout.style.bar_height * dpi / 25.4)
    values = symbol_values(field["FD"].decode())
    width = (len(values) + 1) * 11 + 13  # data characters, check character, stop
    left, _top = field["FO"]
    print_width = int(fmt["settings"]["PW"])
    assert left >= 10 * module
    assert left + width * module + 10 * module <= print_width
    assert module * 25.4 / dpi >= 0.25  # the 0.25 mm the 60 × 40 label needs, never less


@pytest.mark.parametrize("dpi", [203, 300])
def test_zpl_places_text_and_bars_where_the_pdf_does(dpi):
    (fmt,) = parse(render_zpl(LABEL, THERMAL_60X40, dpi))
    placement = arrange(LABEL.face(), THERMAL_60X40, default_font())
    dot = 25.4 / dpi
    tops = [f["FO"][1] * dot for f in text_fields(fmt)]
    assert tops == pytest.approx([run.top for run in placement.texts], abs=dot)
    field, bars = barcode_field(fmt), placement.bars
    (left, top), module = field["FO"], int(field["BY"])
    width = bars.symbol.width
    # Modules are whole dots (0.254 mm at 300 dpi against 0.25 mm): same centre, nearly the same width.
    assert (left + width * module / 2) * dot == pytest.approx(bars.x + width * bars.module / 2, abs=dot)
    assert width * module * dot == pytest.approx(width * bars.module, rel=0.02)
    assert top * dot == pytest.approx(bars.top, abs=dot)


@settings(max_examples=50, deadline=None)
@given(number=numbers, unit=st.sampled_from(UNIT_NAMES), dpi=st.sampled_from([203, 300]))
def test_barcode_data_is_the_evidence_number_in_the_same_code_sets(number, unit, dpi):
    (fmt,) = parse(render_zpl(ItemLabel(number, "J1", unit, DAY), THERMAL_60X40, dpi))
    data = barcode_field(fmt)["FD"].decode()
    assert decoded(data) == number
    assert data == f">:{number[0]}>5{number[1:]}"
    assert field_text(text_fields(fmt)[0]) == unit


def test_several_labels_are_several_formats():
    seal = SealLabel("S2201-0042", "封存库 A-03", DAY, "王伟", "长春市公安局")
    formats = parse(render_zpl([LABEL, seal], THERMAL_60X40))
    assert [decoded(barcode_field(f)["FD"].decode()) for f in formats] == [FIREARM, "S2201-0042"]


def test_sheets_are_not_zpl():
    with pytest.raises(LabelError, match="a4-3x8 is a sheet"):
        render_zpl(LABEL, A4_3X8)


def test_missing_glyphs_are_refused_in_zpl_too():
    with pytest.raises(MissingGlyph):
        render_zpl(ItemLabel(FIREARM, "J1", "长春市公安局🔫", DAY), THERMAL_60X40)


def test_a_symbol_too_wide_for_the_print_width_is_refused():
    seal = SealLabel("SEAL-2201-2026-ABCDEFG", "封存库", DAY, "王伟", "长春市公安局")
    with pytest.raises(DoesNotFit):
        render_zpl(seal, THERMAL_60X40, 300)
