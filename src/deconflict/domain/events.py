"""What parties hear about, and pages of lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

__all__ = ["Event", "EventKind", "Page"]


class EventKind(StrEnum):
    """Things that happen to notices and alerts, that parties must hear about."""

    DISCLOSED = "disclosed"
    SHORT_NOTICE = "short_notice"
    CONFLICT = "conflict"
    ACKNOWLEDGED = "acknowledged"
    ESCALATION = "escalation"
    EXPIRED = "expired"
    ALERT_RAISED = "alert_raised"
    ALERT_UPDATED = "alert_updated"
    ALERT_CLEARED = "alert_cleared"


@dataclass(frozen=True, slots=True)
class Event:
    """A recorded happening, visible to the parties in its audience."""

    id: int
    kind: EventKind
    at: datetime
    agreement_id: str
    notice_id: str | None
    version: int | None
    party: str | None
    """The party the event is about (the recipient who was late, the one given short notice)."""
    due_at: datetime | None
    data: dict[str, object] = field(default_factory=dict)


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list, with the cursor for the next one (None at the end)."""

    items: tuple[T, ...]
    next_cursor: str | None
