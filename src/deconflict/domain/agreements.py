"""The rules parties agree on, and the airspace they ask each other to keep clear of."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from deconflict.detection.tactical import AlertTier, AlertTiers
from deconflict.errors import FieldError, InvalidInput
from deconflict.geometry import Volume
from deconflict.limits import (
    MAX_BUFFER_H_M,
    MAX_BUFFER_V_M,
    MAX_DURATION_S,
    MAX_MEMBERS,
    MAX_NAME_CHARS,
    MAX_TIERS,
    is_id,
    text_problem,
)

__all__ = [
    "DEFAULT_ALERT_TIERS",
    "Agreement",
    "AgreementTerms",
    "DisclosureRule",
    "Hazard",
    "ProtectedArea",
    "TrackSharing",
    "alert_tiers",
]

_BOUNDS = {
    "min_lead_time_s": (MAX_DURATION_S, "s"),
    "ack_deadline_s": (MAX_DURATION_S, "s"),
    "buffer_h_m": (MAX_BUFFER_H_M, "m"),
    "buffer_v_m": (MAX_BUFFER_V_M, "m"),
    "buffer_t_s": (MAX_DURATION_S, "s"),
    "datum_margin_m": (MAX_BUFFER_V_M, "m"),
    "clear_after_s": (MAX_DURATION_S, "s"),
    "channel_silent_after_s": (MAX_DURATION_S, "s"),
}
"""The largest value of each term (from 0); bounded, so no sum of them overflows a time."""


class DisclosureRule(StrEnum):
    """Who sees a notice: every other member, or only the parties it affects."""

    ALL_MEMBERS = "all_members"
    AFFECTED = "affected"


class TrackSharing(StrEnum):
    """Whose live tracks a member sees: only those an alert concerns (the default), or every
    member's."""

    ALERTS_ONLY = "alerts_only"
    ALL_MEMBERS = "all_members"


DEFAULT_ALERT_TIERS = AlertTiers.of(
    AlertTier("caution", rpz_m=9260.0, hpz_m=304.8, lookahead_s=120.0),
    AlertTier("warning", rpz_m=5556.0, hpz_m=228.6, lookahead_s=60.0),
)
"""Caution at 5 NM / 1,000 ft two minutes ahead, warning at 3 NM / 750 ft one minute ahead:
in the spirit of DAIDALUS's and EUROCONTROL STCA's two levels."""


@dataclass(frozen=True, slots=True)
class AgreementTerms:
    """The rules the members agreed on; changing them makes a new agreement version."""

    name: str
    members: tuple[str, ...]
    min_lead_time_s: float = 3600.0
    ack_deadline_s: float = 900.0
    escalation_after_s: tuple[float, ...] = (0.0, 900.0)
    """Tier n fires at disclosed_at + ack_deadline_s + escalation_after_s[n]."""
    buffer_h_m: float = 5000.0
    buffer_v_m: float = 300.0
    buffer_t_s: float = 0.0
    datum_margin_m: float = 150.0
    """Added to the vertical buffer when two altitudes use different references."""
    disclosure: DisclosureRule = DisclosureRule.ALL_MEMBERS
    track_sharing: TrackSharing = TrackSharing.ALERTS_ONLY
    alert_tiers: AlertTiers = DEFAULT_ALERT_TIERS
    """The live picture's alert levels between members' aircraft, least severe first."""
    clear_after_s: float = 10.0
    """An alert clears once no tier has been met for this long, so it does not flicker."""
    intra_party_alerts: bool = False
    """Whether a party's own aircraft alert against each other (formations fly close)."""
    channel_silent_after_s: float = 60.0
    """A member not heard from for this long has a silent channel."""

    def __post_init__(self) -> None:
        errors: list[FieldError] = []
        name_problem = text_problem(self.name, MAX_NAME_CHARS)
        if not self.name.strip():
            errors.append(FieldError("/name", "must not be empty"))
        elif name_problem is not None:
            errors.append(FieldError("/name", name_problem))
        errors.extend(
            FieldError(f"/members/{i}", f"{member!r} is not a party id")
            for i, member in enumerate(self.members)
            if not is_id(member)
        )
        if len(set(self.members)) != len(self.members):
            errors.append(FieldError("/members", "lists a party twice"))
        if len(self.members) < 2:
            errors.append(FieldError("/members", "an agreement needs at least two parties"))
        if len(self.members) > MAX_MEMBERS:
            errors.append(FieldError("/members", f"at most {MAX_MEMBERS} parties"))
        for name, (high, unit) in _BOUNDS.items():
            problem = _bound_problem(getattr(self, name), high, unit)
            if problem is not None:
                errors.append(FieldError(f"/{name}", problem))
        tiers = self.escalation_after_s
        if len(tiers) > MAX_TIERS:
            errors.append(FieldError("/escalation_after_s", f"at most {MAX_TIERS} tiers"))
        for n, after in enumerate(tiers):
            problem = _bound_problem(after, MAX_DURATION_S, "s")
            if problem is not None:
                errors.append(FieldError(f"/escalation_after_s/{n}", problem))
        if not errors and list(tiers) != sorted(tiers):
            errors.append(FieldError("/escalation_after_s", "tiers must not go back in time"))
        if errors:
            raise InvalidInput("invalid agreement terms", errors)

    def as_dict(self) -> dict[str, Any]:
        """The terms as JSON values, as stored, logged and served."""
        return {
            "name": self.name,
            "members": list(self.members),
            "min_lead_time_s": self.min_lead_time_s,
            "ack_deadline_s": self.ack_deadline_s,
            "escalation_after_s": list(self.escalation_after_s),
            "buffer_h_m": self.buffer_h_m,
            "buffer_v_m": self.buffer_v_m,
            "buffer_t_s": self.buffer_t_s,
            "datum_margin_m": self.datum_margin_m,
            "disclosure": self.disclosure.value,
            "track_sharing": self.track_sharing.value,
            "alert_tiers": [
                {"name": t.name, "rpz_m": t.rpz_m, "hpz_m": t.hpz_m, "lookahead_s": t.lookahead_s}
                for t in self.alert_tiers.tiers
            ],
            "clear_after_s": self.clear_after_s,
            "intra_party_alerts": self.intra_party_alerts,
            "channel_silent_after_s": self.channel_silent_after_s,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AgreementTerms:
        """The inverse of `as_dict`; terms stored before `track_sharing` share alerts only, and
        those stored before the alert rules take the default ones."""
        tiers = data.get("alert_tiers")
        return cls(
            name=data["name"],
            members=tuple(data["members"]),
            min_lead_time_s=data["min_lead_time_s"],
            ack_deadline_s=data["ack_deadline_s"],
            escalation_after_s=tuple(data["escalation_after_s"]),
            buffer_h_m=data["buffer_h_m"],
            buffer_v_m=data["buffer_v_m"],
            buffer_t_s=data["buffer_t_s"],
            datum_margin_m=data["datum_margin_m"],
            disclosure=DisclosureRule(data["disclosure"]),
            track_sharing=TrackSharing(data.get("track_sharing", TrackSharing.ALERTS_ONLY)),
            alert_tiers=DEFAULT_ALERT_TIERS if tiers is None else alert_tiers(tiers),
            clear_after_s=data.get("clear_after_s", 10.0),
            intra_party_alerts=data.get("intra_party_alerts", False),
            channel_silent_after_s=data.get("channel_silent_after_s", 60.0),
        )

    def escalation_due(
        self, disclosed_at: datetime, tier: int, operation_start: datetime
    ) -> datetime | None:
        """When tier `tier` (0-based) fires: after the deadline, or at the start if earlier."""
        if tier >= len(self.escalation_after_s):
            return None
        after = timedelta(seconds=self.ack_deadline_s + self.escalation_after_s[tier])
        return min(disclosed_at + after, operation_start)


def _bound_problem(value: object, high: float, unit: str) -> str | None:
    """What is wrong with `value` as a number from 0 to `high`, or None."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= high:
        return None
    return f"must be a number from 0 to {high:,.0f} {unit}"


def alert_tiers(tiers: list[Mapping[str, Any]]) -> AlertTiers:
    """Alert tiers from their JSON values; `InvalidInput` at `/alert_tiers/...` if bad."""
    made = []
    for k, tier in enumerate(tiers):
        try:
            made.append(AlertTier(tier["name"], tier["rpz_m"], tier["hpz_m"], tier["lookahead_s"]))
        except InvalidInput as exc:
            raise exc.under(f"/alert_tiers/{k}") from None
    try:
        return AlertTiers(tuple(made))
    except InvalidInput as exc:
        errors = [
            FieldError("/alert_tiers" + e.pointer.removeprefix("/tiers"), e.detail)
            for e in exc.errors
        ]
        raise InvalidInput(str(exc), errors) from None


@dataclass(frozen=True, slots=True)
class Agreement:
    """One version of an agreement's terms."""

    id: str
    version: int
    terms: AgreementTerms
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ProtectedArea:
    """Airspace a party asks the others to stay clear of, in every agreement it belongs to."""

    id: str
    owner: str
    name: str
    volume: Volume
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Hazard:
    """A danger from outside the mechanism (another state's air defence), entered by a member."""

    id: str
    agreement_id: str
    entered_by: str
    name: str
    volume: Volume
    created_at: datetime
