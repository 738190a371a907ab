"""Compiling the few numeric loops that numpy cannot express without per-call overhead.

`kernel` is `numba.njit` with an explicit signature, so the loop compiles once, at import, and
never in the middle of a request. The machine code is cached on disk, in a directory named
after a digest of every module of this package that holds a kernel: a kernel's cached code
includes the kernels it calls from other modules, and numba's own check (the time stamp of the
kernel's own file) would keep serving it after one of those changed. The directory sits in
`NUMBA_CACHE_DIR` if that is set, else in the package's `__pycache__`, else in the user's cache
directory; where none can be written (a read-only install, no home directory), the kernel
compiles at every start instead of failing to import.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import numba

__all__ = ["kernel", "kernel_sources", "sources_digest"]

_F = TypeVar("_F", bound=Callable[..., Any])
_PACKAGE = Path(__file__).parent


def kernel_sources(root: Path) -> list[Path]:
    """The modules under `root`, sub-packages included, that define kernels, sorted."""
    return [path for path in sorted(root.rglob("*.py")) if b"@kernel(" in path.read_bytes()]


def sources_digest(root: Path) -> str:
    """A digest of the modules under `root` that define kernels (their paths and contents)."""
    digest = hashlib.sha256()
    for path in kernel_sources(root):
        text = path.read_bytes()
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + text + b"\0")
    return digest.hexdigest()[:16]


@functools.cache
def _cache_dir() -> str | None:
    name = f"deconflict-numba-{sources_digest(_PACKAGE)}"
    given = os.environ.get("NUMBA_CACHE_DIR")
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    bases = [given] if given else [str(_PACKAGE / "__pycache__"), home]
    for base in bases:
        path = os.path.join(base, name)
        try:
            os.makedirs(path, exist_ok=True)
        except OSError:
            continue
        if os.access(path, os.W_OK):
            return path
    return None


def kernel(signature: str) -> Callable[[_F], _F]:
    """Compile the decorated function for `signature` (numba's syntax), cached if possible."""

    def compile_it(function: _F) -> _F:
        cache_dir = _cache_dir()
        if cache_dir is None:
            return cast(_F, numba.njit(signature)(function))
        config = cast(Any, numba.config)
        saved, config.CACHE_DIR = config.CACHE_DIR, cache_dir
        try:
            compiled = numba.njit(signature, cache=True)(function)
        except RuntimeError:
            compiled = numba.njit(signature)(function)
        finally:
            config.CACHE_DIR = saved
        return cast(_F, compiled)

    return compile_it
