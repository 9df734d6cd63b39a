"""Label values are checked when built: what cannot be printed correctly is refused with a reason."""

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custody.errors import InvalidEvidenceNumber
from custody.numbers import EvidenceNumber, ItemKind
from labels import InvalidLabel, ItemLabel, LocationLabel, SampleLabel, SealLabel
from labels.evidence import check_evidence_number

numbers = st.builds(
    EvidenceNumber,
    kind=st.sampled_from(list(ItemKind)),
    region_code=st.from_regex(r"\A[0-9]{6}\Z"),
    year=st.integers(1000, 9999),
    sequence=st.integers(1, 999_999),
)
FIREARM = "F220100202600012787"
BULLET = str(EvidenceNumber(ItemKind.BULLET_SAMPLE, "220100", 2026, 130))
DAY = date(2026, 3, 1)


@given(numbers)
def test_every_number_the_custody_core_prints_is_accepted(number):
    assert check_evidence_number(str(number)) == str(number)


@given(st.from_regex(r"\A[FABC][0-9]{18}\Z"))
def test_labels_accept_exactly_the_numbers_the_custody_core_accepts(text):
    try:
        EvidenceNumber.parse(text)
        core_accepts = True
    except InvalidEvidenceNumber:
        core_accepts = False
    try:
        check_evidence_number(text)
        labels_accept = True
    except InvalidLabel:
        labels_accept = False
    assert labels_accept == core_accepts


def test_wrong_check_digits_refuse_the_label_and_say_why():
    with pytest.raises(InvalidLabel, match="check digits do not match"):
        ItemLabel("F220100202600012788", "J2201002026001", "长春市公安局", DAY)


@pytest.mark.parametrize(
    "text", ["", "F22010020260001278", "f220100202600012787", " F220100202600012787", "X220100202600012787"]
)
def test_malformed_evidence_numbers_are_refused(text):
    with pytest.raises(InvalidLabel, match=r"evidence number|kind letter"):
        ItemLabel(text, "J2201002026001", "长春市公安局", DAY)


def test_kind_defaults_to_the_evidence_numbers_letter():
    label = ItemLabel(FIREARM, "J2201002026001", "长春市公安局", DAY)
    assert label.face().subheading.startswith("枪支")
    ammunition = str(EvidenceNumber(ItemKind.AMMUNITION, "220100", 2026, 128))
    assert ItemLabel(ammunition, "J1", "长春市公安局", DAY).face().subheading.startswith("弹药")


def test_item_face_carries_number_case_unit_details_and_intake_date():
    face = ItemLabel(
        FIREARM, "J2201002026001", "长春市公安局", DAY, ["五四式手枪 7.62mm", "编号 54012345"]
    ).face()
    assert (face.code, face.readable, face.heading) == (FIREARM, FIREARM, "长春市公安局")
    assert "J2201002026001" in face.subheading
    assert face.details == ("五四式手枪 7.62mm", "编号 54012345", "入库 2026-03-01")


def test_sample_label_names_its_firearm_and_what_it_is():
    face = SampleLabel(BULLET, FIREARM, "J2201002026001", "长春市公安局刑侦支队", DAY).face()
    assert face.code == BULLET
    assert face.subheading.startswith("弹头样本")
    assert f"枪支 {FIREARM}" in face.details


def test_sample_number_must_be_a_sample_and_its_firearm_a_firearm():
    with pytest.raises(InvalidLabel, match=r"sample number .* kind letter 'F'"):
        SampleLabel(FIREARM, FIREARM, "J1", "长春市公安局", DAY)
    with pytest.raises(InvalidLabel, match=r"firearm number .* kind letter 'B'"):
        SampleLabel(BULLET, BULLET, "J1", "长春市公安局", DAY)


@pytest.mark.parametrize("code", ["", "封存-1", "S 1", "s-1", "S^1", "S" * 33])
def test_seal_numbers_a_barcode_cannot_carry_plainly_are_refused(code):
    with pytest.raises(InvalidLabel, match="seal number"):
        SealLabel(code, "封存库 A-03", DAY, "王伟", "长春市公安局")


def test_location_label_lists_only_the_parts_it_has():
    face = LocationLabel("220100-S1-R2", "长春市公安局封存库", room="2号库房", bin="07").face()
    assert face.details == ("库房 2号库房", "格位 07")
    assert face.code == "220100-S1-R2"


@pytest.mark.parametrize("unit", ["长春市\n公安局", "长春市\t公安局", "长春\x00"])
def test_control_characters_in_text_are_refused(unit):
    with pytest.raises(InvalidLabel, match="control character"):
        ItemLabel(FIREARM, "J1", unit, DAY)


def test_details_must_be_lines_not_one_string():
    with pytest.raises(InvalidLabel, match="sequence of lines"):
        ItemLabel(FIREARM, "J1", "长春市公安局", DAY, "五四式手枪")  # type: ignore[arg-type]


@pytest.mark.parametrize("day", ["2026-03-01", datetime(2026, 3, 1, 9, 30, tzinfo=UTC)])
def test_intake_date_must_be_a_day_not_text_or_a_moment(day):
    with pytest.raises(InvalidLabel, match="intake date must be a date"):
        ItemLabel(FIREARM, "J1", "长春市公安局", day)
