"""One declared limit per quantity the service takes in, so every door refuses the same values.

The API's pydantic schemas, the command line and the service read their bounds here: ids of
one form; text without control characters (PostgreSQL refuses NUL where SQLite would store
it, so both refuse it here first); integers within the 32-bit columns that hold them;
durations, buffers, altitudes and years within sane bounds, so no sum of them overflows a
`datetime` or turns infinite; few enough tiers and members; JSON shallow enough to parse.
"""

from __future__ import annotations

import math
import re

from deconflict.errors import InvalidInput

__all__ = [
    "CONTROL_CHARACTERS",
    "ID",
    "ID_PATTERN",
    "MAX_ALT_M",
    "MAX_BUFFER_H_M",
    "MAX_BUFFER_V_M",
    "MAX_DURATION_S",
    "MAX_INT32",
    "MAX_JSON_DEPTH",
    "MAX_MEMBERS",
    "MAX_NAME_CHARS",
    "MAX_TEXT_CHARS",
    "MAX_TIERS",
    "MAX_YEAR",
    "MIN_ALT_M",
    "MIN_YEAR",
    "TEXT_PATTERN",
    "control_problem",
    "is_id",
    "require_id",
    "require_text",
    "require_within",
    "text_problem",
]

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
"""Every id a client names or chooses: a letter or digit, then up to 63 of those, `.`, `_`, `-`
(no `/`, no space, never empty), as the service's own ids (`ntc_0001780000000a1b2c3d4`) are."""
ID = re.compile(ID_PATTERN)

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Unicode's control characters (C0, DEL and C1) but tab and newline."""
TEXT_PATTERN = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$"
"""Text without `CONTROL_CHARACTERS`, as a JSON Schema pattern."""
MAX_NAME_CHARS = 200
"""A party's, agreement's, area's or hazard's name."""
MAX_TEXT_CHARS = 2_000
"""Free text: a notice's purpose, a cancellation's reason, an acknowledgement's text."""

MAX_INT32 = 2**31 - 1
"""The largest versions, event ids and counts: what an SQL INTEGER column holds."""

MAX_DURATION_S = 30 * 24 * 3600.0
"""30 days: the longest lead time, acknowledgement deadline, time buffer or escalation delay."""
MAX_TIERS = 16
"""The most escalation tiers an agreement has."""
MAX_MEMBERS = 1_000
"""The most parties in one agreement."""
MAX_BUFFER_H_M = 1_000_000.0
"""1,000 km: the widest horizontal buffer."""
MAX_BUFFER_V_M = 10_000.0
"""10 km: the tallest vertical buffer (and datum margin)."""

MIN_ALT_M = -1_000.0
MAX_ALT_M = 100_000.0
"""Altitudes (and flight levels, once in metres) lie in [-1 km, 100 km]."""

MIN_YEAR = 1970
MAX_YEAR = 2200
"""Times a client gives lie in these years (UTC), inclusive."""

MAX_JSON_DEPTH = 32
"""The deepest nesting of arrays and objects in a request body."""


def is_id(value: object) -> bool:
    """Whether `value` is an id of the one form (anything else names nothing stored)."""
    return isinstance(value, str) and ID.fullmatch(value) is not None


def require_id(value: str, pointer: str) -> str:
    """`value` if it is an id; else `InvalidInput` at `pointer`."""
    if not is_id(value):
        raise InvalidInput.at(
            pointer,
            f"{value[:80]!r} is not an id: a letter or digit, then up to 63 letters, digits, "
            "'.', '_' or '-'",
        )
    return value


def control_problem(value: str) -> str | None:
    """Which control character `value` holds and where, or None."""
    found = CONTROL_CHARACTERS.search(value)
    if found is None:
        return None
    return (
        f"holds the control character U+{ord(found.group()):04X} at {found.start()} "
        "(only tab and newline are allowed)"
    )


def text_problem(value: str, max_chars: int) -> str | None:
    """What is wrong with `value` as text of at most `max_chars` characters, or None."""
    if len(value) > max_chars:
        return f"at most {max_chars} characters, not {len(value)}"
    return control_problem(value)


def require_text(value: str, pointer: str, max_chars: int) -> str:
    """`value` if it is text of at most `max_chars` characters; else `InvalidInput`."""
    problem = text_problem(value, max_chars)
    if problem is not None:
        raise InvalidInput.at(pointer, problem)
    return value


def require_within(value: float, low: float, high: float, pointer: str, unit: str) -> float:
    """`value` if it is a finite number in [low, high]; else `InvalidInput` naming the bounds."""
    if not (math.isfinite(value) and low <= value <= high):
        raise InvalidInput.at(
            pointer, f"must be from {_plain(low)} to {_plain(high)} {unit}, not {value!r}"
        )
    return value


def _plain(number: float) -> str:
    """1,000,000 rather than 1e+06; fractions as they are."""
    return f"{number:,.0f}" if number == int(number) else f"{number:g}"
