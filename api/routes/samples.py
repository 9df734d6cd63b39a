"""Test-fires with their ballistic samples (弹头、弹壳样本), and splits of ammunition lots: each one act of
the core (:mod:`custody.samples`), creating items, so each answers 201 and takes an ``Idempotency-Key``.
An item outside the caller's scope is answered as missing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from api.deps import API_PREFIX, Admits, Caller, ServicesDep
from api.errors import responses
from api.idempotency import IdempotencyKeyHeader, create_once
from api.sample_schemas import LotSplitIn, LotSplitOut, TestFireIn, TestFireOut
from api.schemas import ItemOut
from custody import lifecycle
from custody.model import EventType
from custody.samples import LotSplit, TestFire, TestFired

router = APIRouter(prefix=API_PREFIX, tags=["ballistic samples"])

Examiner = Annotated[Caller, Depends(Admits(*sorted(lifecycle.transition_for(EventType.TEST_FIRED).roles)))]
LotHolder = Annotated[Caller, Depends(Admits(*sorted(lifecycle.transition_for(EventType.LOT_SPLIT).roles)))]


def _fired_out(done: TestFired) -> TestFireOut:
    return TestFireOut(
        firearm=ItemOut.model_validate(done.firearm),
        samples=[ItemOut.model_validate(made) for made in done.samples],
        lot=None if done.lot is None else ItemOut.model_validate(done.lot),
    )


def _split_out(done: LotSplit) -> LotSplitOut:
    return LotSplitOut(
        original=ItemOut.model_validate(done.original), split_off=ItemOut.model_validate(done.split_off)
    )


@router.post(
    "/items/{evidence_no}/test-fires",
    status_code=201,
    response_model=TestFireOut,
    responses=responses(401, 403, 404, 409, 422),
)
def record_test_fire(
    evidence_no: str,
    body: TestFireIn,
    caller: Examiner,
    services: ServicesDep,
    request: Request,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Record a test-fire of a firearm checked out to the lab, by an investigator of the criminal
    investigation department: each sample kept becomes an item of the firearm's case with its own
    evidence number; the rounds fired of a lot are taken off it in the same act (never below zero)."""
    fired = TestFire(
        body.lab,
        body.examiner,
        body.bullets,
        body.cases,
        None if body.date is None else body.date.isoformat(),
        body.ammunition_lot,
        body.rounds,
        body.lab_stock,
    )
    samples = services.custody.samples
    return create_once(
        request,
        services,
        caller,
        idempotency_key,
        body,
        lambda also: samples.test_fire(caller.actor, evidence_no, fired, also),
        _fired_out,
    )


@router.post(
    "/items/{evidence_no}/split",
    status_code=201,
    response_model=LotSplitOut,
    responses=responses(401, 403, 404, 409, 422),
)
def split_lot(
    evidence_no: str,
    body: LotSplitIn,
    caller: LotHolder,
    services: ServicesDep,
    request: Request,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Split rounds off an ammunition lot the caller holds (a clerk in case custody, its custodian in
    the store; a sealed lot is unsealed first) into a new lot of the same case: the two add up."""
    samples = services.custody.samples
    return create_once(
        request,
        services,
        caller,
        idempotency_key,
        body,
        lambda also: samples.split(caller.actor, evidence_no, body.rounds, also),
        _split_out,
    )
