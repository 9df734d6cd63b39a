"""Documents made from the custody core's records: handover slips (移交清单) and audit reports (检查报告).

``reports`` renders values the core computed (``custody.handover_slip`` and the like) as bytes; it reads
no database and sends nothing anywhere. Documents use the labels' embedded font (WenQuanYi Zen Hei), so
Chinese text prints as given or the document is refused. Every refusal is a :class:`ReportError` (a
:class:`ValueError`).

::

    render_slip(slip: HandoverSlip, *, font=None) -> bytes    # A4 PDF, 第 n 页 / 共 m 页
    render_audit(report: AuditReport, *, font=None) -> bytes  # A4 PDF, 枪支弹药封存库检查报告
    audit_csv(report: AuditReport) -> str                     # the same rows as CSV
"""

from __future__ import annotations

from reports.audit import UnbalancedReport, audit_csv, render_audit
from reports.errors import EmptySlip, ReportError, UnprintableText
from reports.slip import render_slip

__all__ = [
    "EmptySlip",
    "ReportError",
    "UnbalancedReport",
    "UnprintableText",
    "audit_csv",
    "render_audit",
    "render_slip",
]
