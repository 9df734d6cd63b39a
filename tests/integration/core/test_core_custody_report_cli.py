"""`custody report custody` on SQLite and PostgreSQL: the PDF and CSV of an item's chain of custody; the
SHA-256 of each encoding read back from them, given to `custody ledger verify --expect-history`, is what
the ledger holds; `--as-of` an earlier point gives fewer events and the same rows after more events; an
out-of-scope caller is told "unknown item" and a bad `--as-of` is refused, writing nothing."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner, Result
from custody_chain_world import ACTS, csv_rows, first_page_png, pdf_encodings, sha256, sight, walked_item

from custody.numbers import EvidenceNumber, ItemKind
from custody.services import Custody
from custody_cli.main import cli


def run(url: str, username: str, password: str, *args: str) -> Result:
    return CliRunner().invoke(
        cli,
        ["--as", username, "--password-stdin", *args],
        env={"CUSTODY_DATABASE_URL": url, "CUSTODY_USER": ""},
        input=password + "\n",
    )


def written(result: Result) -> dict[str, object]:
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.fixture
def walked(custody: Custody) -> str:
    return walked_item(custody)


def test_the_report_read_back_hashes_to_the_ledger(database_url, custody, passwords, walked, tmp_path):
    pdf, rows = tmp_path / "chain.pdf", tmp_path / "chain.csv"
    answer = written(
        run(
            database_url,
            "ng-clerk",
            passwords,
            "report",
            "custody",
            walked,
            "--out",
            str(pdf),
            "--csv",
            str(rows),
        )
    )
    head = custody.ledger.head()
    assert answer["point"] == f"{head.seq}:{head.hash}" and answer["events"] == len(ACTS)
    first_page_png(pdf, tmp_path / "chain-1.png")
    from_csv = {int(r["seq"]): sha256(r["encoding"]) for r in csv_rows(rows.read_bytes())}
    from_pdf = {seq: sha256(encoding) for seq, (_h, encoding) in pdf_encodings(pdf.read_bytes()).items()}
    assert from_csv == from_pdf and len(from_csv) == len(ACTS)
    history = tmp_path / "history.txt"
    history.write_text("".join(f"{seq}:{digest}\n" for seq, digest in from_csv.items()))
    verified = run(
        database_url,
        "ng-clerk",
        passwords,
        *("ledger", "verify", "--expect-history", str(history), "--expect-head", str(answer["point"])),
    )
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)["ok"] is True


def test_as_of_gives_the_same_rows_after_more_events(database_url, custody, passwords, walked, tmp_path):
    point = custody.items.item(None, walked).history[2].seq  # accepted into the store
    first, again = tmp_path / "first.csv", tmp_path / "again.csv"
    args = ("report", "custody", walked, "--as-of", str(point), "--out", str(tmp_path / "c.pdf"))
    assert written(run(database_url, "ng-custodian", passwords, *args, "--csv", str(first)))["events"] == 3
    sight(custody, walked, "k-9")
    assert written(run(database_url, "ng-custodian", passwords, *args, "--csv", str(again)))["events"] == 3
    assert again.read_bytes() == first.read_bytes()
    assert [r["act"] for r in csv_rows(first.read_bytes())] == ACTS[:3]


@pytest.mark.parametrize(
    ("username", "as_of", "said"),
    [("jl-clerk", None, "unknown item"), ("ng-clerk", "0", "--as-of 0"), ("ng-clerk", "999999", "--as-of")],
)
def test_refused_writing_nothing(database_url, custody, passwords, walked, tmp_path, username, as_of, said):
    head = custody.ledger.head()
    pdf, rows = tmp_path / "no.pdf", tmp_path / "no.csv"
    extra = () if as_of is None else ("--as-of", as_of)
    refused = run(
        database_url,
        username,
        passwords,
        "report",
        "custody",
        walked,
        "--out",
        str(pdf),
        "--csv",
        str(rows),
        *extra,
    )
    assert refused.exit_code != 0 and said in refused.output
    assert not pdf.exists() and not rows.exists()
    assert custody.ledger.head() == head


def test_unknown_and_out_of_scope_read_alike(database_url, custody, passwords, walked, tmp_path):
    out = tmp_path / "x.pdf"
    missing_no = str(EvidenceNumber(ItemKind.FIREARM, "220102", 2026, 4242))
    hidden = run(database_url, "jl-clerk", passwords, "report", "custody", walked, "--out", str(out))
    missing = run(database_url, "jl-clerk", passwords, "report", "custody", missing_no, "--out", str(out))
    assert hidden.exit_code == missing.exit_code != 0
    assert hidden.output.replace(walked, "N") == missing.output.replace(missing_no, "N")
    assert not out.exists()
