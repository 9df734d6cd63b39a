"""Every refusal the code raises is made from a declared message (a stable key and typed parameters),
never from English text written at the raise: a desk translates by key, not by matching text."""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from pathlib import Path

from custody import errors
from custody.errors import MESSAGES, CustodyError, TextRefused

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("custody", "api", "custody_cli")
KEY = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")


def _refusal_classes() -> set[str]:
    """Names of every refusal class (all live in :mod:`custody.errors`), and the text policy's."""
    found: set[str] = {TextRefused.__name__}
    pending: list[type] = [CustodyError]
    while pending:
        cls = pending.pop()
        found.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return {name for name in found if getattr(errors, name, None) is not None}


def _is_text(node: ast.expr) -> bool:
    """An f-string, a string constant, or text built from one (``+``, ``%``, ``.format``)."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) or _is_text(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _is_text(node.func.value)
    return False


def plain_text_refusals(source: str, where: str, classes: set[str]) -> Iterator[str]:
    """``where:line: raise Class("text" …)`` for each refusal of ``source`` raised with plain text."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Raise) or node.exc is None:
            continue
        for call in ast.walk(node.exc):
            if not isinstance(call, ast.Call) or not call.args or not _is_text(call.args[0]):
                continue
            func = call.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            if name in classes:
                yield f"{where}:{call.lineno}: raise {name}({ast.unparse(call.args[0])[:70]} …)"


def test_no_refusal_is_raised_with_plain_text() -> None:
    classes = _refusal_classes()
    found = [
        offence
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
        for offence in plain_text_refusals(
            path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)), classes
        )
    ]
    assert not found, "refusals raised with plain text instead of a declared Message:\n" + "\n".join(found)


def test_the_walk_finds_plain_text_in_every_spelling() -> None:
    source = """
def f(n):
    raise UnknownItem(f"unknown item {n}")
    raise errors.InvalidInput("limit must be 1 … 200", "limit")
    raise TransitionRefused("unit " + n + " exists") from None
    raise UnknownItem(UNKNOWN_ITEM, evidence_no=n) if n else TextRefused("is required (blank)")
    raise ValueError(f"not a refusal {n}")
    raise UnknownItem(UNKNOWN_ITEM, evidence_no=n)
"""
    found = list(plain_text_refusals(source, "m.py", _refusal_classes()))
    assert [line.split(": ")[0] for line in found] == ["m.py:3", "m.py:4", "m.py:5", "m.py:6"]
    assert found[0] == "m.py:3: raise UnknownItem(f'unknown item {n}' …)"


def test_every_declared_key_is_lower_case_and_dotted() -> None:
    for module in ("custody.services", "custody.demo", "custody.settings", "api.app", "custody_cli.item"):
        importlib.import_module(module)
    assert {"item.unknown", "act.not_from_state", "text.too_long", "unit.unknown"} <= MESSAGES.keys()
    assert [key for key in MESSAGES if not KEY.fullmatch(key)] == []
