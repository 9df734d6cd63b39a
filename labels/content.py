"""What each label says, from plain values: item, sample, seal and location labels.

Each label class validates its values when built (a wrong check digit or a character that a barcode
cannot carry is refused at once) and describes itself as a :class:`Face`: a heading, a subheading,
the barcode content, the human-readable number and detail lines. Layouts place a face; they never
look at the label class, so every label type prints on every layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from labels.errors import InvalidLabel
from labels.evidence import KIND_TEXT, check_code, check_evidence_number


@dataclass(frozen=True, slots=True)
class Face:
    """The text and barcode of one label, independent of its size."""

    heading: str
    subheading: str
    code: str  # barcode content
    readable: str  # printed under the bars
    details: tuple[str, ...] = ()


def _text(value: str, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidLabel(f"{what} must be text, got {type(value).__name__}")
    if any(ch < " " or ch == "\x7f" for ch in value):
        raise InvalidLabel(f"{what} {value!r} contains a control character (a line break or tab)")
    return value


def _lines(values: tuple[str, ...] | list[str], what: str) -> tuple[str, ...]:
    if isinstance(values, str):
        raise InvalidLabel(f"{what} must be a sequence of lines, not one string")
    return tuple(_text(v, what) for v in values)


def _date(value: date, what: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        # A datetime would need a time zone to become the day printed; the caller knows it, labels do not.
        raise InvalidLabel(f"{what} must be a date (the local day), got {type(value).__name__}")
    return value


@dataclass(frozen=True, slots=True)
class ItemLabel:
    """Label of a firearm, an ammunition lot or a sample (物证标签).

    ``details`` are the lines describing the item: make/model/serial for a firearm,
    calibre/quantity/lot for ammunition. ``kind`` defaults to the kind of the evidence number's letter.
    """

    evidence_number: str
    case_number: str
    unit_name: str
    intake_date: date
    details: tuple[str, ...] = ()
    kind: str | None = None

    def __post_init__(self) -> None:
        check_evidence_number(self.evidence_number)
        _text(self.case_number, "case number")
        _text(self.unit_name, "unit name")
        _date(self.intake_date, "intake date")
        object.__setattr__(self, "details", _lines(self.details, "detail line"))
        if self.kind is not None:
            _text(self.kind, "kind")

    def face(self) -> Face:
        kind = self.kind if self.kind is not None else KIND_TEXT[self.evidence_number[0]]
        return Face(
            heading=self.unit_name,
            subheading=f"{kind}  案件 {self.case_number}",
            code=self.evidence_number,
            readable=self.evidence_number,
            details=(*self.details, f"入库 {self.intake_date.isoformat()}"),
        )


@dataclass(frozen=True, slots=True)
class SampleLabel:
    """Label of a ballistic sample (弹头样本 / 弹壳样本) made from a firearm.

    The sample number is itself an evidence number, of kind B (bullet) or C (cartridge case); the
    barcode carries it, and the firearm's number is printed beside it as text.
    """

    sample_number: str
    firearm_number: str
    case_number: str
    unit_name: str
    made_on: date

    def __post_init__(self) -> None:
        check_evidence_number(self.sample_number, "BC", what="sample number")
        check_evidence_number(self.firearm_number, "F", what="firearm number")
        _text(self.case_number, "case number")
        _text(self.unit_name, "unit name")
        _date(self.made_on, "date made")

    def face(self) -> Face:
        return Face(
            heading=self.unit_name,
            subheading=f"{KIND_TEXT[self.sample_number[0]]}  案件 {self.case_number}",
            code=self.sample_number,
            readable=self.sample_number,
            details=(f"枪支 {self.firearm_number}", f"制作 {self.made_on.isoformat()}"),
        )


@dataclass(frozen=True, slots=True)
class SealLabel:
    """Label of a sealed container (封存标签): seal number, location, sealing date and custodian."""

    seal_number: str
    location: str
    sealed_on: date
    custodian: str
    unit_name: str

    def __post_init__(self) -> None:
        check_code(self.seal_number, what="seal number")
        _text(self.location, "location")
        _date(self.sealed_on, "sealing date")
        _text(self.custodian, "custodian")
        _text(self.unit_name, "unit name")

    def face(self) -> Face:
        return Face(
            heading=self.unit_name,
            subheading="封存",
            code=self.seal_number,
            readable=self.seal_number,
            details=(
                f"位置 {self.location}",
                f"封存 {self.sealed_on.isoformat()}",
                f"保管人 {self.custodian}",
            ),
        )


@dataclass(frozen=True, slots=True)
class LocationLabel:
    """Label of a storage location (存放位置): store, room, shelf and bin, and the code scanned there."""

    location_code: str
    store: str
    room: str = ""
    shelf: str = ""
    bin: str = ""

    def __post_init__(self) -> None:
        check_code(self.location_code, what="location code")
        for value, what in (
            (self.store, "store"),
            (self.room, "room"),
            (self.shelf, "shelf"),
            (self.bin, "bin"),
        ):
            _text(value, what)

    def face(self) -> Face:
        places = (("库房", self.room), ("货架", self.shelf), ("格位", self.bin))
        return Face(
            heading=self.store,
            subheading="存放位置",
            code=self.location_code,
            readable=self.location_code,
            details=tuple(f"{name} {value}" for name, value in places if value),
        )


Label = ItemLabel | SampleLabel | SealLabel | LocationLabel
LABEL_TYPES = (ItemLabel, SampleLabel, SealLabel, LocationLabel)
