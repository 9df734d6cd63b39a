"""The chain-of-custody report of one item (证据保管链报告), for court: one A4 PDF, and its events as CSV.

What the report guarantees:

* the item's particulars as of the ledger point, and **every** event of the item up to that point, in a
  table (seq, time in China Standard Time, act, actor, witnesses, receiver / place / seal);
* each event's canonical encoding (version 1) printed **verbatim**, so that anyone can type it back in
  and compute its SHA-256: the value of each of the 13 hashed columns starts a line numbered ``01`` …
  ``13`` in the gutter (the columns are joined with U+001F, which has no glyph: the numbered lines stand
  for it); a value too long for the line is cut, never altered, and its next piece goes on a line whose
  gutter shows ``→``; nothing is escaped: Chinese text prints as itself in the document font (a
  character the font cannot draw refuses the whole report, :class:`~reports.errors.UnprintableText`).
  Re-joining: for each numbered line, append the pieces of the ``→`` lines below it directly (no space,
  no line break), then join the 13 values with U+001F and encode as UTF-8;
* the ledger point, the head when it was made, the latest signed checkpoint, and the inclusion proof of
  the item's last event in that checkpoint's tree when it holds it; how to verify all of it;
* "第 n 页 / 共 m 页" on every page; the same chain gives the same bytes.

The CSV (:func:`custody_chain_csv`) holds one row per event with its encoding (the exact text, U+001F
included) and hashes, after the item's evidence number and the ledger point.
"""

from __future__ import annotations

import hashlib
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

from custody.clock import CHINA, from_us
from custody.custody_report import ChainEvent, ChainItem, CustodyChain
from custody.numbers import ItemKind
from custody.verify_export import HASHED_COLUMNS, SEPARATOR
from labels.evidence import KIND_TEXT
from labels.fonts import LabelFont
from reports.document import (
    MONOSPACE,
    PAGE_WIDTH,
    PageSetup,
    continued_header,
    csv_bytes,
    document_font,
    footer_rule,
    ledger_point_lines,
    monospaced,
    page_number,
    paragraph,
    printable,
    render_numbered,
)
from reports.errors import EncodingMismatch

TITLE = "证据保管链报告"
TITLE_EN = "Chain of custody"
NOTHING = "—"
CONTINUED = "→"  # the gutter of a line that continues the value above it
ENCODING_SIZE = 6.5  # points: the encodings' text
_GUTTER = 8 * mm
_PAD = 2  # points, each side of a cell of the encodings
_FOOT_TEXT = 7.0
CSV_HEADER = (
    "evidence_no",
    "as_of_seq",
    "as_of_hash",
    "seq",
    "recorded_at_us",
    "recorded_at_cst",
    "act",
    "actor_username",
    "actor_name",
    "witness",
    "witnesses",
    "receiver",
    "location",
    "seal_no",
    "station",
    "device",
    "prev_hash",
    "hash",
    "encoding",
)


def render_custody_chain(chain: CustodyChain, *, font: LabelFont | None = None) -> bytes:
    """The chain of custody of ``chain`` as A4 PDF bytes."""
    check_encodings(chain)
    face = document_font(font)
    for value, what in _texts(chain):
        printable(face, value, what)
    for event in chain.events:
        monospaced(event.hash, f"hash of ledger event {event.seq}")
    setup = PageSetup(top=22 * mm, bottom=24 * mm)
    styles = _Styles(face)

    def decorate(canvas: Any, page: int, total: int) -> None:
        continued_header(
            canvas, face, setup, page, f"{TITLE} {TITLE_EN}（续 continued）", chain.item.evidence_no
        )
        _footer(canvas, chain, face, setup, page, total)

    return render_numbered(
        lambda: _story(chain, styles, setup),
        decorate,
        setup=setup,
        font=face,
        title=f"{TITLE} {chain.item.evidence_no}",
    )


def check_encodings(chain: CustodyChain) -> None:
    """Refuse a chain whose printed encodings would not give its hashes (:class:`EncodingMismatch`)."""
    for event in chain.events:
        if len(event.fields) != len(HASHED_COLUMNS) or (
            hashlib.sha256(event.encoded).hexdigest() != event.hash
        ):
            raise EncodingMismatch(f"event {event.seq}: its encoding does not give its hash {event.hash}")


def custody_chain_csv(chain: CustodyChain) -> bytes:
    """One row per event (see the module's documentation), UTF-8 with a BOM."""
    check_encodings(chain)
    lead = [chain.item.evidence_no, chain.point.seq, chain.point.hash]
    rows: list[list[object]] = [list(CSV_HEADER)]
    for e in chain.events:
        rows.append(
            [
                *lead,
                e.seq,
                e.recorded_at_us,
                cst(e.recorded_at_us),
                e.act,
                None if e.actor is None else e.actor.username,
                None if e.actor is None else e.actor.name,
                e.witness,
                " ".join(e.witnesses),
                e.receiver,
                e.location,
                e.seal_no,
                e.station,
                e.device,
                e.prev_hash,
                e.hash,
                e.encoding,
            ]
        )
    return csv_bytes(rows)


def wrapped(font: LabelFont, value: str, room: float, size: float = ENCODING_SIZE) -> list[str]:
    """``value`` cut into pieces that each fit ``room`` points at ``size``, joined back exactly by
    concatenation; a cut is moved off a space where it can be, so no piece starts or ends with one."""
    pieces: list[str] = []
    rest = value
    while font.width(rest, size) > room:
        end, used = 0, 0.0
        while end < len(rest) and used + font.width(rest[end], size) <= room:
            used += font.width(rest[end], size)
            end += 1
        end = max(end, 1)
        cut = end
        while cut > 1 and (rest[cut - 1] == " " or rest[cut] == " "):
            cut -= 1
        pieces.append(rest[: cut if cut > 1 else end])
        rest = rest[len(pieces[-1]) :]
    pieces.append(rest)
    return pieces


# ------------------------------------------------------------------------------------------ the flow


class _Styles:
    def __init__(self, font: LabelFont) -> None:
        def style(name: str, size: float, **extra: Any) -> ParagraphStyle:
            return ParagraphStyle(
                name, fontName=font.name, fontSize=size, leading=size * 1.3, wordWrap="CJK", **extra
            )

        self.font = font
        self.title = style("title", 18, alignment=TA_CENTER, spaceAfter=2)
        self.subtitle = style("subtitle", 11, alignment=TA_CENTER, spaceAfter=6 * mm)
        self.section = style("section", 12, spaceBefore=5 * mm, spaceAfter=2 * mm)
        self.label = style("label", 8.5, textColor=colors.HexColor("#333333"))
        self.value = style("value", 9.5)
        self.head = style("head", 8)
        self.cell = style("cell", 7.5)
        self.note = style("note", 8.5, spaceAfter=2 * mm)
        self.mono = ParagraphStyle("mono", fontName=MONOSPACE, fontSize=7, leading=9)
        self.event = ParagraphStyle("event", fontName=MONOSPACE, fontSize=7, leading=9)


def _story(chain: CustodyChain, styles: _Styles, setup: PageSetup) -> list[Any]:
    story: list[Any] = [
        paragraph(TITLE, styles.title),
        paragraph(TITLE_EN, styles.subtitle),
        _pairs(_particulars(chain), styles, setup),
        paragraph("一、保管事件 Events", styles.section),
        _event_table(chain, styles, setup),
        paragraph("二、规范编码 Canonical encodings (version 1)", styles.section),
        paragraph(_WRAP_RULE.format(continued=CONTINUED), styles.note),
    ]
    for event in chain.events:
        story += _encoding(event, styles, setup)
    story += [
        paragraph("三、账本位置与检查点 Ledger point and checkpoint", styles.section),
        _pairs(_ledger_lines(chain), styles, setup, mono=True),
        paragraph("四、如何核验 How to verify", styles.section),
        *(paragraph(text, styles.note) for text in _how_to_verify(chain)),
        KeepTogether([Spacer(1, 10 * mm), _signatures(styles, setup)]),
    ]
    return story


def _pairs(rows: list[tuple[str, str]], styles: _Styles, setup: PageSetup, mono: bool = False) -> Any:
    value = styles.mono if mono else styles.value
    table = Table(
        [
            [paragraph(label, styles.label), paragraph(text, value if text.isascii() else styles.value)]
            for label, text in rows
        ],
        colWidths=[45 * mm, setup.width - 45 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.lightgrey),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _particulars(chain: CustodyChain) -> list[tuple[str, str]]:
    item = chain.item
    rows = [
        ("物证编号 Evidence no.", item.evidence_no),
        ("类别 Kind", KIND_TEXT[item.kind.value]),
        ("案件编号 Case no.", item.case_no),
        ("主办单位 Unit", f"{item.unit_name} ({item.unit_code})"),
        ("状态 State (as of the point)", item.state.value),
    ]
    if item.kind is ItemKind.FIREARM:
        rows += [
            ("枪种 Type", item.firearm_type or NOTHING),
            ("厂牌型号 Make / model", item.make_model or NOTHING),
            ("枪号 Serial no.", item.serial_number or NOTHING),
            ("口径 Calibre", item.calibre or NOTHING),
        ]
    elif item.kind is ItemKind.AMMUNITION:
        rows += [
            ("口径 Calibre", item.calibre or NOTHING),
            ("数量 Rounds", NOTHING if item.quantity_rounds is None else f"{item.quantity_rounds} 发"),
            ("底火标识 Headstamp / lot", item.headstamp_lot or NOTHING),
        ]
    if item.firearm_evidence_no is not None:
        rows.append(("所属枪支 Sample of firearm", item.firearm_evidence_no))
    if item.description:
        rows.append(("描述 Description", item.description))
    rows.append(("事件 Events", f"{len(chain.events)} 件 (seq ≤ {chain.point.seq})"))
    return rows


def _event_table(chain: CustodyChain, styles: _Styles, setup: PageSetup) -> Any:
    header = (
        "序号\nseq",
        "时间 (北京时间)\nTime (UTC+8)",
        "行为\nAct",
        "经手人\nActor",
        "见证人\nWitness",
        "接收 / 地点 / 封条\nReceiver / place / seal",
    )
    rows: list[list[Any]] = [[paragraph(text, styles.head) for text in header]]
    for e in chain.events:
        rows.append(
            [
                str(e.seq),
                paragraph(cst(e.recorded_at_us, short=True), styles.cell),
                paragraph(e.act, styles.cell),
                paragraph(_actor(e), styles.cell),
                paragraph(_witnesses(e), styles.cell),
                paragraph(_details(e), styles.cell),
            ]
        )
    if not chain.events:
        rows.append(["", "", paragraph("无事件 no events", styles.cell), "", "", ""])
    fixed = [10 * mm, 27 * mm, 30 * mm, 34 * mm, 27 * mm]
    table = Table(rows, colWidths=[*fixed, setup.width - sum(fixed)], repeatRows=1, splitByRow=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 1), (-1, -1), styles.font.name, 7.5, 9.75),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _encoding(event: ChainEvent, styles: _Styles, setup: PageSetup) -> list[Any]:
    """The event's heading (seq, act, hash in full) and its encoding, one numbered value a line."""
    room = setup.width - _GUTTER - 2 * _PAD
    font = styles.font
    heading = f"seq {event.seq}  {event.act}  SHA-256 {event.hash}"
    rows: list[list[Any]] = [[paragraph(heading, styles.event), ""]]  # repeated on a page it runs onto
    for number, value in enumerate(event.fields, start=1):
        for at, piece in enumerate(wrapped(font, value, room)):
            rows.append([f"{number:02d}" if at == 0 else CONTINUED, piece])
    table = Table(rows, colWidths=[_GUTTER, setup.width - _GUTTER], repeatRows=1, splitByRow=1)
    table.setStyle(
        TableStyle(
            [
                ("SPAN", (0, 0), (-1, 0)),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("FONT", (0, 1), (-1, -1), font.name, ENCODING_SIZE, ENCODING_SIZE * 1.25),
                ("TEXTCOLOR", (0, 1), (0, -1), colors.HexColor("#555555")),
                ("LINEAFTER", (0, 1), (0, -1), 0.4, colors.grey),
                ("BOX", (0, 0), (-1, -1), 0.4, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 0.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5),
                ("LEFTPADDING", (0, 0), (-1, -1), _PAD),
                ("RIGHTPADDING", (0, 0), (-1, -1), _PAD),
            ]
        )
    )
    return [Spacer(1, 3 * mm), table]


def _ledger_lines(chain: CustodyChain) -> list[tuple[str, str]]:
    lines = ledger_point_lines(chain.point)
    if chain.point.at_us is not None:
        lines.insert(1, ("账本时间 (point recorded)", cst(chain.point.at_us)))
    last, proof = chain.last, chain.proof
    if last is None:
        return lines
    if proof is None:
        lines.append(
            (
                "包含证明 (inclusion proof)",
                f"seq {last.seq} is not yet in a signed checkpoint's tree: "
                f"prove it after the next checkpoint (custody checkpoint prove {last.seq})",
            )
        )
        return lines
    leaf = f"seq {proof.seq}: leaf {proof.seq - 1} of tree size {proof.tree_size}"
    lines += [
        ("包含证明 (inclusion proof)", leaf),
        ("叶哈希 (leaf hash)", proof.leaf_hash),
        ("树根 (root hash)", proof.root_hash),
    ]
    lines += [(f"证明 (proof) {at}", step) for at, step in enumerate(proof.proof, start=1)]
    if not proof.proof:
        lines.append(("证明 (proof)", "empty: the tree holds this event alone"))
    return lines


_WRAP_RULE = (
    "每个事件的规范编码按原样印出 Each event's canonical encoding, printed verbatim: each of its 13 values "
    "starts a line numbered 01 … 13 (the values are joined with U+001F, which has no glyph); a value too "
    "long for its line is cut, and the line whose gutter shows {continued} continues the line above it "
    "directly, with no space and no line break. Nothing is escaped or left out. Re-join the pieces of "
    "each value, join the 13 values with U+001F, encode as UTF-8: SHA-256 of those bytes is the hash."
)


def _how_to_verify(chain: CustodyChain) -> list[str]:
    columns = ", ".join(HASHED_COLUMNS)
    last = chain.last
    prove = f"custody checkpoint prove {last.seq}" if last is not None else "custody checkpoint prove SEQ"
    return [
        f"1. 编码 The encoding (version {chain.encoding_version}): the columns {columns} (every column "
        "but hash), in that order; each as text: integers in decimal ASCII, text as stored, NULL as the "
        "four letters None; joined with the unit separator U+001F; encoded as UTF-8. The payload is JSON "
        "with sorted keys, no spaces between tokens, non-ASCII text as itself. hash = lowercase hex "
        "SHA-256 of those bytes; prev_hash of seq 1 is 64 zeros; each prev_hash is the hash of the event "
        "before it in the ledger (seq - 1, of any item).",
        "2. 整链核验 The whole chain: `custody ledger verify` (optionally --expect-head "
        f"{chain.point.text}) recomputes every hash from seq 1 and names the first bad seq.",
        f"3. 检查点 Against the province's signed checkpoint: `{prove}` gives the inclusion proof "
        "(RFC 9162 §2.1.3; leaf = SHA-256(0x00 ‖ encoding), node = SHA-256(0x01 ‖ left ‖ right), leaf "
        "index = seq - 1).",
        "4. 离线核验 Offline: `custody ledger export` then `custody-verify-export EXPORT.jsonl --key "
        "VERIFIER_KEY --checkpoint FILE` (python -m custody.verify_export) checks every event and rebuilds "
        "each checkpoint's tree, with nothing of this system but that one module.",
    ]


def _signatures(styles: _Styles, setup: PageSetup) -> Any:
    side = (setup.width - 10 * mm) / 2
    label = 28 * mm
    rows = [
        [
            paragraph("制表人\nPrepared by", styles.label),
            "",
            "",
            paragraph("审核人\nChecked by", styles.label),
            "",
        ],
        [paragraph("签名 Signature", styles.label), "", "", paragraph("签名 Signature", styles.label), ""],
        [paragraph("日期 Date", styles.label), "", "", paragraph("日期 Date", styles.label), ""],
    ]
    table = Table(
        rows,
        colWidths=[label, side - label, 10 * mm, label, side - label],
        rowHeights=[12 * mm, 14 * mm, 10 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LINEBELOW", (1, 0), (1, 2), 0.6, colors.black),
                ("LINEBELOW", (4, 0), (4, 2), 0.6, colors.black),
            ]
        )
    )
    return table


def _footer(
    canvas: Any, chain: CustodyChain, font: LabelFont, setup: PageSetup, page: int, total: int
) -> None:
    left, right = setup.left, PAGE_WIDTH - setup.right
    top = footer_rule(canvas, setup)
    baseline = top - 3.6 * mm
    canvas.setFont(font.name, _FOOT_TEXT)
    canvas.drawString(left, baseline, f"物证编号 {chain.item.evidence_no}  账本位置 Ledger point")
    point = f"seq {chain.point.text}"
    size = min(_FOOT_TEXT, (right - left) * 0.62 / (0.6 * len(point)))
    canvas.setFont(MONOSPACE, size)
    canvas.drawRightString(right, baseline, point)
    page_number(canvas, font, page, total)


# ---------------------------------------------------------------------------------------- values


def cst(us: int, short: bool = False) -> str:
    """``us`` (µs since the epoch, UTC) in China Standard Time: to the second, or in full (``short``)."""
    if short:  # to the microsecond: the stored value, in China Standard Time
        return from_us(us).astimezone(CHINA).strftime("%Y-%m-%d\n%H:%M:%S.%f")
    return from_us(us).astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S") + " 北京时间 (UTC+8)"


def _actor(e: ChainEvent) -> str:
    if e.actor is None:
        return f"设备 device {e.station} {e.device}".rstrip()
    return f"{e.actor.name}\n({e.actor.username})"


def _witnesses(e: ChainEvent) -> str:
    named = ([e.witness] if e.witness else []) + list(e.witnesses)
    return "\n".join(named) if named else NOTHING


def _details(e: ChainEvent) -> str:
    parts = []
    if e.receiver:
        parts.append(f"接收 to: {e.receiver}")
    if e.location:
        parts.append(f"地点 at: {e.location}")
    if e.seal_no:
        parts.append(f"封条 seal: {e.seal_no}")
    return "\n".join(parts) or NOTHING


def _texts(chain: CustodyChain) -> list[tuple[str, str]]:
    """Every value printed in the document font, with what it is (for a refusal)."""
    item: ChainItem = chain.item
    texts = [
        (item.case_no, "case number"),
        (item.unit_name, "unit name"),
        (item.description, "description"),
        *((v, "item") for v in (item.firearm_type, item.make_model, item.serial_number) if v),
        *((v, "item") for v in (item.calibre, item.headstamp_lot) if v),
        (_WRAP_RULE.format(continued=CONTINUED), "how lines are wrapped"),
        *((text, "how to verify") for text in _how_to_verify(chain)),
    ]
    for e in chain.events:
        what = f"ledger event {e.seq}"
        texts.append((e.encoding.replace(SEPARATOR, ""), f"{what}: encoding"))
        for shown in (_actor(e), _witnesses(e), _details(e)):
            texts += [(line, what) for line in shown.split("\n")]
    return texts
