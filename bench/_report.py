"""Shared output of the benchmarks: a readable table, then one JSON line."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any


def table(rows: Iterable[tuple[str, str]]) -> None:
    rows = list(rows)
    width = max((len(k) for k, _ in rows), default=0)
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")


def result(name: str, value: float, unit: str, baseline: float, ratio: float, **extra: Any) -> None:
    """Print the closing JSON line every benchmark ends with."""
    record = {"name": name, "value": value, "unit": unit, "baseline": baseline, "ratio": ratio, **extra}
    print(json.dumps(record, ensure_ascii=False))
