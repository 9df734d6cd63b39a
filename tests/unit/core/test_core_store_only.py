"""Outside custody.db, the core reaches the database only through the Store: no module opens a
connection (``.connect()``, ``.raw_connection()``), begins a transaction (``.begin()``) or submits to
the writer (``writer.submit…``) itself. Reads go through ``store.reading()``, writes through
``store.write(...)``. The code is read as syntax, so docstrings and comments may name these freely."""

from __future__ import annotations

import ast
from pathlib import Path

import custody

ROOT = Path(custody.__file__).parent
DATABASE_PACKAGE = ROOT / "db"
OPENERS = frozenset({"connect", "begin", "raw_connection"})


def _sources() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if DATABASE_PACKAGE not in p.parents)


def _names_the_writer(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "writer") or (
        isinstance(node, ast.Attribute) and node.attr == "writer"
    )


def offences(source: str, filename: str = "<source>") -> list[str]:
    """Each place in ``source`` that opens a connection, begins a transaction or submits to the
    writer, as ``filename:line: code``."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Attribute):
            continue
        if node.attr in OPENERS or (node.attr.startswith("submit") and _names_the_writer(node.value)):
            found.append(f"{filename}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_only_custody_db_opens_connections_or_submits_to_the_writer() -> None:
    found = []
    for path in _sources():
        found += offences(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT.parent)))
    assert found == []


def test_the_scan_finds_each_way_past_the_store() -> None:
    source = '''
"""engine.connect() in a docstring is prose."""
# engine.begin() in a comment is prose too
def f(engine, conn, custody, store):
    with engine.connect() as a:  # 5
        pass
    with engine.begin() as b:  # 7
        pass
    raw = engine.raw_connection()  # 9
    custody.writer.submit(lambda c: None)  # 10
    store.writer.submit_future(lambda c: None)  # 11
    opener = engine.connect  # 12
    with store.reading() as c:
        store.write(lambda c: None)
    conn.begin_nested()
    pool.submit(job)
'''
    lines = sorted(int(found.split(":")[1]) for found in offences(source))
    assert lines == [5, 7, 9, 10, 11, 12]


def test_the_scan_sees_the_core() -> None:
    sources = {path.relative_to(ROOT).as_posix() for path in _sources()}
    assert {"services.py", "items.py", "queries.py", "access_log.py"} <= sources
    assert not any(name.startswith("db/") for name in sources)
