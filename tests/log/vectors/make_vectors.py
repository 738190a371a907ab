"""Write inclusion.json and consistency.json: RFC 9162 proof vectors, valid and corrupted.

Run: .venv/bin/python tests/log/vectors/make_vectors.py

The valid vectors come from the RFC's recursive definitions written out below on the entry data
(MTH §2.1.1, PATH §2.1.3.1, SUBPROOF §2.1.4.1), independently of `deconflict.log`, over the
reference tree in transparency_dev.json (the RFC 6962 test tree); the script first checks that
it reproduces every root and proof published there. The invalid vectors are derived from each
valid one as transparency-dev/merkle's `corruptInclusionProof` / `corruptConsistencyProof` do,
plus the range and hash-size cases our verifiers must also refuse, for the tree sizes in
CORRUPTED_SIZES; each carries `desc` and `want_err`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")
EMPTY_TREE = hashlib.sha256(b"").digest()
CORRUPTED_SIZES = {1, 5, 7}
"""Tree sizes whose valid vectors also get corrupted copies (the tests corrupt every size <= 64)."""


def split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = split(len(d))
    return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()


def path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = split(len(d))
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [mth(d)]
    k = split(len(d))
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


def flip(h: bytes, bit: int) -> bytes:
    return bytes([h[0] ^ bit]) + h[1:]


def inclusion_vector(
    desc: str, index: int, size: int, leaf: bytes, root: bytes, proof: list[bytes], bad: bool
) -> dict[str, Any]:
    return {
        "desc": desc,
        "leaf_index": index,
        "tree_size": size,
        "leaf_hash": leaf.hex(),
        "root": root.hex(),
        "proof": [p.hex() for p in proof],
        "want_err": bad,
    }


def corrupt_inclusion(
    index: int, size: int, leaf: bytes, root: bytes, proof: list[bytes]
) -> list[dict[str, Any]]:
    cases = [
        ("leaf_index - 1", index - 1, size, leaf, root, proof),
        ("leaf_index + 1", index + 1, size, leaf, root, proof),
        ("leaf_index ^ 2", index ^ 2, size, leaf, root, proof),
        ("leaf_index = tree_size", size, size, leaf, root, proof),
        ("tree_size * 2", index, size * 2, leaf, root, proof),
        ("tree_size // 2", index, size // 2, leaf, root, proof),
        ("negative tree_size", index, -size, leaf, root, proof),
        ("wrong leaf", index, size, b"WrongLeaf", root, proof),
        ("leaf hash of 31 bytes", index, size, leaf[:31], root, proof),
        ("empty root", index, size, leaf, EMPTY_TREE, proof),
        ("random root", index, size, leaf, SOME_HASH, proof),
        ("root of 33 bytes", index, size, leaf, root + b"\x00", proof),
        ("trailing garbage", index, size, leaf, root, [*proof, b""]),
        ("trailing root", index, size, leaf, root, [*proof, root]),
        ("preceding garbage", index, size, leaf, root, [b"", *proof]),
        ("preceding root", index, size, leaf, root, [root, *proof]),
    ]
    for i in range(len(proof)):
        modified = [flip(p, 8) if j == i else p for j, p in enumerate(proof)]
        cases.append((f"modified proof[{i}] bit 3", index, size, leaf, root, modified))
    if proof:
        cases.append(("removed component", index, size, leaf, root, proof[:-1]))
    if len(proof) > 1:
        inserted = [proof[0], SOME_HASH, *proof[1:]]
        cases.append(("inserted component", index, size, leaf, root, inserted))
    return [inclusion_vector(*case, bad=True) for case in cases]


def consistency_vector(
    desc: str, old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes], bad: bool
) -> dict[str, Any]:
    return {
        "desc": desc,
        "old_size": old,
        "new_size": new,
        "old_root": old_root.hex(),
        "new_root": new_root.hex(),
        "proof": [p.hex() for p in proof],
        "want_err": bad,
    }


def corrupt_consistency(
    old: int, new: int, r1: bytes, r2: bytes, proof: list[bytes]
) -> list[dict[str, Any]]:
    cases = [
        ("old_size - 1", old - 1, new, r1, r2, proof),
        ("old_size + 1", old + 1, new, r1, r2, proof),
        ("old_size ^ 2", old ^ 2, new, r1, r2, proof),
        ("new_size * 2", old, new * 2, r1, r2, proof),
        ("new_size // 2", old, new // 2, r1, r2, proof),
        ("wrong old root", old, new, b"WrongRoot", r2, proof),
        ("wrong new root", old, new, r1, b"WrongRoot", proof),
        ("random old root", old, new, SOME_HASH, r2, proof),
        ("swapped roots", old, new, r2, r1, proof),
        ("empty proof", old, new, r1, r2, []),
        ("trailing garbage", old, new, r1, r2, [*proof, b""]),
        ("trailing old root", old, new, r1, r2, [*proof, r1]),
        ("trailing new root", old, new, r1, r2, [*proof, r2]),
        ("preceding garbage", old, new, r1, r2, [b"", *proof]),
        ("preceding old root", old, new, r1, r2, [r1, *proof]),
        ("preceding new root", old, new, r1, r2, [r2, *proof]),
        ("preceding proof[0]", old, new, r1, r2, [proof[0], *proof]),
        ("truncated proof", old, new, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        modified = [flip(p, 16) if j == i else p for j, p in enumerate(proof)]
        cases.append((f"modified proof[{i}] bit 4", old, new, r1, r2, modified))
    return [consistency_vector(*case, bad=True) for case in cases]


def main() -> None:
    published = json.loads((HERE / "transparency_dev.json").read_text())
    entries = [bytes.fromhex(x) for x in published["leaves"]]
    for n, root in enumerate(published["roots"], start=1):
        assert mth(entries[:n]).hex() == root, f"root of size {n}"
    for v in published["inclusion"]:
        got = path(v["leaf_index"], entries[: v["tree_size"]])
        assert [p.hex() for p in got] == v["proof"], v
    for v in published["consistency"]:
        got = subproof(v["old_size"], entries[: v["new_size"]], True)
        assert [p.hex() for p in got] == v["proof"], v

    inclusion: list[dict[str, Any]] = []
    consistency: list[dict[str, Any]] = []
    for n in range(1, len(entries) + 1):
        root = mth(entries[:n])
        for m in range(n):
            leaf = mth(entries[m : m + 1])
            proof = path(m, entries[:n])
            desc = f"leaf {m} of {n}"
            inclusion.append(inclusion_vector(desc, m, n, leaf, root, proof, bad=False))
            if n in CORRUPTED_SIZES:
                inclusion.extend(corrupt_inclusion(m, n, leaf, root, proof))
        for m in range(1, n + 1):
            old_root = mth(entries[:m])
            proof = subproof(m, entries[:n], True)
            desc = f"size {m} to {n}"
            consistency.append(consistency_vector(desc, m, n, old_root, root, proof, bad=False))
            if proof and n in CORRUPTED_SIZES:
                consistency.extend(corrupt_consistency(m, n, old_root, root, proof))
    edge = [
        consistency_vector("from size 0", 0, 1, EMPTY_TREE, mth(entries[:1]), [], bad=True),
        consistency_vector("from size 0 to 0", 0, 0, EMPTY_TREE, EMPTY_TREE, [], bad=True),
        consistency_vector("negative old size", -1, 1, EMPTY_TREE, EMPTY_TREE, [], bad=True),
        consistency_vector("old > new", 2, 1, mth(entries[:2]), mth(entries[:1]), [], bad=True),
        consistency_vector(
            "equal sizes, unequal roots", 3, 3, mth(entries[:3]), SOME_HASH, [], bad=True
        ),
        consistency_vector(
            "equal sizes, non-empty proof",
            3,
            3,
            mth(entries[:3]),
            mth(entries[:3]),
            [SOME_HASH],
            bad=True,
        ),
    ]
    consistency.extend(edge)
    for name, vectors in (("inclusion", inclusion), ("consistency", consistency)):
        text = ",\n".join(json.dumps(v) for v in vectors)
        (HERE / f"{name}.json").write_text(f"[\n{text}\n]\n")
        valid = sum(not v["want_err"] for v in vectors)
        print(f"{name}.json: {len(vectors)} vectors, {valid} valid")


if __name__ == "__main__":
    main()
