"""Instants as text and back: every RFC 3339 / ISO 8601 spelling the project writes or reads.

Three spellings, each for its own reason:

- the log's (`format_time`, `parse_time`): UTC, always six fraction digits, `Z`
  (2026-06-01T08:00:00.000000Z), so each instant has one spelling and an entry's canonical
  bytes one form; any other spelling is refused;
- RFC 3339 at the boundary (`format_utc`, `parse_utc`, `read_utc`): what the API, GeoJSON and
  F3548 documents carry. Out: UTC with `Z`, a fraction only when there is one. In: any RFC 3339
  offset (minutes 00 to 59), naive times refused, errors as `InvalidInput` at a JSON pointer;
  `read_utc` reads back, unchecked and fast, text `format_utc` wrote;
- ISO 8601 with a zone (`parse_iso`): command-line arguments and state-vector files, as
  lenient as Python's `datetime.fromisoformat`, naive times refused; and out (`format_iso`),
  the `+00:00` form event data has always been served in.

Both readers of a client's times keep to the years `limits` declares (1970 to 2200, in UTC), so
no time taken in overflows a `datetime` once buffers and deadlines are added to it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from deconflict.clock import require_utc
from deconflict.errors import InvalidInput
from deconflict.limits import MAX_YEAR, MIN_YEAR

__all__ = [
    "format_iso",
    "format_time",
    "format_utc",
    "parse_iso",
    "parse_time",
    "parse_utc",
    "read_utc",
]

_LOG_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:[0-5]\d)?$", re.ASCII
)


def format_time(when: datetime) -> str:
    """RFC 3339 in UTC with microseconds and `Z`: 2026-06-01T08:00:00.000000Z (naive refused)."""
    return require_utc(when).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """The inverse of `format_time`; any other spelling is a `ValueError`."""
    if not _LOG_TIME.fullmatch(text):
        raise ValueError(f"{text!r} is not YYYY-MM-DDTHH:MM:SS.ffffffZ")
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def format_utc(when: datetime) -> str:
    """RFC 3339 in UTC with a Z, microseconds only when present."""
    utc = when.astimezone(UTC)
    spec = "microseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def parse_utc(value: object, pointer: str) -> datetime:
    """An RFC 3339 date-time with offset or Z, as UTC. Naive or malformed: `InvalidInput`."""
    if not isinstance(value, str):
        raise InvalidInput.at(pointer, f"must be an RFC 3339 date-time string, not {value!r}")
    match = _RFC3339.match(value)
    if match is None:
        raise InvalidInput.at(pointer, f"{value!r} is not an RFC 3339 date-time")
    if match.group(2) is None:
        raise InvalidInput.at(pointer, f"{value!r} has no time zone offset (naive time refused)")
    try:
        parsed = datetime.fromisoformat(value.upper().replace(" ", "T"))
    except ValueError as exc:
        raise InvalidInput.at(pointer, f"{value!r} is not a valid date-time: {exc}") from None
    return _in_years(parsed, repr(value), pointer)


def _in_years(when: datetime, shown: str, pointer: str) -> datetime:
    """`when` (aware) in UTC, if that falls in the years a client may give; else `InvalidInput`."""
    try:
        utc = when.astimezone(UTC)
    except OverflowError:
        raise InvalidInput.at(pointer, f"{shown} is out of range in UTC") from None
    if not MIN_YEAR <= utc.year <= MAX_YEAR:
        raise InvalidInput.at(
            pointer, f"{shown} is in {utc.year} (UTC); times lie in {MIN_YEAR} to {MAX_YEAR}"
        )
    return utc


def read_utc(text: str) -> datetime:
    """A time `format_utc` wrote, as UTC, unchecked: for the service's own stored text only
    (a third of `parse_utc`'s cost, which counts when a million volumes are read at start-up)."""
    return datetime.fromisoformat(text).astimezone(UTC)


def format_iso(when: datetime) -> str:
    """ISO 8601 as Python writes an aware time (2026-06-01T08:00:00+00:00): event data's form."""
    return require_utc(when).isoformat()


def parse_iso(text: str, pointer: str) -> datetime:
    """An ISO 8601 time with a zone (`2021-10-07T13:00:00Z`), as UTC; else `InvalidInput`."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput.at(pointer, f"time {text!r} is not ISO 8601") from None
    if when.tzinfo is None or when.utcoffset() is None:
        raise InvalidInput.at(
            pointer, f"time {text!r} has no zone; add Z or an offset such as +00:00"
        )
    return _in_years(when, f"time {text!r}", pointer)
