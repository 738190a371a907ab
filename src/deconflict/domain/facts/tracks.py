"""The facts of the live picture: a minute of track history committed to the record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from deconflict.domain.facts.base import (
    Fact,
    stamp,
)

__all__ = ["TrackHistoryCommitted"]


@dataclass(frozen=True, slots=True)
class TrackHistoryCommitted(Fact):
    """The live picture kept `count` track states in the minute from `minute_start` to
    `minute_end` (service time), stored beside the log; `commitment` is their hash
    (`deconflict.tracks.commitment`), so a later report can prove what was seen and when.

    Every party reads it (`service.visibility.history_readers` says why); the body names no
    party, so `log verify` holds its readers to the parties logged before it."""

    entry_type: ClassVar[str] = "track.history"
    body_fields: ClassVar[frozenset[str]] = frozenset(
        {"minute_start", "minute_end", "count", "commitment"}
    )
    body_times: ClassVar[frozenset[str]] = frozenset({"minute_start", "minute_end"})
    minute_start: datetime
    minute_end: datetime
    count: int
    commitment: str
    readers: frozenset[str]

    @property
    def audience(self) -> frozenset[str]:
        return self.readers

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return frozenset()

    def body(self) -> dict[str, Any]:
        return {
            "minute_start": stamp(self.minute_start),
            "minute_end": stamp(self.minute_end),
            "count": self.count,
            "commitment": self.commitment,
        }
