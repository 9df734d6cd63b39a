"""Request and response bodies of test-fires with ballistic samples and of lot splits
(:mod:`api.routes.samples`), held to the core's text policy like every body (:mod:`api.schemas`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StrictInt, StringConstraints

from api.schemas import IsoDate, ItemOut, RequestBody, StoredText
from custody.lifecycle.samples import MAX_SAMPLES

EvidenceNo = Annotated[str, StringConstraints(min_length=1, max_length=40)]
SampleCount = Annotated[StrictInt, Field(ge=0, le=MAX_SAMPLES)]


class TestFireIn(RequestBody):
    """A test-fire as the examiner reports it: the ammunition is a lot of the custody (its evidence
    number and the rounds fired, taken off it) or the lab's own stock (described); at least one sample."""

    lab: Annotated[str, StoredText("lab", required=True)] = Field(description="The laboratory")
    examiner: Annotated[str, StoredText("examiner", required=True)] = Field(description="Who fired it")
    date: IsoDate | None = Field(default=None, description="Day of the test-fire (default: today, CST)")
    ammunition_lot: EvidenceNo | None = Field(default=None, description="The lot fired (with rounds)")
    rounds: Annotated[StrictInt, Field(ge=1, le=10_000_000)] | None = Field(
        default=None, description="Rounds of the lot fired"
    )
    lab_stock: Annotated[str, StoredText("lab_stock")] | None = Field(
        default=None, description="The lab's own ammunition fired, instead of a lot"
    )
    bullets: SampleCount = Field(default=0, description="Bullet samples (B) kept")
    cases: SampleCount = Field(default=0, description="Cartridge-case samples (C) kept")


class TestFireOut(BaseModel):
    """The firearm after its test-fire, its samples (new items, bullets first) and the lot fired."""

    firearm: ItemOut
    samples: list[ItemOut]
    lot: ItemOut | None


class LotSplitIn(RequestBody):
    rounds: Annotated[StrictInt, Field(ge=1, le=10_000_000)] = Field(
        description="Rounds that go to the new lot (fewer than the lot holds)"
    )


class LotSplitOut(BaseModel):
    original: ItemOut
    split_off: ItemOut
