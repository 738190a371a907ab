"""Verifying a proof bundle offline, with no server: every signature and proof, the keys, the
acknowledgements, and that the entries belong to the notice.

`verify_bundle` reads the document strictly (`deconflict.evidence.format`), checks that each
listed key was registered in the log itself, that the log's key is the one pinned or reached
from it by signed rotations (`deconflict.evidence.keys`), that signed acknowledgements verify,
that the entries are about the notice, and that each bracket names the tightest checkpoints the
bundle's cosignatures prove. It cannot prove that no entry was left out: absence needs the whole
log.
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
    BRACKET_FIELDS,
    BUNDLE_FIELDS,
    BUNDLE_FORMAT,
    COSIGNED_FIELDS,
    ENTRY_FIELDS,
    KEY_ENTRY,
    KEYS_FIELDS,
    NOTICE_ENTRY_TYPES,
    ROTATION_ENTRY,
    find_repeated,
    load_bundle,
    read,
    read_body,
    read_hashes,
    read_object,
    read_size,
    read_vkey,
    read_vkeys,
)
from deconflict.evidence.keys import LogKeys, follow_rotations
from deconflict.evidence.timeline import Timeline, VerifiedEntry, Witnessed, build_timeline
from deconflict.log.ack import verify_ack
from deconflict.log.checkpoint import (
    CosignatureVerifier,
    OpenedCheckpoint,
    open_checkpoint,
    parse_checkpoint,
    parse_verifier,
)
from deconflict.log.entry import LogEntry, parse_entry
from deconflict.log.merkle import leaf_hash, verify_consistency, verify_inclusion
from deconflict.log.note import Ed25519Verifier, Note, parse_note
from deconflict.times import parse_time

__all__ = ["verify_bundle"]


def verify_bundle(
    bundle: Mapping[str, Any],
    trusted_log_keys: Sequence[str] | None = None,
    trusted_witness_keys: Sequence[str] | None = None,
) -> Timeline:
    """Check a bundle completely, with no server; the timeline it proves. Raises `BundleError`
    naming the first part that fails. With trusted keys, the key that signed the checkpoint must
    be a trusted log key or be reached from one by the bundle's `log.key` rotation entries, and
    every witness key it lists must be among the trusted witness keys. Without them, the keys
    inside the bundle are taken as they are: that proves the bundle consistent, not genuine."""
    if not isinstance(bundle, Mapping) or bundle.get("format") != BUNDLE_FORMAT:
        raise BundleError("format", f"not a {BUNDLE_FORMAT} document")
    read_object(bundle, "", BUNDLE_FIELDS)
    notice_id = read(bundle, "notice_id", str, "notice_id")
    keys = read_object(bundle["keys"], "keys", KEYS_FIELDS)
    log = read_vkey(read(keys, "log", str, "keys.log"), "keys.log", Ed25519Verifier.from_vkey)
    witnesses = read_vkeys(keys, "witnesses", CosignatureVerifier.from_vkey)
    ack_keys = read_vkeys(keys, "ack", Ed25519Verifier.from_vkey)
    pinned_logs = None if trusted_log_keys is None else _parse_trusted(trusted_log_keys)
    if trusted_witness_keys is not None:
        _require_trusted("keys.witnesses", witnesses, _parse_trusted(trusted_witness_keys))

    head_note = read(bundle, "checkpoint", str, "checkpoint")
    head = _open(head_note, "checkpoint", log, witnesses)
    size, root = head.checkpoint.size, head.checkpoint.root
    entries = _verify_entries(read(bundle, "entries", list, "entries"), size, root)
    log_keys = follow_rotations(log, [e for e in entries if e.entry.type == ROTATION_ENTRY])
    if pinned_logs is not None:
        log_keys.require_pinned([k for k in pinned_logs if isinstance(k, Ed25519Verifier)])
    registered = _check_keys(entries, witnesses, ack_keys)
    notice = [e for e in entries if e.entry.type not in (KEY_ENTRY, ROTATION_ENTRY)]
    _check_notice_entries(notice, notice_id)

    cosigned = _verify_cosigned(
        read(bundle, "cosigned", list, "cosigned"), head, head_note, log_keys, witnesses
    )
    witnessed = _verify_brackets(read(bundle, "brackets", list, "brackets"), notice, cosigned)
    _verify_acks(notice, registered, ack_keys)
    return build_timeline(
        notice_id,
        head,
        log.vkey(),
        trusted_log_keys is not None and trusted_witness_keys is not None,
        notice,
        witnessed,
        tuple((c.index, c.old.vkey(), c.new.vkey()) for c in log_keys.changes),
    )


def _parse_trusted(trusted: Sequence[str]) -> list[Ed25519Verifier | CosignatureVerifier]:
    keys = []
    for i, vkey in enumerate(trusted):
        try:
            keys.append(parse_verifier(vkey.strip()))
        except DeconflictError as exc:
            raise BundleError(f"trusted key {i + 1}", exc.detail) from None
    return keys


def _require_trusted(
    where: str,
    keys: Sequence[CosignatureVerifier],
    trusted: Sequence[Ed25519Verifier | CosignatureVerifier],
) -> None:
    for i, key in enumerate(keys):
        if key not in trusted:
            raise BundleError(f"{where}[{i}]", f"{key.vkey()} is not among the trusted keys")


def _verify_cosigned(
    items: list[Any],
    head: OpenedCheckpoint,
    head_note: str,
    log_keys: LogKeys,
    witnesses: Sequence[CosignatureVerifier],
) -> dict[int, list[OpenedCheckpoint]]:
    """The co-signed checkpoints by size, the head's included; each opened under the log key in
    force at its size and proven consistent with the head."""
    size, root = head.checkpoint.size, head.checkpoint.root
    cosigned: dict[int, list[OpenedCheckpoint]] = {size: [head]}
    notes = {head_note}
    for i, item in enumerate(items):
        where = f"cosigned[{i}]"
        read_object(item, where, COSIGNED_FIELDS)
        note = read(item, "note", str, f"{where}.note")
        opened = _open(note, where, log_keys.key_for(_size_of(note, where)), witnesses)
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
    return cosigned


def _size_of(note: str, where: str) -> int:
    """The tree size a signed checkpoint states, before any signature is checked: it says
    which log key must have signed it."""
    try:
        return parse_checkpoint(parse_note(note).text).size
    except DeconflictError as exc:
        raise BundleError(where, exc.detail) from None


def _open(
    note: str, where: str, log: Ed25519Verifier, witnesses: Sequence[CosignatureVerifier]
) -> OpenedCheckpoint:
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
        read_object(item, where, ENTRY_FIELDS)
        index = read(item, "index", int, f"{where}.index")
        where = f"entries[{i}] (index {index})"
        raw = read(item, "entry", str, f"{where}.entry").encode()
        proof = read_hashes(
            read(item, "inclusion", list, f"{where}.inclusion"), f"{where}.inclusion"
        )
        try:
            entry = parse_entry(raw)
        except DeconflictError as exc:
            repeated = _repeated_in(raw, f"entries[{i}].entry")
            if repeated is not None:
                raise BundleError(repeated, "duplicated field") from None
            raise BundleError(f"{where}.entry", exc.detail) from None
        leaf = leaf_hash(raw)
        try:
            verify_inclusion(leaf, index, size, proof, root)
        except DeconflictError as exc:
            raise BundleError(f"{where}.inclusion", exc.detail) from None
        if index in verified:
            raise BundleError(where, "the same index appears twice")
        verified[index] = VerifiedEntry(where, index, entry, leaf, i)
    return [verified[i] for i in sorted(verified)]


def _repeated_in(raw: bytes, where: str) -> str | None:
    """Where an entry text that is not canonical repeats a name, if that is why."""
    try:
        return find_repeated(load_bundle(raw), where)
    except DeconflictError:
        return None


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
        where = f"entries[{e.position}].entry.body"
        body = read_body(e.entry, f"entries[{e.position}].entry")
        party = read(body, "party_id", str, f"{where}.party_id")
        purpose = read(body, "purpose", str, f"{where}.purpose")
        try:
            key = base64.b64decode(read(body, "key", str, f"{where}.key"), validate=True)
        except (ValueError, binascii.Error):
            raise BundleError(f"{where}.key", "is not base64") from None
        registered.setdefault((party, purpose, key), e.index)
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
        read_body(e.entry, f"entries[{e.position}].entry")
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
    _check_chain(notice, notice_id)


def _check_chain(notice: list[VerifiedEntry], notice_id: str) -> None:
    """The entries filed under the notice, in log order, must chain: each version 2 entry's
    `prev` is the leaf hash of the one before it in the bundle (null for the first). So a bundle
    cannot leave out an entry of its notice that an entry it holds comes after. (Entries logged
    before the chain, version 1, carry no `prev`; what follows them still chains to them.)"""
    filed = sorted(
        (e for e in notice if e.entry.body.get("notice_id") == notice_id), key=lambda e: e.index
    )
    before: VerifiedEntry | None = None
    for e in filed:
        if e.entry.v >= 2:
            want = None if before is None else before.leaf.hex()
            if e.entry.prev != want:
                held = "nothing" if before is None else f"entry {before.index}"
                raise BundleError(
                    f"{e.where}.entry.prev",
                    f"follows entry {e.entry.prev} of notice {notice_id}, but the bundle holds "
                    f"{held} before it: an entry of the notice is missing",
                )
        before = e


def _verify_brackets(
    items: list[Any], notice: list[VerifiedEntry], cosigned: Mapping[int, list[OpenedCheckpoint]]
) -> dict[int, list[Witnessed]]:
    """Each bracket's bounds, which must be the tightest the bundle's cosignatures give, and one
    bracket for every party and entry they bound: a bracket states what the bundle proves."""
    indices = {e.index for e in notice}
    sizes = _cosigned_sizes(cosigned)
    found: dict[int, list[Witnessed]] = {}
    seen: set[tuple[str, int]] = set()
    for i, item in enumerate(items):
        where = f"brackets[{i}]"
        read_object(item, where, BRACKET_FIELDS)
        party = read(item, "party", str, f"{where}.party")
        index = read(item, "index", int, f"{where}.index")
        before = read_size(item, "before", f"{where}.before")
        after = read_size(item, "after", f"{where}.after")
        if index not in indices:
            raise BundleError(f"{where}.index", f"no entry {index} about the notice")
        if before is None and after is None:
            raise BundleError(where, "bounds nothing: a bracket has a before or an after size")
        if before is not None and before > index:
            raise BundleError(f"{where}.before", f"size {before} already holds entry {index}")
        if after is not None and after <= index:
            raise BundleError(f"{where}.after", f"size {after} does not hold entry {index}")
        not_before = _cosigned_at(cosigned, before, party, f"{where}.before", max)
        not_after = _cosigned_at(cosigned, after, party, f"{where}.after", min)
        tightest = _bounds(sizes.get(party, []), index)
        for name, size, want in (("before", before, tightest[0]), ("after", after, tightest[1])):
            if size != want:
                raise BundleError(
                    f"{where}.{name}",
                    f"is {'null' if size is None else f'size {size}'}, but the bundle holds "
                    f"{party}'s cosignature of size {want}, the tightest {name} entry {index}",
                )
        if (party, index) in seen:
            raise BundleError(where, f"a second bracket for {party} and entry {index}")
        seen.add((party, index))
        found.setdefault(index, []).append(Witnessed(party, before, not_before, after, not_after))
    for index in sorted(indices):
        for party, party_sizes in sorted(sizes.items()):
            if (party, index) not in seen and _bounds(party_sizes, index) != (None, None):
                raise BundleError(
                    "brackets",
                    f"no bracket for {party} and entry {index}, which {party}'s cosignatures "
                    "in the bundle bound",
                )
    return found


def _cosigned_sizes(cosigned: Mapping[int, list[OpenedCheckpoint]]) -> dict[str, list[int]]:
    """Per party, the sizes it co-signed among the bundle's checkpoints."""
    sizes: dict[str, set[int]] = {}
    for size, notes in cosigned.items():
        for note in notes:
            for c in note.cosignatures:
                sizes.setdefault(c.name, set()).add(size)
    return {party: sorted(s) for party, s in sizes.items()}


def _bounds(sizes: Sequence[int], index: int) -> tuple[int | None, int | None]:
    """The largest size without entry `index` and the smallest with it."""
    before = max((s for s in sizes if s <= index), default=None)
    after = min((s for s in sizes if s > index), default=None)
    return before, after


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
        where = f"entries[{e.position}].entry.body"
        party = read(body, "party_id", str, f"{where}.party_id")
        signed = read(body, "signature", str, f"{where}.signature")
        try:
            signature = base64.b64decode(signed.encode("ascii"), validate=True)
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
