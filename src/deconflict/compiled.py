"""Compiling the few numeric loops that numpy cannot express without per-call overhead.

`kernel` is `numba.njit` with an explicit signature, so the loop compiles once, at import, and
never in the middle of a request. The machine code is cached on disk where numba finds a
writable place (the module's `__pycache__`, the user's cache directory, or `NUMBA_CACHE_DIR`);
where none is writable (a read-only install, no home directory), it compiles at every start
instead of failing to import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

__all__ = ["kernel"]

_F = TypeVar("_F", bound=Callable[..., Any])


def kernel(signature: str) -> Callable[[_F], _F]:
    """Compile the decorated function for `signature` (numba's syntax), cached if possible."""

    def compile_it(function: _F) -> _F:
        try:
            compiled = numba.njit(signature, cache=True)(function)
        except RuntimeError:
            compiled = numba.njit(signature)(function)
        return cast(_F, compiled)

    return compile_it
