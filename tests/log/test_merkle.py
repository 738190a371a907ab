"""The RFC 9162 reference: pinned hashes, published and generated vectors, properties."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.errors import DeconflictError, InvalidInput
from deconflict.log.errors import (
    HashSizeError,
    ProofError,
    ProofLengthError,
    ProofRangeError,
    RootMismatchError,
)
from deconflict.log.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    consistency_proof_length,
    inclusion_proof,
    inclusion_proof_length,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).parent / "vectors"
PUBLISHED = json.loads((VECTORS / "transparency_dev.json").read_text())
PUBLISHED_LEAVES = [leaf_hash(bytes.fromhex(x)) for x in PUBLISHED["leaves"]]


def _load(name: str) -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads((VECTORS / name).read_text())
    return vectors


INCLUSION = _load("inclusion.json")
CONSISTENCY = _load("consistency.json")


def _hashes(hexes: list[str]) -> list[bytes]:
    return [bytes.fromhex(h) for h in hexes]


def _leaves(n: int) -> list[bytes]:
    return [leaf_hash(f"entry {i}".encode()) for i in range(n)]


def _flip(h: bytes) -> bytes:
    return bytes([h[0] ^ 1]) + h[1:]


# Each pinned value is reproduced by the shell command beside it (from transparency-dev/merkle
# rfc6962/rfc6962_test.go).
EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # echo -n | sha256sum
PINNED = [
    ("empty root", EMPTY_ROOT, EMPTY),
    ("root of no leaves", root_hash([]), EMPTY),
    (  # echo -n 00 | xxd -r -p | sha256sum
        "empty leaf",
        leaf_hash(b""),
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    ),
    (  # echo -n 004C313233343536 | xxd -r -p | sha256sum
        "leaf",
        leaf_hash(b"L123456"),
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56",
    ),
    (  # echo -n 014E3132334E343536 | xxd -r -p | sha256sum
        "node",
        node_hash(b"N123", b"N456"),
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb",
    ),
]


@pytest.mark.parametrize(("desc", "got", "want"), PINNED)
def test_hashes_match_pinned_values(desc: str, got: bytes, want: str) -> None:
    assert got.hex() == want, desc


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_published_tree(size: int) -> None:
    assert root_hash(PUBLISHED_LEAVES[:size]).hex() == PUBLISHED["roots"][size - 1]


@pytest.mark.parametrize(
    "v", PUBLISHED["inclusion"], ids=lambda v: f"{v['leaf_index']}/{v['tree_size']}"
)
def test_inclusion_proofs_match_the_published_tree(v: dict[str, Any]) -> None:
    index, size = v["leaf_index"], v["tree_size"]
    proof = inclusion_proof(PUBLISHED_LEAVES[:size], index)
    assert [p.hex() for p in proof] == v["proof"]
    root = bytes.fromhex(PUBLISHED["roots"][size - 1])
    verify_inclusion(PUBLISHED_LEAVES[index], index, size, proof, root)


@pytest.mark.parametrize(
    "v", PUBLISHED["consistency"], ids=lambda v: f"{v['old_size']}-{v['new_size']}"
)
def test_consistency_proofs_match_the_published_tree(v: dict[str, Any]) -> None:
    old, new = v["old_size"], v["new_size"]
    proof = consistency_proof(PUBLISHED_LEAVES[:new], old)
    assert [p.hex() for p in proof] == v["proof"]
    roots = PUBLISHED["roots"]
    verify_consistency(
        old, new, bytes.fromhex(roots[old - 1]), bytes.fromhex(roots[new - 1]), proof
    )


def test_vector_files_hold_every_vector() -> None:
    # Counts written by tests/log/vectors/make_vectors.py; a loader that finds nothing fails here.
    assert (len(INCLUSION), sum(not v["want_err"] for v in INCLUSION)) == (300, 36)
    assert (len(CONSISTENCY), sum(not v["want_err"] for v in CONSISTENCY)) == (249, 36)


@pytest.mark.parametrize("v", INCLUSION, ids=lambda v: v["desc"])
def test_inclusion_vectors(v: dict[str, Any]) -> None:
    args = (
        bytes.fromhex(v["leaf_hash"]),
        v["leaf_index"],
        v["tree_size"],
        _hashes(v["proof"]),
        bytes.fromhex(v["root"]),
    )
    if v["want_err"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)
        leaves = PUBLISHED_LEAVES[: v["tree_size"]]
        assert inclusion_proof(leaves, v["leaf_index"]) == _hashes(v["proof"])


@pytest.mark.parametrize("v", CONSISTENCY, ids=lambda v: v["desc"])
def test_consistency_vectors(v: dict[str, Any]) -> None:
    args = (
        v["old_size"],
        v["new_size"],
        bytes.fromhex(v["old_root"]),
        bytes.fromhex(v["new_root"]),
        _hashes(v["proof"]),
    )
    if v["want_err"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)
        leaves = PUBLISHED_LEAVES[: v["new_size"]]
        assert consistency_proof(leaves, v["old_size"]) == _hashes(v["proof"])


def test_every_proof_up_to_64_leaves_verifies_and_every_corruption_fails() -> None:
    leaves = _leaves(64)
    roots = [root_hash(leaves[:n]) for n in range(65)]
    checked = 0
    for n in range(1, 65):
        for m in range(n):
            proof = inclusion_proof(leaves[:n], m)
            assert len(proof) == inclusion_proof_length(m, n)
            verify_inclusion(leaves[m], m, n, proof, roots[n])
            for i in range(len(proof)):
                bad = [_flip(p) if j == i else p for j, p in enumerate(proof)]
                with pytest.raises(RootMismatchError):
                    verify_inclusion(leaves[m], m, n, bad, roots[n])
            for other in {m - 1, m + 1, m ^ 1} - {m}:
                with pytest.raises(ProofError):
                    verify_inclusion(leaves[m], other, n, proof, roots[n])
            checked += 1
        for m in range(1, n + 1):
            proof = consistency_proof(leaves[:n], m)
            if m < n:
                assert len(proof) == consistency_proof_length(m, n)
            verify_consistency(m, n, roots[m], roots[n], proof)
            for i in range(len(proof)):
                bad = [_flip(p) if j == i else p for j, p in enumerate(proof)]
                with pytest.raises(RootMismatchError):
                    verify_consistency(m, n, roots[m], roots[n], bad)
            checked += 1
    assert checked == 2 * (64 * 65 // 2)


def test_a_proof_alone_does_not_bind_the_tree_size() -> None:
    # The path of leaf 0 in a 3-leaf tree is also a well-formed path in a 4-leaf tree, so it
    # verifies for size 4 against the size-3 root: only a signed checkpoint pins the size.
    leaves = _leaves(3)
    proof = inclusion_proof(leaves, 0)
    verify_inclusion(leaves[0], 0, 3, proof, root_hash(leaves))
    verify_inclusion(leaves[0], 0, 4, proof, root_hash(leaves))
    consistency = consistency_proof(leaves, 2)
    verify_consistency(2, 4, root_hash(leaves[:2]), root_hash(leaves), consistency)


trees = st.integers(min_value=1, max_value=300).flatmap(
    lambda n: st.tuples(st.just(n), st.integers(0, n - 1), st.integers(1, n))
)


@settings(max_examples=150)
@given(trees, st.data())
def test_random_inclusion_proofs_verify_and_alterations_fail(
    tree: tuple[int, int, int], data: st.DataObject
) -> None:
    n, m, _ = tree
    leaves = _leaves(n)
    root = root_hash(leaves)
    proof = inclusion_proof(leaves, m)
    verify_inclusion(leaves[m], m, n, proof, root)
    with pytest.raises(RootMismatchError):
        verify_inclusion(_flip(leaves[m]), m, n, proof, root)
    with pytest.raises(RootMismatchError):
        verify_inclusion(leaves[m], m, n, proof, _flip(root))
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        bad = [_flip(p) if j == i else p for j, p in enumerate(proof)]
        with pytest.raises(RootMismatchError):
            verify_inclusion(leaves[m], m, n, bad, root)
        with pytest.raises(ProofLengthError):
            verify_inclusion(leaves[m], m, n, proof[:-1], root)
    with pytest.raises(ProofLengthError):
        verify_inclusion(leaves[m], m, n, [*proof, root], root)
    other = data.draw(st.integers(0, n - 1).filter(lambda i: i != m)) if n > 1 else None
    if other is not None:
        with pytest.raises(ProofError):
            verify_inclusion(leaves[m], other, n, proof, root)


@settings(max_examples=150)
@given(trees, st.data())
def test_random_consistency_proofs_verify_and_alterations_fail(
    tree: tuple[int, int, int], data: st.DataObject
) -> None:
    n, _, old = tree
    leaves = _leaves(n)
    old_root, new_root = root_hash(leaves[:old]), root_hash(leaves)
    proof = consistency_proof(leaves, old)
    verify_consistency(old, n, old_root, new_root, proof)
    with pytest.raises(RootMismatchError):
        verify_consistency(old, n, _flip(old_root), new_root, proof)
    with pytest.raises(RootMismatchError):
        verify_consistency(old, n, old_root, _flip(new_root), proof)
    with pytest.raises(ProofLengthError):
        verify_consistency(old, n, old_root, new_root, [*proof, new_root])
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        bad = [_flip(p) if j == i else p for j, p in enumerate(proof)]
        with pytest.raises(RootMismatchError):
            verify_consistency(old, n, old_root, new_root, bad)
        with pytest.raises(ProofLengthError):
            verify_consistency(old, n, old_root, new_root, proof[:-1])


def test_errors_carry_the_values_that_failed() -> None:
    leaves = _leaves(5)
    root = root_hash(leaves)
    proof = inclusion_proof(leaves, 1)
    with pytest.raises(RootMismatchError) as mismatch:
        verify_inclusion(leaves[2], 1, 5, proof, root)
    assert (mismatch.value.size, mismatch.value.expected) == (5, root)
    assert mismatch.value.computed != root
    with pytest.raises(ProofLengthError) as length:
        verify_inclusion(leaves[1], 1, 5, proof[:1], root)
    assert (length.value.expected, length.value.got) == (3, 1)
    with pytest.raises(HashSizeError) as size:
        verify_inclusion(leaves[1][:20], 1, 5, proof, root)
    assert size.value.size == 20
    with pytest.raises(ProofRangeError) as out:
        verify_inclusion(leaves[1], 5, 5, proof, root)
    assert out.value.values == {"index": 5, "tree_size": 5}
    with pytest.raises(ProofRangeError) as empty:
        verify_consistency(0, 5, EMPTY_ROOT, root, [])
    assert empty.value.values == {"old_size": 0, "new_size": 5}
    assert isinstance(empty.value, DeconflictError)


def test_equal_sizes_need_an_empty_proof_and_equal_roots() -> None:
    leaves = _leaves(6)
    root = root_hash(leaves)
    verify_consistency(6, 6, root, root, [])
    with pytest.raises(ProofLengthError):
        verify_consistency(6, 6, root, root, [root])
    with pytest.raises(RootMismatchError):
        verify_consistency(6, 6, root, _flip(root), [])


@pytest.mark.parametrize(
    ("call", "pointer"),
    [
        (lambda: inclusion_proof(_leaves(3), 3), "/index"),
        (lambda: inclusion_proof(_leaves(3), -1), "/index"),
        (lambda: inclusion_proof([], 0), "/index"),
        (lambda: consistency_proof(_leaves(3), 0), "/old_size"),
        (lambda: consistency_proof(_leaves(3), 4), "/old_size"),
    ],
)
def test_proof_generation_refuses_out_of_range_arguments(call: Any, pointer: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        call()
    assert exc.value.errors[0].pointer == pointer


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert node_hash(a, b) != leaf_hash(a + b)
    assert node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()
    assert node_hash(a, b) != node_hash(b, a)
