"""The monthly statistics of every unit over a million events vs one SQL statement computing the same
figures, on SQLite and PostgreSQL.

Set-up bulk-loads N chained events straight into a migrated database (not through the service): the
province's units, cases (``case_opened`` with category and filed date, ``case_solved``, some
``case_corrected``) and their firearms and ammunition lots over a year (``registered``; some
``transferred`` to their city; checked out, ``test_fired`` with custody rounds and returned; offered,
accepted, ``sealed``; lots ``counted``; some firearms' calibre ``corrected``; a quarter of the sealed
items nominated, batched, approved and ``destroyed``), padded with ``sighted`` events to N, with the
``items`` and ``cases`` rows they name. SQLite is loaded with ``executemany``, PostgreSQL with ``COPY``.

Ours is :meth:`custody.statistics.Statistics.figures` for November at the province (every unit's own
figures and totals). The baseline is one SQL statement written here, another way (window functions over
each item's events, the owning unit included), checked equal to ours unit by unit. Each side runs in a
process of its own, best of ``--rounds``. Goal: ours under 2 s on SQLite, at most 1.5 × the statement.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench._report import child_result, result, table
from custody.ledger import ALL_COLUMNS, GENESIS_HASH, canonical_payload, event_hash

PG_URL = os.environ.get("CUSTODY_BENCH_PG_URL", "postgresql+psycopg://custody:custody@127.0.0.1:5432/test")
MONTH = "2026-11"
CATEGORIES = ("possession", "manufacture", "trade", "smuggling", "theft", "gun_crime", "other")
TYPES = ("手枪", "步枪", "猎枪", "自制枪", "气枪")
CALIBRES = ("7.62mm", "5.56mm", "9mm", "12号", "4.5mm")
YEAR_START = datetime(2025, 12, 31, 16, 0, tzinfo=UTC)  # 2026-01-01 00:00 China Standard Time
HOUR = 3_600_000_000
DAY = 24 * HOUR
ITEM_COLUMNS = ("id", "evidence_no", "kind", "case_id", "unit_code", "state", "version", "registered_at_us")
ITEM_COLUMNS += ("description", "firearm_type", "calibre", "quantity_rounds")
CASE_COLUMNS = ("id", "case_no", "unit_code", "title", "status", "opened_at_us", "version")
CASE_COLUMNS += ("category", "filed_date", "solved_date")


def _us(moment: datetime) -> int:
    return int((moment - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(microseconds=1))


def _date(us: int) -> str:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us + 8 * HOUR)).date().isoformat()


# ------------------------------------------------------------------------------------------- set-up


def generate(n: int, counties: list[tuple[str, str]]) -> tuple[list[Any], list[Any], list[list[Any]]]:
    """Cases, items and the (unchained) events of a year: (time, type, item, case, payload)."""
    rng = random.Random(20261101)
    start = _us(YEAR_START)
    cases: list[Any] = []
    items: list[Any] = []
    events: list[list[Any]] = []
    item_id = 0
    while len(events) < n * 0.97:
        case_id = len(cases) + 1
        unit, city = rng.choice(counties)
        opened = start + rng.randrange(350 * DAY)
        category = rng.choice(CATEGORIES)
        old = rng.random() < 0.05  # opened before categories and filed dates were kept
        filed = _date(opened - rng.randrange(3) * DAY)
        payload: dict[str, Any] = {"case_no": f"B{case_id}", "unit_code": unit, "title": ""}
        if not old:
            payload |= {"category": category, "filed_date": filed}
        events.append([opened, "case_opened", None, case_id, payload])
        solved = None
        if rng.random() < 0.5:
            at = opened + rng.randrange(1, 60) * DAY
            solved = _date(at)
            events.append([at, "case_solved", None, case_id, {"solved_date": solved}])
        if rng.random() < 0.03:
            category = rng.choice(CATEGORIES)
            change = {"changes": {"category": category}, "previous": {}, "reason": "定性有误"}
            events.append([opened + 5 * DAY + 7, "case_corrected", None, case_id, change])
        cases.append(
            [case_id, f"B{case_id}", unit, "", "open", opened, 1]
            + ([None, None, solved] if old else [category, filed, solved])
        )
        for _ in range(rng.randrange(1, 5)):
            item_id += 1
            kind = "F" if rng.random() < 0.5 else "A"
            events += _item_events(rng, item_id, case_id, kind, unit, city, opened + HOUR, items)
    pad = max(0, n - len(events))
    for _ in range(pad):
        events.append([start + rng.randrange(365 * DAY), "sighted", rng.randrange(1, item_id + 1), None, {}])
    events.sort(key=lambda e: e[0])
    return cases, items, events


def _item_events(
    rng: random.Random, item_id: int, case_id: int, kind: str, unit: str, city: str, t: int, items: list[Any]
) -> list[list[Any]]:
    calibre = rng.choice(CALIBRES)
    rounds = rng.randrange(10, 200) if kind == "A" else None
    ftype = rng.choice(TYPES) if kind == "F" else None
    number = f"{kind}{item_id:018d}"
    registered = {"evidence_no": number, "kind": kind, "unit_code": unit, "calibre": calibre}
    registered |= {"firearm_type": ftype} if kind == "F" else {"quantity_rounds": rounds}
    out: list[list[Any]] = [[t, "registered", item_id, case_id, registered]]
    owner = unit
    if rng.random() < 0.1:
        out.append([t + HOUR, "transferred", item_id, case_id, {"from_unit": unit, "to_unit": city}])
        owner = city
    if kind == "F" and rng.random() < 0.01:
        change = {"changes": {"calibre": rng.choice(CALIBRES)}, "previous": {}, "reason": "更正"}
        out.append([t + 2 * HOUR, "corrected", item_id, case_id, change])
    if kind == "F" and rng.random() < 0.05:
        fired = {"lab": "刑科所", "ammunition_lot": "A1", "rounds": rng.randrange(1, 6), "samples": []}
        out.append([t + DAY, "checked_out", item_id, case_id, {"purpose": "lab"}])
        out.append([t + DAY + HOUR, "test_fired", item_id, case_id, fired])
        out.append([t + DAY + 2 * HOUR, "returned", item_id, case_id, {"note": ""}])
    state = "registered"
    if rng.random() < 0.8:
        out.append([t + 2 * DAY, "handover_offered", item_id, case_id, {"handover_id": item_id}])
        out.append([t + 3 * DAY, "handover_accepted", item_id, case_id, {"handover_id": item_id}])
        if kind == "A" and rng.random() < 0.15:
            counted = {"quantity": rounds - 1, "previous": rounds, "reason": "复核"}  # type: ignore[operator]
            out.append([t + 3 * DAY + HOUR, "counted", item_id, case_id, counted])
        out.append([t + 4 * DAY, "sealed", item_id, case_id, {"seal_no": "S"}])
        state = "sealed"
        if rng.random() < 0.25:
            for offset, act in ((20, "nominated"), (22, "batched"), (25, "approved"), (30, "destroyed")):
                out.append([t + offset * DAY, act, item_id, case_id, {"batch_id": 1}])
            state = "destroyed"
    items.append([item_id, number, kind, case_id, owner, state, len(out), t, "", ftype, calibre, rounds])
    return out


def _chained(events: list[list[Any]]) -> Iterator[list[Any]]:
    prev = GENESIS_HASH
    for seq, (t, kind, item_id, case_id, payload) in enumerate(events, start=1):
        row = [seq, prev, t, kind, item_id, case_id, None, "220000", "bench", "", None, None]
        row.append(canonical_payload(payload))
        prev = event_hash(row)
        row.append(prev)
        yield row


def build(path: Path, n: int) -> int:
    """Migrate a SQLite database at ``path`` and load it; return the number of events. The ledger's
    indexes are dropped while it is loaded and made again after."""
    from custody.db.engine import make_engine
    from custody.db.migrate import upgrade
    from custody.units import read_units

    units = read_units()
    counties = [(u["code"], u["parent"]) for u in units if u["level"] == "county"]
    cases, items, events = generate(n, counties)
    unit_rows = [
        [u["code"], u["parent"] or None, u["name_zh"], u["name_en"], u["level"], u["note"]] for u in units
    ]
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA synchronous = OFF")
    indexes = con.execute(
        "SELECT name, sql FROM sqlite_master "
        "WHERE type = 'index' AND tbl_name = 'custody_events' AND sql IS NOT NULL"
    ).fetchall()
    con.execute("BEGIN")
    for name, _sql in indexes:
        con.execute(f"DROP INDEX {name}")
    for name, columns, rows in _tables(unit_rows, cases, items, _chained(events)):
        marks = ", ".join("?" * len(columns))
        con.executemany(f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})", rows)
    for _name, sql in indexes:
        con.execute(sql)
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()
    return len(events)


def _tables(units: Any, cases: Any, items: Any, events: Any) -> list[tuple[str, tuple[str, ...], Any]]:
    return [
        ("units", ("code", "parent_code", "name_zh", "name_en", "level", "note"), units),
        ("cases", CASE_COLUMNS, cases),
        ("items", ITEM_COLUMNS, items),
        ("custody_events", ALL_COLUMNS, events),
    ]


def copy_to_postgres(path: Path, url: str) -> None:
    """Migrate the PostgreSQL database at ``url`` and COPY the loaded SQLite database's rows into it (the
    ledger's indexes dropped meanwhile and made again after)."""
    import psycopg

    from custody.db.engine import make_engine
    from custody.db.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    lite = sqlite3.connect(path)
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as con, con.cursor() as cur:
        indexes = cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'custody_events' "
            "AND indexname <> 'custody_events_pkey'"
        ).fetchall()
        for index, _sql in indexes:
            cur.execute(f"DROP INDEX {index}")
        for name, columns, _rows in _tables(None, None, None, None):
            names = ", ".join(columns)
            with cur.copy(f"COPY {name} ({names}) FROM STDIN") as copy:
                for row in lite.execute(f"SELECT {names} FROM {name}"):
                    copy.write_row(row)
        for _name, sql in indexes:
            cur.execute(sql)
        con.commit()
        con.execute("ANALYZE")
    lite.close()


# ------------------------------------------------------------------------------------ the baseline

EVENTS = (
    "(SELECT seq, recorded_at_us AS t, event_type AS ty, item_id, case_id, payload FROM custody_events "
    "WHERE seq <= :s)"
)


def _j(d: str, alias: str, *path: str) -> str:
    if d == "postgresql":
        return f"(CAST({alias}.payload AS jsonb) #>> '{{{','.join(path)}}}')"
    return f"json_extract({alias}.payload, '$.{'.'.join(path)}')"


def baseline_sql(d: str) -> str:
    """One statement: every unit's own figures of the period (unit, measure, key, value)."""

    def n(alias: str, *path: str) -> str:
        return f"CAST({_j(d, alias, *path)} AS BIGINT)"

    day = (
        "to_char(to_timestamp(e.t / 1000000.0) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')"
        if d == "postgresql"
        else "date(e.t / 1000000 + 28800, 'unixepoch')"
    )
    measure = (
        "CASE ty WHEN 'handover_accepted' THEN 'handed_over' WHEN 'handed_over' THEN 'handed_over' "
        "WHEN 'test_fired' THEN 'sampled' ELSE ty END"
    )

    def latest(name: str, where: str, path: tuple[str, ...]) -> str:
        return (
            f"{name} AS (SELECT x.key_id, x.v FROM (SELECT e.{where} AS key_id, {_j(d, 'e', *path)} AS v, "
            f"ROW_NUMBER() OVER (PARTITION BY e.{where} ORDER BY e.seq DESC) AS rn FROM {EVENTS} e "
            f"WHERE e.ty = '{'corrected' if where == 'item_id' else 'case_corrected'}' "
            f"AND {_j(d, 'e', *path)} IS NOT NULL) x WHERE x.rn = 1)"
        )

    return f"""
WITH ie AS (
  SELECT e.seq, e.t, e.ty, e.item_id,
         MAX(CASE WHEN e.ty IN ('registered', 'transferred', 'sample_made', 'split_off') THEN e.seq END)
           OVER w AS useq,
         SUM(CASE e.ty WHEN 'registered' THEN {n("e", "quantity_rounds")}
                       WHEN 'split_off' THEN {n("e", "quantity_rounds")}
                       WHEN 'counted' THEN {n("e", "quantity")} - COALESCE({n("e", "previous")}, 0)
                       WHEN 'consumed' THEN -{n("e", "rounds")} WHEN 'lot_split' THEN -{n("e", "rounds")}
                       ELSE 0 END) OVER w AS rnd,
         CASE WHEN e.ty = 'test_fired' AND {_j(d, "e", "ammunition_lot")} IS NOT NULL
              THEN COALESCE({n("e", "rounds")}, 0) ELSE 0 END AS used
    FROM {EVENTS} e
   WHERE e.item_id IS NOT NULL AND e.ty IN ('registered', 'transferred', 'sample_made', 'split_off',
         'counted', 'consumed', 'lot_split', 'handover_accepted', 'handed_over', 'sealed', 'test_fired',
         'destroyed', 'reported_lost')
  WINDOW w AS (PARTITION BY e.item_id ORDER BY e.seq ROWS UNBOUNDED PRECEDING)),
iu AS (
  SELECT ie.*, i.kind,
         CASE WHEN ue.event_type = 'transferred' THEN {_j(d, "ue", "to_unit")}
              ELSE {_j(d, "ue", "unit_code")} END AS unit
    FROM ie JOIN custody_events ue ON ue.seq = ie.useq JOIN items i ON i.id = ie.item_id
   WHERE i.kind IN ('F', 'A')),
flows AS (
  SELECT unit, kind, {measure} AS m, rnd,
         ROW_NUMBER() OVER (PARTITION BY item_id, {measure} ORDER BY seq DESC) AS rn,
         SUM(used) OVER (PARTITION BY item_id, {measure}) AS used_all
    FROM iu WHERE ty IN ('handover_accepted', 'handed_over', 'sealed', 'test_fired', 'destroyed')
     AND t >= :t0 AND t < :t1),
store AS (
  SELECT unit, kind, rnd, ROW_NUMBER() OVER (PARTITION BY item_id ORDER BY seq DESC) AS rn,
         MAX(CASE WHEN ty IN ('handover_accepted', 'handed_over', 'sealed') THEN 1 ELSE 0 END)
           OVER (PARTITION BY item_id) AS entered,
         MAX(CASE WHEN ty IN ('destroyed', 'reported_lost') THEN 1 ELSE 0 END)
           OVER (PARTITION BY item_id) AS gone
    FROM iu WHERE t < :t1),
{latest("fix_type", "item_id", ("changes", "firearm_type"))},
{latest("fix_calibre", "item_id", ("changes", "calibre"))},
{latest("fix_category", "case_id", ("changes", "category"))},
{latest("fix_filed", "case_id", ("changes", "filed_date"))},
{latest("fix_solved", "case_id", ("changes", "solved_date"))},
solved AS (SELECT e.case_id AS key_id, {_j(d, "e", "solved_date")} AS v FROM {EVENTS} e
            WHERE e.ty = 'case_solved'),
seized AS (
  SELECT {_j(d, "e", "unit_code")} AS unit, {_j(d, "e", "kind")} AS kind,
         COALESCE(ft.v, {_j(d, "e", "firearm_type")}, '') AS ftype,
         COALESCE(fc.v, {_j(d, "e", "calibre")}, '') AS calibre,
         COALESCE({n("e", "quantity_rounds")}, 0) AS qty
    FROM {EVENTS} e LEFT JOIN fix_type ft ON ft.key_id = e.item_id
         LEFT JOIN fix_calibre fc ON fc.key_id = e.item_id
   WHERE e.ty = 'registered' AND e.t >= :t0 AND e.t < :t1),
cases AS (
  SELECT {_j(d, "e", "unit_code")} AS unit,
         COALESCE(fcat.v, {_j(d, "e", "category")}, '') AS cat,
         COALESCE(ff.v, {_j(d, "e", "filed_date")}, {day}) AS filed,
         COALESCE(fs.v, sv.v) AS solved
    FROM {EVENTS} e LEFT JOIN fix_category fcat ON fcat.key_id = e.case_id
         LEFT JOIN fix_filed ff ON ff.key_id = e.case_id LEFT JOIN fix_solved fs ON fs.key_id = e.case_id
         LEFT JOIN solved sv ON sv.key_id = e.case_id
   WHERE e.ty = 'case_opened')
SELECT unit, measure, k, SUM(v) FROM (
  SELECT unit, 'firearms_seized_by_type' AS measure, ftype AS k, 1 AS v FROM seized WHERE kind = 'F'
  UNION ALL SELECT unit, 'firearms_seized_by_calibre', calibre, 1 FROM seized WHERE kind = 'F'
  UNION ALL SELECT unit, 'rounds_seized_by_calibre', calibre, qty FROM seized WHERE kind = 'A'
  UNION ALL SELECT unit, 'firearms_' || m, '', 1 FROM flows WHERE rn = 1 AND kind = 'F'
  UNION ALL SELECT unit, 'rounds_sampled', '', used_all FROM flows
            WHERE rn = 1 AND kind = 'F' AND m = 'sampled'
  UNION ALL SELECT unit, 'rounds_' || m, '', rnd FROM flows WHERE rn = 1 AND kind = 'A'
  UNION ALL SELECT unit, 'firearms_in_store', '', 1 FROM store WHERE rn = 1 AND entered = 1 AND gone = 0
            AND kind = 'F'
  UNION ALL SELECT unit, 'rounds_in_store', '', rnd FROM store WHERE rn = 1 AND entered = 1 AND gone = 0
            AND kind = 'A'
  UNION ALL SELECT unit, 'cases_filed', cat, 1 FROM cases WHERE filed >= :d0 AND filed < :d1
  UNION ALL SELECT unit, 'cases_solved', cat, 1 FROM cases WHERE solved >= :d0 AND solved < :d1
) AS figures GROUP BY unit, measure, k"""


# ------------------------------------------------------------------------------------------ sides


def child(mode: str, url: str) -> None:
    from sqlalchemy import text

    from custody.actors import Actor
    from custody.db.engine import make_engine
    from custody.db.unit_of_work import Store
    from custody.model import Department, Role
    from custody.statistics import Period, Statistics

    period = Period.month(MONTH)
    store = Store(make_engine(url))
    started = time.perf_counter()
    figures: dict[str, dict[str, int]] = {}
    if mode == "statement":
        with store.reading() as conn:
            if conn.dialect.name == "postgresql":  # as ours runs: compiling costs more than it saves
                conn.exec_driver_sql("SET LOCAL jit = off")
            seq = conn.execute(text("SELECT MAX(seq) FROM custody_events")).scalar_one()
            params = {"s": seq, "t0": period.start_us, "t1": period.end_us}
            params |= {"d0": period.start.isoformat(), "d1": period.end.isoformat()}
            for unit, measure, key, value in conn.execute(text(baseline_sql(conn.dialect.name)), params):
                if value:
                    figures.setdefault(unit, {})[f"{measure}|{key}"] = int(value)
    else:
        reader = Actor(0, "bench", "bench", "220000", Department.OFFICE, frozenset({Role.STATISTICS}))
        data = Statistics(store).figures(reader, period)
        for unit in data.units:
            if unit.own.figures:
                figures[unit.unit_code] = {f"{f.measure}|{f.key}": f.value for f in unit.own.figures}
    elapsed = time.perf_counter() - started
    print(json.dumps({"elapsed": elapsed, "figures": figures}, ensure_ascii=False))


def _side(mode: str, url: str, rounds: int) -> tuple[float, dict[str, Any]]:
    runs = [child_result("monthly", mode, url) for _ in range(rounds)]
    return min(r["elapsed"] for r in runs), runs[0]["figures"]


def _measure(url: str, rounds: int) -> dict[str, Any]:
    statement, expected = _side("statement", url, rounds)
    ours, found = _side("ours", url, rounds)
    if found != expected:
        differing = sorted(u for u in set(found) | set(expected) if found.get(u) != expected.get(u))
        raise SystemExit(f"our figures differ from the statement's for units {differing[:10]}")
    return {"ours": ours, "statement": statement, "units": len(found)}


def _postgres(path: Path, rounds: int) -> dict[str, Any]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
    name = f"custody_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        started = time.perf_counter()
        copy_to_postgres(path, url)
        built = time.perf_counter() - started
        return {**_measure(url, rounds), "setup_s": built}
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench monthly")
    parser.add_argument("-n", type=int, default=1_000_000, help="events in the ledger (default 1000000)")
    parser.add_argument("--rounds", type=int, default=3, help="best of this many runs each")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1])
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.sqlite"
        started = time.perf_counter()
        events = build(path, args.n)
        built = time.perf_counter() - started
        lite = {**_measure(f"sqlite:///{path}", args.rounds), "setup_s": built, "events": events}
        pg = None if args.no_postgres else _postgres(path, args.rounds)
    ratio = lite["ours"] / lite["statement"]
    rows = [
        ("SQLite set-up", f"{lite['setup_s']:.1f} s for {lite['events']:,} events"),
        ("SQLite: one SQL statement", f"{lite['statement']:.3f} s"),
        ("SQLite: custody statistics", f"{lite['ours']:.3f} s  (goal < 2 s)"),
        ("SQLite ratio (ours / statement)", f"{ratio:.2f}  (goal <= 1.5)"),
    ]
    if pg is not None:
        rows += [
            ("PostgreSQL set-up", f"{pg['setup_s']:.1f} s"),
            ("PostgreSQL: one SQL statement", f"{pg['statement']:.3f} s"),
            ("PostgreSQL: custody statistics", f"{pg['ours']:.3f} s"),
            ("PostgreSQL ratio", f"{pg['ours'] / pg['statement']:.2f}"),
        ]
    print(
        f"monthly: the figures of {MONTH} for every unit ({lite['units']} units with figures), "
        f"best of {args.rounds}"
    )
    table(rows)
    extra: dict[str, Any] = {
        "events": lite["events"],
        "units": lite["units"],
        "setup_s": round(lite["setup_s"], 1),
    }
    if pg is not None:
        extra |= {
            "postgresql_s": round(pg["ours"], 6),
            "postgresql_baseline_s": round(pg["statement"], 6),
            "postgresql_ratio": round(pg["ours"] / pg["statement"], 4),
            "postgresql_setup_s": round(pg["setup_s"], 1),
        }
    result("monthly", round(lite["ours"], 6), "s", round(lite["statement"], 6), round(ratio, 4), **extra)
    return 0
