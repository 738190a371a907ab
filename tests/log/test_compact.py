"""Compact ranges give the reference root for every size and every way of splitting the appends,
and any changed, dropped or reordered leaf changes that root."""

from __future__ import annotations

import base64
import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.errors import InvalidInput
from deconflict.log import merkle
from deconflict.log.compact import CompactRange
from deconflict.log.errors import HashSizeError

LEAVES = [merkle.leaf_hash(f"entry {i}".encode()) for i in range(64)]


def covering_roots(n: int) -> tuple[bytes, ...]:
    """The complete subtrees covering [0, n), largest first, hashed by the reference: one per set
    bit of n, from the highest."""
    roots, lo = [], 0
    for bit in reversed(range(n.bit_length())):
        if n >> bit & 1:
            roots.append(merkle.root_hash(LEAVES[lo : lo + (1 << bit)]))
            lo += 1 << bit
    return tuple(roots)


@pytest.mark.parametrize("n", range(65))
def test_every_size_up_to_64_has_the_reference_root_and_border(n: int) -> None:
    grown = CompactRange().append(LEAVES[:n])
    assert grown.size == n
    assert grown.hashes == covering_roots(n)
    assert grown.root() == merkle.root_hash(LEAVES[:n])


def test_the_empty_range_has_the_empty_root() -> None:
    assert CompactRange().root() == merkle.EMPTY_ROOT == merkle.root_hash([])
    assert CompactRange().append([]) == CompactRange()


@settings(max_examples=200)
@given(cuts=st.lists(st.integers(0, 64), max_size=8))
def test_appending_in_any_pieces_is_appending_at_once(cuts: list[int]) -> None:
    bounds = sorted({0, 64, *cuts})
    grown = CompactRange()
    for lo, hi in itertools.pairwise(bounds):
        grown = grown.append(LEAVES[lo:hi])
        assert grown.root() == merkle.root_hash(LEAVES[:hi])
    assert grown == CompactRange().append(LEAVES)


@settings(max_examples=200)
@given(data=st.data())
def test_a_changed_or_reordered_new_leaf_changes_the_root(data: st.DataObject) -> None:
    old = data.draw(st.integers(0, 63), label="old")
    new = data.draw(st.integers(old + 1, 64), label="new")
    base = CompactRange().append(LEAVES[:old])
    index = data.draw(st.integers(old, new - 1), label="index")
    changed = list(LEAVES[old:new])
    how = data.draw(st.sampled_from(["flip", "swap", "drop"]), label="how")
    if how == "flip":
        leaf = changed[index - old]
        changed[index - old] = bytes([leaf[0] ^ 1]) + leaf[1:]
    elif how == "swap" and index + 1 < new:
        changed[index - old], changed[index - old + 1] = (
            changed[index - old + 1],
            changed[index - old],
        )
    else:
        del changed[index - old]
        changed.append(merkle.leaf_hash(b"another entry"))
    assert base.append(changed).root() != merkle.root_hash(LEAVES[:new])


@settings(max_examples=200)
@given(old=st.integers(1, 63), index=st.integers(0, 62))
def test_a_range_from_another_history_cannot_reach_the_root(old: int, index: int) -> None:
    index %= old
    history = list(LEAVES[:old])
    history[index] = merkle.leaf_hash(b"rewritten")
    forked = CompactRange().append(history)
    assert forked.append(LEAVES[old:]).root() != merkle.root_hash(LEAVES)


@pytest.mark.parametrize("n", [0, 1, 5, 37, 64])
def test_json_round_trips(n: int) -> None:
    grown = CompactRange().append(LEAVES[:n])
    assert CompactRange.from_json(grown.to_json()) == grown
    assert grown.to_json()["hashes"] == [base64.b64encode(h).decode() for h in covering_roots(n)]


B64 = base64.b64encode(LEAVES[0]).decode()
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# The last character of 32 bytes in base64 carries 2 unused bits: setting one still decodes.
LOOSE = B64[:42] + ALPHABET[ALPHABET.index(B64[42]) | 1] + "="
BAD_DOCS: list[tuple[str, Any, str]] = [
    ("not an object", [1, 2], ""),
    ("size missing", {"hashes": []}, "/size"),
    ("size a string", {"size": "1", "hashes": [B64]}, "/size"),
    ("size a bool", {"size": True, "hashes": [B64]}, "/size"),
    ("negative size", {"size": -1, "hashes": []}, "/size"),
    ("hashes missing", {"size": 0}, "/hashes"),
    ("too few hashes", {"size": 3, "hashes": [B64]}, "/hashes"),
    ("too many hashes", {"size": 4, "hashes": [B64, B64]}, "/hashes"),
    ("not base64", {"size": 1, "hashes": ["!!"]}, "/hashes/0"),
    ("not a string", {"size": 1, "hashes": [7]}, "/hashes/0"),
    ("not canonical", {"size": 1, "hashes": [LOOSE]}, "/hashes/0"),
]


@pytest.mark.parametrize(
    ("doc", "pointer"), [d[1:] for d in BAD_DOCS], ids=[d[0] for d in BAD_DOCS]
)
def test_malformed_json_is_refused_with_its_place(doc: Any, pointer: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        CompactRange.from_json(doc)
    assert [e.pointer for e in refused.value.errors] == [pointer]


def test_hashes_that_are_not_32_bytes_are_refused() -> None:
    with pytest.raises(HashSizeError) as border:
        CompactRange(1, (b"\x00" * 31,))
    assert (border.value.what, border.value.size) == ("hashes[0]", 31)
    with pytest.raises(HashSizeError) as leaf:
        CompactRange().append([LEAVES[0], b"\x00" * 33])
    assert (leaf.value.what, leaf.value.size) == ("leaf_hashes[1]", 33)
    short = base64.b64encode(b"\x00" * 31).decode()
    with pytest.raises(HashSizeError):
        CompactRange.from_json({"size": 1, "hashes": [short]})
