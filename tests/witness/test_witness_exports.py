"""`deconflict.witness` exports a complete public surface (ruff's RUF022 keeps `__all__` sorted),
and no function shadows the submodule it lives in."""

from __future__ import annotations

import importlib
import types

import deconflict.witness as witness

NAMES = ("audit", "errors", "runner", "served", "state")
MODULES = tuple(importlib.import_module(f"deconflict.witness.{name}") for name in NAMES)


def test_every_listed_name_exists_once() -> None:
    for module in (witness, *MODULES):
        assert len(set(module.__all__)) == len(module.__all__), module.__name__
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_the_package_exports_every_public_name_of_its_modules() -> None:
    exported = set(witness.__all__)
    for module in MODULES:
        missing = set(module.__all__) - exported
        assert not missing, f"{module.__name__} exports {sorted(missing)} that the package does not"


def test_each_submodule_is_reachable_by_its_dotted_name() -> None:
    for name, module in zip(NAMES, MODULES, strict=True):
        assert isinstance(getattr(witness, name), types.ModuleType), name
        assert getattr(witness, name) is module
