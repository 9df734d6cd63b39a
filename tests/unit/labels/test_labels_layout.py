"""Layouts and placement: every part inside its label, quiet zones kept, what does not fit refused."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custody.numbers import EvidenceNumber, ItemKind
from custody.units import read_units
from labels import (
    A4_3X8,
    LAYOUTS,
    THERMAL_60X40,
    THERMAL_100X50,
    DoesNotFit,
    ItemLabel,
    LabelError,
    LocationLabel,
    MissingGlyph,
    SampleLabel,
    SealLabel,
    a4_sheet,
    default_font,
    layout_named,
)
from labels.code128 import QUIET_ZONE_MODULES
from labels.layout import Placement, arrange

UNIT_NAMES = [row["name_zh"] for row in read_units()]
FIREARM = "F220100202600012787"
DAY = date(2026, 3, 1)
numbers = st.builds(
    lambda kind, region, sequence: str(EvidenceNumber(kind, region, 2026, sequence)),
    st.sampled_from(list(ItemKind)),
    st.from_regex(r"\A[0-9]{6}\Z"),
    st.integers(1, 999_999),
)
detail_text = st.text(
    alphabet=st.sampled_from("五四式手枪自制火药枪口径弹药发批号来源编号 0123456789.mmABCXYZ-"), max_size=14
)


def sample_labels():
    return [
        ItemLabel(FIREARM, "J2201002026001", "长春市公安局", DAY, ("五四式手枪 7.62mm", "编号 54012345")),
        SampleLabel(
            str(EvidenceNumber(ItemKind.CASING_SAMPLE, "220100", 2026, 131)),
            FIREARM,
            "J2201002026001",
            "长春市公安局刑侦支队",
            DAY,
        ),
        SealLabel("S2201-0042", "治安支队封存库 A-03-2", DAY, "王伟", "长春市公安局"),
        LocationLabel("220100-S1-R2-03-07", "长春市公安局封存库", "2号库房", "03", "07"),
    ]


def assert_inside(placement: Placement, layout):
    style, eps = layout.style, 1e-6
    for run in placement.texts:
        assert style.padding - eps <= run.x
        assert run.x + run.width <= layout.label_width - style.padding + eps
        assert run.top + run.size <= layout.label_height - style.padding + eps
    bars = placement.bars
    quiet = QUIET_ZONE_MODULES * bars.module
    assert bars.x - quiet >= -eps
    assert bars.x + bars.symbol.width * bars.module + quiet <= layout.label_width + eps
    above = [run for run in placement.texts if run.top < bars.top]
    below = [run for run in placement.texts if run.top > bars.top]
    assert len(above) + len(below) == len(placement.texts)
    assert all(run.top + run.size <= bars.top for run in above)
    assert all(run.top >= bars.top + bars.height for run in below)


def test_default_sheet_is_three_by_eight_labels_of_70_by_37_mm():
    assert (A4_3X8.columns, A4_3X8.rows, A4_3X8.per_page) == (3, 8, 24)
    assert A4_3X8.label_width == pytest.approx(70.0)
    assert A4_3X8.label_height == pytest.approx(37.0)
    assert A4_3X8.origin(0) == pytest.approx((0.0, 0.5))
    assert A4_3X8.origin(4) == pytest.approx((70.0, 37.5))
    assert A4_3X8.origin(23) == pytest.approx((140.0, 0.5 + 7 * 37))


def test_margins_and_gaps_shape_the_grid():
    sheet = a4_sheet(2, 5, top=10, bottom=12, left=8, right=6, gap_x=4, gap_y=3)
    assert sheet.label_width == pytest.approx((210 - 8 - 6 - 4) / 2)
    assert sheet.label_height == pytest.approx((297 - 10 - 12 - 4 * 3) / 5)
    assert sheet.origin(3) == pytest.approx((8 + sheet.label_width + 4, 10 + sheet.label_height + 3))


def test_positions_outside_the_sheet_are_refused():
    with pytest.raises(LabelError, match=r"positions 1 … 24, not 25"):
        A4_3X8.origin(24)


def test_margins_larger_than_the_page_are_refused():
    with pytest.raises(LabelError):
        a4_sheet(3, 8, left=150, right=70)


def test_thermal_layouts_are_one_label_a_page():
    for layout in (THERMAL_60X40, THERMAL_100X50):
        assert layout.is_roll and layout.per_page == 1
    assert not A4_3X8.is_roll
    assert layout_named("60x40") is THERMAL_60X40


def test_unknown_layout_names_list_the_known_ones():
    with pytest.raises(LabelError, match="60x40, 100x50, a4-3x8"):
        layout_named("62x29")


@pytest.mark.parametrize("layout", list(LAYOUTS.values()), ids=list(LAYOUTS))
@pytest.mark.parametrize("label", sample_labels(), ids=["item", "sample", "seal", "location"])
def test_every_label_type_fits_every_layout(label, layout):
    assert_inside(arrange(label.face(), layout, default_font()), layout)


@settings(max_examples=60, deadline=None)
@given(
    number=numbers,
    unit=st.sampled_from(UNIT_NAMES),
    details=st.lists(detail_text, max_size=3),
    layout=st.sampled_from(list(LAYOUTS.values())),
)
def test_item_labels_with_any_unit_and_number_stay_inside(number, unit, details, layout):
    label = ItemLabel(number, "J2201002026001", unit, DAY, details)
    placement = arrange(label.face(), layout, default_font())
    assert_inside(placement, layout)
    assert [run.text for run in placement.texts] == [
        unit,
        label.face().subheading,
        number,
        *details,
        "入库 2026-03-01",
    ]


def test_every_unit_name_has_its_glyphs_in_the_label_font():
    for name in UNIT_NAMES:
        assert default_font().check(name) == name


def test_module_width_is_a_quarter_millimetre_on_the_small_thermal_label():
    placement = arrange(sample_labels()[0].face(), THERMAL_60X40, default_font())
    assert placement.bars.module == 0.25
    assert placement.bars.symbol.width * 0.25 == 39.0


def test_a_line_slightly_too_wide_is_set_smaller():
    unit = "延边朝鲜族自治州公安局森林分局刑侦大队技术"  # 20 characters, 60 mm at 3 mm
    placement = arrange(ItemLabel(FIREARM, "J1", unit, DAY).face(), THERMAL_60X40, default_font())
    heading = placement.texts[0]
    assert heading.size < THERMAL_60X40.style.heading
    assert heading.width == pytest.approx(60 - 2 * THERMAL_60X40.style.padding)


def test_a_line_far_too_wide_is_refused():
    label = ItemLabel(FIREARM, "J1", "长春市公安局", DAY, ("自制火药枪" * 8,))
    with pytest.raises(DoesNotFit, match=r"100\.0 mm wide at 2\.5 mm; layout 60x40 has room for 56\.0 mm"):
        arrange(label.face(), THERMAL_60X40, default_font())


def test_too_many_detail_lines_are_refused():
    label = ItemLabel(FIREARM, "J1", "长春市公安局", DAY, tuple(f"第{i}行" for i in range(6)))
    with pytest.raises(
        DoesNotFit, match=r"7 lines below the barcode do not fit on layout 60x40 \(room for 5\)"
    ):
        arrange(label.face(), THERMAL_60X40, default_font())


def test_a_sheet_too_short_for_the_barcode_is_refused():
    sheet = a4_sheet(3, 16)  # 70 × 18.5 mm
    with pytest.raises(DoesNotFit, match="too short for the barcode"):
        arrange(sample_labels()[3].face(), sheet, default_font())


def test_a_barcode_too_wide_with_its_quiet_zones_is_refused_not_squeezed():
    seal = SealLabel("SEAL-2201-2026-ABCDEFG", "封存库", DAY, "王伟", "长春市公安局")
    with pytest.raises(DoesNotFit, match="quiet zones"):
        arrange(seal.face(), THERMAL_60X40, default_font())
    assert_inside(arrange(seal.face(), THERMAL_100X50, default_font()), THERMAL_100X50)


@pytest.mark.parametrize("text", ["枪🔫", "𠀀号", "\u200b"])
def test_characters_without_a_glyph_are_refused_never_printed_as_boxes(text):
    label = ItemLabel(FIREARM, "J1", "长春市公安局", DAY, (text,))
    with pytest.raises(MissingGlyph, match="U\\+"):
        arrange(label.face(), THERMAL_60X40, default_font())
