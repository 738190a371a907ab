"""Compiled loops import and run even where no on-disk cache can be written."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

import numba
import pytest
from numba.core.registry import CPUDispatcher

import deconflict
from deconflict import compiled


def test_a_kernel_is_compiled_when_defined_not_when_first_called() -> None:
    @compiled.kernel("float64(float64)")
    def twice(x: float) -> float:
        return 2.0 * x

    assert len(twice.signatures) == 1  # type: ignore[attr-defined]
    assert twice(3.0) == 6.0
    with pytest.raises(TypeError):
        twice("three")  # type: ignore[arg-type]


def test_without_a_writable_cache_the_kernel_compiles_uncached(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """numba raises RuntimeError when no cache locator can write (read-only install, no home);
    the kernel must still import."""
    real = numba.njit
    asked: list[dict[str, Any]] = []

    def njit(signature: str, **options: Any) -> Any:
        asked.append(options)
        if options.get("cache"):
            raise RuntimeError("cannot cache function 'twice': no locator available")
        return real(signature, **options)

    monkeypatch.setattr(compiled.numba, "njit", njit)

    @compiled.kernel("float64(float64)")
    def twice(x: float) -> float:
        return 2.0 * x

    assert twice(4.0) == 8.0
    assert asked == [{"cache": True}, {}]


def test_the_cache_is_keyed_by_every_module_that_holds_a_kernel(tmp_path: Path) -> None:
    """A kernel's cached code includes the kernels it calls from other modules, so a change to
    any module with a kernel must lead to another cache directory; other modules do not."""
    (tmp_path / "loops").mkdir()
    caller = tmp_path / "loops" / "caller.py"
    callee = tmp_path / "callee.py"
    plain = tmp_path / "plain.py"
    caller.write_text('@kernel("f8(f8)")\ndef twice(x):\n    return helper(x) * 2\n')
    callee.write_text('@kernel("f8(f8)")\ndef helper(x):\n    return x\n')
    plain.write_text("VALUE = 1\n")
    first = compiled.sources_digest(tmp_path)
    plain.write_text("VALUE = 2\n")
    assert compiled.sources_digest(tmp_path) == first
    callee.write_text('@kernel("f8(f8)")\ndef helper(x):\n    return x + 1\n')
    assert compiled.sources_digest(tmp_path) != first


def test_kernels_are_cached_under_the_digest_or_not_at_all(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "cache"))
    found = compiled._cache_dir.__wrapped__()  # type: ignore[attr-defined]
    assert found == str(
        tmp_path / "cache" / f"deconflict-numba-{compiled.sources_digest(compiled._PACKAGE)}"
    )
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(blocked))
    assert compiled._cache_dir.__wrapped__() is None  # type: ignore[attr-defined]


def test_every_module_that_compiles_a_kernel_is_in_the_digest() -> None:
    """The digest finds kernels by the text `@kernel(`; a kernel compiled any other way (or in a
    module the search misses) would keep stale cached code after its callees change."""
    defining = set()
    for info in pkgutil.walk_packages(deconflict.__path__, "deconflict."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, CPUDispatcher) and value.py_func.__module__ == info.name:
                defining.add(Path(module.__file__ or ""))
    assert len(defining) >= 6
    assert defining <= set(compiled.kernel_sources(compiled._PACKAGE))
