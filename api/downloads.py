"""Reports as downloads: a PDF (``application/pdf``) or its rows as CSV (``text/csv``, UTF-8 with a
BOM), named for saving, with the ledger point it was computed at in ``X-Ledger-Point`` (``SEQ:HASH``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from fastapi import Response

from custody.report_point import ReportPoint

PDF = "application/pdf"
CSV = "text/csv; charset=utf-8"
Format = Literal["pdf", "csv"]

BINARY = {"schema": {"type": "string", "format": "binary"}}
DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report: a PDF, or its rows as CSV (`format=csv`)",
        "content": {PDF: BINARY, "text/csv": {"schema": {"type": "string"}}},
        "headers": {"X-Ledger-Point": {"description": "SEQ:HASH the figures were computed at"}},
    }
}


def attachment(name: str, fmt: str) -> dict[str, str]:
    """The header that has a browser save the document as ``name.fmt`` rather than show it."""
    return {"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}


def download(
    name: str, fmt: Format, point: ReportPoint, pdf: Callable[[], bytes], csv: Callable[[], bytes]
) -> Response:
    """The report as ``name.pdf`` or ``name.csv`` (only the one asked for is rendered)."""
    content, media_type = (pdf(), PDF) if fmt == "pdf" else (csv(), CSV)
    headers = {**attachment(name, fmt), "X-Ledger-Point": point.text}
    return Response(content, media_type=media_type, headers=headers)
