"""What a verified bundle shows about one notice, as data: its events by the service's clock,
when each party's cosignatures bound them, and the warning each recipient had.

What the cosignature times prove, on each party's own clock. A C2SP cosignature made at time T
of the checkpoint of size S states that, as of T, S is the largest consistent tree the party has
observed. A witness co-signs sizes in increasing order, and re-co-signs an unchanged checkpoint
every round to stay fresh. So for the entry at index i:

- `after`: every cosignature of a size S > i shows that by its time T the entry was in a
  log-signed tree the party had verified. The earliest such T is the FIRST cosignature of the
  smallest such size. Later cosignatures of that size are true too, but each is later than the
  first, so the service keeps the first (and the bundle carries it): otherwise this bound would
  move later, and the stated warning time shrink, for as long as the log stays idle.
- `before`: every cosignature of a size S <= i shows that as of its time T the party had
  observed no tree holding the entry. The latest such T is the LATEST cosignature of the largest
  such size: re-co-signing it restates, truly, that S is still the largest tree seen, and so
  tightens this bound. It bounds when the entry became verifiable from the log for that party,
  not when the service received it: an entry is appended (and a disclosed notice can be fetched
  through the API) up to a checkpoint interval, plus a witness round, before a checkpoint
  holding it is observed. The warning time's upper bound inherits this meaning.

Any genuine cosignature gives a true bound, only a looser one when not the tightest. The verifier
takes, per party and size, the earliest cosignature time for `after` and the latest for
`before`, whatever notes the exporter included.

Values the log holds but the timeline only states (a purpose, a reason, a distance) are kept as
the signed entry has them, any JSON value, None when absent; times and durations are checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deconflict.domain import facts as recorded
from deconflict.evidence.errors import BundleError
from deconflict.log.checkpoint import OpenedCheckpoint
from deconflict.log.entry import LogEntry
from deconflict.times import parse_time

__all__ = [
    "AckShown",
    "ConflictShown",
    "DisclosureShown",
    "EscalationShown",
    "ExpiryShown",
    "Shown",
    "Timeline",
    "TimelineEvent",
    "VerifiedEntry",
    "VersionShown",
    "WarningTime",
    "Witnessed",
    "build_timeline",
]


@dataclass(frozen=True, slots=True)
class VerifiedEntry:
    """An entry of the bundle whose inclusion proof verified; `where` names it in the document,
    and `position` is its place in the bundle's `entries`."""

    where: str
    index: int
    entry: LogEntry
    leaf: bytes
    position: int


@dataclass(frozen=True, slots=True)
class Witnessed:
    """When an entry entered the log by one party's clock: after `not_before` (the last checkpoint
    it co-signed without the entry, None if none) and by `not_after` (the first with it)."""

    party: str
    before_size: int | None
    not_before: datetime | None
    after_size: int | None
    not_after: datetime | None


@dataclass(frozen=True, slots=True)
class VersionShown:
    """A version of the notice (submission, amendment or cancellation) and its operation time."""

    kind: object
    purpose: object
    time_start: datetime
    time_end: datetime


@dataclass(frozen=True, slots=True)
class DisclosureShown:
    """A version disclosed to the event's party, `lead_time_s` before its operation started."""

    reason: object
    lead_time_s: float
    short_notice: bool
    ack_due_at: datetime


@dataclass(frozen=True, slots=True)
class AckShown:
    """The event's party acknowledged a version; `party_received_at` is the receive time it
    signed itself (its signature verified), None for an unsigned acknowledgement."""

    late: bool
    received_at: datetime
    acknowledged_at: datetime
    party_received_at: datetime | None


@dataclass(frozen=True, slots=True)
class EscalationShown:
    """An unacknowledged version escalated to `tier` for the event's party."""

    tier: object
    due_at: datetime


@dataclass(frozen=True, slots=True)
class ConflictShown:
    """A conflict between `notice_id`'s version and another notice or volume of the event's
    party (either side may be the bundle's notice)."""

    notice_id: object
    other_kind: object
    other_id: object
    min_distance_m: object
    vertical_gap_m: object


@dataclass(frozen=True, slots=True)
class ExpiryShown:
    """A version whose operation ended at `time_end`."""

    time_end: datetime


Shown = VersionShown | DisclosureShown | AckShown | EscalationShown | ConflictShown | ExpiryShown


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One entry about the notice, as the service's clock recorded it; `party` is the party it is
    about (the submitter, the recipient, the acknowledger, the other side of a conflict)."""

    index: int
    type: str
    received_at: datetime
    party: str | None
    version: int
    facts: Shown
    witnessed: tuple[Witnessed, ...] = ()


@dataclass(frozen=True, slots=True)
class WarningTime:
    """Warning a recipient had of one version: from its disclosure to the operation's start, by
    the service clock (`service_s`) and as bounds from each party's cosignatures (seconds; None
    where a bound is unknown)."""

    party: str
    version: int
    disclosed_at: datetime
    operation_start: datetime
    service_s: float
    witnessed: tuple[tuple[str, float | None, float | None], ...]


@dataclass(frozen=True, slots=True)
class Timeline:
    """What a verified bundle shows about one notice."""

    notice_id: str
    origin: str
    tree_size: int
    root: bytes
    log_key: str
    keys_trusted: bool
    cosigned_by: tuple[tuple[str, datetime], ...]
    events: tuple[TimelineEvent, ...]
    warnings: tuple[WarningTime, ...]
    log_key_changes: tuple[tuple[int, str, str], ...] = ()
    """Each rotation of the log key the bundle holds: (entry index, old vkey, new vkey)."""


def _time(body: Mapping[str, Any], key: str, where: str) -> datetime:
    try:
        return parse_time(str(body[key]))
    except (KeyError, ValueError):
        raise BundleError(where, f"{key} is not a time") from None


def _seconds(value: Any) -> float:
    """A duration that can also be stated in whole seconds. NaN cannot be rounded: a ValueError,
    so a malformed body like any other. Infinity raises OverflowError, which nothing catches."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"a duration is a number, not {value!r}")
    seconds = float(value)
    round(seconds)
    return seconds


def _party(body: Mapping[str, Any], key: str) -> str:
    value = body[key]
    if not isinstance(value, str):
        raise TypeError(f"{key} is a party id, not {value!r}")
    return value


def _flag(body: Mapping[str, Any], key: str) -> bool:
    value = body[key]
    if not isinstance(value, bool):
        raise TypeError(f"{key} is true or false, not {value!r}")
    return value


def _facts(entry: LogEntry, where: str) -> tuple[str | None, Shown]:
    """The party an entry is about, and what it states."""
    b, kind = entry.body, entry.type
    if kind == recorded.Published.entry_type:
        start, end = _time(b, "time_start", where), _time(b, "time_end", where)
        return entry.party, VersionShown(b.get("kind"), b.get("purpose"), start, end)
    if kind == recorded.Disclosed.entry_type:
        lead_time_s = _seconds(b["lead_time_s"])
        return _party(b, "party_id"), DisclosureShown(
            b.get("reason"),
            lead_time_s,
            _flag(b, "short_notice"),
            _time(b, "ack_due_at", where),
        )
    if kind == recorded.Acknowledged.entry_type:
        signed_at = _time(b, "party_received_at", where) if b.get("signature") is not None else None
        return _party(b, "party_id"), AckShown(
            _flag(b, "late"),
            _time(b, "received_at", where),
            _time(b, "acknowledged_at", where),
            signed_at,
        )
    if kind == recorded.Escalated.entry_type:
        return _party(b, "party_id"), EscalationShown(b.get("tier"), _time(b, "due_at", where))
    if kind == recorded.ConflictFound.entry_type:
        other = b["other_party"]
        return None if other is None else _party(b, "other_party"), ConflictShown(
            b.get("notice_id"),
            b.get("other_kind"),
            b.get("other_id"),
            b.get("min_distance_m"),
            b.get("vertical_gap_m"),
        )
    return None, ExpiryShown(_time(b, "time_end", where))


def build_timeline(
    notice_id: str,
    head: OpenedCheckpoint,
    log_key: str,
    keys_trusted: bool,
    notice: Sequence[VerifiedEntry],
    witnessed: Mapping[int, Sequence[Witnessed]],
    log_key_changes: tuple[tuple[int, str, str], ...] = (),
) -> Timeline:
    """The timeline of `notice_id` from its verified entries (in index order) and each entry's
    cosignature bounds; raises `BundleError` for an entry whose body its type cannot state."""
    events, warnings = [], []
    starts: dict[int, tuple[datetime, bool]] = {}
    for e in notice:
        try:
            party, facts = _facts(e.entry, e.where)
        except (KeyError, TypeError, ValueError) as exc:
            raise BundleError(e.where, f"unexpected {e.entry.type} body: {exc}") from None
        body = e.entry.body
        seen = tuple(sorted(witnessed.get(e.index, []), key=lambda w: w.party))
        events.append(
            TimelineEvent(
                e.index, e.entry.type, e.entry.received_at, party, body["version"], facts, seen
            )
        )
        if e.entry.type == recorded.Published.entry_type and body.get("notice_id") == notice_id:
            starts[body["version"]] = (
                _time(body, "time_start", e.where),
                body.get("kind") == "cancellation",
            )
        if e.entry.type == recorded.Disclosed.entry_type and body.get("notice_id") == notice_id:
            version: int = body["version"]
            if version not in starts or starts[version][1]:
                continue
            start = starts[version][0]
            disclosed = _time(body, "disclosed_at", e.where)
            bounds = tuple(
                (
                    w.party,
                    None if w.not_after is None else (start - w.not_after).total_seconds(),
                    None if w.not_before is None else (start - w.not_before).total_seconds(),
                )
                for w in seen
            )
            warnings.append(
                WarningTime(
                    str(party),
                    version,
                    disclosed,
                    start,
                    (start - disclosed).total_seconds(),
                    bounds,
                )
            )
    checkpoint = head.checkpoint
    return Timeline(
        notice_id,
        checkpoint.origin,
        checkpoint.size,
        checkpoint.root,
        log_key,
        keys_trusted,
        tuple(sorted((c.name, c.time) for c in head.cosignatures)),
        tuple(events),
        tuple(warnings),
        log_key_changes,
    )
