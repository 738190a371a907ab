"""The alert lifecycle: one alert per subject, raised, updated and cleared from each cycle's
conditions, so that a condition flickering on and off does not flicker the alert.

`AlertBook.step` takes the cycle's time and the conditions met in it and returns transitions:

- `Raised` the first cycle a subject meets a tier while it has no open alert;
- `Updated` when a tier is met that differs from the one last reported (an escalation, or a
  de-escalation: a lower tier is reported at once, not held until the alert clears), or when
  the figures change materially (`Materiality`);
- `Cleared` (reason `cleared`) at the first cycle at least `clear_after_s` after the last cycle
  that met a tier. A condition that returns before then keeps the same alert open, with no new
  `Raised` (and an `Updated` only if it returns changed).

`clear` closes given alerts early (`track_lost`), `clear_all` closes every one
(`service_restart`). Transitions come sorted by subject, so a cycle's output depends on its
inputs only, never on the order of a mapping. The book is single-threaded and pure: times are
epoch seconds on the caller's clock, and must not go back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from deconflict.alerting.conditions import Condition
from deconflict.alerting.subjects import Subject, alert_id
from deconflict.tracks import TrackKey

__all__ = [
    "DEFAULT_CLEAR_AFTER_S",
    "Alert",
    "AlertBook",
    "ClearReason",
    "Cleared",
    "Materiality",
    "Raised",
    "Transition",
    "Updated",
]

DEFAULT_CLEAR_AFTER_S = 10.0

S = TypeVar("S", bound=Subject)
"""Any one kind of subject, so a check's `dict[TrackPair, Condition]` is taken as it is."""


class ClearReason(StrEnum):
    """Why an alert closed."""

    CLEARED = "cleared"
    """No tier met for `clear_after_s`."""
    TRACK_LOST = "track_lost"
    SERVICE_RESTART = "service_restart"


@dataclass(frozen=True, slots=True)
class Materiality:
    """How far the figures at CPA must move from the last reported ones to be worth an update.

    Time to CPA is compared after ageing the reported one by the time since it was reported,
    both floored at 0: an aircraft flying on as predicted counts down one second per second and
    is no news, and one already at or past CPA (an aircraft inside an area, tcpa 0) is no news
    either. It is material when it moves by more than max(`tcpa_s`, `tcpa_share` x the aged
    time): tolerance narrows as CPA nears. The distance at CPA is material when it moves by
    more than max(`dcpa_m`, `dcpa_share` x the reported distance). Figures that are None on
    either side are not compared.
    """

    tcpa_s: float = 5.0
    tcpa_share: float = 0.2
    dcpa_m: float = 100.0
    dcpa_share: float = 0.2

    def changed(self, reported: Condition, reported_s: float, now: Condition, now_s: float) -> bool:
        """Whether `now` (at `now_s`) tells materially more than `reported` (at `reported_s`)."""
        if reported.tcpa_s is not None and now.tcpa_s is not None:
            aged_s = max(reported.tcpa_s - (now_s - reported_s), 0.0)
            if abs(max(now.tcpa_s, 0.0) - aged_s) > max(self.tcpa_s, self.tcpa_share * aged_s):
                return True
        if reported.dcpa_m is not None and now.dcpa_m is not None:
            tolerance_m = max(self.dcpa_m, self.dcpa_share * reported.dcpa_m)
            if abs(now.dcpa_m - reported.dcpa_m) > tolerance_m:
                return True
        return False


@dataclass(frozen=True, slots=True)
class Alert:
    """An open alert as last reported: `condition` is what `reported_s` told."""

    id: str
    subject: Subject
    raised_s: float
    condition: Condition
    reported_s: float


@dataclass(frozen=True, slots=True)
class Raised:
    alert: Alert

    @property
    def at_s(self) -> float:
        return self.alert.raised_s


@dataclass(frozen=True, slots=True)
class Updated:
    """The alert with its new condition, and the condition reported before."""

    alert: Alert
    previous: Condition

    @property
    def at_s(self) -> float:
        return self.alert.reported_s


@dataclass(frozen=True, slots=True)
class Cleared:
    """The alert as last reported, why it closed, and when."""

    alert: Alert
    reason: ClearReason
    at_s: float


Transition = Raised | Updated | Cleared


@dataclass(slots=True)
class _Open:
    alert: Alert
    last_met_s: float


class AlertBook:
    """Open alerts by subject, stepped once per cycle."""

    def __init__(
        self,
        *,
        clear_after_s: float = DEFAULT_CLEAR_AFTER_S,
        materiality: Materiality | None = None,
        open_alerts: Iterable[Alert] = (),
    ) -> None:
        """`open_alerts`: alerts a previous book left open (read back after a restart), so that
        `clear_all` closes them through the same transitions; each counts as met when it was
        last reported."""
        if not clear_after_s >= 0.0:
            raise ValueError(f"clear_after_s = {clear_after_s!r} must be >= 0")
        self.clear_after_s = clear_after_s
        self.materiality = materiality or Materiality()
        self._open = {a.subject: _Open(a, a.reported_s) for a in open_alerts}
        self._now_s = max((a.reported_s for a in self._open_alerts()), default=float("-inf"))

    def __len__(self) -> int:
        return len(self._open)

    @property
    def now_s(self) -> float:
        """The latest time the book was stepped to (-inf before the first)."""
        return self._now_s

    def __contains__(self, subject: object) -> bool:
        return subject in self._open

    def _open_alerts(self) -> Iterable[Alert]:
        return (held.alert for held in self._open.values())

    def alerts(self) -> list[Alert]:
        """The open alerts, sorted by subject."""
        return sorted(self._open_alerts(), key=lambda a: a.subject.sort_key())

    def get(self, subject: Subject) -> Alert | None:
        held = self._open.get(subject)
        return None if held is None else held.alert

    def involving(self, tracks: Collection[TrackKey]) -> list[Subject]:
        """The subjects of open alerts about any of `tracks`, sorted."""
        found = [s for s in self._open if any(key in tracks for key in s.tracks)]
        return sorted(found, key=lambda s: s.sort_key())

    def step(
        self,
        now_s: float,
        met: Mapping[S, Condition],
        hold_s: Callable[[Subject], float] | None = None,
    ) -> list[Transition]:
        """The transitions of the cycle at `now_s` in which the subjects of `met` met a tier.
        `hold_s` gives a subject's own `clear_after_s` where rules differ by subject (each
        agreement has its own); the book's otherwise."""
        self._advance(now_s)
        out = self._met(now_s, met)
        quiet = [
            s
            for s, held in self._open.items()
            if s not in met
            and now_s - held.last_met_s >= (self.clear_after_s if hold_s is None else hold_s(s))
        ]
        out += [(s.sort_key(), self._close(s, ClearReason.CLEARED, now_s)) for s in quiet]
        out.sort(key=lambda item: item[0])
        return [transition for _, transition in out]

    def note(self, now_s: float, met: Mapping[S, Condition]) -> list[Transition]:
        """`step` for a partial look (the few tracks just updated, between cycles): raises and
        updates as `step` does, but clears nothing, since what it did not look at may still be
        met."""
        self._advance(now_s)
        out = self._met(now_s, met)
        out.sort(key=lambda item: item[0])
        return [transition for _, transition in out]

    def _met(
        self, now_s: float, met: Mapping[S, Condition]
    ) -> list[tuple[tuple[object, ...], Transition]]:
        out: list[tuple[tuple[object, ...], Transition]] = []
        for subject, condition in met.items():
            held = self._open.get(subject)
            if held is None:
                alert = Alert(alert_id(subject, now_s), subject, now_s, condition, now_s)
                self._open[subject] = _Open(alert, now_s)
                out.append((subject.sort_key(), Raised(alert)))
                continue
            held.last_met_s = now_s
            if self._changed(held.alert, condition, now_s):
                previous = held.alert.condition
                held.alert = dataclasses.replace(held.alert, condition=condition, reported_s=now_s)
                out.append((subject.sort_key(), Updated(held.alert, previous)))
        return out

    def clear(
        self, subjects: Iterable[Subject], now_s: float, reason: ClearReason
    ) -> list[Cleared]:
        """Close the open alerts on `subjects` (others are ignored), sorted by subject."""
        self._advance(now_s)
        chosen = sorted({s for s in subjects if s in self._open}, key=lambda s: s.sort_key())
        return [self._close(s, reason, now_s) for s in chosen]

    def clear_all(
        self, now_s: float, reason: ClearReason = ClearReason.SERVICE_RESTART
    ) -> list[Cleared]:
        """Close every open alert, sorted by subject."""
        return self.clear(list(self._open), now_s, reason)

    def _changed(self, alert: Alert, condition: Condition, now_s: float) -> bool:
        reported = alert.condition
        if (condition.level, condition.tier) != (reported.level, reported.tier):
            return True
        return self.materiality.changed(reported, alert.reported_s, condition, now_s)

    def _close(self, subject: Subject, reason: ClearReason, now_s: float) -> Cleared:
        held = self._open.pop(subject)
        return Cleared(held.alert, reason, now_s)

    def _advance(self, now_s: float) -> None:
        if now_s < self._now_s:
            raise ValueError(f"now_s = {now_s!r} is before the book's last time {self._now_s!r}")
        self._now_s = now_s
