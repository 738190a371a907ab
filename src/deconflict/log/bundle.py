"""Offline proof bundles: everything an investigator needs to check what happened to one notice,
with no server, and the timeline that follows from it.

A bundle (JSON, format `deconflict-bundle/v1`) holds

- `keys`: the log's verifier key, and the cosigning (`witnesses`) and acknowledgement (`ack`)
  keys of the parties involved, all in C2SP vkey form named by party id;
- `checkpoint`: one signed checkpoint of size N with the involved parties' cosignatures;
- `entries`: the canonical entries about the notice (versions, disclosures, conflicts,
  acknowledgements, escalations, expiry) and the `party.key` entries that registered the keys
  above, each with its inclusion proof in the tree of size N;
- `cosigned`: checkpoints co-signed by the parties, each with its consistency proof to N (empty
  for N itself). A size may appear twice, once with the parties' first cosignatures of it and
  once with their latest (see below); the same note may not;
- `brackets`: for an entry and a party, the last checkpoint that party co-signed without the
  entry (`before`) and the first with it (`after`).

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

`verify_bundle` checks every signature and proof, that each listed key was registered in the log
itself, that signed acknowledgements verify, and that the entries belong to the notice. It cannot
prove that no entry was left out: absence needs the whole log.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from deconflict.errors import DeconflictError
from deconflict.log.ack import verify_ack
from deconflict.log.checkpoint import (
    CosignatureVerifier,
    OpenedCheckpoint,
    open_checkpoint,
    parse_verifier,
)
from deconflict.log.entry import LogEntry, parse_entry, parse_time
from deconflict.log.merkle import leaf_hash, verify_consistency, verify_inclusion
from deconflict.log.note import Ed25519Verifier, Note

__all__ = [
    "BUNDLE_FORMAT",
    "NOTICE_ENTRY_TYPES",
    "Bracket",
    "BundleError",
    "CosignedCheckpoint",
    "ProvenEntry",
    "Timeline",
    "TimelineEvent",
    "WarningTime",
    "Witnessed",
    "make_bundle",
    "verify_bundle",
]

BUNDLE_FORMAT = "deconflict-bundle/v1"
NOTICE_ENTRY_TYPES = frozenset(
    {"notice.version", "disclosure", "conflict", "ack", "escalation", "expired"}
)
_KEY_ENTRY = "party.key"
T = TypeVar("T")
V = TypeVar("V", Ed25519Verifier, CosignatureVerifier)


class BundleError(DeconflictError):
    """A bundle that does not verify; `where` names the part that failed."""

    title = "Invalid proof bundle"

    def __init__(self, where: str, detail: str) -> None:
        super().__init__(f"{where}: {detail}")
        self.where = where


@dataclass(frozen=True, slots=True)
class ProvenEntry:
    """A log entry (canonical bytes) at `index`, with its inclusion proof in the bundle's tree."""

    index: int
    entry: bytes
    inclusion: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class CosignedCheckpoint:
    """A signed checkpoint with cosignatures, and its consistency proof to the bundle's tree."""

    note: str
    consistency: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class Bracket:
    """The sizes of the checkpoints `party` co-signed just before and just after entry `index`."""

    party: str
    index: int
    before: int | None
    after: int | None


def _b64(hashes: Iterable[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in hashes]


def make_bundle(
    notice_id: str,
    log_key: str,
    witness_keys: Sequence[str],
    ack_keys: Sequence[str],
    checkpoint: str,
    entries: Sequence[ProvenEntry],
    cosigned: Sequence[CosignedCheckpoint],
    brackets: Sequence[Bracket],
) -> dict[str, Any]:
    """The bundle document (JSON-ready); entries are stored as their canonical JSON text."""
    return {
        "format": BUNDLE_FORMAT,
        "notice_id": notice_id,
        "keys": {"log": log_key, "witnesses": list(witness_keys), "ack": list(ack_keys)},
        "checkpoint": checkpoint,
        "entries": [
            {"index": e.index, "entry": e.entry.decode(), "inclusion": _b64(e.inclusion)}
            for e in entries
        ],
        "cosigned": [{"note": c.note, "consistency": _b64(c.consistency)} for c in cosigned],
        "brackets": [
            {"party": b.party, "index": b.index, "before": b.before, "after": b.after}
            for b in brackets
        ],
    }


# --- the timeline ------------------------------------------------------------------------------


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
class TimelineEvent:
    """One entry about the notice, as the service's clock recorded it."""

    index: int
    type: str
    received_at: datetime
    party: str | None
    version: int
    detail: str
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

    def render(self) -> str:
        """The timeline for people: times in UTC, durations in seconds and h/m/s."""
        source = "trusted keys given separately" if self.keys_trusted else "keys in the bundle"
        lines = [
            f"notice {self.notice_id}: verified offline against {source}",
            f"  log {self.log_key}",
            f"  checkpoint {self.origin} size {self.tree_size} root "
            f"{base64.b64encode(self.root).decode()}",
            "  co-signed by "
            + (", ".join(f"{p} at {_t(at)}" for p, at in self.cosigned_by) or "nobody"),
            "",
            "timeline (service clock, UTC; each party's cosignatures bound when it was logged):",
        ]
        for event in self.events:
            lines.append(f"  {_t(event.received_at)}  #{event.index} {event.type}: {event.detail}")
            lines.extend(f"      {_witnessed(w)}" for w in event.witnessed)
        lines += ["", "warning time (disclosure to operation start):"]
        if not self.warnings:
            lines.append("  none: the notice was disclosed to nobody")
        for w in self.warnings:
            lines.append(
                f"  {w.party}, v{w.version}: {_duration(w.service_s)} by the service clock "
                f"(disclosed {_t(w.disclosed_at)}, operation starts {_t(w.operation_start)})"
            )
            for party, low_s, high_s in w.witnessed:
                lines.append(f"      by {party}'s cosignatures: {_bounds(low_s, high_s)}")
        return "\n".join(lines) + "\n"


def _t(when: datetime) -> str:
    spec = "seconds" if when.microsecond == 0 else "microseconds"
    return when.isoformat(timespec=spec).replace("+00:00", "Z")


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
        f"after {_t(w.not_before)} (co-signed size {w.before_size} without it)"
        if w.not_before is not None
        else "no earlier cosignature"
    )
    after = (
        f"by {_t(w.not_after)} (co-signed size {w.after_size} with it)"
        if w.not_after is not None
        else "not yet co-signed with it"
    )
    return f"{w.party}'s clock: {before}, {after}"


# --- reading the document ----------------------------------------------------------------------


def _get(doc: Any, key: str | int, kind: type[T], where: str) -> T:
    try:
        value = doc[key]
    except (KeyError, IndexError, TypeError):
        raise BundleError(where, "missing") from None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise BundleError(where, f"must be a {kind.__name__}")
    return value


def _optional_size(doc: Any, key: str, where: str) -> int | None:
    if doc.get(key) is None:
        return None
    return _get(doc, key, int, where)


def _hashes(values: list[Any], where: str) -> list[bytes]:
    out = []
    for i, value in enumerate(values):
        if not isinstance(value, str):
            raise BundleError(f"{where}[{i}]", "must be a base64 string")
        try:
            raw = base64.b64decode(value.encode("ascii"), validate=True)
        except (ValueError, binascii.Error):
            raise BundleError(f"{where}[{i}]", "is not base64") from None
        if base64.b64encode(raw).decode() != value:
            raise BundleError(f"{where}[{i}]", "is not in canonical base64")
        out.append(raw)
    return out


def _keys(doc: Any, name: str, parse: Callable[[str], V]) -> list[V]:
    where = f"keys.{name}"
    keys = []
    for i, vkey in enumerate(_get(doc, name, list, where)):
        if not isinstance(vkey, str):
            raise BundleError(f"{where}[{i}]", "must be a vkey string")
        keys.append(_vkey(vkey, f"{where}[{i}]", parse))
    return keys


def _vkey(vkey: str, where: str, parse: Callable[[str], V]) -> V:
    """The verifier of `vkey`, which must be spelled exactly as the key encodes."""
    try:
        key = parse(vkey)
    except DeconflictError as exc:
        raise BundleError(where, exc.detail) from None
    if key.vkey() != vkey:
        raise BundleError(where, "is not in canonical vkey form")
    return key


def _require_trusted(
    where: str, keys: Sequence[Ed25519Verifier | CosignatureVerifier], trusted: Sequence[str] | None
) -> None:
    if trusted is None:
        return
    allowed = set()
    for i, vkey in enumerate(trusted):
        try:
            allowed.add(parse_verifier(vkey.strip()).vkey())
        except DeconflictError as exc:
            raise BundleError(f"trusted key {i + 1}", exc.detail) from None
    for i, key in enumerate(keys):
        if key.vkey() not in allowed:
            place = where if len(keys) == 1 and where == "keys.log" else f"{where}[{i}]"
            raise BundleError(place, f"{key.vkey()} is not among the trusted keys")


def _open(
    note: Any, where: str, log: Ed25519Verifier, witnesses: Sequence[CosignatureVerifier]
) -> OpenedCheckpoint:
    if not isinstance(note, str):
        raise BundleError(where, "must be a signed note string")
    try:
        opened = open_checkpoint(note, log, witnesses)
    except DeconflictError as exc:
        raise BundleError(where, exc.detail) from None
    if opened.note.unverified:
        unknown = ", ".join(f"{s.name}+{s.key_id:08x}" for s in opened.note.unverified)
        raise BundleError(where, f"signed by keys the bundle does not list: {unknown}")
    if Note(opened.note.text, (), opened.note.signatures).encode() != note:
        raise BundleError(where, "is not in canonical signed-note form")
    return opened


# --- verification ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Verified:
    """An entry whose inclusion proof verified."""

    where: str
    index: int
    entry: LogEntry
    leaf: bytes


def verify_bundle(
    bundle: Mapping[str, Any],
    trusted_log_keys: Sequence[str] | None = None,
    trusted_witness_keys: Sequence[str] | None = None,
) -> Timeline:
    """Check a bundle completely, with no server; the timeline it proves. Raises `BundleError`
    naming the first part that fails. With trusted keys, the bundle's log key and every witness
    key it lists must be among them."""
    if not isinstance(bundle, Mapping) or bundle.get("format") != BUNDLE_FORMAT:
        raise BundleError("format", f"not a {BUNDLE_FORMAT} document")
    notice_id = _get(bundle, "notice_id", str, "notice_id")
    keys = _get(bundle, "keys", dict, "keys")
    log = _vkey(_get(keys, "log", str, "keys.log"), "keys.log", Ed25519Verifier.from_vkey)
    witnesses = _keys(keys, "witnesses", CosignatureVerifier.from_vkey)
    ack_keys = _keys(keys, "ack", Ed25519Verifier.from_vkey)
    _require_trusted("keys.log", [log], trusted_log_keys)
    _require_trusted("keys.witnesses", witnesses, trusted_witness_keys)

    head = _open(bundle.get("checkpoint"), "checkpoint", log, witnesses)
    size, root = head.checkpoint.size, head.checkpoint.root
    entries = _verify_entries(_get(bundle, "entries", list, "entries"), size, root)
    registered = _check_keys(entries, witnesses, ack_keys)
    notice = [e for e in entries if e.entry.type != _KEY_ENTRY]
    _check_notice_entries(notice, notice_id)

    cosigned: dict[int, list[OpenedCheckpoint]] = {size: [head]}
    notes = {str(bundle["checkpoint"])}
    for i, item in enumerate(_get(bundle, "cosigned", list, "cosigned")):
        where = f"cosigned[{i}]"
        note = _get(item, "note", str, f"{where}.note")
        opened = _open(note, where, log, witnesses)
        old = opened.checkpoint
        if old.origin != head.checkpoint.origin:
            raise BundleError(where, f"origin {old.origin!r} is not the checkpoint's")
        if note in notes:
            raise BundleError(where, f"repeats a note of size {old.size}")
        notes.add(note)
        proof = _hashes(_get(item, "consistency", list, f"{where}.consistency"), where)
        try:
            verify_consistency(old.size, size, old.root, root, proof)
        except DeconflictError as exc:
            raise BundleError(f"{where}.consistency", exc.detail) from None
        cosigned.setdefault(old.size, []).append(opened)

    witnessed = _verify_brackets(_get(bundle, "brackets", list, "brackets"), notice, cosigned)
    _verify_acks(notice, registered, ack_keys)
    return _timeline(
        notice_id,
        head,
        log.vkey(),
        trusted_log_keys is not None and trusted_witness_keys is not None,
        notice,
        witnessed,
    )


def _verify_entries(items: list[Any], size: int, root: bytes) -> list[_Verified]:
    verified: dict[int, _Verified] = {}
    for i, item in enumerate(items):
        where = f"entries[{i}]"
        index = _get(item, "index", int, f"{where}.index")
        where = f"entries[{i}] (index {index})"
        raw = _get(item, "entry", str, f"{where}.entry").encode()
        proof = _hashes(_get(item, "inclusion", list, f"{where}.inclusion"), f"{where}.inclusion")
        try:
            entry = parse_entry(raw)
        except DeconflictError as exc:
            raise BundleError(f"{where}.entry", exc.detail) from None
        leaf = leaf_hash(raw)
        try:
            verify_inclusion(leaf, index, size, proof, root)
        except DeconflictError as exc:
            raise BundleError(f"{where}.inclusion", exc.detail) from None
        if index in verified:
            raise BundleError(where, "the same index appears twice")
        verified[index] = _Verified(where, index, entry, leaf)
    return [verified[i] for i in sorted(verified)]


def _check_keys(
    entries: list[_Verified],
    witnesses: list[CosignatureVerifier],
    ack_keys: list[Ed25519Verifier],
) -> dict[tuple[str, str, bytes], int]:
    """Every listed key must have been registered by a `party.key` entry in the bundle; returns
    (party, purpose, key) -> the index that registered it."""
    registered: dict[tuple[str, str, bytes], int] = {}
    for e in entries:
        if e.entry.type != _KEY_ENTRY:
            continue
        body = e.entry.body
        try:
            key = base64.b64decode(str(body["key"]), validate=True)
            registered.setdefault((str(body["party_id"]), str(body["purpose"]), key), e.index)
        except (KeyError, ValueError, binascii.Error):
            raise BundleError(e.where, "a party.key entry without party_id and key") from None
    lists: tuple[tuple[str, str, Sequence[Ed25519Verifier | CosignatureVerifier]], ...] = (
        ("keys.witnesses", "cosign", witnesses),
        ("keys.ack", "ack", ack_keys),
    )
    for where, purpose, listed in lists:
        for i, k in enumerate(listed):
            if (k.name, purpose, k.public_key) not in registered:
                raise BundleError(f"{where}[{i}]", f"{k.vkey()} was never registered in the log")
    return registered


def _about(entry: LogEntry, notice_id: str) -> bool:
    body = entry.body
    if body.get("notice_id") == notice_id:
        return True
    return entry.type == "conflict" and (body.get("other_kind"), body.get("other_id")) == (
        "notice",
        notice_id,
    )


def _check_notice_entries(notice: list[_Verified], notice_id: str) -> None:
    versions: dict[int, str] = {}
    for e in notice:
        if e.entry.type not in NOTICE_ENTRY_TYPES or not _about(e.entry, notice_id):
            raise BundleError(e.where, f"a {e.entry.type} entry that is not about {notice_id}")
        version = _get(e.entry.body, "version", int, f"{e.where}.entry")
        if e.entry.type == "notice.version" and e.entry.body.get("notice_id") == notice_id:
            versions[version] = e.leaf.hex()
    if not versions:
        raise BundleError("entries", f"no version of notice {notice_id}")
    for e in notice:
        wanted = (versions.get(e.entry.body["version"]),)
        if e.entry.type in ("disclosure", "ack", "escalation") and e.entry.refs not in ((), wanted):
            raise BundleError(e.where, "refers to a notice version the bundle does not hold")


def _verify_brackets(
    items: list[Any], notice: list[_Verified], cosigned: Mapping[int, list[OpenedCheckpoint]]
) -> dict[int, list[Witnessed]]:
    indices = {e.index for e in notice}
    found: dict[int, list[Witnessed]] = {}
    for i, item in enumerate(items):
        where = f"brackets[{i}]"
        party = _get(item, "party", str, f"{where}.party")
        index = _get(item, "index", int, f"{where}.index")
        before = _optional_size(item, "before", f"{where}.before")
        after = _optional_size(item, "after", f"{where}.after")
        if index not in indices:
            raise BundleError(f"{where}.index", f"no entry {index} about the notice")
        if before is not None and before > index:
            raise BundleError(f"{where}.before", f"size {before} already holds entry {index}")
        if after is not None and after <= index:
            raise BundleError(f"{where}.after", f"size {after} does not hold entry {index}")
        not_before = _cosigned_at(cosigned, before, party, f"{where}.before", max)
        not_after = _cosigned_at(cosigned, after, party, f"{where}.after", min)
        found.setdefault(index, []).append(Witnessed(party, before, not_before, after, not_after))
    return found


def _cosigned_at(
    cosigned: Mapping[int, list[OpenedCheckpoint]],
    size: int | None,
    party: str,
    where: str,
    tightest: Callable[[list[datetime]], datetime],
) -> datetime | None:
    """The tightest of `party`'s cosignature times of `size` in the bundle: the latest for a
    `before` bound, the earliest for an `after` one (see the module docstring)."""
    if size is None:
        return None
    if size not in cosigned:
        raise BundleError(where, f"no co-signed checkpoint of size {size} in the bundle")
    times = [c.time for note in cosigned[size] for c in note.cosignatures if c.name == party]
    if not times:
        raise BundleError(where, f"the checkpoint of size {size} carries no cosignature by {party}")
    return tightest(times)


def _verify_acks(
    notice: list[_Verified],
    registered: Mapping[tuple[str, str, bytes], int],
    ack_keys: Sequence[Ed25519Verifier],
) -> None:
    """Each signed ack must verify under an acknowledgement key the bundle lists and the log
    registered before the ack."""
    listed = {(k.name, k.public_key) for k in ack_keys}
    for e in notice:
        body = e.entry.body
        if e.entry.type != "ack" or body.get("signature") is None:
            continue
        party = str(body.get("party_id"))
        try:
            signature = base64.b64decode(str(body["signature"]), validate=True)
            received_at = parse_time(str(body["party_received_at"]))
            notice_leaf = bytes.fromhex(e.entry.refs[0])
        except (KeyError, IndexError, ValueError, binascii.Error):
            raise BundleError(e.where, "a signed ack needs party_received_at and refs") from None
        keys = [
            key
            for (owner, purpose, key), index in registered.items()
            if (owner, purpose) == (party, "ack") and index < e.index and (owner, key) in listed
        ]
        for key in keys:
            try:
                verify_ack(key, notice_leaf, received_at, signature)
                break
            except DeconflictError:
                continue
        else:
            raise BundleError(
                e.where,
                f"ack signature by {party} does not verify under any of its {len(keys)} "
                "acknowledgement keys listed in the bundle and registered before it",
            )


# --- building the timeline ---------------------------------------------------------------------


def _time(body: Mapping[str, Any], key: str, where: str) -> datetime:
    try:
        return parse_time(str(body[key]))
    except (KeyError, ValueError):
        raise BundleError(where, f"{key} is not a time") from None


def _describe(entry: LogEntry, where: str) -> tuple[str | None, str]:
    """The party an entry is about, and one line saying what happened."""
    b, kind = entry.body, entry.type
    if kind == "notice.version":
        start, end = _time(b, "time_start", where), _time(b, "time_end", where)
        return entry.party, (
            f"{entry.party} {b.get('kind')} v{b.get('version')} ({b.get('purpose')!r}), "
            f"operation {_t(start)} to {_t(end)}"
        )
    if kind == "disclosure":
        short = ", SHORT NOTICE" if b.get("short_notice") else ""
        return b.get("party_id"), (
            f"v{b.get('version')} disclosed to {b.get('party_id')} ({b.get('reason')}), "
            f"lead {_duration(float(b.get('lead_time_s', 0.0)))}{short}, "
            f"ack due {_t(_time(b, 'ack_due_at', where))}"
        )
    if kind == "ack":
        signed = (
            f"; its own signed receive time {_t(_time(b, 'party_received_at', where))} (verified)"
            if b.get("signature") is not None
            else "; unsigned"
        )
        return b.get("party_id"), (
            f"{b.get('party_id')} acknowledged v{b.get('version')}"
            f"{' LATE' if b.get('late') else ''}: first fetched "
            f"{_t(_time(b, 'received_at', where))}, acknowledged "
            f"{_t(_time(b, 'acknowledged_at', where))}{signed}"
        )
    if kind == "escalation":
        return b.get("party_id"), (
            f"escalation tier {b.get('tier')} for {b.get('party_id')} on v{b.get('version')} "
            f"(due {_t(_time(b, 'due_at', where))})"
        )
    if kind == "conflict":
        return b.get("other_party"), (
            f"conflict of {b.get('notice_id')} v{b.get('version')} with {b.get('other_kind')} "
            f"{b.get('other_id')} of {b.get('other_party')}: min distance "
            f"{b.get('min_distance_m')} m, vertical gap {b.get('vertical_gap_m')} m"
        )
    return None, f"v{b.get('version')} expired (ended {_t(_time(b, 'time_end', where))})"


def _timeline(
    notice_id: str,
    head: OpenedCheckpoint,
    log_key: str,
    trusted: bool,
    notice: list[_Verified],
    witnessed: Mapping[int, list[Witnessed]],
) -> Timeline:
    events, warnings = [], []
    starts: dict[int, tuple[datetime, bool]] = {}
    for e in notice:
        try:
            party, detail = _describe(e.entry, e.where)
        except (KeyError, TypeError, ValueError) as exc:
            raise BundleError(e.where, f"unexpected {e.entry.type} body: {exc}") from None
        body = e.entry.body
        seen = tuple(sorted(witnessed.get(e.index, []), key=lambda w: w.party))
        events.append(
            TimelineEvent(
                e.index, e.entry.type, e.entry.received_at, party, body["version"], detail, seen
            )
        )
        if e.entry.type == "notice.version" and body.get("notice_id") == notice_id:
            starts[body["version"]] = (
                _time(body, "time_start", e.where),
                body.get("kind") == "cancellation",
            )
        if e.entry.type == "disclosure" and body.get("notice_id") == notice_id:
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
        trusted,
        tuple(sorted((c.name, c.time) for c in head.cosignatures)),
        tuple(events),
        tuple(warnings),
    )
