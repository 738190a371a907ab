"""The user's JSON files, read with one clear error line for a missing file or bad JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from deconflict.cli.output import CliError

__all__ = ["read_json"]


def read_json(path: Path) -> Any:
    """The file's JSON document (strict, as the API reads it: no NaN, UTF-8 only)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise CliError(f"{path} is not valid JSON: {exc}") from None
