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


@dataclass(frozen=True, slots=True)
class Dialect:
    """How a payload's field is read on one database."""

    name: str

    def field(self, alias: str, *path: str) -> str:
        """The text at ``path`` of the payload of ``alias`` (NULL when absent)."""
        if self.name == "postgresql":
            return f"(CAST({alias}.payload AS jsonb) #>> '{{{','.join(path)}}}')"
        return f"json_extract({alias}.payload, '$.{'.'.join(path)}')"

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


def rounds_at(d: Dialect, alias: str, bound: str) -> str:
    """The rounds of ``alias``'s lot after its events satisfying ``bound`` (on ``r``)."""
    return (
        "(SELECT COALESCE(SUM(CASE r.event_type "
        f"WHEN 'registered' THEN {d.number('r', 'quantity_rounds')} "
        f"WHEN 'split_off' THEN {d.number('r', 'quantity_rounds')} "
        f"WHEN 'counted' THEN {d.number('r', 'quantity')} - COALESCE({d.number('r', 'previous')}, 0) "
        f"ELSE -{d.number('r', 'rounds')} END), 0) FROM custody_events r "
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
    at_end = "seq <= :s AND recorded_at_us < :t1"
    store = f"""
SELECT {unit_at(d, "st", "u." + at_end.replace(" AND ", " AND u."))}, 'in_store', '', i.kind, 1,
       CASE WHEN i.kind = 'A' THEN {rounds_at(d, "st", "r." + at_end.replace(" AND ", " AND r."))} ELSE 0 END
  FROM (SELECT e.item_id FROM custody_events e
         WHERE e.event_type IN {_STORE_ACTS} AND e.{at_end.replace(" AND ", " AND e.")}
         GROUP BY e.item_id
        HAVING MAX(CASE WHEN e.event_type IN ('destroyed', 'reported_lost') THEN 1 ELSE 0 END) = 0) st
  JOIN items i ON i.id = st.item_id WHERE i.kind IN ('F', 'A')"""
    return text(
        f"SELECT unit, measure, k, kind, SUM(n) AS items, SUM(rounds) AS rounds FROM ({seized}\n"
        f"UNION ALL {flows}\nUNION ALL {store}) AS figures GROUP BY unit, measure, k, kind"
    )


def read_item_figures(
    conn: Connection, seq: int, start_us: int, end_us: int
) -> list[tuple[str, str, str, str, int, int]]:
    """The rows of :func:`item_figures` for one period, as of ``seq``."""
    statement = item_figures(Dialect(conn.dialect.name))
    rows = conn.execute(statement, {"s": seq, "t0": start_us, "t1": end_us})
    return [(str(u), str(m), str(k), str(kind), int(n), int(r or 0)) for u, m, k, kind, n, r in rows]
