"""Verifying a proof bundle offline, with no server: every signature and proof, the keys, the
acknowledgements, and that the entries belong to the notice.

`verify_bundle` checks that each listed key was registered in the log itself, that signed
acknowledgements verify, and that the entries are about the notice. It cannot prove that no
entry was left out: absence needs the whole log.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from deconflict.domain import facts as recorded
from deconflict.errors import DeconflictError
from deconflict.evidence.errors import BundleError
from deconflict.evidence.format import (
    BUNDLE_FORMAT,
    KEY_ENTRY,
    NOTICE_ENTRY_TYPES,
    read,
    read_hashes,
    read_size,
    read_vkey,
    read_vkeys,
)
from deconflict.evidence.timeline import Timeline, VerifiedEntry, Witnessed, build_timeline
from deconflict.log.ack import verify_ack
from deconflict.log.checkpoint import (
    CosignatureVerifier,
    OpenedCheckpoint,
    open_checkpoint,
    parse_verifier,
)
from deconflict.log.entry import LogEntry, parse_entry
from deconflict.log.merkle import leaf_hash, verify_consistency, verify_inclusion
from deconflict.log.note import Ed25519Verifier, Note
from deconflict.times import parse_time

__all__ = ["verify_bundle"]


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
    notice_id = read(bundle, "notice_id", str, "notice_id")
    keys = read(bundle, "keys", dict, "keys")
    log = read_vkey(read(keys, "log", str, "keys.log"), "keys.log", Ed25519Verifier.from_vkey)
    witnesses = read_vkeys(keys, "witnesses", CosignatureVerifier.from_vkey)
    ack_keys = read_vkeys(keys, "ack", Ed25519Verifier.from_vkey)
    _require_trusted("keys.log", [log], trusted_log_keys)
    _require_trusted("keys.witnesses", witnesses, trusted_witness_keys)

    head = _open(bundle.get("checkpoint"), "checkpoint", log, witnesses)
    size, root = head.checkpoint.size, head.checkpoint.root
    entries = _verify_entries(read(bundle, "entries", list, "entries"), size, root)
    registered = _check_keys(entries, witnesses, ack_keys)
    notice = [e for e in entries if e.entry.type != KEY_ENTRY]
    _check_notice_entries(notice, notice_id)

    cosigned: dict[int, list[OpenedCheckpoint]] = {size: [head]}
    notes = {str(bundle["checkpoint"])}
    for i, item in enumerate(read(bundle, "cosigned", list, "cosigned")):
        where = f"cosigned[{i}]"
        note = read(item, "note", str, f"{where}.note")
        opened = _open(note, where, log, witnesses)
        old = opened.checkpoint
        if old.origin != head.checkpoint.origin:
            raise BundleError(where, f"origin {old.origin!r} is not the checkpoint's")
        if note in notes:
            raise BundleError(where, f"repeats a note of size {old.size}")
        notes.add(note)
        proof = read_hashes(read(item, "consistency", list, f"{where}.consistency"), where)
        try:
            verify_consistency(old.size, size, old.root, root, proof)
        except DeconflictError as exc:
            raise BundleError(f"{where}.consistency", exc.detail) from None
        cosigned.setdefault(old.size, []).append(opened)

    witnessed = _verify_brackets(read(bundle, "brackets", list, "brackets"), notice, cosigned)
    _verify_acks(notice, registered, ack_keys)
    return build_timeline(
        notice_id,
        head,
        log.vkey(),
        trusted_log_keys is not None and trusted_witness_keys is not None,
        notice,
        witnessed,
    )


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


def _verify_entries(items: list[Any], size: int, root: bytes) -> list[VerifiedEntry]:
    verified: dict[int, VerifiedEntry] = {}
    for i, item in enumerate(items):
        where = f"entries[{i}]"
        index = read(item, "index", int, f"{where}.index")
        where = f"entries[{i}] (index {index})"
        raw = read(item, "entry", str, f"{where}.entry").encode()
        proof = read_hashes(
            read(item, "inclusion", list, f"{where}.inclusion"), f"{where}.inclusion"
        )
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
        verified[index] = VerifiedEntry(where, index, entry, leaf)
    return [verified[i] for i in sorted(verified)]


def _check_keys(
    entries: list[VerifiedEntry],
    witnesses: list[CosignatureVerifier],
    ack_keys: list[Ed25519Verifier],
) -> dict[tuple[str, str, bytes], int]:
    """Every listed key must have been registered by a `party.key` entry in the bundle; returns
    (party, purpose, key) -> the index that registered it."""
    registered: dict[tuple[str, str, bytes], int] = {}
    for e in entries:
        if e.entry.type != KEY_ENTRY:
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


_CITING = frozenset(
    fact.entry_type for fact in (recorded.Disclosed, recorded.Acknowledged, recorded.Escalated)
)
"""Entry types that refer to the notice version they are about."""


def _about(entry: LogEntry, notice_id: str) -> bool:
    body = entry.body
    if body.get("notice_id") == notice_id:
        return True
    return entry.type == recorded.ConflictFound.entry_type and (
        body.get("other_kind"),
        body.get("other_id"),
    ) == (
        "notice",
        notice_id,
    )


def _check_notice_entries(notice: list[VerifiedEntry], notice_id: str) -> None:
    versions: dict[int, str] = {}
    for e in notice:
        if e.entry.type not in NOTICE_ENTRY_TYPES or not _about(e.entry, notice_id):
            raise BundleError(e.where, f"a {e.entry.type} entry that is not about {notice_id}")
        version = read(e.entry.body, "version", int, f"{e.where}.entry")
        if (
            e.entry.type == recorded.Published.entry_type
            and e.entry.body.get("notice_id") == notice_id
        ):
            versions[version] = e.leaf.hex()
    if not versions:
        raise BundleError("entries", f"no version of notice {notice_id}")
    for e in notice:
        wanted = (versions.get(e.entry.body["version"]),)
        if e.entry.type in _CITING and e.entry.refs not in ((), wanted):
            raise BundleError(e.where, "refers to a notice version the bundle does not hold")


def _verify_brackets(
    items: list[Any], notice: list[VerifiedEntry], cosigned: Mapping[int, list[OpenedCheckpoint]]
) -> dict[int, list[Witnessed]]:
    indices = {e.index for e in notice}
    found: dict[int, list[Witnessed]] = {}
    for i, item in enumerate(items):
        where = f"brackets[{i}]"
        party = read(item, "party", str, f"{where}.party")
        index = read(item, "index", int, f"{where}.index")
        before = read_size(item, "before", f"{where}.before")
        after = read_size(item, "after", f"{where}.after")
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
    `before` bound, the earliest for an `after` one (`deconflict.evidence.timeline` says why)."""
    if size is None:
        return None
    if size not in cosigned:
        raise BundleError(where, f"no co-signed checkpoint of size {size} in the bundle")
    times = [c.time for note in cosigned[size] for c in note.cosignatures if c.name == party]
    if not times:
        raise BundleError(where, f"the checkpoint of size {size} carries no cosignature by {party}")
    return tightest(times)


def _verify_acks(
    notice: list[VerifiedEntry],
    registered: Mapping[tuple[str, str, bytes], int],
    ack_keys: Sequence[Ed25519Verifier],
) -> None:
    """Each signed ack must verify under an acknowledgement key the bundle lists and the log
    registered before the ack."""
    listed = {(k.name, k.public_key) for k in ack_keys}
    for e in notice:
        body = e.entry.body
        if e.entry.type != recorded.Acknowledged.entry_type or body.get("signature") is None:
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
