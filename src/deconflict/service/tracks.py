"""What the live picture asks of the service about a caller: whose tracks it sees, and which
notices a track it pushes may name."""

from __future__ import annotations

from collections.abc import Collection

from deconflict.errors import NotFound
from deconflict.service.context import Context
from deconflict.service.visibility import (
    Caller,
    TrackAudience,
    notice_view,
    require_party,
    stored_notice,
    track_audience,
)

__all__ = ["Tracks"]


class Tracks:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    def audience(self, caller: Caller) -> TrackAudience:
        """Whose tracks the caller sees, as of now (agreements change: ask again)."""
        with self._ctx.read() as repos:
            return track_audience(repos, caller)

    def unseen_notices(self, caller: Caller, notice_ids: Collection[str]) -> set[str]:
        """Those of `notice_ids` the pushing party may not see (a party's own notices and those
        disclosed to it are seen); Forbidden for the admin, who pushes no tracks."""
        party = require_party(caller)
        unseen: set[str] = set()
        with self._ctx.read() as repos:
            for notice_id in set(notice_ids):
                try:
                    notice_view(repos, stored_notice(repos, notice_id), party, notice_id)
                except NotFound:
                    unseen.add(notice_id)
        return unseen
