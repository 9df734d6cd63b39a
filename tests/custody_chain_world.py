"""An item walked through its custody, for the tests of the chain-of-custody report: a firearm of a
closed case registered by the clerk, offered and accepted into the Nanguan store, sealed on shelf 1
before a witness, then seen by a desk's scanner; and how to read a report's encodings back."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import subprocess
from pathlib import Path

import pdfplumber
from destruction_world import WITNESS, add_people
from seal_world import SHELF_1, accepted_items

from custody.scans import Scan, ScanSource
from custody.services import Custody
from custody.verify_export import SEPARATOR

DESK = ScanSource("ng-desk-1", "220102", "南关区物证室 1号台")
ACTS = ["registered", "handover_offered", "handover_accepted", "sealed", "sighted"]
_HEADING = re.compile(r"^seq (\d+) +\S+ +SHA-256 ([0-9a-f]{64})$")
_ROW = re.compile(r"^(\d{2}|→)(?: (.*))?$")


def walked_item(custody: Custody) -> str:
    """The evidence number of a firearm taken through :data:`ACTS`."""
    add_people(custody)
    number = accepted_items(custody, 1)[0].evidence_no
    custodian = custody.users.actor("ng-custodian")
    custody.seals.create(custodian, SHELF_1, [number], custody.users.actor(WITNESS))
    sight(custody, number, "k-1")
    return number


def sight(custody: Custody, number: str, key: str) -> None:
    custody.scans.record(DESK, Scan(device="scanner-1", idempotency_key=key, code=number))


def ledger_hashes(custody: Custody) -> dict[int, str]:
    """Every event's hash as the ledger holds it (its export)."""
    with custody.ledger.export() as events:
        return {event["seq"]: event["hash"] for event in events}


def pdf_text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return "\n".join(page.extract_text() or "" for page in document.pages)


def pdf_encodings(pdf: bytes) -> dict[int, tuple[str, str]]:
    """Each event's (hash, encoding) as printed: the numbered lines of its block re-joined with their
    ``→`` continuations, the values joined with U+001F."""
    lines = pdf_text(pdf).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("二、规范编码"))
    end = next(i for i, line in enumerate(lines) if line.startswith("三、"))
    values: dict[int, list[list[str]]] = {}
    hashes: dict[int, str] = {}
    seq = None
    for line in lines[start:end]:
        heading = _HEADING.match(line)
        if heading:
            seq = int(heading[1])
            hashes[seq] = heading[2]
            values.setdefault(seq, [])
            continue
        row = _ROW.match(line)
        if row and seq is not None:
            if row[1] == "→":
                values[seq][-1].append(row[2] or "")
            else:
                assert int(row[1]) == len(values[seq]) + 1, line
                values[seq].append([row[2] or ""])
    return {s: (hashes[s], SEPARATOR.join("".join(p) for p in v)) for s, v in values.items()}


def csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "the CSV is UTF-8 with a byte-order mark"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def first_page_png(pdf: Path, png: Path) -> None:
    """The report's first page as pdftoppm draws it, kept beside it."""
    stem = str(png.with_suffix(""))
    subprocess.run(
        ["pdftoppm", "-r", "100", "-f", "1", "-l", "1", "-png", "-singlefile", str(pdf), stem], check=True
    )
