"""The facts of the live picture's alerts: raised, updated, cleared. Each is heard by the
parties the alert concerns and no one else, and its entry holds the alert as its events do,
so the record shows who was warned of what, and when."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from deconflict.domain.alerts import DATA_FIELDS, DATA_TIMES, AlertRecord
from deconflict.domain.events import EventKind
from deconflict.domain.facts.base import EventDraft, Fact, named, stamp

__all__ = ["AlertCleared", "AlertFact", "AlertRaised", "AlertUpdated"]


@dataclass(frozen=True, slots=True)
class AlertFact(Fact):
    """A transition of one alert; `alert` is the alert after it."""

    event_kind: ClassVar[EventKind]
    body_fields: ClassVar[frozenset[str]] = DATA_FIELDS
    body_times: ClassVar[frozenset[str]] = DATA_TIMES
    alert: AlertRecord

    @property
    def audience(self) -> frozenset[str]:
        return self.alert.parties

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        parties = body.get("parties")
        return named(*parties) if isinstance(parties, list) else frozenset()

    def body(self) -> dict[str, Any]:
        a = self.alert
        return {
            **a.data(),
            "raised_at": stamp(a.raised_at),
            "reported_at": stamp(a.reported_at),
            "cleared_at": stamp(a.cleared_at),
        }

    def events(self) -> tuple[EventDraft, ...]:
        agreement_id = self.alert.agreement_ids[0]  # an alert is always under an agreement
        return (
            EventDraft(
                self.event_kind,
                agreement_id,
                notice_id=self.alert.notice_id,
                party=self.alert.party,
                data={"alert": self.alert.data()},
            ),
        )


@dataclass(frozen=True, slots=True)
class AlertRaised(AlertFact):
    entry_type: ClassVar[str] = "alert.raised"
    event_kind: ClassVar[EventKind] = EventKind.ALERT_RAISED


@dataclass(frozen=True, slots=True)
class AlertUpdated(AlertFact):
    entry_type: ClassVar[str] = "alert.updated"
    event_kind: ClassVar[EventKind] = EventKind.ALERT_UPDATED


@dataclass(frozen=True, slots=True)
class AlertCleared(AlertFact):
    entry_type: ClassVar[str] = "alert.cleared"
    event_kind: ClassVar[EventKind] = EventKind.ALERT_CLEARED
