"""Every layout, rasterised by pdftoppm at 203 and 300 dpi, decodes with zxing-cpp to the number printed."""

import subprocess
from datetime import date
from pathlib import Path

import pytest
import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from custody.numbers import EvidenceNumber, ItemKind
from custody.units import read_units
from labels import (
    A4_3X8,
    LAYOUTS,
    THERMAL_60X40,
    THERMAL_100X50,
    ItemLabel,
    LocationLabel,
    SampleLabel,
    SealLabel,
    render_pdf,
)

UNIT_NAMES = [row["name_zh"] for row in read_units()]
DAY = date(2026, 3, 1)
FIREARM = "F220100202600012787"
numbers = st.builds(
    lambda kind, region, sequence: str(EvidenceNumber(kind, region, 2026, sequence)),
    st.sampled_from(list(ItemKind)),
    st.from_regex(r"\A[0-9]{6}\Z"),
    st.integers(1, 999_999),
)


def rasterise(pdf: bytes, dpi: int, directory: Path, *, mono: bool) -> list[Image.Image]:
    """Pages of ``pdf`` as pdftoppm draws them: 1-bit like a thermal head, or anti-aliased grey."""
    source = directory / "labels.pdf"
    source.write_bytes(pdf)
    for old in directory.glob("page-*"):
        old.unlink()
    mode = ["-mono"] if mono else ["-gray"]
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), *mode, "-png", str(source), str(directory / "page")], check=True
    )
    return [Image.open(path).convert("L") for path in sorted(directory.glob("page-*.png"))]


def decode(image: Image.Image, dpi: int) -> list[tuple[str, float, float]]:
    """Code 128 symbols found: text and the centre of each, in mm from the page's top-left corner."""
    found = []
    for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.Code128):
        corners = [result.position.top_left, result.position.bottom_right]
        x = sum(p.x for p in corners) / 2 * 25.4 / dpi
        y = sum(p.y for p in corners) / 2 * 25.4 / dpi
        found.append((result.text, x, y))
    return found


def every_kind_of_label():
    return [
        ItemLabel(FIREARM, "J2201002026001", "长春市公安局", DAY, ("五四式手枪 7.62mm", "编号 54012345")),
        SampleLabel(
            str(EvidenceNumber(ItemKind.BULLET_SAMPLE, "220100", 2026, 130)),
            FIREARM,
            "J2201002026001",
            "长春市公安局刑侦支队",
            DAY,
        ),
        SealLabel("S2201-0042", "治安支队封存库 A-03-2", DAY, "王伟", "长春市公安局"),
        LocationLabel("9902-R2-03-07", "长春市公安局封存库", "2号库房", "03", "07"),  # leading 99: code set C
    ]


@pytest.mark.parametrize("mono", [True, False], ids=["1-bit", "grey"])
@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("layout", [THERMAL_60X40, THERMAL_100X50], ids=["60x40", "100x50"])
def test_every_label_type_decodes_on_thermal_layouts(layout, dpi, mono, tmp_path):
    labels = every_kind_of_label()
    pages = rasterise(render_pdf(labels, layout), dpi, tmp_path, mono=mono)
    assert [[text for text, _x, _y in decode(page, dpi)] for page in pages] == [
        [label.face().code] for label in labels
    ]


@pytest.mark.parametrize("dpi", [203, 300])
def test_each_position_of_a_sheet_decodes_to_its_own_label(dpi, tmp_path):
    labels = [
        ItemLabel(str(EvidenceNumber(ItemKind.FIREARM, "220100", 2026, n)), "J1", UNIT_NAMES[n], DAY)
        for n in range(1, 21)
    ]
    (page,) = rasterise(render_pdf(labels, A4_3X8, start=5), dpi, tmp_path, mono=False)
    found = decode(page, dpi)
    assert len(found) == len(labels)
    for text, x, y in found:
        column = int(x // A4_3X8.label_width)
        row = int((y - A4_3X8.margin_top) // A4_3X8.label_height)
        position = row * A4_3X8.columns + column + 1
        assert text == labels[position - 5].evidence_number


@settings(max_examples=24, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    number=numbers,
    unit=st.sampled_from(UNIT_NAMES),
    layout=st.sampled_from(list(LAYOUTS.values())),
    dpi=st.sampled_from([203, 300]),
    start=st.integers(1, 24),
)
def test_any_number_with_any_unit_decodes_to_itself(number, unit, layout, dpi, start, tmp_path):
    label = ItemLabel(number, "J2201002026001", unit, DAY, ("七.六二毫米手枪弹 50发",))
    start = start if layout is A4_3X8 else 1
    (page,) = rasterise(render_pdf([label], layout, start=start), dpi, tmp_path, mono=layout.is_roll)
    assert [text for text, _x, _y in decode(page, dpi)] == [number]
