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


def child_result(name: str, *args: str) -> dict[str, Any]:
    """Run ``python -m bench NAME --child ARGS…`` (one side of a benchmark, in a process of its own so
    that its peak memory is its own) and return the JSON object its last line prints."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "bench", name, "--child", *args], check=True, capture_output=True, text=True
    )
    found: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return found
