"""Which log key signs which checkpoint of a bundle, and whether a pinned key vouches for it.

The bundle's `log.key` entries (format in `deconflict.evidence.format`) form a chain of keys,
each handed over by the signature of the one before. `follow_rotations` checks that chain and
that it ends at the key that signed the bundle's checkpoint; `LogKeys.key_for` names the key in
force at any tree size; `LogKeys.require_pinned` refuses a chain on which no key was pinned.
Pinning an old key of the chain trusts the keys it handed over to: rotate a key away once it is
exposed, and pin the newest key you know.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass

from deconflict.errors import DeconflictError
from deconflict.evidence.errors import BundleError
from deconflict.evidence.format import read, read_body, read_vkey
from deconflict.evidence.timeline import VerifiedEntry
from deconflict.log.note import Ed25519Verifier
from deconflict.log.rotation import verify_rotation

__all__ = ["KeyChange", "LogKeys", "follow_rotations"]


@dataclass(frozen=True, slots=True)
class KeyChange:
    """The log key `old` handed over to `new` by the `log.key` entry at `index`."""

    index: int
    old: Ed25519Verifier
    new: Ed25519Verifier


@dataclass(frozen=True, slots=True)
class LogKeys:
    """The log keys of a bundle: `first`, then each change in index order."""

    first: Ed25519Verifier
    changes: tuple[KeyChange, ...] = ()

    @property
    def chain(self) -> tuple[Ed25519Verifier, ...]:
        """Every key, oldest first; the last signed the bundle's checkpoint."""
        return (self.first, *(c.new for c in self.changes))

    def key_for(self, size: int) -> Ed25519Verifier:
        """The key that signs checkpoints of `size`: the last handed over below it."""
        key = self.first
        for change in self.changes:
            if change.index < size:
                key = change.new
        return key

    def require_pinned(self, pinned: Sequence[Ed25519Verifier]) -> None:
        """Refuse unless some key of the chain is pinned: it then vouches for every later one."""
        if any(key in pinned for key in self.chain):
            return
        head = self.chain[-1].vkey()
        pins = ", ".join(p.vkey() for p in pinned) or "none"
        if not self.changes:
            raise BundleError(
                "keys.log",
                f"the checkpoint is signed by log key {head}, which is not the pinned log key "
                f"({pins}), and no log.key rotation entry in the bundle reaches it from one",
            )
        route = " -> ".join(k.vkey() for k in self.chain)
        raise BundleError(
            "keys.log",
            f"the checkpoint is signed by log key {head}, which is not the pinned log key "
            f"({pins}), and the bundle's log.key rotation entries ({route}) pass through no "
            "pinned key",
        )


def _rotation(entry: VerifiedEntry) -> KeyChange:
    text = f"entries[{entry.position}].entry"
    body = read_body(entry.entry, text)
    where = f"{text}.body"
    old = read_vkey(
        read(body, "old_key", str, f"{where}.old_key"),
        f"{where}.old_key",
        Ed25519Verifier.from_vkey,
    )
    new = read_vkey(
        read(body, "new_key", str, f"{where}.new_key"),
        f"{where}.new_key",
        Ed25519Verifier.from_vkey,
    )
    signature_b64 = read(body, "signature", str, f"{where}.signature")
    try:
        signature = base64.b64decode(signature_b64.encode("ascii"), validate=True)
    except (ValueError, binascii.Error):
        raise BundleError(f"{where}.signature", "is not base64") from None
    try:
        verify_rotation(old, new, signature)
    except DeconflictError as exc:
        raise BundleError(entry.where, exc.detail) from None
    return KeyChange(entry.index, old, new)


def follow_rotations(head: Ed25519Verifier, rotations: Sequence[VerifiedEntry]) -> LogKeys:
    """The chain of log keys shown by the `log.key` entries `rotations` (proven, in index
    order), which must end at `head`, the key that signed the bundle's checkpoint."""
    changes = [_rotation(e) for e in rotations]
    seen = {c.old for c in changes[:1]}
    for i, (entry, change) in enumerate(zip(rotations, changes, strict=True)):
        before = changes[i - 1] if i else None
        if before is not None and change.old != before.new:
            raise BundleError(
                entry.where,
                f"rotates from log key {change.old.vkey()}, but entry {before.index} handed "
                f"over to {before.new.vkey()}",
            )
        if change.new in seen:
            raise BundleError(entry.where, f"rotates back to log key {change.new.vkey()}")
        seen.add(change.new)
    if changes and changes[-1].new != head:
        raise BundleError(
            "keys.log",
            f"{head.vkey()} signed the checkpoint, but the last log.key entry (index "
            f"{changes[-1].index}) hands over to {changes[-1].new.vkey()}",
        )
    return LogKeys(changes[0].old if changes else head, tuple(changes))
