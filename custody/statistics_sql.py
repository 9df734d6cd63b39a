"""The SQL of the monthly statistics: the items' figures of a period, per owning unit, aggregated by the
database from the ledger's events (``custody_events``) up to one point, in one statement.

Every figure is read off the events' payloads (JSON text), on SQLite (``json_extract``) and PostgreSQL
(``jsonb``) alike:

* the **owning unit** of an item at an event is the unit its latest ``registered`` (``unit_code``),
  ``transferred`` (``to_unit``) or first event of a made item (``sample_made``, ``split_off``) named, at
  or before that event (not ``custody_events.unit_code``: that is the actor's unit);
* the **rounds** of a lot at an event are the sum of its changes up to it: the rounds registered (or
  split off into it), a recount's difference to the count before, less the rounds consumed or split
  off from it;
* a firearm's **type and calibre** are those registered, or the latest correction of them up to the
  ledger point.

Flows (handed over, sealed, test-fired, destroyed) count an item once per period and measure, at its
latest such act in the period; ``sampled`` rounds are the custody rounds used at test-fires (the
``test_fired`` payload's ``rounds`` from a custody lot), counted for the firearm's unit. ``in store`` is an
item handed over or sealed by the end of the period and neither destroyed nor reported lost by then.
"""

# The statement is assembled from constant fragments only (aliases, field names, event types); every
# value (the point, the period) is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import TextClause, text
from sqlalchemy.engine import Connection

# The measures the statement answers (measure, key: a type or calibre, or "" for none).
SEIZED_BY_TYPE = "firearms_seized_by_type"
SEIZED_BY_CALIBRE = "firearms_seized_by_calibre"
ROUNDS_SEIZED = "rounds_seized_by_calibre"
FLOWS = ("handed_over", "sealed", "sampled", "destroyed", "in_store")

_UNIT_ACTS = "('registered', 'transferred', 'sample_made', 'split_off')"
_ROUND_ACTS = "('registered', 'split_off', 'counted', 'consumed', 'lot_split')"
_FLOW_ACTS = "('handover_accepted', 'handed_over', 'sealed', 'test_fired', 'destroyed')"
_STORE_ACTS = "('handover_accepted', 'handed_over', 'sealed', 'destroyed', 'reported_lost')"
# every act the figures at the end of a period read: owning unit, rounds, in store or gone
_ITEM_ACTS = (
    "('registered', 'transferred', 'sample_made', 'split_off', 'counted', 'consumed', 'lot_split', "
    "'handover_accepted', 'handed_over', 'sealed', 'destroyed', 'reported_lost')"
)


@dataclass(frozen=True, slots=True)
class Dialect:
    """How a payload's field is read on one database."""

    name: str

    def field(self, alias: str, *path: str) -> str:
        """The text at ``path`` of the payload of ``alias`` (NULL when absent)."""
        if self.name == "postgresql":
            return f"(CAST({alias}.payload AS jsonb) #>> '{{{','.join(path)}}}')"
        return f"json_extract({alias}.payload, '$.{'.'.join(path)}')"

    @property
    def by_type(self) -> str:
        """Read the ledger by its index of event types and times: SQLite would otherwise walk the index
        of items for its grouping, reading every event of the ledger in item order."""
        return "" if self.name == "postgresql" else " INDEXED BY ix_custody_events_type"

    def padded(self, column: str) -> str:
        """A ``seq`` as text of 20 digits, zero-padded."""
        if self.name == "postgresql":
            return f"LPAD(CAST({column} AS TEXT), 20, '0')"
        return f"printf('%020d', {column})"

    def number(self, alias: str, *path: str) -> str:
        return f"CAST({self.field(alias, *path)} AS BIGINT)"


def unit_at(d: Dialect, alias: str, bound: str) -> str:
    """The owning unit of ``alias``'s item after its events satisfying ``bound`` (on ``u``)."""
    return (
        f"(SELECT CASE u.event_type WHEN 'transferred' THEN {d.field('u', 'to_unit')} "
        f"ELSE {d.field('u', 'unit_code')} END FROM custody_events u "
        f"WHERE u.item_id = {alias}.item_id AND {bound} AND u.event_type IN {_UNIT_ACTS} "
        "ORDER BY u.seq DESC LIMIT 1)"
    )


def _round_change(d: Dialect, alias: str) -> str:
    """The change an event of ``alias`` makes to its lot's rounds (0 for an event that makes none)."""
    return (
        f"CASE {alias}.event_type WHEN 'registered' THEN COALESCE({d.number(alias, 'quantity_rounds')}, 0) "
        f"WHEN 'split_off' THEN {d.number(alias, 'quantity_rounds')} "
        f"WHEN 'counted' THEN {d.number(alias, 'quantity')} - COALESCE({d.number(alias, 'previous')}, 0) "
        f"WHEN 'consumed' THEN -{d.number(alias, 'rounds')} "
        f"WHEN 'lot_split' THEN -{d.number(alias, 'rounds')} ELSE 0 END"
    )


def rounds_at(d: Dialect, alias: str, bound: str) -> str:
    """The rounds of ``alias``'s lot after its events satisfying ``bound`` (on ``r``)."""
    return (
        f"(SELECT COALESCE(SUM({_round_change(d, 'r')}), 0) FROM custody_events r "
        f"WHERE r.item_id = {alias}.item_id AND {bound} AND r.event_type IN {_ROUND_ACTS})"
    )


def _corrected(d: Dialect, name: str) -> str:
    """A firearm's ``name`` as registered, or as its latest correction up to the point says."""
    latest = (
        f"(SELECT {d.field('c', 'changes', name)} FROM custody_events c WHERE c.item_id = e.item_id "
        f"AND c.seq <= :s AND c.event_type = 'corrected' AND {d.field('c', 'changes', name)} IS NOT NULL "
        "ORDER BY c.seq DESC LIMIT 1)"
    )
    return f"COALESCE({latest}, {d.field('e', name)}, '')"


def item_figures(d: Dialect) -> TextClause:
    """One statement: rows (unit, measure, key, kind, items, rounds) of a period ``[:t0, :t1)`` as of
    ledger ``seq`` ``:s``, for firearms (``F``) and ammunition lots (``A``) only."""
    in_period = "e.seq <= :s AND e.recorded_at_us >= :t0 AND e.recorded_at_us < :t1"
    seized = f"""
SELECT {d.field("e", "unit_code")} AS unit, '{SEIZED_BY_TYPE}' AS measure,
       {_corrected(d, "firearm_type")} AS k, 'F' AS kind, 1 AS n, 0 AS rounds
  FROM custody_events e WHERE e.event_type = 'registered' AND {in_period} AND {d.field("e", "kind")} = 'F'
UNION ALL
SELECT {d.field("e", "unit_code")}, '{SEIZED_BY_CALIBRE}', {_corrected(d, "calibre")}, 'F', 1, 0
  FROM custody_events e WHERE e.event_type = 'registered' AND {in_period} AND {d.field("e", "kind")} = 'F'
UNION ALL
SELECT {d.field("e", "unit_code")}, '{ROUNDS_SEIZED}', {_corrected(d, "calibre")}, 'A', 1,
       COALESCE({d.number("e", "quantity_rounds")}, 0)
  FROM custody_events e WHERE e.event_type = 'registered' AND {in_period} AND {d.field("e", "kind")} = 'A'"""
    flows = f"""
SELECT {unit_at(d, "f", "u.seq <= f.seq")},
       CASE f.event_type WHEN 'handover_accepted' THEN 'handed_over' WHEN 'handed_over' THEN 'handed_over'
            WHEN 'test_fired' THEN 'sampled' ELSE f.event_type END,
       '', i.kind, 1,
       CASE WHEN i.kind = 'A' THEN {rounds_at(d, "f", "r.seq <= f.seq")}
            WHEN f.event_type = 'test_fired' THEN f.used ELSE 0 END
  FROM (SELECT e.item_id, e.event_type, MAX(e.seq) AS seq,
               SUM(CASE WHEN e.event_type = 'test_fired' AND {d.field("e", "ammunition_lot")} IS NOT NULL
                        THEN COALESCE({d.number("e", "rounds")}, 0) ELSE 0 END) AS used
          FROM custody_events e WHERE e.event_type IN {_FLOW_ACTS} AND {in_period}
         GROUP BY e.item_id, e.event_type) f
  JOIN items i ON i.id = f.item_id WHERE i.kind IN ('F', 'A')"""
    # the owning unit at the end: the unit of the latest unit act, carried through the grouping behind
    # its seq (zero-padded, so that the greatest string is the latest act)
    owner = (
        f"CASE WHEN e.event_type IN {_UNIT_ACTS} THEN {d.padded('e.seq')} || COALESCE(CASE e.event_type "
        f"WHEN 'transferred' THEN {d.field('e', 'to_unit')} ELSE {d.field('e', 'unit_code')} END, '') END"
    )
    store = f"""
SELECT SUBSTR(st.owner, 21), 'in_store', '', i.kind, 1, CASE WHEN i.kind = 'A' THEN st.rounds ELSE 0 END
  FROM (SELECT e.item_id, MAX({owner}) AS owner, SUM({_round_change(d, "e")}) AS rounds,
               MAX(CASE WHEN e.event_type IN {_STORE_ACTS} THEN 1 ELSE 0 END) AS entered,
               MAX(CASE WHEN e.event_type IN ('destroyed', 'reported_lost') THEN 1 ELSE 0 END) AS gone
          FROM custody_events e{d.by_type}
         WHERE e.event_type IN {_ITEM_ACTS} AND e.seq <= :s AND e.recorded_at_us < :t1
         GROUP BY e.item_id) st
  JOIN items i ON i.id = st.item_id
 WHERE st.entered = 1 AND st.gone = 0 AND i.kind IN ('F', 'A')"""
    return text(
        f"SELECT unit, measure, k, kind, SUM(n) AS items, SUM(rounds) AS rounds FROM ({seized}\n"
        f"UNION ALL {flows}\nUNION ALL {store}) AS figures GROUP BY unit, measure, k, kind"
    )


def case_events(d: Dialect) -> TextClause:
    """Every case event in ledger order (whatever its ``seq``: the index of event types is read, not
    the ledger): its ``seq``, case, type, time, and the fields the figures need (unit, filed date and
    category of an opening, date of a solving; a correction's payload whole)."""
    opened = "e.event_type = 'case_opened'"
    return text(
        "SELECT e.seq, e.case_id, e.event_type, e.recorded_at_us, "
        f"CASE WHEN {opened} THEN {d.field('e', 'unit_code')} END, "
        f"CASE WHEN {opened} THEN {d.field('e', 'filed_date')} END, "
        f"CASE WHEN {opened} THEN {d.field('e', 'category')} END, "
        f"CASE WHEN e.event_type = 'case_solved' THEN {d.field('e', 'solved_date')} END, "
        "CASE WHEN e.event_type = 'case_corrected' THEN e.payload END "
        f"FROM custody_events e{d.by_type} "
        "WHERE e.event_type IN ('case_opened', 'case_solved', 'case_corrected') ORDER BY e.seq"
    )


def read_item_figures(
    conn: Connection, seq: int, start_us: int, end_us: int
) -> list[tuple[str, str, str, str, int, int]]:
    """The rows of :func:`item_figures` for one period, as of ``seq``.

    On PostgreSQL the statement is run without JIT compilation, for the rest of the reading
    transaction: compiling its many expressions costs longer than the whole statement takes without."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL jit = off")
    statement = item_figures(Dialect(conn.dialect.name))
    rows = conn.execute(statement, {"s": seq, "t0": start_us, "t1": end_us})
    return [(str(u), str(m), str(k), str(kind), int(n), int(r or 0)) for u, m, k, kind, n, r in rows]
