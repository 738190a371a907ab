"""The detection loop: alerts raised, updated and cleared from the live picture, and recorded.

`cycle` runs the tactical check over every fresh track (the live picture calls it once a
second of service time by default) and steps the alert book: it is what raises, updates and,
after `clear_after_s` without a tier met, clears. `arrived` checks just-updated tracks against
the rest as they come in, so a warning need not wait for the next cycle; it raises and updates
but never clears, since it looks at only part of the picture. `lost` closes the alerts of
tracks gone stale, and `start` closes those a previous run left open (`service_restart`).

Each transition becomes an alert fact heard by the parties owning the aircraft, recorded with
its log entry and event in one transaction, so the record shows when each was warned.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from deconflict.alerting import (
    AlertBook,
    Cleared,
    ClearReason,
    Condition,
    ConformanceWatch,
    PartyChannel,
    Raised,
    Subject,
    TrackArea,
    TrackNotice,
    TrackPair,
    Transition,
    Updated,
    intrusion_conditions,
    outside_notices,
    tactical_conditions,
    tactical_conditions_near,
)
from deconflict.domain.alert_rules import AlertRules, Audience, CitedNotice
from deconflict.domain.alerts import AlertKind, AlertRecord, AlertState
from deconflict.domain.facts import AlertCleared, AlertFact, AlertRaised, AlertUpdated
from deconflict.service import Service
from deconflict.tracks import TrackKey, TrackState, state_json

__all__ = ["RULES_REFRESH_S", "Detector"]

RULES_REFRESH_S = 5.0
"""How often the agreements' alert rules are read again (agreements change)."""


def _at(t_s: float) -> datetime:
    return datetime.fromtimestamp(t_s, UTC)


class Detector:
    """One alert book over the live picture; see the module. Thread-safe."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._lock = threading.Lock()
        self._rules: AlertRules | None = None
        self._rules_read_s = float("-inf")
        self._book = AlertBook()
        self._conformance = ConformanceWatch()
        self._cited: dict[str, CitedNotice] = {}

    def start(self, now_s: float) -> int:
        """Close the alerts a previous run left open; how many."""
        stored = self.service.active_alerts()
        facts: list[AlertFact] = [
            AlertCleared(_closed(a, ClearReason.SERVICE_RESTART, now_s)) for a in stored
        ]
        self._record(facts)
        return len(facts)

    def cycle(self, states: Sequence[TrackState], now_s: float) -> int:
        """Check every track against every other and every area; how many transitions were
        recorded."""
        rules = self._current_rules(now_s)
        met = self._conditions(rules, states, states, now_s, near=False)
        met.update(self._conforming(states, now_s).items())
        met.update(self.service.silent_channels(now_s, rules.watched()).items())
        with self._lock:
            transitions = self._book.step(now_s, met, lambda s: self._hold_s(s, rules))
            return self._record_transitions(transitions, rules)

    def arrived(
        self, updated: Sequence[TrackState], states: Sequence[TrackState], now_s: float
    ) -> int:
        """Check just-updated tracks against the picture and the areas; raises and updates
        only."""
        if not updated:
            return 0
        rules = self._current_rules(now_s)
        met = self._conditions(rules, updated, states, now_s, near=True)
        if not met:
            return 0
        with self._lock:
            transitions = self._book.note(max(now_s, self._book.now_s), met)
            return self._record_transitions(transitions, rules)

    def lost(self, keys: Collection[TrackKey], now_s: float) -> int:
        """Close the alerts about tracks gone stale (`track_lost`)."""
        if not keys:
            return 0
        rules = self._current_rules(now_s)
        with self._lock:
            subjects = self._book.involving(keys)
            transitions = self._book.clear(subjects, now_s, ClearReason.TRACK_LOST)
            return self._record_transitions(transitions, rules)

    def _conditions(
        self,
        rules: AlertRules,
        updated: Sequence[TrackState],
        states: Sequence[TrackState],
        now_s: float,
        *,
        near: bool,
    ) -> dict[Subject, Condition]:
        """What `updated` meets: pairs with `states` (the whole picture when not `near`), and
        areas. Only subjects someone hears of are kept."""
        met: dict[Subject, Condition] = {}
        if rules.alerts_any(s.key.party for s in (*updated, *states)):
            pairs = (
                tactical_conditions_near(updated, states, rules.tiers_for)
                if near
                else tactical_conditions(states, rules.tiers_for)
            )
            met.update(pairs.items())
        if rules.areas or rules.hazards:
            areas = rules.area_index
            found = intrusion_conditions(areas, updated, now_s, rules.lookahead_s)
            met.update(
                (subject, condition)
                for subject, condition in found.items()
                if _audience(subject, rules) is not None
            )
        return met

    def _conforming(
        self, states: Sequence[TrackState], now_s: float
    ) -> dict[TrackNotice, Condition]:
        """Tracks outside the notice they cite for more than `outside_for_s` (full cycles
        only: the count runs cycle to cycle)."""
        cited = {s.notice_id for s in states if s.notice_id is not None}
        if cited - self._cited.keys():
            self._cited = self.service.cited_notices(cited)
        notices = {k: c.volumes for k, c in self._cited.items() if k in cited}
        return self._conformance.step(now_s, outside_notices(notices, states))

    def _current_rules(self, now_s: float) -> AlertRules:
        if self._rules is None or abs(now_s - self._rules_read_s) >= RULES_REFRESH_S:
            self._rules = self.service.alert_rules()
            self._rules_read_s = now_s
            self._cited = {}  # notices change too: read again when next cited
        return self._rules

    def _record_transitions(self, transitions: Sequence[Transition], rules: AlertRules) -> int:
        facts = [f for f in (self._fact(t, rules) for t in transitions) if f is not None]
        self._record(facts)
        return len(facts)

    def _record(self, facts: Sequence[AlertFact]) -> None:
        self.service.record_alerts(facts)

    def _fact(self, transition: Transition, rules: AlertRules) -> AlertFact | None:
        alert = transition.alert
        subject = alert.subject
        condition = alert.condition
        audience = self._audience(subject, rules)
        if audience is None:  # the rules changed under an open alert: nobody left to hear it
            return None
        cleared = isinstance(transition, Cleared)
        record = AlertRecord(
            id=alert.id,
            kind=AlertKind(subject.kind),
            tier=condition.tier,
            state=AlertState.CLEARED if cleared else AlertState.ACTIVE,
            reason=transition.reason.value if isinstance(transition, Cleared) else None,
            tracks=subject.tracks,
            parties=audience.parties,
            agreement_ids=audience.agreement_ids,
            raised_at=_at(alert.raised_s),
            reported_at=_at(transition.at_s),
            cleared_at=_at(transition.at_s) if cleared else None,
            tcpa_s=condition.tcpa_s,
            dcpa_m=condition.dcpa_m,
            separation_m=condition.separation_m,
            states=tuple(state_json(s) for s in condition.states),
            area_id=subject.area_id if isinstance(subject, TrackArea) else None,
            notice_id=subject.notice_id if isinstance(subject, TrackNotice) else None,
            party=subject.party if isinstance(subject, PartyChannel) else None,
        )
        if isinstance(transition, Raised):
            return AlertRaised(record)
        if isinstance(transition, Updated):
            return AlertUpdated(record)
        return AlertCleared(record)

    def _hold_s(self, subject: Subject, rules: AlertRules) -> float:
        """How long the subject's alert holds without a tier met: the `clear_after_s` of the
        agreements it falls under."""
        audience = self._audience(subject, rules)
        return rules.hold_s(() if audience is None else audience.agreement_ids)

    def _audience(self, subject: Subject, rules: AlertRules) -> Audience | None:
        """Who hears of an alert on `subject`: a pair's parties, an area's audience, or a
        notice's."""
        if isinstance(subject, TrackNotice):
            cited = self._cited.get(subject.notice_id)
            return None if cited is None else cited.audience
        return _audience(subject, rules)


def _audience(subject: Subject, rules: AlertRules) -> Audience | None:
    """Who hears of an alert on `subject`: a pair's parties, or an area's audience."""
    if isinstance(subject, TrackPair):
        rule = rules.for_pair(subject.first.party, subject.second.party)
        if rule is None:
            return None
        parties = frozenset(k.party for k in subject.tracks if k.party is not None)
        return Audience(parties, rule.agreement_ids)
    if isinstance(subject, PartyChannel):
        return rules.channel_audience(subject.agreement_id)
    if isinstance(subject, TrackArea):
        area = rules.area(subject.area_id)
        return None if area is None else rules.intrusion_audience(subject.track.party, area)
    return None


def _closed(alert: AlertRecord, reason: ClearReason, now_s: float) -> AlertRecord:
    at = _at(now_s)
    return replace(
        alert, state=AlertState.CLEARED, reason=reason.value, reported_at=at, cleared_at=at
    )
