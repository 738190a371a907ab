"""What operators watch, counted in the database: notices by state, and how far each party's
witness has co-signed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from deconflict.domain import NoticeState
from deconflict.storage import tables as t

__all__ = ["NewestCosignature", "StatusStore"]


@dataclass(frozen=True, slots=True)
class NewestCosignature:
    """The largest checkpoint a party co-signed, and the latest time its witness signed any."""

    size: int
    timestamp: datetime


class StatusStore:
    """Operator counts on one connection."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def notices_by_state(self) -> dict[NoticeState, int]:
        """How many notices are in each state, every state present (0 when none)."""
        counts = dict.fromkeys(NoticeState, 0)
        rows = self._conn.execute(
            sa.select(t.notices.c.state, sa.func.count()).group_by(t.notices.c.state)
        )
        for state, count in rows:
            counts[NoticeState(state)] = int(count)
        return counts

    def newest_cosignatures(self) -> dict[str, NewestCosignature]:
        """Each party that co-signed anything: its newest size and latest cosignature time."""
        c = t.cosignatures.c
        latest = sa.func.max(c.timestamp, type_=t.UTCDateTime())
        rows = self._conn.execute(
            sa.select(c.party_id, sa.func.max(c.size), latest).group_by(c.party_id)
        )
        return {party: NewestCosignature(int(size), when) for party, size, when in rows}
