"""`deconflict.evidence` exports a complete public surface (RUF022 keeps `__all__` sorted)."""

from __future__ import annotations

import types

import deconflict.evidence as evidence
from deconflict.evidence import errors, format, keys, timeline, verify

MODULES = (errors, format, keys, timeline, verify)


def test_every_listed_name_exists_once() -> None:
    for module in (evidence, *MODULES):
        assert len(set(module.__all__)) == len(module.__all__), module.__name__
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_the_package_exports_every_public_type_and_the_main_functions() -> None:
    exported = set(evidence.__all__)
    for module in MODULES:
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, type) and not isinstance(value, types.GenericAlias):
                assert name in exported, f"{module.__name__}.{name} is not re-exported"
    assert {"make_bundle", "verify_bundle"} <= exported
