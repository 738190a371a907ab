"""Which agreement's alert rules apply to a pair of aircraft owners, decided from the
agreements alone so the live picture can ask it 100k times a cycle without the database.

A pair's agreements are those that hold both owners; unattributed traffic (owner None) is
held by every agreement, so a party's aircraft and unattributed traffic fall under the
party's agreements, and two unattributed tracks under none. Of several agreements the most
protective applies: the one whose outermost tier reaches furthest (radius, then height, then
look-ahead). A pair of one party's own aircraft is alerted only where that agreement says so
(`intra_party_alerts`).

Intrusions into a protected area are heard by the area's owner and the track's owner, under
the agreements they share (unattributed traffic: the owner's agreements); a track whose owner
shares no agreement with the area's owner is not bound by the area. A hazard's intrusions are
heard by every member of its agreement, for the tracks of its members. Areas are looked ahead
as far as the furthest tier of any agreement looks.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

from deconflict.alerting import (
    DEFAULT_CLEAR_AFTER_S,
    Area,
    AreaIndex,
    AreaKind,
    NoticeVolumes,
    Watched,
)
from deconflict.detection.tactical import AlertTiers
from deconflict.domain.agreements import Agreement, Hazard, ProtectedArea

__all__ = ["AlertRules", "Audience", "CitedNotice", "PairRule"]


@dataclass(frozen=True, slots=True)
class PairRule:
    """The tiers a pair is alerted under, and every agreement that holds the pair."""

    tiers: AlertTiers
    agreement_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Audience:
    """Who hears an alert, and the agreements it falls under."""

    parties: frozenset[str]
    agreement_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CitedNotice:
    """A notice live tracks cite, as the conformance check needs it: its latest volumes with
    its agreement's buffers, and who hears of a track straying from it (the originator and
    every party it was disclosed to)."""

    volumes: NoticeVolumes
    agreement_id: str
    parties: frozenset[str]

    @property
    def audience(self) -> Audience:
        return Audience(self.parties, (self.agreement_id,))


@dataclass(frozen=True, slots=True)
class AlertRules:
    """The latest version of every agreement, and the standing airspace, as the live picture
    needs them."""

    agreements: tuple[Agreement, ...]
    areas: tuple[ProtectedArea, ...] = ()
    hazards: tuple[Hazard, ...] = ()
    _memo: dict[tuple[str | None, str | None], PairRule | None] = field(
        default_factory=dict, compare=False, repr=False
    )
    _index: list[tuple[AreaIndex, dict[str, Area]]] = field(
        default_factory=list, compare=False, repr=False
    )

    @classmethod
    def of(
        cls,
        agreements: Iterable[Agreement],
        areas: Iterable[ProtectedArea] = (),
        hazards: Iterable[Hazard] = (),
    ) -> AlertRules:
        return cls(
            tuple(sorted(agreements, key=lambda a: a.id)),
            tuple(sorted(areas, key=lambda a: a.id)),
            tuple(sorted(hazards, key=lambda h: h.id)),
        )

    @property
    def area_index(self) -> AreaIndex:
        """The protected areas and hazards, ready for the intrusion check (built once)."""
        return self._areas()[0]

    def area(self, area_id: str) -> Area | None:
        """The protected area or hazard of that id, as the intrusion check knows it."""
        return self._areas()[1].get(area_id)

    def _areas(self) -> tuple[AreaIndex, dict[str, Area]]:
        if not self._index:
            index = AreaIndex(
                [Area(a.id, a.volume, AreaKind.PROTECTED, a.owner) for a in self.areas]
                + [
                    Area(h.id, h.volume, AreaKind.HAZARD, h.entered_by, h.agreement_id)
                    for h in self.hazards
                ]
            )
            self._index.append((index, {a.id: a for a in index.areas}))
        return self._index[0]

    def agreement(self, agreement_id: str) -> Agreement | None:
        return next((g for g in self.agreements if g.id == agreement_id), None)

    @property
    def lookahead_s(self) -> float:
        """The furthest any agreement's tiers look ahead (areas are looked ahead as far)."""
        return max(
            (g.terms.alert_tiers.outermost.lookahead_s for g in self.agreements), default=0.0
        )

    def watched(self) -> list[Watched]:
        """Every member's channel in every agreement, with the silence each allows."""
        return [
            Watched(g.id, party, g.terms.channel_silent_after_s)
            for g in self.agreements
            for party in g.terms.members
        ]

    def channel_audience(self, agreement_id: str) -> Audience | None:
        """A silent channel is heard by every member of its agreement."""
        agreement = self.agreement(agreement_id)
        return (
            None
            if agreement is None
            else Audience(frozenset(agreement.terms.members), (agreement.id,))
        )

    def intrusion_audience(self, owner: str | None, area: Area) -> Audience | None:
        """Who hears of a track of `owner` (None: unattributed) in `area`, or None when the
        track is not bound by it."""
        if area.kind is AreaKind.HAZARD:
            agreement = None if area.agreement_id is None else self.agreement(area.agreement_id)
            if agreement is None or owner not in agreement.terms.members:
                return None
            return Audience(frozenset(agreement.terms.members), (agreement.id,))
        if area.owner is None:
            return None
        owners = {area.owner} | ({owner} if owner is not None else set())
        shared = tuple(g.id for g in self.agreements if owners <= set(g.terms.members))
        return Audience(frozenset(owners), shared) if shared else None

    def for_pair(self, a: str | None, b: str | None) -> PairRule | None:
        """The rule for a pair of owners, or None when such a pair is not alerted."""
        key = (a, b) if (a or "") <= (b or "") else (b, a)
        if key not in self._memo:
            self._memo[key] = self._rule(*key)
        return self._memo[key]

    def tiers_for(self, a: str | None, b: str | None) -> AlertTiers | None:
        rule = self.for_pair(a, b)
        return None if rule is None else rule.tiers

    def alerts_any(self, owners: Iterable[str | None]) -> bool:
        """Whether any pair of these owners (one owner twice included) is alerted: when not,
        the loop need not look at the picture at all."""
        chosen = sorted(set(owners), key=lambda p: (p is None, p or ""))
        return any(
            self.for_pair(a, b) is not None
            for a, b in itertools.combinations_with_replacement(chosen, 2)
        )

    def hold_s(self, agreement_ids: Iterable[str]) -> float:
        """How long an alert under these agreements holds with no tier met before it clears:
        the longest `clear_after_s` among them."""
        chosen = set(agreement_ids)
        return max(
            (g.terms.clear_after_s for g in self.agreements if g.id in chosen),
            default=DEFAULT_CLEAR_AFTER_S,
        )

    def _rule(self, a: str | None, b: str | None) -> PairRule | None:
        if a is None and b is None:
            return None
        owners = {p for p in (a, b) if p is not None}
        holding = [g for g in self.agreements if owners <= set(g.terms.members)]
        if a == b:
            holding = [g for g in holding if g.terms.intra_party_alerts]
        if not holding:
            return None
        chosen = max(holding, key=lambda g: _reach(g.terms.alert_tiers))
        return PairRule(chosen.terms.alert_tiers, tuple(g.id for g in holding))


def _reach(tiers: AlertTiers) -> tuple[float, float, float]:
    outer = tiers.outermost
    return (outer.rpz_m, outer.hpz_m, outer.lookahead_s)
