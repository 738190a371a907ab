"""Compiled loops import and run even where no on-disk cache can be written."""

from __future__ import annotations

from typing import Any

import numba
import pytest

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
