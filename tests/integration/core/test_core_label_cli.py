"""`custody label item|sheet`: labels of stored items, readable and decodable; refusals print nothing."""

from __future__ import annotations

import io

import pypdf
import pytest
import zxingcpp
from click.testing import CliRunner
from PIL import Image

from custody.intake import AmmunitionIntake
from custody_cli.main import cli

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _cast_with_passwords(passwords):
    """Labels are printed by a logged-in user, within their scope."""


def run(url: str, *args: str, user: str = "ng-clerk"):
    return CliRunner().invoke(
        cli,
        ["--as", user, "--password-stdin", *args],
        env={"CUSTODY_DATABASE_URL": url},
        input=PASSWORD + "\n",
    )


def test_item_label_pdf_carries_the_number_as_text_and_as_a_decodable_code(
    custody, gun, database_url, tmp_path
):
    out = tmp_path / "label.pdf"
    result = run(database_url, "label", "item", gun.evidence_no, "--out", str(out))
    assert result.exit_code == 0, result.output
    text = pypdf.PdfReader(out).pages[0].extract_text()
    assert gun.evidence_no in text and "南关区公安分局" in text and "长南公刑字〔2026〕001号" in text
    import subprocess

    png = subprocess.run(["pdftoppm", "-r", "300", "-png", str(out)], capture_output=True, check=True).stdout
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
    assert decoded == [gun.evidence_no]


def test_item_label_as_zpl(custody, gun, database_url, tmp_path):
    out = tmp_path / "label.zpl"
    assert run(database_url, "label", "item", gun.evidence_no, "--out", str(out)).exit_code == 0
    zpl = out.read_text(encoding="utf-8")
    assert zpl.startswith("^XA") and "^CI28" in zpl and f"^FD{gun.evidence_no}" in zpl.replace(">;", "")


def test_sheet_of_a_case_starts_at_the_given_position(custody, gun, case, database_url, tmp_path):
    custody.items.register_ammunition(
        custody.users.actor("ng-clerk"), case.case_no, AmmunitionIntake("9mm", 30)
    )
    out = tmp_path / "sheet.pdf"
    result = run(database_url, "label", "sheet", "--case", case.case_no, "--start", "5", "--out", str(out))
    assert result.exit_code == 0, result.output
    text = pypdf.PdfReader(out).pages[0].extract_text()
    assert gun.evidence_no in text and "9mm" in text


def test_wrong_check_digit_and_unknown_item_refuse_to_print(custody, gun, database_url, tmp_path):
    out = tmp_path / "never.pdf"
    wrong = gun.evidence_no[:-1] + ("0" if gun.evidence_no[-1] != "0" else "1")
    refused = run(database_url, "label", "item", wrong, "--out", str(out))
    assert refused.exit_code == 1 and "check digits" in refused.output
    from custody.numbers import EvidenceNumber, ItemKind

    unknown = run(
        database_url,
        "label",
        "item",
        str(EvidenceNumber(ItemKind.FIREARM, "220102", 2026, 555)),
        "--out",
        str(out),
    )
    assert unknown.exit_code == 1 and "unknown item" in unknown.output
    assert not out.exists()
