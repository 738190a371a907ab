"""Compact ranges: the right border of an RFC 9162 tree, enough to grow it and compute its root.

The compact range of a tree of `size` leaves is the list of hashes of the complete subtrees that
cover leaves [0, size), largest (leftmost) first: one per set bit of `size`, so at most 64. It is
transparency-dev/merkle's `compact.Range` with begin 0, and the same border RFC 9162 §2.1.1's MTH
folds: the root is the border folded right to left.

Appending a leaf pushes its hash and merges the two rightmost subtrees while they are the same
size, as a binary counter carries. So a monitor that keeps the range at the size it verified can
check a newer signed root from the new leaf hashes alone: if appending leaves [old, new) gives
the root the log signed for `new`, every one of those leaves is in the new tree at its index, and
the new tree extends the old one (the range commits to the old root). That one comparison replaces
a consistency proof and an inclusion proof per new leaf. `deconflict.log.merkle.root_hash` is the
reference the roots must equal.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from deconflict.errors import InvalidInput
from deconflict.log.errors import HashSizeError
from deconflict.log.merkle import EMPTY_ROOT, HASH_SIZE, node_hash

__all__ = ["CompactRange"]


@dataclass(frozen=True, slots=True)
class CompactRange:
    """The hashes of the complete subtrees covering leaves [0, `size`), largest first."""

    size: int = 0
    hashes: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise InvalidInput.at("/size", f"size {self.size!r} is not a count of leaves")
        if len(self.hashes) != self.size.bit_count():
            raise InvalidInput.at(
                "/hashes",
                f"a range of size {self.size} has {self.size.bit_count()} hashes, "
                f"not {len(self.hashes)}",
            )
        for i, h in enumerate(self.hashes):
            if len(h) != HASH_SIZE:
                raise HashSizeError(f"hashes[{i}]", len(h))

    def append(self, leaf_hashes: Iterable[bytes]) -> CompactRange:
        """The range of the tree grown by `leaf_hashes`, in order."""
        sha256 = hashlib.sha256
        border = list(self.hashes)
        size = self.size
        for i, node in enumerate(leaf_hashes):
            if len(node) != HASH_SIZE:
                raise HashSizeError(f"leaf_hashes[{i}]", len(node))
            carry = size
            while carry & 1:
                node = sha256(b"\x01" + border.pop() + node).digest()
                carry >>= 1
            border.append(node)
            size += 1
        return CompactRange(size, tuple(border))

    def root(self) -> bytes:
        """MTH of the tree of `size` leaves (SHA-256 of nothing when empty)."""
        if not self.hashes:
            return EMPTY_ROOT
        acc = self.hashes[-1]
        for node in reversed(self.hashes[:-1]):
            acc = node_hash(node, acc)
        return acc

    def to_json(self) -> dict[str, Any]:
        """`{"size": n, "hashes": [base64, ...]}`, the form `from_json` reads back."""
        return {"size": self.size, "hashes": [base64.b64encode(h).decode() for h in self.hashes]}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> CompactRange:
        """Read `to_json`'s form; `InvalidInput` (or `HashSizeError`) names what is wrong."""
        if not isinstance(doc, Mapping):
            raise InvalidInput.at("", "a compact range is an object with size and hashes")
        size, hashes = doc.get("size"), doc.get("hashes")
        if isinstance(size, bool) or not isinstance(size, int):
            raise InvalidInput.at("/size", f"size {size!r} is not an integer")
        if not isinstance(hashes, list):
            raise InvalidInput.at("/hashes", "hashes must be a list of base64 strings")
        decoded = []
        for i, text in enumerate(hashes):
            try:
                raw = base64.b64decode(str(text).encode("ascii"), validate=True)
            except (ValueError, binascii.Error):
                raise InvalidInput.at(f"/hashes/{i}", f"{str(text)[:48]!r} is not base64") from None
            if not isinstance(text, str) or base64.b64encode(raw).decode() != text:
                raise InvalidInput.at(f"/hashes/{i}", "is not canonical base64")
            decoded.append(raw)
        return cls(size, tuple(decoded))
