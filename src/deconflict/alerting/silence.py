"""Channel silence: a party not heard from for longer than its agreement allows.

`ChannelWatch` keeps when each party was last seen (an authenticated call, an open stream: the
caller decides what counts and when to tell it). A party never seen since the watch began
counts from the watch's start, so a restart does not call every party silent at once, nor
leave a party that never comes back unwatched. Which (agreement, party) pairs are watched each
cycle is the caller's choice (issue 16: while a notice of the party's, or one disclosed to it,
is active); each is silent when `now_s - last seen > silent_after_s`.

A condition's tier is `silent`; it has no figures at CPA (None), and carries when the party was
last seen and for how long it has been silent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from deconflict.alerting.conditions import Condition
from deconflict.alerting.subjects import PartyChannel

__all__ = ["DEFAULT_SILENT_AFTER_S", "SILENT", "ChannelWatch", "Watched"]

DEFAULT_SILENT_AFTER_S = 60.0
SILENT = "silent"


class Watched(NamedTuple):
    """A party's channel in one agreement, and the silence that agreement allows."""

    agreement_id: str
    party: str
    silent_after_s: float = DEFAULT_SILENT_AFTER_S


class ChannelWatch:
    """When each party was last seen, on the caller's clock."""

    def __init__(self, started_s: float) -> None:
        self.started_s = started_s
        self._last_s: dict[str, float] = {}

    def seen(self, party: str, t_s: float) -> None:
        """The party was alive at `t_s`; an earlier time than one already seen changes nothing."""
        if t_s > self._last_s.get(party, self.started_s):
            self._last_s[party] = t_s

    def last_seen_s(self, party: str) -> float:
        """When `party` was last seen, or the watch's start if it has not been."""
        return self._last_s.get(party, self.started_s)

    def conditions(self, now_s: float, watched: Iterable[Watched]) -> dict[PartyChannel, Condition]:
        """The watched channels silent at `now_s`."""
        out: dict[PartyChannel, Condition] = {}
        for agreement_id, party, silent_after_s in watched:
            last_s = self.last_seen_s(party)
            if now_s - last_s > silent_after_s:
                out[PartyChannel(agreement_id, party)] = Condition(
                    SILENT, 0, extra={"last_seen_s": last_s, "silent_for_s": now_s - last_s}
                )
        return out
