"""The reports page (报表): every report the API offers, each a small form of its parameters that
downloads the PDF or CSV the API route makes: the chain of custody of an item, a handover's slip, a
tracing letter (issued here, and printed again by its ledger event), a destruction batch's report, and
the monthly and quarterly statistics.

Each download calls the API route itself (the same core call, renderer, file name and content type);
the page offers a report to the users its API route admits (read from the route's declared admission,
as the menu is), and a refusal of the core comes back as the page with the reason beside the field."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from annotated_types import Ge, Le
from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from pydantic import BeforeValidator

from api.deps import Caller, Reader, Services, ServicesDep, admission_of
from api.downloads import Format
from api.errors import problem_type_of
from api.routes import handovers, report_batch, report_custody, report_stats, report_tracing
from custody import text
from custody.clock import china_date
from custody.errors import CustodyError, InvalidInput, ListRefused
from custody.model import Role
from custody.tracing import TracingLetter
from custody.units import UNIT_CODE_LENGTH
from web.render import PageRoute, page, words
from web.session import FormChecked, PageAdmits, like

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _blank_is_none(value: object) -> object:
    return None if value == "" else value  # an empty number field of a form: not given


Seq = Annotated[int, Ge(1), Le(2**62)]
Number = Annotated[int, Ge(1), Le(2**31 - 1)]
AsOf = Annotated[Seq | None, BeforeValidator(_blank_is_none), Query()]
FormatQuery = Annotated[Format, Query(alias="format")]
Code = Annotated[str, Query(max_length=64)]
Unit = Annotated[str, Query(max_length=64)]  # longer than a unit code: the core says what is wrong


@dataclass(frozen=True)
class Field:
    """One parameter of a report's form: its name (as the API names it), its label, the kind of its
    control (text, number, date, textarea, format, unit), and a hint."""

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    maxlength: int = 64
    hint: str = ""


@dataclass(frozen=True)
class Report:
    """A report's form: ``name`` prefixes its fields' ids; ``api`` is the API route it stands beside;
    a refusal that names none of its fields is shown beside ``subject``."""

    name: str
    title: str
    about: str
    path: str
    api: Callable[..., Any]
    fields: tuple[Field, ...]
    subject: str
    method: str = "get"

    @property
    def field_names(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields)


FORMAT = Field("format", "Format", "format")
AS_OF = Field(
    "as_of", "Ledger point", "number", hint="The ledger event to compute at; empty: the latest event"
)
UNIT = Field("unit", "Unit", "unit", maxlength=UNIT_CODE_LENGTH, hint="A unit code; empty: your own unit")
EVIDENCE_NO = Field("evidence_no", "Evidence number", required=True, hint="Scan or type it")

REPORTS = (
    Report(
        "custody",
        "Chain of custody",
        "An item's custody events with their chain hashes and the proof of its last event, for court.",
        "/reports/custody",
        report_custody.custody_chain,
        (EVIDENCE_NO, FORMAT, AS_OF),
        "evidence_no",
    ),
    Report(
        "slip",
        "Handover slip",
        "A handover's items, both people, signature blocks and its ledger events.",
        "/reports/handover-slip",
        handovers.slip,
        (Field("handover_id", "Handover number", "number", required=True), FORMAT),
        "handover_id",
    ),
    Report(
        "new-letter",
        "Issue a tracing letter",
        "Ask another bureau to trace where a firearm or an ammunition lot came from and went.",
        "/reports/tracing-letters",
        report_tracing.issue_letter,
        (
            EVIDENCE_NO,
            Field("addressee", "Bureau asked", required=True, maxlength=text.field("addressee").max_length),
            Field(
                "request",
                "What is asked",
                "textarea",
                maxlength=text.field("request").max_length,
                hint="Empty: its source and flow",
            ),
            Field("reply_by", "Reply by", "date"),
        ),
        "evidence_no",
        method="post",
    ),
    Report(
        "letter",
        "Tracing letter",
        "A tracing letter printed again from the ledger event that issued it.",
        "/reports/tracing-letter",
        report_tracing.show_letter,
        (Field("letter", "Letter (its ledger event)", "number", required=True), FORMAT),
        "letter",
    ),
    Report(
        "batch",
        "Destruction batch report",
        "A destruction batch's tallies by unit, items, findings, witnesses and photos.",
        "/reports/batch",
        report_batch.batch_report,
        (
            Field("batch_id", "Batch number", "number", required=True),
            FORMAT,
            Field(
                "as_of",
                "Ledger point",
                "number",
                hint="The ledger event to compute at; empty: the batch's closing point",
            ),
        ),
        "batch_id",
    ),
    Report(
        "monthly",
        "Monthly statistics",
        "Gun cases, firearms and ammunition of a unit and the units below it, for one month.",
        "/reports/monthly",
        report_stats.monthly_report,
        (Field("month", "Month", required=True, maxlength=16, hint="YYYY-MM"), UNIT, FORMAT, AS_OF),
        "unit",
    ),
    Report(
        "quarterly",
        "Quarterly statistics",
        "The quarter's roll-up of the monthly statistics of a unit and the units below it.",
        "/reports/quarterly",
        report_stats.quarterly_report,
        (
            Field("quarter", "Quarter", required=True, maxlength=16, hint="YYYY-QN, e.g. 2026-Q1"),
            UNIT,
            FORMAT,
            AS_OF,
        ),
        "unit",
    ),
)
BY_NAME = {report.name: report for report in REPORTS}


def _api_roles(endpoint: Callable[..., Any]) -> frozenset[Role]:
    """The roles the API route of ``endpoint`` admits, by its declared admission."""
    for module in (report_custody, handovers, report_tracing, report_batch, report_stats):
        for route in module.router.routes:
            if isinstance(route, APIRoute) and route.endpoint is endpoint:
                admission = admission_of(d.call for d in route.dependant.dependencies)
                if admission is not None:
                    return admission.roles
    raise LookupError(f"no API route admits callers to {endpoint.__name__}")


ADMITS = {report.name: _api_roles(report.api) for report in REPORTS}
REPORT_READER = PageAdmits(*sorted(frozenset[Role]().union(*ADMITS.values())))

PageReportReader = Annotated[Caller, Depends(REPORT_READER)]
PageCustodyReader = Annotated[Caller, like(report_custody.CustodyReader)]
PageSlipReader = Annotated[Caller, like(Reader)]
PageLetterWriter = Annotated[Caller, like(report_tracing.LetterWriter)]
PageBatchReader = Annotated[Caller, like(report_batch.Reader)]
PageStatisticsReader = Annotated[Caller, like(report_stats.StatisticsReader)]


def _last_month(today: date) -> str:
    return f"{today.replace(day=1) - timedelta(days=1):%Y-%m}"


def _last_quarter(today: date) -> str:
    quarter = (today.month - 1) // 3  # the number of the quarter before this one (0: Q4 of last year)
    return f"{today.year}-Q{quarter}" if quarter else f"{today.year - 1}-Q4"


def _page(
    request: Request,
    caller: Caller,
    services: Services,
    status: int = 200,
    *,
    error: str | None = None,
    field: str | None = None,
    values: dict[str, dict[str, str]] | None = None,
    issued: TracingLetter | None = None,
) -> Response:
    """The page: the reports the caller's roles may read, the last month and quarter ended as the
    periods to start from, and the forms as sent (``values``, by report)."""
    offered = [r for r in REPORTS if set(caller.actor.roles) & ADMITS[r.name]]
    today = china_date(services.custody.clock.now_us())
    defaults = {"month": _last_month(today), "quarter": _last_quarter(today), "format": "pdf"}
    statistics = any(f.kind == "unit" for r in offered for f in r.fields)
    return page(
        request,
        "reports.html",
        status,
        error=error,
        field=field,
        reports=offered,
        values=values or {},
        defaults=defaults,
        units=services.custody.units.all() if statistics else [],
        issued=issued,
    )


def _refused(
    request: Request,
    caller: Caller,
    services: Services,
    report: Report,
    error: CustodyError,
    values: dict[str, str],
) -> Response:
    """The page again with the form as sent and the core's reason beside the field it blames (the
    report's subject when it names none of the form's fields)."""
    speak = words(request)
    if isinstance(error, ListRefused):
        error.params["reasons"] = "; ".join(
            f"{r.evidence_no}: {speak.item_refusal(r)}" for r in error.refusals
        )
    named = error.field if isinstance(error, InvalidInput) else None
    field = named if named in report.field_names else report.subject
    request.state.access_note = error.audit_note()
    return _page(
        request,
        caller,
        services,
        problem_type_of(error).status,
        error=speak.refusal(error),
        field=f"{report.name}-{field}",
        values={report.name: values},
    )


def _download(
    request: Request,
    caller: Caller,
    services: Services,
    name: str,
    values: dict[str, object],
    make: Callable[[], Response],
) -> Response:
    """The document ``make`` answers, or the page with the form as sent and the core's refusal."""
    try:
        return make()
    except CustodyError as error:
        sent = {key: "" if value is None else str(value) for key, value in values.items()}
        return _refused(request, caller, services, BY_NAME[name], error, sent)


@router.get("/reports")
def reports_page(
    request: Request,
    caller: PageReportReader,
    services: ServicesDep,
    letter: Annotated[Seq | None, BeforeValidator(_blank_is_none), Query()] = None,
) -> Response:
    """The reports the user may read; after a letter is issued (``letter``), the letter to download."""
    if letter is None:
        return _page(request, caller, services)
    sent = {"letter": str(letter)}
    try:
        issued = services.custody.tracing_letters.get(caller.actor, letter)
    except CustodyError as error:
        return _refused(request, caller, services, BY_NAME["letter"], error, sent)
    return _page(request, caller, services, values={"letter": sent}, issued=issued)


@router.get("/reports/custody")
def custody_report(
    request: Request,
    caller: PageCustodyReader,
    services: ServicesDep,
    evidence_no: Code = "",
    fmt: FormatQuery = "pdf",
    as_of: AsOf = None,
) -> Response:
    """As ``GET /api/v1/reports/custody/{evidence_no}``."""
    return _download(
        request,
        caller,
        services,
        "custody",
        {"evidence_no": evidence_no, "format": fmt, "as_of": as_of},
        lambda: report_custody.custody_chain(evidence_no, caller, services, fmt, as_of),
    )


@router.get("/reports/handover-slip")
def handover_slip(
    request: Request,
    caller: PageSlipReader,
    services: ServicesDep,
    handover_id: Annotated[Number, Query()],
    fmt: FormatQuery = "pdf",
) -> Response:
    """As ``GET /api/v1/handovers/{handover_id}/slip``."""
    return _download(
        request,
        caller,
        services,
        "slip",
        {"handover_id": handover_id, "format": fmt},
        lambda: handovers.slip(handover_id, caller, services, fmt),
    )


@router.post("/reports/tracing-letters")
def issue_letter(
    request: Request,
    caller: PageLetterWriter,
    _form: FormChecked,
    services: ServicesDep,
    evidence_no: Annotated[str, Form(max_length=64)] = "",
    addressee: Annotated[str, Form(max_length=text.field("addressee").max_length)] = "",
    asked: Annotated[str, Form(alias="request", max_length=text.field("request").max_length)] = "",
    reply_by: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """As ``POST /api/v1/items/{evidence_no}/tracing-letters``; then the page offers the letter."""
    try:
        letter = services.custody.tracing_letters.issue(
            caller.actor, evidence_no, addressee, asked, reply_by or None
        )
    except CustodyError as error:
        sent = {"evidence_no": evidence_no, "addressee": addressee, "request": asked, "reply_by": reply_by}
        return _refused(request, caller, services, BY_NAME["new-letter"], error, sent)
    return RedirectResponse(f"/reports?letter={letter.point.seq}", status_code=303)


@router.get("/reports/tracing-letter")
def tracing_letter(
    request: Request,
    caller: PageLetterWriter,
    services: ServicesDep,
    letter: Annotated[Seq, Query()],
    fmt: FormatQuery = "pdf",
) -> Response:
    """As ``GET /api/v1/reports/tracing-letters/{seq}``."""
    return _download(
        request,
        caller,
        services,
        "letter",
        {"letter": letter, "format": fmt},
        lambda: report_tracing.show_letter(letter, caller, services, fmt),
    )


@router.get("/reports/batch")
def batch_report(
    request: Request,
    caller: PageBatchReader,
    services: ServicesDep,
    batch_id: Annotated[Number, Query()],
    fmt: FormatQuery = "pdf",
    as_of: AsOf = None,
) -> Response:
    """As ``GET /api/v1/reports/batches/{batch_id}``."""
    return _download(
        request,
        caller,
        services,
        "batch",
        {"batch_id": batch_id, "format": fmt, "as_of": as_of},
        lambda: report_batch.batch_report(batch_id, caller, services, fmt, as_of),
    )


@router.get("/reports/monthly")
def monthly_report(
    request: Request,
    caller: PageStatisticsReader,
    services: ServicesDep,
    month: Annotated[str, Query(max_length=16)] = "",
    unit: Unit = "",
    fmt: FormatQuery = "pdf",
    as_of: AsOf = None,
) -> Response:
    """As ``GET /api/v1/reports/monthly``."""
    return _download(
        request,
        caller,
        services,
        "monthly",
        {"month": month, "unit": unit, "format": fmt, "as_of": as_of},
        lambda: report_stats.monthly_report(caller, services, month, unit or None, fmt, as_of),
    )


@router.get("/reports/quarterly")
def quarterly_report(
    request: Request,
    caller: PageStatisticsReader,
    services: ServicesDep,
    quarter: Annotated[str, Query(max_length=16)] = "",
    unit: Unit = "",
    fmt: FormatQuery = "pdf",
    as_of: AsOf = None,
) -> Response:
    """As ``GET /api/v1/reports/quarterly``."""
    return _download(
        request,
        caller,
        services,
        "quarterly",
        {"quarter": quarter, "unit": unit, "format": fmt, "as_of": as_of},
        lambda: report_stats.quarterly_report(caller, services, quarter, unit or None, fmt, as_of),
    )
