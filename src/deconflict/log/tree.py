"""The append-only Merkle tree the service uses: RFC 9162 over stored subtree hashes.

The tree keeps no state of its own. A `NodeStore` holds the hash of every complete subtree,
keyed by (level, index): level 0 holds the leaf hashes, and node (level, i) covers leaves
[i * 2**level, (i + 1) * 2**level). Complete subtrees never change as the log grows, so the
nodes stored for size n also serve every smaller size: roots and proofs for any sizes up to the
current one come from O(log n) stored nodes, fetched in one `get_many` call (one query when the
store is a SQL table `(level, idx, hash)`).

A subtree on the right edge of a tree whose size is not a power of two is not stored; its hash is
folded from the complete subtrees that cover it. `deconflict.log.merkle` is the reference these
results must equal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from deconflict.errors import InvalidInput
from deconflict.log.errors import HashSizeError
from deconflict.log.merkle import EMPTY_ROOT, HASH_SIZE, split_point

__all__ = ["MemoryNodeStore", "MerkleTree", "NodeKey", "NodeStore"]

NodeKey = tuple[int, int]
"""(level, index) of a complete subtree."""


class NodeStore(Protocol):
    """Where complete-subtree hashes live; append-only."""

    def size(self) -> int:
        """The number of leaves stored (nodes at level 0)."""
        ...

    def get_many(self, keys: Sequence[NodeKey]) -> list[bytes]:
        """The hashes at `keys`, in the same order; `KeyError` if any is missing."""
        ...

    def put_many(self, items: Sequence[tuple[int, int, bytes]]) -> None:
        """Store (level, index, hash) triples; they arrive level by level, index ascending."""
        ...


class MemoryNodeStore:
    """A `NodeStore` in memory: one bytearray of 32-byte hashes per level (compact at 10M)."""

    def __init__(self) -> None:
        self._levels: list[bytearray] = []

    def size(self) -> int:
        return len(self._levels[0]) // HASH_SIZE if self._levels else 0

    def get_many(self, keys: Sequence[NodeKey]) -> list[bytes]:
        hashes = []
        for level, index in keys:
            start = index * HASH_SIZE
            if level >= len(self._levels) or index < 0 or start >= len(self._levels[level]):
                raise KeyError((level, index))
            hashes.append(bytes(self._levels[level][start : start + HASH_SIZE]))
        return hashes

    def put_many(self, items: Sequence[tuple[int, int, bytes]]) -> None:
        for level, index, node in items:
            while len(self._levels) <= level:
                self._levels.append(bytearray())
            row = self._levels[level]
            if index * HASH_SIZE != len(row):
                raise ValueError(f"node ({level}, {index}) is not next; level holds {len(row)} B")
            row += node


def _covering(lo: int, hi: int) -> list[NodeKey]:
    """The complete subtrees covering leaves [lo, hi), largest first (lo aligned as in RFC
    9162's splits, so each piece is a stored node)."""
    keys = []
    while lo < hi:
        level = (hi - lo).bit_length() - 1
        keys.append((level, lo >> level))
        lo += 1 << level
    return keys


def _fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of a range from its covering subtrees: combine right to left."""
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = hashlib.sha256(b"\x01" + h + acc).digest()
    return acc


def _inclusion_plan(index: int, size: int) -> list[list[NodeKey]]:
    """PATH(index, D[size]) as groups of stored nodes, lowest level first."""
    plan = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = split_point(hi - lo)
        if index < lo + k:
            plan.append(_covering(lo + k, hi))
            hi = lo + k
        else:
            plan.append(_covering(lo, lo + k))
            lo += k
    plan.reverse()
    return plan


def _consistency_plan(old_size: int, new_size: int) -> list[list[NodeKey]]:
    """PROOF(old_size, D[new_size]) as groups of stored nodes, lowest level first."""
    plan = []
    lo, hi, whole = 0, new_size, True
    while old_size != hi:
        k = split_point(hi - lo)
        if old_size <= lo + k:
            plan.append(_covering(lo + k, hi))
            hi = lo + k
        else:
            plan.append(_covering(lo, lo + k))
            lo, whole = lo + k, False
    if not whole:
        plan.append(_covering(lo, hi))
    plan.reverse()
    return plan


@dataclass(frozen=True, slots=True)
class MerkleTree:
    """An RFC 9162 tree over a `NodeStore`; cheap to construct per transaction."""

    store: NodeStore

    def size(self) -> int:
        return self.store.size()

    def append(self, leaf_hashes: Sequence[bytes]) -> int:
        """Store the leaves and every subtree they complete; return the new size."""
        for i, h in enumerate(leaf_hashes):
            if len(h) != HASH_SIZE:
                raise HashSizeError(f"leaf_hashes[{i}]", len(h))
        size = self.store.size()
        if not leaf_hashes:
            return size
        keys = _covering(0, size)
        border = dict(zip(keys, self.store.get_many(keys) if keys else [], strict=True))
        sha256 = hashlib.sha256
        items: list[tuple[int, int, bytes]] = []
        level, first, nodes = 0, size, list(leaf_hashes)
        while nodes:
            items.extend((level, first + i, node) for i, node in enumerate(nodes))
            if first & 1:
                nodes.insert(0, border[(level, first - 1)])
                first -= 1
            nodes = [
                sha256(b"\x01" + a + b).digest()
                for a, b in zip(nodes[::2], nodes[1::2], strict=False)
            ]
            level, first = level + 1, first >> 1
        self.store.put_many(items)
        return size + len(leaf_hashes)

    def root(self, size: int | None = None) -> bytes:
        """The root hash at `size` (default: the current size)."""
        if size is None:
            size = self.size()
        if size < 0:
            raise InvalidInput.at("/size", f"tree size {size} is negative")
        if size == 0:
            return EMPTY_ROOT
        return _fold(self._fetch([_covering(0, size)], size, "/size")[0])

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """PATH(index, D[size]) for any size up to the current one."""
        if not 0 <= index < size:
            raise InvalidInput.at("/index", f"leaf index {index} is outside a tree of size {size}")
        groups = self._fetch(_inclusion_plan(index, size), size, "/size")
        return [_fold(group) for group in groups]

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """PROOF(old_size, D[new_size]) for 0 < old_size <= new_size <= the current size."""
        if not 0 < old_size <= new_size:
            raise InvalidInput.at("/old_size", f"old size {old_size} is outside 1..{new_size}")
        groups = self._fetch(_consistency_plan(old_size, new_size), new_size, "/new_size")
        return [_fold(group) for group in groups]

    def _fetch(self, plan: list[list[NodeKey]], size: int, pointer: str) -> list[list[bytes]]:
        """The stored hashes of every group in `plan`, read in one `get_many` call; the store is
        asked its size only when that read fails or there is nothing to read."""
        keys = list(dict.fromkeys(key for group in plan for key in group))
        try:
            found = dict(zip(keys, self.store.get_many(keys), strict=True)) if keys else {}
        except KeyError:
            found = {}
        if len(found) != len(keys) or not keys:
            current = self.size()
            if size > current:
                raise InvalidInput.at(pointer, f"tree size {size} is beyond the current {current}")
            if keys:
                raise LookupError(f"node store is missing nodes of a tree of size {size}")
        return [[found[key] for key in group] for group in plan]
