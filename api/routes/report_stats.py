"""The statistics as downloads: ``GET /reports/monthly`` (涉枪案件及枪支弹药统计月报表) and
``GET /reports/quarterly`` (季度汇总), for the caller's unit (or ``unit``, one in the caller's scope:
any other is answered as missing) and the units below it, as a PDF or CSV computed as of ``as_of``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.deps import API_PREFIX, Admits, Caller, ServicesDep
from api.downloads import DOWNLOAD, Format, download
from api.errors import responses
from custody.statistics import READERS, MonthlyFigures, Period, Statistics
from custody.units import UNIT_CODE_LENGTH
from reports.statistics import render_statistics, statistics_csv

router = APIRouter(prefix=API_PREFIX + "/reports", tags=["reports"])
StatisticsReader = Annotated[Caller, Depends(Admits(*READERS))]
UnitQuery = Annotated[
    str | None, Query(max_length=UNIT_CODE_LENGTH, description="The unit (default: the caller's)")
]
AsOf = Annotated[int | None, Query(ge=1, description="Ledger seq to compute at (default: the head)")]


def _answer(name: str, data: MonthlyFigures, fmt: Format) -> Response:
    return download(
        name, fmt, data.point, pdf=lambda: render_statistics(data), csv=lambda: statistics_csv(data)
    )


@router.get("/monthly", responses={**DOWNLOAD, **responses(401, 403, 404, 422)})
def monthly_report(
    caller: StatisticsReader,
    services: ServicesDep,
    month: Annotated[str, Query(max_length=7, description="YYYY-MM, China Standard Time")],
    unit: UnitQuery = None,
    format: Format = "pdf",
    as_of: AsOf = None,
) -> Response:
    """The monthly statistics of a unit and the units below it."""
    period = Period.month(month)
    data = Statistics(services.custody.store).figures(caller.actor, period, unit, as_of)
    return _answer(f"statistics-{period.label}-{data.unit_code}", data, format)


@router.get("/quarterly", responses={**DOWNLOAD, **responses(401, 403, 404, 422)})
def quarterly_report(
    caller: StatisticsReader,
    services: ServicesDep,
    quarter: Annotated[str, Query(max_length=7, description="YYYY-QN, e.g. 2026-Q4")],
    unit: UnitQuery = None,
    format: Format = "pdf",
    as_of: AsOf = None,
) -> Response:
    """The quarterly roll-up (季度汇总) of the statistics of a unit and the units below it."""
    period = Period.quarter(quarter)
    data = Statistics(services.custody.store).figures(caller.actor, period, unit, as_of)
    return _answer(f"statistics-{period.label}-{data.unit_code}", data, format)
