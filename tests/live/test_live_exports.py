"""`deconflict.live` and its modules list only names they have, once each, sorted as isort
sorts them (constants, then classes, then functions)."""

from __future__ import annotations

import deconflict.live as live
from deconflict.live import bus, history, picture, positions, push, sources

MODULES = (live, bus, history, picture, positions, push, sources)


def _isort(name: str) -> tuple[int, str]:
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_every_listed_name_exists_once_in_order() -> None:
    for module in MODULES:
        assert module.__all__ == sorted(set(module.__all__), key=_isort), module.__name__
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"
