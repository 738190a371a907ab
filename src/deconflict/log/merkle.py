"""RFC 9162 §2.1 Merkle trees, read straight from the RFC: hashes, proofs, verification.

These functions take every leaf hash and are the readable reference; `deconflict.log.tree`
proves the same things from stored subtree hashes, and the tests hold the two equal.

- `leaf_hash`, `node_hash`, `root_hash`: MTH of §2.1.1 (`root_hash([])` is SHA-256 of b"").
- `inclusion_proof`: PATH(m, D[n]) of §2.1.3.1; `verify_inclusion`: the algorithm of §2.1.3.2.
- `consistency_proof`: PROOF(m, D[n]) of §2.1.4.1; `verify_consistency`: §2.1.4.2.

Verifiers check every precondition before hashing, as transparency-dev/merkle `proof/verify.go`
does: index and sizes in range, every hash 32 bytes, and the exact proof length the index and
sizes call for (so the RFC's mid-loop "if sn is 0, fail" steps cannot trigger). Where the RFC is
silent they follow transparency-dev/merkle too: equal sizes need an empty proof and equal roots,
and a consistency proof from size 0 is an error (an empty tree commits to nothing).

A proof alone does not bind the tree size: a valid inclusion proof for (index, size) says
nothing about which sizes the log has published. The size and root a verifier trusts come from a
signed checkpoint (`deconflict.log.checkpoint`), co-signed by the parties.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from deconflict.errors import InvalidInput
from deconflict.log.errors import (
    HashSizeError,
    ProofLengthError,
    ProofRangeError,
    RootMismatchError,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "consistency_proof",
    "consistency_proof_length",
    "inclusion_proof",
    "inclusion_proof_length",
    "leaf_hash",
    "node_hash",
    "root_hash",
    "split_point",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 || entry): the hash of one leaf."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """k, the largest power of two smaller than n (n >= 2): where the RFC splits D[n]."""
    return 1 << ((n - 1).bit_length() - 1)


def _mth(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    if hi - lo == 1:
        return leaves[lo]
    k = split_point(hi - lo)
    return node_hash(_mth(leaves, lo, lo + k), _mth(leaves, lo + k, hi))


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) given the n leaf hashes."""
    if not leaf_hashes:
        return EMPTY_ROOT
    return _mth(leaf_hashes, 0, len(leaf_hashes))


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]): the audit path of leaf `index` (0-based), lowest level first."""
    n = len(leaf_hashes)
    if not 0 <= index < n:
        raise InvalidInput.at("/index", f"leaf index {index} is outside a tree of size {n}")
    path: list[bytes] = []
    lo, hi = 0, n
    while hi - lo > 1:
        k = split_point(hi - lo)
        if index < lo + k:
            path.append(_mth(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            path.append(_mth(leaf_hashes, lo, lo + k))
            lo += k
    path.reverse()
    return path


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[n]) = SUBPROOF(old_size, D[n], true), lowest level first."""
    n = len(leaf_hashes)
    if not 0 < old_size <= n:
        raise InvalidInput.at("/old_size", f"old size {old_size} is outside 1..{n}")
    proof: list[bytes] = []
    lo, hi, whole = 0, n, True
    while old_size != hi:
        k = split_point(hi - lo)
        if old_size <= lo + k:
            proof.append(_mth(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            proof.append(_mth(leaf_hashes, lo, lo + k))
            lo, whole = lo + k, False
    if not whole:
        proof.append(_mth(leaf_hashes, lo, hi))
    proof.reverse()
    return proof


def inclusion_proof_length(index: int, size: int) -> int:
    """How many hashes PATH(index, D[size]) has: the levels below where the paths to `index` and
    to the last leaf part, plus one per complete left subtree above (transparency-dev/merkle's
    `decompInclProof`)."""
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def consistency_proof_length(old_size: int, new_size: int) -> int:
    """How many hashes PROOF(old_size, D[new_size]) has, for 0 < old_size < new_size."""
    shift = (old_size & -old_size).bit_length() - 1
    seed = 0 if old_size == 1 << shift else 1
    return seed + inclusion_proof_length(old_size - 1, new_size) - shift


def _check_hash(what: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise HashSizeError(what, len(value))


def _check_proof(proof: Sequence[bytes], expected: int) -> None:
    if len(proof) != expected:
        raise ProofLengthError(expected, len(proof))
    for i, h in enumerate(proof):
        _check_hash(f"proof[{i}]", h)


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that `proof` shows leaf `index` with `leaf_hash` in the tree of `tree_size` with
    `root` (RFC 9162 §2.1.3.2); raise a `ProofError` otherwise."""
    if index < 0 or tree_size < 0 or index >= tree_size:
        raise ProofRangeError(
            f"leaf index {index} is outside a tree of size {tree_size}",
            index=index,
            tree_size=tree_size,
        )
    _check_hash("leaf hash", leaf_hash)
    _check_hash("root", root)
    _check_proof(proof, inclusion_proof_length(index, tree_size))

    fn, sn, r = index, tree_size - 1, leaf_hash
    for p in proof:
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if r != root:
        raise RootMismatchError(tree_size, root, r)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that `proof` shows the tree of `old_size` with `old_root` is a prefix of the tree of
    `new_size` with `new_root` (RFC 9162 §2.1.4.2); raise a `ProofError` otherwise."""
    if old_size <= 0 or new_size < old_size:
        raise ProofRangeError(
            f"no consistency proof from size {old_size} to size {new_size}",
            old_size=old_size,
            new_size=new_size,
        )
    _check_hash("old root", old_root)
    _check_hash("new root", new_root)
    if old_size == new_size:
        _check_proof(proof, 0)
        if old_root != new_root:
            raise RootMismatchError(new_size, new_root, old_root)
        return
    _check_proof(proof, consistency_proof_length(old_size, new_size))

    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if fr != old_root:
        raise RootMismatchError(old_size, old_root, fr)
    if sr != new_root:
        raise RootMismatchError(new_size, new_root, sr)
