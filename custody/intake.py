"""What a clerk enters at intake (登记), validated before anything is written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from custody import text
from custody.errors import InvalidInput, Message

FIRES_STANDARD_NOT_BOOL = Message(
    "item.fires_standard_ammunition_not_bool", "fires_standard_ammunition must be true or false"
)
QUANTITY_ROUNDS_INVALID = Message(
    "item.quantity_rounds_invalid", "quantity_rounds must be a whole number of rounds, 1 or more"
)


def clean_text(value: Any, name: str, *, required: bool = False) -> str | None:
    """A text field as stored, under the one text policy (:mod:`custody.text`): NFC, trimmed, no
    control or invisible characters, within the field's length limit; blank is absent unless required."""
    return text.clean(value, name, required=required)


@dataclass(frozen=True)
class SourceAndFlow:
    """Where a seized gun came from (来源流向): maker, workshop, smuggling route, seller, notes."""

    maker: str | None = None
    workshop: str | None = None
    route: str | None = None
    seller: str | None = None
    notes: str | None = None

    def columns(self) -> dict[str, str | None]:
        return {
            "source_maker": _optional(self.maker, "source_maker"),
            "source_workshop": _optional(self.workshop, "source_workshop"),
            "source_route": _optional(self.route, "source_route"),
            "source_seller": _optional(self.seller, "source_seller"),
            "source_notes": _optional(self.notes, "source_notes"),
        }


def _optional(value: Any, name: str) -> str | None:
    return None if value is None else clean_text(value, name)


@dataclass(frozen=True)
class FirearmIntake:
    firearm_type: str  # e.g. 手枪 pistol, 步枪 rifle, 猎枪 shotgun, 自制枪 home-made
    make_model: str
    serial_number: str
    calibre: str
    fires_standard_ammunition: bool  # 可发射制式子弹
    source: SourceAndFlow = SourceAndFlow()
    description: str = ""

    def columns(self) -> dict[str, Any]:
        if not isinstance(self.fires_standard_ammunition, bool):
            raise InvalidInput(FIRES_STANDARD_NOT_BOOL, "fires_standard_ammunition")
        return {
            "firearm_type": clean_text(self.firearm_type, "firearm_type", required=True),
            "make_model": clean_text(self.make_model, "make_model", required=True),
            "serial_number": clean_text(self.serial_number, "serial_number", required=True),
            "calibre": clean_text(self.calibre, "calibre", required=True),
            "fires_standard_ammunition": self.fires_standard_ammunition,
            "description": clean_text(self.description, "description") or "",
            **self.source.columns(),
        }


@dataclass(frozen=True)
class AmmunitionIntake:
    calibre: str
    quantity_rounds: int
    headstamp_lot: str = ""
    source: SourceAndFlow = SourceAndFlow()
    description: str = ""

    def columns(self) -> dict[str, Any]:
        quantity = self.quantity_rounds
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            raise InvalidInput(QUANTITY_ROUNDS_INVALID, "quantity_rounds")
        return {
            "calibre": clean_text(self.calibre, "calibre", required=True),
            "quantity_rounds": quantity,
            "headstamp_lot": clean_text(self.headstamp_lot, "headstamp_lot"),
            "description": clean_text(self.description, "description") or "",
            **self.source.columns(),
        }
