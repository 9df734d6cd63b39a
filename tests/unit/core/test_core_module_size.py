"""Every module of the core can be read in one sitting: none over 400 lines (migrations aside)."""

from __future__ import annotations

from pathlib import Path

import custody

LIMIT = 400
ROOT = Path(custody.__file__).parent


def test_no_module_of_the_core_is_over_400_lines() -> None:
    modules = [p for p in ROOT.rglob("*.py") if "migrations" not in p.relative_to(ROOT).parts]
    assert len(modules) > 30  # the walk found the package
    long = {
        str(p.relative_to(ROOT)): n
        for p in modules
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > LIMIT
    }
    assert long == {}, f"split these modules (lines): {long}"
