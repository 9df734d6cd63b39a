"""Every exception of the core is defined in one module, custody.errors: an entry point finds every
refusal it may have to answer in one place. Only a private exception (a name with a leading
underscore), which never leaves the module raising it, may live elsewhere."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import custody

HOME = "custody.errors"


def _modules() -> list[str]:
    names = [info.name for info in pkgutil.walk_packages(custody.__path__, "custody.")]
    return [name for name in names if ".migrations" not in name]


def test_exceptions_are_defined_only_in_custody_errors() -> None:
    elsewhere = []
    for name in _modules():
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == name
                and name != HOME
                and not attribute.startswith("_")
            ):
                elsewhere.append(f"{name}.{attribute}")
    assert elsewhere == []


def test_the_walk_sees_the_core() -> None:
    modules = _modules()
    assert HOME in modules and "custody.passwords" in modules and "custody.db.unit_of_work" in modules
