"""What an alert is about: two tracks, a track and an area, a track and a notice, or a party's
channel in an agreement. Subjects are frozen and hashable, so the alert book keys on them.

Each subject has one canonical text (`token`), a JSON array, from which `alert_id` derives an
alert's id together with the time it was raised: the same subject raised at the same instant
gets the same id on every run, so ids are deterministic under a fake clock.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import ClassVar, Literal, TypeAlias

from deconflict.errors import InvalidInput
from deconflict.tracks import TrackKey

__all__ = [
    "Kind",
    "PartyChannel",
    "Subject",
    "TrackArea",
    "TrackNotice",
    "TrackPair",
    "alert_id",
    "key_order",
]

Kind: TypeAlias = Literal["tactical", "intrusion", "conformance", "channel_silent"]

_ID_HEX = 20
"""Hex digits of the digest kept in an alert id (80 bits)."""


def key_order(key: TrackKey) -> tuple[bool, str, str]:
    """The order of tracks in a pair: by party, unattributed traffic last, then by id."""
    return (key.party is None, key.party or "", key.id)


def _key_json(key: TrackKey) -> list[str | None]:
    return [key.party, key.id]


@dataclass(frozen=True, slots=True)
class TrackPair:
    """Two tracks predicted to lose separation, `first` before `second` in `key_order`."""

    kind: ClassVar[Literal["tactical"]] = "tactical"
    first: TrackKey
    second: TrackKey

    def __post_init__(self) -> None:
        if key_order(self.first) >= key_order(self.second):
            raise InvalidInput.at(
                "/tracks",
                f"pair ({self.first}, {self.second}) is not two distinct tracks in key order; "
                "use TrackPair.of",
            )

    @classmethod
    def of(cls, a: TrackKey, b: TrackKey) -> TrackPair:
        """The pair of `a` and `b` in canonical order."""
        return cls(a, b) if key_order(a) < key_order(b) else cls(b, a)

    @property
    def tracks(self) -> tuple[TrackKey, ...]:
        return (self.first, self.second)

    def token(self) -> str:
        return _token([self.kind, _key_json(self.first), _key_json(self.second)])

    def sort_key(self) -> tuple[object, ...]:
        return (self.kind, key_order(self.first), key_order(self.second))


@dataclass(frozen=True, slots=True)
class TrackArea:
    """A track inside, or about to enter, an area (a protected area or a hazard)."""

    kind: ClassVar[Literal["intrusion"]] = "intrusion"
    track: TrackKey
    area_id: str

    @property
    def tracks(self) -> tuple[TrackKey, ...]:
        return (self.track,)

    def token(self) -> str:
        return _token([self.kind, _key_json(self.track), self.area_id])

    def sort_key(self) -> tuple[object, ...]:
        return (self.kind, key_order(self.track), self.area_id)


@dataclass(frozen=True, slots=True)
class TrackNotice:
    """A track flying outside the notice it cites."""

    kind: ClassVar[Literal["conformance"]] = "conformance"
    track: TrackKey
    notice_id: str

    @property
    def tracks(self) -> tuple[TrackKey, ...]:
        return (self.track,)

    def token(self) -> str:
        return _token([self.kind, _key_json(self.track), self.notice_id])

    def sort_key(self) -> tuple[object, ...]:
        return (self.kind, key_order(self.track), self.notice_id)


@dataclass(frozen=True, slots=True)
class PartyChannel:
    """A party's channel in one agreement, gone silent."""

    kind: ClassVar[Literal["channel_silent"]] = "channel_silent"
    agreement_id: str
    party: str

    @property
    def tracks(self) -> tuple[TrackKey, ...]:
        return ()

    def token(self) -> str:
        return _token([self.kind, self.agreement_id, self.party])

    def sort_key(self) -> tuple[object, ...]:
        return (self.kind, self.agreement_id, self.party)


Subject: TypeAlias = TrackPair | TrackArea | TrackNotice | PartyChannel


def _token(parts: list[object]) -> str:
    return json.dumps(parts, ensure_ascii=False, separators=(",", ":"))


def alert_id(subject: Subject, raised_s: float) -> str:
    """The id of the alert on `subject` raised at `raised_s` (epoch seconds): `alr_` and 20 hex
    digits of SHA-256 over the subject's token and the time's shortest round-trip spelling."""
    text = f"{subject.token()}\n{float(raised_s)!r}"
    return "alr_" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:_ID_HEX]
