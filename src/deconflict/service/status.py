"""What an operator watches, read in one snapshot: the log's size, notices by state, and how
far behind the log each party's witness is (for `/metrics`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from deconflict.domain import KeyPurpose, NoticeState
from deconflict.service.context import Context

__all__ = ["Status", "StatusSnapshot", "WitnessLag"]


@dataclass(frozen=True, slots=True)
class WitnessLag:
    """How far a party's witness trails the log: entries it has not co-signed yet, and when it
    last co-signed (None: never)."""

    entries: int
    last_cosigned_at: datetime | None


@dataclass(frozen=True, slots=True)
class StatusSnapshot:
    log_size: int
    notices: dict[NoticeState, int]
    witnesses: dict[str, WitnessLag]
    """Every party with a co-signing key, and any other that co-signed."""


class Status:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    def snapshot(self) -> StatusSnapshot:
        with self._ctx.read() as repos:
            size = repos.entries.size()
            newest = repos.status.newest_cosignatures()
            witnesses = {party for party, _ in repos.parties.keys(KeyPurpose.COSIGN)}
            lags = {}
            for party in sorted(witnesses | set(newest)):
                signed = newest.get(party)
                lags[party] = (
                    WitnessLag(size, None)
                    if signed is None
                    else WitnessLag(max(0, size - signed.size), signed.timestamp)
                )
            return StatusSnapshot(size, repos.status.notices_by_state(), lags)
