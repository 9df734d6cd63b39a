"""The destruction batch report of 10,000 items, 100 of them photographed, vs reportlab drawing the same
rows one ``drawString`` a cell, same run.

The report is built in memory (a :class:`~custody.batch_report.BatchReport` as the core computes it:
tally rows per unit, kind, type and calibre, firearms with two samples each, lots with rounds, items
destroyed and withdrawn, findings, witnesses, 100 JPEG photos of 640×480) — the figures' queries are not
what is measured. Ours is ``reports.batch.render_batch``: totals checked, every text checked against the
font, the document laid out twice for "第 n 页 / 共 m 页", photos as thumbnails. The baseline draws the
item list's rows and the tally's rows with ``canvas.drawString`` per cell, one line a row, in the same
font on A4 pages, and saves. Each side runs in its own process (its peak memory its own), the two taking
turns; best of ``--rounds``. Goals: ratio ≤ 1.5, peak memory under 300 MB.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import time
from typing import Any

from bench._report import child_result, result, table

UNITS = (("220102", "南关区公安分局"), ("220103", "宽城区公安分局"), ("220104", "朝阳区公安分局"))
UNITS += (("220202", "昌邑区公安分局"), ("220302", "铁西区公安分局"))
TYPES = (("手枪", "7.62mm"), ("步枪", "7.62mm"), ("猎枪", "12号"), ("自制枪", "5.6mm"))


def _jpeg(n: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    image = Image.new("RGB", (640, 480), ((n * 37) % 256, (n * 91) % 256, (n * 53) % 256))
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def synthetic_report(count: int, photos: int) -> Any:
    """A closed batch of ``count`` items (a third firearms with two samples each, the rest lots; one in
    fifty withdrawn) with ``photos`` photos, its figures consistent."""
    import hashlib

    from custody.batch_report import (
        BatchReport,
        Person,
        ReportFinding,
        ReportItem,
        ReportPhoto,
        ReportWitness,
        Tally,
        TallyRow,
    )
    from custody.model import ItemState
    from custody.numbers import ItemKind
    from custody.report_point import ReportPoint

    items: list[ReportItem] = []
    rows: dict[tuple[str, str, str, str], list[int]] = {}
    for n in range(count):
        unit, _name = UNITS[n % len(UNITS)]
        withdrawn = n % 50 == 7
        if n % 3 == 0:
            kind, (firearm_type, calibre) = ItemKind.FIREARM, TYPES[n % len(TYPES)]
            serial, rounds = f"SN{n:07d}", None
            samples = (f"B{unit}2026{n:08d}", f"C{unit}2026{n:08d}")
        else:
            kind, firearm_type, calibre = ItemKind.AMMUNITION, None, TYPES[n % len(TYPES)][1]
            serial, rounds, samples = None, 20 + n % 80, ()
        items.append(
            ReportItem(
                f"{kind.value}{unit}2026{n:08d}",
                kind,
                unit,
                firearm_type,
                calibre,
                serial,
                rounds,
                ItemState.SEALED if withdrawn else ItemState.DESTROYED,
                "withdrawn" if withdrawn else "destroyed",
                samples,
                "数量待复核" if withdrawn else None,
            )
        )
        figures = rows.setdefault((unit, kind.value, firearm_type or "", calibre), [0] * 7)
        r = rounds or 0
        for index, value in enumerate(
            (1, 1, 0 if withdrawn else 1, int(withdrawn), r, 0 if withdrawn else r)
        ):
            figures[index] += value
        figures[6] += r if withdrawn else 0
    names = dict(UNITS)
    tally_rows = tuple(
        TallyRow(k[0], names[k[0]], ItemKind(k[1]), k[2] or None, k[3], Tally(*v))
        for k, v in sorted(rows.items())
    )
    totals = Tally(*(sum(v[i] for v in rows.values()) for i in range(7)))
    shots = []
    for n in range(photos):
        content = _jpeg(n)
        item = items[(n * 97) % count]
        shots.append(
            ReportPhoto(
                item.evidence_no,
                "after",
                hashlib.sha256(content).hexdigest(),
                "image/jpeg",
                len(content),
                n + 1,
                content,
            )
        )
    at = "2026-04-15T01:30:00+00:00"
    return BatchReport(
        batch_id=7,
        point=ReportPoint(count * 6, "ab" * 32, None, count * 6, None),
        status="closed",
        planned_method="smelting",
        planned_place="长春钢厂熔炉",
        planned_date="2026-04-15",
        site_method="smelting",
        site_place="长春钢厂熔炉",
        opened_at=at,
        closed_at=at,
        builder=Person("prov-destruction", "省厅销毁专员"),
        officer=Person("prov-destruction", "省厅销毁专员"),
        approver=Person("prov-destruction2", "省厅销毁专员二"),
        closed_seq=count * 6,
        closed_hash="ab" * 32,
        rows=tally_rows,
        totals=totals,
        items=tuple(items),
        witnesses=(
            ReportWitness("kc-clerk", "宽城物证管理员", "220103", "宽城区公安分局", at),
            ReportWitness("ng-auditor", "南关督察", "220102", "南关区公安分局", at),
        ),
        photos=tuple(shots),
        findings=(ReportFinding("unknown", "NOT-A-CODE", None, None, None, "a code naming no item", at),),
    )


def baseline_pdf(report: Any) -> bytes:
    """The item list's and the tally's rows, one ``drawString`` a cell, one line a row, on A4."""
    from reportlab.pdfgen.canvas import Canvas

    from reports.batch import LIST_SIZE, _list_row, _list_widths
    from reports.document import PAGE_HEIGHT, PageSetup, document_font

    face = document_font()
    setup = PageSetup()
    widths = _list_widths(setup)
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(595.2755905511812, PAGE_HEIGHT), invariant=1, pageCompression=1)
    leading = LIST_SIZE * 1.25 + 2
    y = PAGE_HEIGHT - setup.top
    lines = [
        [str(n) for n in (row.unit_code, row.kind.value, row.tally.approved, row.tally.destroyed)]
        for row in report.rows
    ]
    lines += [_list_row(n, item) for n, item in enumerate(report.items, start=1)]
    canvas.setFont(face.name, LIST_SIZE)
    for cells in lines:
        if y < setup.bottom:
            canvas.showPage()
            canvas.setFont(face.name, LIST_SIZE)
            y = PAGE_HEIGHT - setup.top
        x = setup.left
        for text, width in zip(cells, widths, strict=False):
            canvas.drawString(x + 2, y, text)
            x += width
        y -= leading
    canvas.save()
    return out.getvalue()


def child(mode: str, count: int, photos: int) -> None:
    from reports.batch import render_batch
    from reports.document import document_font

    report = synthetic_report(count, photos)
    document_font()  # loaded and registered before either side's clock starts
    start = time.perf_counter()
    content = render_batch(report) if mode == "ours" else baseline_pdf(report)
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "elapsed": elapsed,
                "bytes": len(content),
                "peak_mb": peak_mb,
                "pages": content.count(b"/Type /Page\n"),
            }
        )
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench report")
    parser.add_argument("-n", type=int, default=10_000, help="items in the batch (default 10000)")
    parser.add_argument("--photos", type=int, default=100, help="photos in the report (default 100)")
    parser.add_argument("--rounds", type=int, default=3, help="best of this many runs each")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "N", "PHOTOS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], int(args.child[1]), int(args.child[2]))
        return 0
    ours, bare = [], []
    for _ in range(args.rounds):  # taking turns, so that both see the machine alike
        bare.append(child_result("report", "baseline", str(args.n), str(args.photos)))
        ours.append(child_result("report", "ours", str(args.n), str(args.photos)))
    best_ours = min(float(r["elapsed"]) for r in ours)
    best_bare = min(float(r["elapsed"]) for r in bare)
    peak = max(float(r["peak_mb"]) for r in ours)
    ratio = best_ours / best_bare
    print(f"report: destruction batch of {args.n:,} items, {args.photos} photos, best of {args.rounds}")
    table(
        [
            ("baseline: drawString per cell", f"{best_bare:.2f} s ({bare[0]['bytes']:,} bytes)"),
            ("render_batch (checked, numbered, photos)", f"{best_ours:.2f} s ({ours[0]['bytes']:,} bytes)"),
            ("peak memory (ours)", f"{peak:.0f} MB  (goal < 300 MB)"),
            ("ratio (ours / baseline)", f"{ratio:.2f}  (goal <= 1.5)"),
        ]
    )
    result(
        "report",
        round(best_ours, 6),
        "s",
        round(best_bare, 6),
        round(ratio, 4),
        items=args.n,
        photos=args.photos,
        peak_mb=round(peak, 1),
        baseline_peak_mb=round(max(float(r["peak_mb"]) for r in bare), 1),
    )
    return 0
