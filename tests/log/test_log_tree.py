"""The stored-node tree equals the reference for every size, in one batched read per proof."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.errors import InvalidInput
from deconflict.log import merkle
from deconflict.log.errors import HashSizeError
from deconflict.log.tree import MemoryNodeStore, MerkleTree, NodeKey

LEAVES = [merkle.leaf_hash(f"entry {i}".encode()) for i in range(64)]


class CountingStore:
    """A `NodeStore` over a dict, counting reads as a SQL table `(level, idx, hash)` would."""

    def __init__(self) -> None:
        self.nodes: dict[NodeKey, bytes] = {}
        self.reads: list[int] = []
        self.size_queries = 0

    def size(self) -> int:
        self.size_queries += 1
        return sum(1 for level, _ in self.nodes if level == 0)

    def get_many(self, keys: Sequence[NodeKey]) -> list[bytes]:
        self.reads.append(len(keys))
        return [self.nodes[key] for key in keys]

    def put_many(self, items: Sequence[tuple[int, int, bytes]]) -> None:
        for level, index, node in items:
            assert (level, index) not in self.nodes, "nodes are written once"
            self.nodes[(level, index)] = node


def _build(store: MemoryNodeStore | CountingStore, batches: Sequence[int]) -> MerkleTree:
    tree = MerkleTree(store)
    done = 0
    for b in batches:
        assert tree.append(LEAVES[done : done + b]) == done + b
        done += b
    return tree


@pytest.mark.parametrize("batches", [[1] * 64, [64], [3, 5, 7, 1, 16, 32], [2, 1, 61]])
def test_roots_and_proofs_equal_the_reference_for_every_size_up_to_64(batches: list[int]) -> None:
    tree = _build(MemoryNodeStore(), batches)
    assert tree.size() == 64
    for n in range(65):
        assert tree.root(n) == merkle.root_hash(LEAVES[:n])
        for m in range(n):
            assert tree.inclusion_proof(m, n) == merkle.inclusion_proof(LEAVES[:n], m)
        for m in range(1, n + 1):
            assert tree.consistency_proof(m, n) == merkle.consistency_proof(LEAVES[:n], m)


def test_the_store_holds_exactly_the_complete_subtrees() -> None:
    store = CountingStore()
    _build(store, [5, 9, 1, 22])
    n = 37
    want = {(level, i) for level in range(6) for i in range(n >> level)}
    assert set(store.nodes) == want
    for level, i in want:
        width = 1 << level
        assert store.nodes[(level, i)] == merkle.root_hash(LEAVES[i * width : (i + 1) * width])


def test_each_proof_is_one_query_for_logarithmically_many_nodes() -> None:
    store = CountingStore()
    tree = _build(store, [64])
    for n in range(1, 65):
        bound = 2 * n.bit_length()
        for m in range(n):
            store.reads.clear()
            store.size_queries = 0
            proof = tree.inclusion_proof(m, n)
            queries = len(store.reads) + store.size_queries
            assert queries == 1
            assert sum(store.reads) <= bound
            assert len(store.reads) == (1 if proof else 0)
        for m in range(1, n):
            store.reads.clear()
            store.size_queries = 0
            tree.consistency_proof(m, n)
            assert (store.reads, store.size_queries) == ([store.reads[0]], 0)
            assert store.reads[0] <= bound
        store.reads.clear()
        tree.root(n)
        assert store.reads == [n.bit_count()]


def test_appending_reads_only_the_right_border() -> None:
    store = CountingStore()
    tree = _build(store, [11])
    store.reads.clear()
    tree.append(LEAVES[11:20])
    assert store.reads == [(11).bit_count()]


@settings(max_examples=60)
@given(st.lists(st.integers(1, 12), min_size=1, max_size=12))
def test_any_batching_stores_the_same_nodes(batches: list[int]) -> None:
    total = min(sum(batches), 64)
    clipped: list[int] = []
    for b in batches:
        b = min(b, total - sum(clipped))
        if b:
            clipped.append(b)
    batched, single = CountingStore(), CountingStore()
    _build(batched, clipped)
    _build(single, [1] * total)
    assert batched.nodes == single.nodes
    assert MerkleTree(batched).root() == merkle.root_hash(LEAVES[:total])


@settings(max_examples=100)
@given(st.integers(1, 64).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))))
def test_tree_proofs_verify_against_tree_roots(pair: tuple[int, int]) -> None:
    n, m = pair
    tree = _build(MemoryNodeStore(), [64])
    merkle.verify_inclusion(LEAVES[m], m, n, tree.inclusion_proof(m, n), tree.root(n))
    if m:
        proof = tree.consistency_proof(m, n)
        merkle.verify_consistency(m, n, tree.root(m), tree.root(n), proof)


def test_empty_tree() -> None:
    tree = MerkleTree(MemoryNodeStore())
    assert tree.size() == 0
    assert tree.root() == merkle.EMPTY_ROOT
    assert tree.append([]) == 0


@pytest.mark.parametrize(
    ("call", "pointer"),
    [
        (lambda t: t.root(6), "/size"),
        (lambda t: t.root(-1), "/size"),
        (lambda t: t.inclusion_proof(0, 6), "/size"),
        (lambda t: t.inclusion_proof(5, 5), "/index"),
        (lambda t: t.consistency_proof(1, 6), "/new_size"),
        (lambda t: t.consistency_proof(0, 5), "/old_size"),
        (lambda t: t.consistency_proof(4, 3), "/old_size"),
    ],
)
def test_out_of_range_requests_are_refused(call: object, pointer: str) -> None:
    tree = _build(MemoryNodeStore(), [5])
    with pytest.raises(InvalidInput) as exc:
        call(tree)  # type: ignore[operator]
    assert exc.value.errors[0].pointer == pointer


def test_trivial_proofs_still_check_the_size() -> None:
    tree = MerkleTree(MemoryNodeStore())
    with pytest.raises(InvalidInput):
        tree.inclusion_proof(0, 1)
    with pytest.raises(InvalidInput):
        tree.consistency_proof(2, 2)
    tree.append(LEAVES[:2])
    assert tree.inclusion_proof(0, 1) == []
    assert tree.consistency_proof(2, 2) == []


def test_a_store_missing_nodes_is_not_mistaken_for_a_short_tree() -> None:
    store = CountingStore()
    tree = _build(store, [8])
    del store.nodes[(1, 1)]
    with pytest.raises(LookupError, match="missing nodes"):
        tree.inclusion_proof(0, 8)


def test_bad_leaf_hashes_are_refused_before_anything_is_stored() -> None:
    store = MemoryNodeStore()
    with pytest.raises(HashSizeError):
        MerkleTree(store).append([LEAVES[0], b"short"])
    assert store.size() == 0


def test_memory_store_is_append_only_and_reports_missing_nodes() -> None:
    store = MemoryNodeStore()
    store.put_many([(0, 0, LEAVES[0])])
    with pytest.raises(ValueError, match="not next"):
        store.put_many([(0, 2, LEAVES[2])])
    with pytest.raises(KeyError):
        store.get_many([(0, 1)])
    with pytest.raises(KeyError):
        store.get_many([(3, 0)])
    assert store.get_many([(0, 0)]) == [LEAVES[0]]
