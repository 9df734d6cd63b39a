"""How many items an audit draws, which ones, and how many more after a discrepancy; pure functions that
anyone can recompute without this code.

* **Size**, for 95% confidence and a ±3% margin at the most uncertain proportion (p = 0.5):
  n₀ = z²·p(1−p)/e² = 1.96²·0.25/0.03² = 1,067.11…, corrected for a finite category of N items:
  n = ⌈n₀ / (1 + (n₀ − 1)/N)⌉, at least :data:`MINIMUM` or the whole category when it is smaller.
  Computed in exact fractions, so a figure never rounds the wrong way.
* **Order**: a category's candidates ordered by SHA-256 of the seed's UTF-8 bytes followed by the
  evidence number's UTF-8 bytes (hex digests compared as text, i.e. as numbers); a round draws the first
  candidates not drawn yet.
* **Escalation**: each discrepancy found in a round adds another 10% of the category (at least
  :data:`MINIMUM`), the next ones in the same order, until a round finds none or the category is
  exhausted.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from fractions import Fraction

from custody.model import AuditCategory
from custody.numbers import ItemKind

Z = Fraction(196, 100)  # 95% confidence
P = Fraction(1, 2)  # the most uncertain proportion
MARGIN = Fraction(3, 100)  # ±3%
N0 = Z * Z * P * (1 - P) / (MARGIN * MARGIN)  # 1,067.11…
MINIMUM = 10
ESCALATION = Fraction(1, 10)  # of the category, per discrepancy

CATEGORY_OF_KIND = {
    ItemKind.FIREARM: AuditCategory.FIREARM,
    ItemKind.AMMUNITION: AuditCategory.AMMUNITION,
    ItemKind.BULLET_SAMPLE: AuditCategory.SAMPLE,
    ItemKind.CASING_SAMPLE: AuditCategory.SAMPLE,
}


def category_of(evidence_no: str) -> AuditCategory:
    """The audit category of an item, by the kind letter its evidence number starts with."""
    return CATEGORY_OF_KIND[ItemKind(evidence_no[0])]


def sample_size(population: int) -> int:
    """Items to draw from a category of ``population`` items."""
    if population <= 0:
        return 0
    needed = math.ceil(N0 / (1 + (N0 - 1) / population))
    return min(max(needed, MINIMUM), population)


def escalation_size(population: int, discrepancies: int) -> int:
    """Items a round's ``discrepancies`` in a category of ``population`` add to the draw (before the
    cap of what is left to draw)."""
    if discrepancies <= 0 or population <= 0:
        return 0
    return discrepancies * max(math.ceil(population * ESCALATION), MINIMUM)


def draw_key(seed: str, evidence_no: str) -> str:
    """The candidate's place in the draw order: SHA-256(seed ‖ evidence number), in hex."""
    return hashlib.sha256(seed.encode("utf-8") + evidence_no.encode("utf-8")).hexdigest()


def draw_order(seed: str, evidence_nos: Iterable[str]) -> list[str]:
    """The evidence numbers in the order a draw takes them."""
    return sorted(evidence_nos, key=lambda number: draw_key(seed, number))
