"""Alert levels on top of tactical detection: nested tiers, each with its own separation.

A tier is a cylinder (horizontal radius, vertical half-height) and a look-ahead time. Tiers nest:
each more severe tier is no larger in any threshold than the one before, so a pair in conflict
under a severe tier is in conflict under every milder one, and each pair gets exactly one tier,
the most severe it meets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from deconflict.detection.tactical.engine import conflicts_of, evaluate_pairs
from deconflict.detection.tactical.prune import candidate_pairs
from deconflict.detection.tactical.types import States, TacticalConflict, check_separation
from deconflict.errors import FieldError, InvalidInput

__all__ = ["Alert", "AlertTier", "AlertTiers", "detect_alerts"]


@dataclass(frozen=True, slots=True)
class AlertTier:
    """One alert level: its name and the separation a pair must be predicted to lose."""

    name: str
    rpz_m: float
    hpz_m: float
    lookahead_s: float

    def __post_init__(self) -> None:
        errors = []
        if not isinstance(self.name, str) or not self.name:
            errors.append(FieldError("/name", f"name {self.name!r} must be a non-empty string"))
        try:
            check_separation(self.rpz_m, self.hpz_m, self.lookahead_s)
        except InvalidInput as exc:
            errors += exc.errors
        if errors:
            raise InvalidInput(f"invalid alert tier: {errors[0].detail}", errors)

    @property
    def thresholds(self) -> tuple[float, float, float]:
        return (self.rpz_m, self.hpz_m, self.lookahead_s)


@dataclass(frozen=True, slots=True)
class AlertTiers:
    """Nested tiers, least severe first (for example advisory, caution, warning)."""

    tiers: tuple[AlertTier, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "tiers", tuple(self.tiers))
        errors = _nesting_errors(self.tiers)
        if errors:
            raise InvalidInput(f"alert tiers do not nest: {errors[0].detail}", errors)

    @classmethod
    def of(cls, *tiers: AlertTier) -> AlertTiers:
        return cls(tiers)

    @property
    def outermost(self) -> AlertTier:
        return self.tiers[0]


def _nesting_errors(tiers: Sequence[AlertTier]) -> list[FieldError]:
    if not tiers:
        return [FieldError("/tiers", "at least one tier is needed")]
    errors = []
    names = [tier.name for tier in tiers]
    for k, name in enumerate(names):
        if name in names[:k]:
            errors.append(FieldError(f"/tiers/{k}/name", f"tier name {name!r} is used twice"))
    for k in range(1, len(tiers)):
        milder, severe = tiers[k - 1], tiers[k]
        for field in ("rpz_m", "hpz_m", "lookahead_s"):
            if getattr(severe, field) > getattr(milder, field):
                errors.append(
                    FieldError(
                        f"/tiers/{k}/{field}",
                        f"{severe.name!r} {field} = {getattr(severe, field)!r} exceeds "
                        f"the milder {milder.name!r} {field} = {getattr(milder, field)!r}",
                    )
                )
        if severe.thresholds == milder.thresholds:
            errors.append(
                FieldError(
                    f"/tiers/{k}",
                    f"{severe.name!r} has the same thresholds as {milder.name!r}, "
                    f"so {milder.name!r} could never be raised",
                )
            )
    return errors


@dataclass(frozen=True, slots=True)
class Alert:
    """A pair at its most severe tier, with the conflict figures under that tier's thresholds."""

    tier: AlertTier
    conflict: TacticalConflict


def detect_alerts(states: States, tiers: AlertTiers) -> list[Alert]:
    """Every pair in conflict under the outermost tier, at the most severe tier it meets.

    Sorted by (`id1`, `id2`). Pairs are pruned once, with the outermost tier, which holds every
    inner one.
    """
    outer = tiers.outermost
    first, second = candidate_pairs(states, outer.rpz_m, outer.lookahead_s, hpz_m=outer.hpz_m)
    level = np.full(len(first), -1, dtype=np.int64)
    found = []
    for k, tier in enumerate(tiers.tiers):
        found.append(
            evaluate_pairs(states, first, second, tier.rpz_m, tier.hpz_m, tier.lookahead_s)
        )
        level[found[k].conflict] = k
    alerts = []
    for k, tier in enumerate(tiers.tiers):
        at_level = found[k].select(level == k)
        alerts += [Alert(tier, conflict) for conflict in conflicts_of(states, at_level)]
    alerts.sort(key=lambda alert: (alert.conflict.id1, alert.conflict.id2))
    return alerts
