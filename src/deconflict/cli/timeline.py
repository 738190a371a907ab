"""The timeline a verified proof bundle proves, worded for people: times in UTC, durations in
seconds and h/m/s."""

from __future__ import annotations

import base64

from deconflict.evidence import (
    AckShown,
    ConflictShown,
    DisclosureShown,
    EscalationShown,
    ExpiryShown,
    Timeline,
    TimelineEvent,
    VersionShown,
    Witnessed,
)
from deconflict.times import format_utc

__all__ = ["describe", "render_timeline"]


def render_timeline(timeline: Timeline) -> str:
    """The whole timeline: the checkpoint, each event with its cosignature bounds, the warnings."""
    source = "trusted keys given separately" if timeline.keys_trusted else "keys in the bundle"
    lines = [
        f"notice {timeline.notice_id}: verified offline against {source}",
        f"  log {timeline.log_key}",
        *(
            f"  log key rotated by entry #{index}: {old} -> {new} (signed by the old key)"
            for index, old, new in timeline.log_key_changes
        ),
        f"  checkpoint {timeline.origin} size {timeline.tree_size} root "
        f"{base64.b64encode(timeline.root).decode()}",
        "  co-signed by "
        + (", ".join(f"{p} at {format_utc(at)}" for p, at in timeline.cosigned_by) or "nobody"),
        "",
        "timeline (service clock, UTC; each party's cosignatures bound when it was logged):",
    ]
    for event in timeline.events:
        when = format_utc(event.received_at)
        lines.append(f"  {when}  #{event.index} {event.type}: {describe(event)}")
        lines.extend(f"      {_witnessed(w)}" for w in event.witnessed)
    lines += ["", "warning time (disclosure to operation start):"]
    if not timeline.warnings:
        lines.append("  none: the notice was disclosed to nobody")
    for w in timeline.warnings:
        lines.append(
            f"  {w.party}, v{w.version}: {_duration(w.service_s)} by the service clock "
            f"(disclosed {format_utc(w.disclosed_at)}, "
            f"operation starts {format_utc(w.operation_start)})"
        )
        for party, low_s, high_s in w.witnessed:
            lines.append(f"      by {party}'s cosignatures: {_bounds(low_s, high_s)}")
    return "\n".join(lines) + "\n"


def describe(event: TimelineEvent) -> str:
    """One line saying what happened."""
    party, v = event.party, event.version
    match event.facts:
        case VersionShown(kind, purpose, start, end):
            return (
                f"{party} {kind} v{v} ({purpose!r}), "
                f"operation {format_utc(start)} to {format_utc(end)}"
            )
        case DisclosureShown(reason, lead_time_s, short_notice, ack_due_at):
            short = ", SHORT NOTICE" if short_notice else ""
            return (
                f"v{v} disclosed to {party} ({reason}), lead {_duration(lead_time_s)}{short}, "
                f"ack due {format_utc(ack_due_at)}"
            )
        case AckShown(late, received_at, acknowledged_at, party_received_at):
            signed = (
                f"; its own signed receive time {format_utc(party_received_at)} (verified)"
                if party_received_at is not None
                else "; unsigned"
            )
            return (
                f"{party} acknowledged v{v}{' LATE' if late else ''}: first fetched "
                f"{format_utc(received_at)}, acknowledged {format_utc(acknowledged_at)}{signed}"
            )
        case EscalationShown(tier, due_at):
            return f"escalation tier {tier} for {party} on v{v} (due {format_utc(due_at)})"
        case ConflictShown(notice_id, other_kind, other_id, min_distance_m, vertical_gap_m):
            return (
                f"conflict of {notice_id} v{v} with {other_kind} {other_id} of {party}: "
                f"min distance {min_distance_m} m, vertical gap {vertical_gap_m} m"
            )
        case ExpiryShown(time_end):
            return f"v{v} expired (ended {format_utc(time_end)})"


def _duration(seconds: float) -> str:
    """Seconds as given, and rounded to whole seconds as hours, minutes and seconds."""
    sign, whole = ("-" if seconds < 0 else ""), round(abs(seconds))
    h, m, s = whole // 3600, whole % 3600 // 60, whole % 60
    return f"{seconds:g} s ({sign}{h}h{m:02d}m{s:02d}s)"


def _bounds(low_s: float | None, high_s: float | None) -> str:
    if low_s is None:
        return "unknown (the party co-signed no checkpoint holding the entry)"
    if high_s is None:
        return f"at least {_duration(low_s)}"
    return f"between {_duration(low_s)} and {_duration(high_s)}"


def _witnessed(w: Witnessed) -> str:
    before = (
        f"after {format_utc(w.not_before)} (co-signed size {w.before_size} without it)"
        if w.not_before is not None
        else "no earlier cosignature"
    )
    after = (
        f"by {format_utc(w.not_after)} (co-signed size {w.after_size} with it)"
        if w.not_after is not None
        else "not yet co-signed with it"
    )
    return f"{w.party}'s clock: {before}, {after}"
