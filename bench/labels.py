"""1,000 item labels (60 × 40 mm, vector Code 128, Chinese text) into one PDF.

``ours`` builds :class:`labels.ItemLabel` values and calls :func:`labels.render_pdf`, the path the
``custody label`` commands take. ``bare`` is the floor for the same output: a reportlab loop that
draws the same bars (from python-barcode's encoder) and the same strings at fixed positions on the
same page size, with no checks and no layout logic. Both use the same registered font, loaded
before timing. The figure is the best of ``--repeat`` runs of each, alternated.

    python -m bench labels [--count 1000] [--repeat 5] [--out labels.pdf]
"""

from __future__ import annotations

import argparse
import io
import re
import time
from collections.abc import Callable
from datetime import date

from barcode.codex import Code128
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from bench._report import result, table
from custody.numbers import EvidenceNumber, ItemKind
from labels import THERMAL_60X40, ItemLabel, default_font, render_pdf

GOAL_RATIO = 1.3
GOAL_BYTES = 1_500_000
UNITS = [
    ("220100", "长春市公安局"),
    ("220102", "南关区公安分局"),
    ("220200", "吉林市公安局"),
    ("220300", "四平市公安局"),
    ("222400", "延边朝鲜族自治州公安局"),
    ("229900", "吉林省森林公安局"),
]
DETAILS = [
    ("五四式手枪 7.62mm", "编号 54012345"),
    ("七.六二毫米手枪弹 50发", "批号 71-2019-03"),
    ("自制火药枪 口径 9mm", "来源 私制作坊"),
]

Values = tuple[str, str, str, date, tuple[str, ...]]


def values(count: int) -> list[Values]:
    """Deterministic label values: valid evidence numbers, real unit names, two detail lines."""
    rows = []
    for i in range(count):
        region, unit = UNITS[i % len(UNITS)]
        kind = ItemKind.FIREARM if i % 3 else ItemKind.AMMUNITION
        number = str(EvidenceNumber(kind, region, 2026, i + 1))
        case = f"J{region}2026{(i // 7) + 1:05d}"
        rows.append((number, case, unit, date(2026, 1 + i % 12, 1 + i % 28), DETAILS[i % len(DETAILS)]))
    return rows


def ours(rows: list[Values]) -> bytes:
    labels = [ItemLabel(number, case, unit, day, details) for number, case, unit, day, details in rows]
    return render_pdf(labels, THERMAL_60X40)


_KIND = {"F": "枪支", "A": "弹药"}
_BAR = re.compile("1+")


def bare(rows: list[Values]) -> bytes:
    font = default_font().name
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(60 * mm, 40 * mm), pageCompression=1, invariant=1)
    module, height = 0.25 * mm, 10 * mm
    for number, case, unit, day, details in rows:
        modules = Code128(number).build()[0]
        path = canvas.beginPath()
        for bar in _BAR.finditer(modules):
            path.rect(10.5 * mm + bar.start() * module, 20.7 * mm, (bar.end() - bar.start()) * module, height)
        canvas.drawPath(path, stroke=0, fill=1)
        canvas.setFont(font, 3.0 * mm)
        canvas.drawString(21 * mm, 35.6 * mm, unit)
        canvas.setFont(font, 2.5 * mm)
        canvas.drawString(2 * mm, 32.5 * mm, f"{_KIND[number[0]]}  案件 {case}")
        canvas.setFont(font, 2.8 * mm)
        canvas.drawString(14 * mm, 17.7 * mm, number)
        top = 14.6
        for line in (*details, f"入库 {day.isoformat()}"):
            canvas.setFont(font, 2.5 * mm)
            canvas.drawString(2 * mm, top * mm, line)
            top -= 2.95
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _timed(run: Callable[[list[Values]], bytes], rows: list[Values], times: list[float]) -> bytes:
    started = time.perf_counter()
    pdf = run(rows)
    times.append(time.perf_counter() - started)
    return pdf


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench labels", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="labels in the PDF (default 1000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each, best counts (default 5)")
    parser.add_argument("--out", help="also write our PDF to this file")
    args = parser.parse_args(argv)
    rows = values(args.count)
    default_font()  # font loading is set-up for both, not part of either figure
    ours_times: list[float] = []
    bare_times: list[float] = []
    for _ in range(max(1, args.repeat)):
        pdf = _timed(ours, rows, ours_times)
        floor_pdf = _timed(bare, rows, bare_times)
    if args.out:
        with open(args.out, "wb") as target:
            target.write(pdf)
    value, baseline = min(ours_times), min(bare_times)
    ratio = value / baseline
    table(
        [
            ("labels", f"{args.count} × 60×40 mm, one PDF"),
            ("ours (render_pdf)", f"{value:.3f} s  ({value / args.count * 1000:.2f} ms a label)"),
            ("bare reportlab loop", f"{baseline:.3f} s"),
            ("ratio", f"{ratio:.2f}  (goal ≤ {GOAL_RATIO})"),
            ("PDF size", f"{len(pdf):,} bytes  (goal < {GOAL_BYTES:,}); bare loop {len(floor_pdf):,} bytes"),
        ]
    )
    result(
        "labels_pdf_60x40",
        round(value, 4),
        "s",
        round(baseline, 4),
        round(ratio, 3),
        count=args.count,
        pdf_bytes=len(pdf),
        bare_pdf_bytes=len(floor_pdf),
        goal_ratio=GOAL_RATIO,
        goal_bytes=GOAL_BYTES,
        goal_met=ratio <= GOAL_RATIO and len(pdf) < GOAL_BYTES * args.count / 1000,
    )
    return 0
