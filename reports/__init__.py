"""Documents made from the custody core's records: handover slips (移交清单) first.

``reports`` renders values the core computed (``custody.handover_slip`` and the like) as bytes; it reads
no database and sends nothing anywhere. Documents use the labels' embedded font (WenQuanYi Zen Hei), so
Chinese text prints as given or the document is refused. Every refusal is a :class:`ReportError` (a
:class:`ValueError`).

::

    render_slip(slip: HandoverSlip, *, font=None) -> bytes    # A4 PDF, 第 n 页 / 共 m 页
"""

from __future__ import annotations

from reports.errors import EmptySlip, ReportError, UnprintableText
from reports.slip import render_slip

__all__ = ["EmptySlip", "ReportError", "UnprintableText", "render_slip"]
