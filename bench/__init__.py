"""Benchmarks, run on demand: ``python -m bench NAME [options]``.

Each module ``bench/NAME.py`` has ``main(argv) -> int``; it prints a readable table and, as its last
line, one JSON object with at least ``name``, ``value``, ``unit``, ``baseline`` and ``ratio``, where
the baseline is measured in the same run.
"""
