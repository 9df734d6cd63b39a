"""The custody ledger's head (reports carry it) and a verification of the whole hash chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import API_PREFIX, Inspector, LedgerReader, ServicesDep
from api.errors import responses
from api.schemas import HeadOut, VerificationOut
from custody.errors import InvalidInput
from custody.ledger import HEAD_MALFORMED, Head

router = APIRouter(prefix=API_PREFIX + "/ledger", tags=["ledger"])


@router.get("/head", response_model=HeadOut, responses=responses(401, 403))
def head(caller: LedgerReader, services: ServicesDep) -> HeadOut:
    current = services.custody.ledger.head()
    return HeadOut(seq=current.seq, hash=current.hash, head=str(current))


def expected_head(
    expect_head: Annotated[
        str | None, Query(max_length=100, description="SEQ:HASH recorded earlier: also catches a cut-off end")
    ] = None,
) -> Head | None:
    """The ``expect_head`` query parameter of a chain verification, parsed (422 naming it if malformed)."""
    if not expect_head:
        return None
    try:
        return Head.parse(expect_head)
    except ValueError:
        raise InvalidInput(HEAD_MALFORMED, "expect_head", given=expect_head[:100]) from None


ExpectedHead = Annotated[Head | None, Depends(expected_head)]


@router.get("/verification", response_model=VerificationOut, responses=responses(401, 403, 422))
def verify(caller: Inspector, services: ServicesDep, expected: ExpectedHead) -> VerificationOut:
    """Recompute the whole chain; ``ok`` is false and ``first_bad_seq`` names the first bad event if
    anything was altered or removed."""
    return VerificationOut.model_validate(services.custody.ledger.verify(expected).as_dict())
