"""``python -m bench labels`` runs end to end at a small count and ends with its JSON line."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_bench_labels_reports_ours_against_the_bare_loop(tmp_path):
    out = tmp_path / "labels.pdf"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "labels", "--count", "12", "--repeat", "1", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout.strip().splitlines()[-1])
    assert record["name"] == "labels_pdf_60x40"
    assert record["unit"] == "s"
    assert record["count"] == 12
    assert record["value"] > 0 and record["baseline"] > 0
    assert record["ratio"] == pytest.approx(record["value"] / record["baseline"], rel=0.05)
    assert record["pdf_bytes"] == out.stat().st_size
    assert len(pypdf.PdfReader(io.BytesIO(out.read_bytes())).pages) == 12
