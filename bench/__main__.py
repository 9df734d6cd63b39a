from __future__ import annotations

import importlib
import pkgutil
import sys

import bench


def _names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_"))


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print("usage: python -m bench NAME [options]\nbenchmarks: " + ", ".join(_names()))
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in _names():
        print(f"unknown benchmark {name!r}; known: {', '.join(_names())}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"bench.{name}")
    return int(module.main(rest))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
