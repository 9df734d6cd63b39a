"""`custody report monthly|quarterly` on SQLite and PostgreSQL: the PDF read back with pdfplumber shows
every figure of the month built by hand (own and total per unit), the CSV the same rows, ``--as-of``
gives the same numbers after more events; a unit outside the reader's scope is refused and nothing is
written."""

from __future__ import annotations

import csv
import json
import subprocess
from datetime import datetime
from pathlib import Path

import pdfplumber
import pytest
from click.testing import CliRunner, Result
from stats_world import CHANGCHUN_TOTAL, JILIN_STATS, MARCH, STATS, april, build

from custody.clock import CHINA, FixedClock
from custody.services import Custody
from custody_cli.main import cli
from reports.statistics import CATEGORY_TEXT, MEASURE_TEXT, TITLE_MONTH


def run(url: str, username: str, password: str, *args: str) -> Result:
    env = {"CUSTODY_DATABASE_URL": url, "CUSTODY_USER": ""}
    return CliRunner().invoke(
        cli, ["--as", username, "--password-stdin", *args], env=env, input=password + "\n"
    )


def _pdf_figures(path: Path) -> tuple[str, dict[str, dict[tuple[str, str], tuple[int, int]]]]:
    """The text of the PDF and, per unit, its table: (measure text, key text) -> (own, total)."""
    found: dict[str, dict[tuple[str, str], tuple[int, int]]] = {}
    text = ""
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page_text = page.extract_text() or ""
            text += page_text
            units = [line.split()[0] for line in page_text.splitlines() if "（本级及下级合计）" in line]
            for unit, table in zip(units, page.find_tables(), strict=True):
                rows = table.extract()
                assert rows[0] == ["项目", "分类", "本级", "合计"]
                found[unit] = {(r[0], r[1] or ""): (int(r[2]), int(r[3])) for r in rows[1:]}
    return text, found


def _shown(figures: dict[tuple[str, str], int]) -> dict[tuple[str, str], int]:
    return {
        (MEASURE_TEXT[m], CATEGORY_TEXT[k] if m.startswith("cases") else k): v
        for (m, k), v in figures.items()
    }


def test_the_monthly_report_shows_every_figure(
    database_url: str, custody: Custody, clock: FixedClock, tmp_path: Path, request: pytest.FixtureRequest
):
    end_of_march, cases = build(custody, clock)
    april(custody, clock, cases)  # after the point the report is computed at
    password = str(request.getfixturevalue("passwords"))
    out, rows = tmp_path / "march.pdf", tmp_path / "march.csv"
    args = [
        "report",
        "monthly",
        "--month",
        "2026-03",
        "--unit",
        "220100",
        "--out",
        str(out),
        "--csv",
        str(rows),
    ]
    result = run(database_url, STATS, password, *args, "--as-of", str(end_of_march))
    assert result.exit_code == 0, result.output
    said = json.loads(result.stdout.splitlines()[-1])
    assert said["point"].startswith(f"{end_of_march}:") and said["unit_code"] == "220100"

    text, tables = _pdf_figures(out)
    assert TITLE_MONTH in text and f"seq {end_of_march}" in text
    changchun = tables["220100"]
    assert {k: v[1] for k, v in changchun.items() if v[1]} == _shown(CHANGCHUN_TOTAL)
    assert {k: v[0] for k, v in changchun.items() if v[0]} == _shown(MARCH["220100"])
    for unit in ("220102", "220103"):
        assert {k: v[0] for k, v in tables[unit].items() if v[0]} == _shown(MARCH[unit])
        assert {k: v[1] for k, v in tables[unit].items() if v[1]} == _shown(MARCH[unit])  # no units below
    assert "220200" not in tables

    with rows.open(encoding="utf-8-sig") as handle:
        lines = list(csv.DictReader(handle))
    assert {line["ledger_point"] for line in lines} == {said["point"]}
    in_csv = {
        (line["measure"], line["key"]): int(line["total"]) for line in lines if line["unit_code"] == "220100"
    }
    assert {k: v for k, v in in_csv.items() if v} == CHANGCHUN_TOTAL

    subprocess.run(
        ["pdftoppm", "-r", "80", "-f", "1", "-l", "1", "-png", str(out), str(tmp_path / "march")], check=True
    )
    assert (tmp_path / "march-1.png").stat().st_size > 10_000

    # at the head, the gun crime solved on 28 March (recorded in April) counts
    head_pdf = tmp_path / "head.pdf"
    result = run(
        database_url,
        STATS,
        password,
        "report",
        "monthly",
        "--month",
        "2026-03",
        "--unit",
        "220103",
        "--out",
        str(head_pdf),
    )
    assert result.exit_code == 0, result.output
    assert _pdf_figures(head_pdf)[1]["220103"][
        (MEASURE_TEXT["cases_solved"], CATEGORY_TEXT["gun_crime"])
    ] == (1, 1)

    quarter = tmp_path / "q1.pdf"
    args = ["report", "quarterly", "--quarter", "2026-Q1", "--unit", "220102", "--out", str(quarter)]
    result = run(database_url, STATS, password, *args, "--as-of", str(end_of_march))
    assert result.exit_code == 0, result.output
    assert (MEASURE_TEXT["cases_filed"], CATEGORY_TEXT["possession"]) in _pdf_figures(quarter)[1]["220102"]


def test_a_unit_outside_the_scope_is_refused_writing_nothing(
    database_url: str, custody: Custody, clock: FixedClock, tmp_path: Path, request: pytest.FixtureRequest
):
    build(custody, clock)
    password = str(request.getfixturevalue("passwords"))
    head = custody.ledger.head()
    out = tmp_path / "refused.pdf"
    result = run(
        database_url,
        JILIN_STATS,
        password,
        "report",
        "monthly",
        "--month",
        "2026-03",
        "--unit",
        "220100",
        "--out",
        str(out),
        "--csv",
        str(tmp_path / "r.csv"),
    )
    assert result.exit_code != 0 and "220100" in result.output
    assert not out.exists() and not (tmp_path / "r.csv").exists()
    assert custody.ledger.head() == head


def test_case_fields_on_the_command_line(
    database_url: str, custody: Custody, tmp_path: Path, request: pytest.FixtureRequest
):
    password = str(request.getfixturevalue("passwords"))

    def case(*args: str) -> dict[str, object]:
        result = run(database_url, "ng-clerk", password, "case", *args)
        assert result.exit_code == 0, result.output
        found: dict[str, object] = json.loads(result.stdout.splitlines()[-1])
        return found

    opened = case("open", "C-1", "--category", "smuggling", "--filed", "2026-03-01")
    assert (opened["category"], opened["filed_date"]) == ("smuggling", "2026-03-01")
    today = datetime.now(CHINA).date().isoformat()  # the command line runs on the system clock
    assert case("open", "C-2")["filed_date"] == today
    head = custody.ledger.head()
    refused = run(database_url, "ng-clerk", password, "case", "solved", "C-1", "--date", "2026-02-01")
    assert refused.exit_code != 0 and "before it was filed" in refused.output
    assert custody.ledger.head() == head
    assert case("solved", "C-1", "--date", "2026-03-02")["solved_date"] == "2026-03-02"
    fixed = case(
        "correct", "C-1", "--category", "trade", "--solved", "2026-03-01", "--reason", "破案日期有误"
    )
    assert (fixed["category"], fixed["solved_date"], fixed["filed_date"]) == (
        "trade",
        "2026-03-01",
        "2026-03-01",
    )
    shown = case("show", "C-1")
    assert (shown["category"], shown["filed_date"], shown["solved_date"]) == (
        "trade",
        "2026-03-01",
        "2026-03-01",
    )
