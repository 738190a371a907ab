"""A condition: what one check found about one subject in one cycle, the alert book's input.

Each check (tactical, intrusion, conformance, channel silence) reports, per subject, the tier
met and the figures the alert will carry. Figures a kind has no meaning for are None, never a
stand-in number, so the book compares only what was measured.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from deconflict.errors import FieldError, InvalidInput
from deconflict.tracks import TrackState

__all__ = ["Condition", "Extra"]

Extra = Mapping[str, float | str | bool | None]
"""Figures a kind adds (an encounter's entry and exit times, the area's kind), read-only."""


@dataclass(frozen=True, slots=True)
class Condition:
    """A tier met by a subject, with the figures of the moment.

    `level` is the tier's index, 0 the least severe. `tcpa_s` is the time to the closest point
    of approach (for an intrusion, to entry), `dcpa_m` the distance there, `separation_m` the
    distance now; `states` are the track states the check used, in the subject's track order.
    """

    tier: str
    level: int
    tcpa_s: float | None = None
    dcpa_m: float | None = None
    separation_m: float | None = None
    states: tuple[TrackState, ...] = ()
    extra: Extra = field(default_factory=dict)

    def __post_init__(self) -> None:
        errors = []
        if not self.tier:
            errors.append(FieldError("/tier", "tier must be a non-empty name"))
        if self.level < 0:
            errors.append(FieldError("/level", f"level {self.level} must be >= 0"))
        for name in ("tcpa_s", "dcpa_m", "separation_m"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                errors.append(FieldError(f"/{name}", f"{name} = {value!r} must be finite or None"))
        if errors:
            raise InvalidInput(f"invalid condition: {errors[0].detail}", errors)
        object.__setattr__(self, "states", tuple(self.states))
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))
