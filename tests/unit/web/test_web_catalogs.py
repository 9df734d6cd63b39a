"""The desks' Chinese catalogs are whole: every refusal the code declares (by its message key, with the
same placeholders), every state, role, event and kind label, and every word the pages pass to ``_()``;
the English catalog labels every state, role, event and kind. A key or an English word shown to a
Chinese reader is a failure here, not at the counter."""

from __future__ import annotations

import ast
import json
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

import web
import web.pages
from custody.model import EventType, ItemState, Role
from custody.numbers import ItemKind
from web.i18n import LOCALE_DIR, Translator, catalog

WEB = Path(web.__file__).parent


def _declared() -> dict[str, str]:
    """Every refusal the service declares (custody, api, web), read in a process of its own: a test
    module's own messages are no page's to show."""
    code = (
        "import importlib, json, pkgutil, custody, api, web\n"
        "for package in (custody, api, web):\n"
        "    for module in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        "        importlib.import_module(module.name)\n"
        "from custody.errors import MESSAGES\n"
        "print(json.dumps({key: message.text for key, message in MESSAGES.items()}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    declared: dict[str, str] = json.loads(done.stdout)
    return declared


def _fields(text: str) -> set[tuple[str | None, str | None, str | None]]:
    return {(name, conversion, spec) for _, name, spec, conversion in string.Formatter().parse(text) if name}


LABELS = (
    [f"state.{s.value}" for s in ItemState]
    + [f"role.{r.value}" for r in Role]
    + [f"event.{e.value}" for e in EventType]
    + [f"kind.{k.value}" for k in ItemKind]
)


def test_every_catalog_file_parses():
    for path in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        with path.open("rb") as po:
            read_po(po, abort_invalid=True)


def test_every_refusal_has_chinese_with_the_same_placeholders():
    declared = _declared()
    assert len(declared) > 300
    chinese = catalog("zh", "core")
    missing = sorted(key for key in declared if key not in chinese)
    assert missing == [], f"refusals without Chinese: {missing}"
    for key, text in declared.items():
        assert _fields(chinese[key]) == _fields(text), key


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_state_role_event_and_kind_has_a_label(language):
    labels = catalog(language, "core")
    assert [key for key in LABELS if key not in labels] == []


def _page_words() -> set[str]:
    found: set[str] = set()
    for template in sorted((WEB / "templates").glob("*.html")):
        with template.open("rb") as source:
            for _line, _function, text, _comments in babel_extract(source, ("_",), [], {}):
                if isinstance(text, str):
                    found.add(text)
    for module in sorted(WEB.glob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) in ("_", "gettext")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def test_every_word_of_the_pages_has_chinese():
    chinese = catalog("zh", "pages")
    missing = sorted(word for word in _page_words() if word not in chinese)
    assert missing == [], f"page words without Chinese: {missing}"


def test_a_refusal_is_shown_by_its_key_in_either_language():
    key = "evidence_no.check_digits"
    params = {"evidence_no": "F220102202600000100"}
    assert "check digits" in Translator("en").message(key, params)
    shown = Translator("zh").message(key, params)
    assert "F220102202600000100" in shown and "check digits" not in shown
