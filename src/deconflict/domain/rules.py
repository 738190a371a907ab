"""The rules a notice follows, as pure functions: who is told and why, lead time and short
notice, lateness, and the state a notice derives from its recipients' acknowledgements.

Meanings a dispute turns on:
- `disclosed_at` is the commit that made a version visible to a party; lead time is the
  version's earliest start minus `disclosed_at`; short notice is a lead time below the
  agreement's minimum (a cancellation is never short notice).
- Later versions reach every earlier recipient; each needs its own acknowledgement.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta

from deconflict.domain.agreements import AgreementTerms, DisclosureRule
from deconflict.domain.notices import AckState, Disclosure, NoticeKind, NoticeState

__all__ = [
    "ACKNOWLEDGED",
    "ack_state",
    "disclose",
    "is_late",
    "notice_state",
    "published_state",
    "recipients",
]

ACKNOWLEDGED = frozenset({AckState.ACKNOWLEDGED, AckState.ACKNOWLEDGED_LATE})


def recipients(
    *,
    originator: str,
    earlier: Iterable[str],
    affected: Iterable[str],
    terms: AgreementTerms,
) -> dict[str, str]:
    """Who a version is disclosed to, each with its reason, sorted by party.

    The first reason that applies wins: an earlier recipient of the notice, a party whose
    volume it conflicts with, then (if the agreement discloses to all) every other member.
    """
    found: dict[str, str] = {}
    for party in earlier:
        found.setdefault(party, "earlier_recipient")
    for party in sorted(affected):
        found.setdefault(party, "affected")
    if terms.disclosure is DisclosureRule.ALL_MEMBERS:
        for party in terms.members:
            found.setdefault(party, "member")
    found.pop(originator, None)
    return dict(sorted(found.items()))


def disclose(
    party: str,
    reason: str,
    kind: NoticeKind,
    time_start: datetime,
    now: datetime,
    terms: AgreementTerms,
) -> tuple[Disclosure, datetime | None]:
    """The disclosure made `now`, and when its first escalation tier falls due."""
    lead_time_s = (time_start - now).total_seconds()
    disclosure = Disclosure(
        party=party,
        disclosed_at=now,
        first_fetched_at=None,
        lead_time_s=lead_time_s,
        short_notice=kind is not NoticeKind.CANCELLATION and lead_time_s < terms.min_lead_time_s,
        ack_due_at=now + timedelta(seconds=terms.ack_deadline_s),
        ack_state=AckState.PENDING,
        escalation_tier=0,
        acknowledged_at=None,
        reason=reason,
    )
    return disclosure, terms.escalation_due(now, 0, time_start)


def is_late(now: datetime, ack_due_at: datetime, escalation_tier: int) -> bool:
    """An acknowledgement after its deadline, or after any escalation fired, is late."""
    return now > ack_due_at or escalation_tier > 0


def ack_state(late: bool) -> AckState:
    return AckState.ACKNOWLEDGED_LATE if late else AckState.ACKNOWLEDGED


def published_state(kind: NoticeKind) -> NoticeState:
    """A notice's state right after a version of `kind` is published."""
    return NoticeState.CANCELLED if kind is NoticeKind.CANCELLATION else NoticeState.SUBMITTED


def notice_state(current: NoticeState, latest_version_states: Collection[AckState]) -> NoticeState:
    """A live notice's state from its latest version's acknowledgement states; a cancelled or
    expired notice keeps its state."""
    if current in (NoticeState.CANCELLED, NoticeState.EXPIRED):
        return current
    states = set(latest_version_states)
    if AckState.ESCALATED in states:
        return NoticeState.ESCALATED
    if states and states <= ACKNOWLEDGED:
        return NoticeState.ACKNOWLEDGED
    return NoticeState.SUBMITTED
