"""Benchmark a party's witness on a large log: its first round (from nothing) and its next ones.

    .venv/bin/python bench/witness.py            # 100k entries; reference on 5k
    .venv/bin/python bench/witness.py --quick    # 20k entries; reference on 1k (seconds)

The log is built fast by appending entries straight through the service's `append_entries` on
SQLite, one transaction per 10,000; one entry in four concerns party `a` (the witness measured),
the others party `b`, whose witness also co-signs so that `a` cross-checks a peer. The witness
talks to the real API in process (Starlette's TestClient, no sockets).

Measured, in one process:
- `Witness.run_once` for `a`: the first round from an empty state (every leaf hash fetched and
  folded into its compact range, every entry concerning `a` checked against its leaf), the next
  round after the log grew by `--growth` entries, and an idle round (the same checkpoint again);
- the reference: a round written the way the witness worked before compact ranges, with one
  HTTP inclusion proof per entry that concerns the party plus a consistency proof, run on a
  smaller log (`--reference-size`), beside the witness on that same log; its per-entry cost gives
  the extrapolated reference time for the large log.
Answers are checked: both co-sign the checkpoint and check the same entries, and the compact
range the witness keeps has the checkpoint's root (also recomputed with `merkle.root_hash`).
"""

from __future__ import annotations

import argparse
import base64
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

from deconflict.api import create_app
from deconflict.domain import KeyPurpose
from deconflict.log import (
    CompactRange,
    Cosigner,
    Ed25519Verifier,
    LogEntry,
    leaf_hash,
    new_salt,
    open_checkpoint,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from deconflict.service import ADMIN, Caller, Service
from deconflict.storage.log_entries import PendingEntry
from deconflict.witness import StateDir, Witness

T = TypeVar("T")
BATCH = 10_000
OWN_SHARE = 4
"""One entry in OWN_SHARE concerns party `a`."""


class World:
    """A service on a fresh SQLite file with parties a and b, both with cosigning keys."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.service = Service.open(f"sqlite:///{folder / 'deconflict.db'}")
        self.cosigners = {p: Cosigner.generate(p) for p in ("a", "b")}
        self.clients: dict[str, TestClient] = {}
        self.appended = 0
        for party, cosigner in self.cosigners.items():
            _, token = self.service.add_party(ADMIN, party.upper(), party_id=party)
            key = base64.b64encode(cosigner.verifier().public_key).decode()
            self.service.add_key(Caller(party), party, KeyPurpose.COSIGN, key)
            self.clients[party] = TestClient(
                create_app(self.service), headers={"Authorization": f"Bearer {token}"}
            )

    def grow(self, count: int) -> int:
        """Append `count` entries (one in OWN_SHARE concerning `a`) and publish a checkpoint."""
        now = self.service.clock.now()
        for lo in range(0, count, BATCH):
            pending = []
            for i in range(self.appended + lo, self.appended + min(lo + BATCH, count)):
                party = "a" if i % OWN_SHARE == 0 else "b"
                entry = LogEntry("hazard.added", party, now, new_salt(), (), {"hazard_id": i})
                pending.append(PendingEntry(entry, {party}))
            with self.service.context.transaction() as tx:
                tx.entries.append(pending)
        self.appended += count
        self.service.publish_checkpoint(force=True)
        return self.service.log_size()

    def witness(self, party: str, state: str) -> Witness:
        return Witness(self.clients[party], party, self.cosigners[party], self.folder / state)

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
        self.service.close()


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def reference_round(client: TestClient, party: str, old_size: int, old_root: bytes) -> int:
    """The round as it was before compact ranges: a consistency proof from the size co-signed
    last, then every entry that concerns the party, its leaf hash and one inclusion proof each
    over HTTP. Returns the number of entries checked; raises if anything fails to verify."""
    log = Ed25519Verifier.from_vkey(client.get("/log/key").text.strip())
    checkpoint = open_checkpoint(client.get("/log/checkpoint").text, log).checkpoint
    size, root = checkpoint.size, checkpoint.root
    if old_size:
        answer = client.get("/log/proof/consistency", params={"old": old_size, "new": size})
        proof = [base64.b64decode(h) for h in answer.json()["hashes"]]
        verify_consistency(old_size, size, old_root, root, proof)
    checked, cursor = 0, old_size
    while cursor < size:
        page = client.get("/log/entries", params={"start": cursor, "limit": 1000}).json()
        for item in page["items"]:
            index = int(item["index"])
            if index >= size:
                return checked
            leaf = leaf_hash(base64.b64decode(item["entry"]))
            if leaf.hex() != item["leaf_hash"]:
                raise AssertionError(f"entry {index}: leaf hash differs")
            answer = client.get("/log/proof/inclusion", params={"index": index, "size": size})
            proof = [base64.b64decode(h) for h in answer.json()["hashes"]]
            verify_inclusion(leaf, index, size, proof, root)
            checked += 1
        if page["next_start"] is None:
            break
        cursor = int(page["next_start"])
    return checked


def fold_leaves(client: TestClient, size: int) -> CompactRange:
    """Fetch leaf hashes [0, size) in pages as the witness does and fold them into a range."""
    folded = CompactRange()
    for lo in range(0, size, 10_000):
        page = client.get("/log/leaves", params={"start": lo, "end": min(lo + 10_000, size)})
        folded = folded.append([bytes.fromhex(h) for h in page.json()["hashes"]])
    return folded


def concerning(world: World, party: str, start: int, end: int) -> int:
    """How many entries in [start, end) concern `party`, by the service's own reckoning."""
    count, cursor = 0, start
    while True:
        rows = world.service.log_entries(Caller(party), start=cursor, limit=10_000)
        count += sum(1 for i, _ in rows if i < end)
        if len(rows) < 10_000 or rows[-1][0] >= end:
            return count
        cursor = rows[-1][0] + 1


def check_state(world: World, folder: str) -> None:
    """The kept compact range has the co-signed root, and so do all the leaves by the reference."""
    state = StateDir(world.folder / folder).load()
    if state.compact_range is None or state.compact_range.root() != state.root:
        raise AssertionError("the witness kept no compact range with the co-signed root")
    if root_hash(world.service.leaf_hashes(0, state.size)) != state.root:
        raise AssertionError("the co-signed root is not the root of the stored leaves")


def small_log(folder: Path, size: int) -> float:
    """The witness and the per-entry reference on the same small log, from an empty state; the
    reference's cost per entry checked (ms)."""
    world = World(folder)
    try:
        world.grow(size)
        world.witness("b", "b").run_once()
        first, witness_s = timed(world.witness("a", "a").run_once)
        checked, reference_s = timed(lambda: reference_round(world.clients["a"], "a", 0, b""))
        if not first.cosigned or first.entries_checked != checked:
            raise AssertionError(f"witness {first}, reference checked {checked}")
        if checked != concerning(world, "a", 0, world.service.log_size()):
            raise AssertionError("the entries checked are not those that concern the party")
        check_state(world, "a")
        per_entry_ms = reference_s / checked * 1000
        print(f"small log: {world.service.log_size():,} entries, {checked:,} concern party a")
        print(
            f"  reference (one inclusion proof per entry): {reference_s:8.3f} s "
            f"({per_entry_ms:.3f} ms per entry)"
        )
        print(
            f"  witness (compact range):                   {witness_s:8.3f} s "
            f"(reference / witness = {reference_s / witness_s:.1f}x)"
        )
        return per_entry_ms
    finally:
        world.close()


def large_log(folder: Path, size: int, growth: int, reference_ms: float) -> None:
    """The witness's first, next and idle rounds on a large log."""
    world = World(folder)
    try:
        _, build_s = timed(lambda: world.grow(size))
        total = world.service.log_size()
        own = concerning(world, "a", 0, total)
        print(f"large log: {total:,} entries built in {build_s:.1f} s, {own:,} concern party a")
        world.witness("b", "b").run_once()

        witness = world.witness("a", "a")
        first, first_s = timed(witness.run_once)
        if not (first.cosigned and first.size == total and first.entries_checked == own):
            raise AssertionError(f"first round: {first}")
        check_state(world, "a")
        reference_s = reference_ms * own / 1000
        print(
            f"  first round (all {total:,} leaf hashes, {own:,} entries): {first_s:8.3f} s; "
            f"reference extrapolated {reference_s:.1f} s ({reference_s / first_s:.0f}x)"
        )

        size_before = total
        total = world.grow(growth)
        own_new = concerning(world, "a", size_before, total)
        world.witness("b", "b").run_once()
        second, next_s = timed(witness.run_once)
        if not (second.cosigned and second.size == total and second.entries_checked == own_new):
            raise AssertionError(f"next round: {second}")
        check_state(world, "a")
        reference_next_s = reference_ms * own_new / 1000
        print(
            f"  next round (+{growth:,} leaf hashes, {own_new:,} entries):   {next_s:8.3f} s; "
            f"reference extrapolated {reference_next_s:.2f} s"
        )

        idle, idle_s = timed(witness.run_once)
        if not (idle.cosigned and idle.size == total and idle.entries_checked == 0):
            raise AssertionError(f"idle round: {idle}")
        print(f"  idle round (same checkpoint again):          {idle_s:8.3f} s")

        folded, leaves_s = timed(lambda: fold_leaves(world.clients["a"], total))
        if folded.root() != root_hash(world.service.leaf_hashes(0, total)):
            raise AssertionError("the leaf hashes served do not fold to the tree's root")
        print(
            f"  of which leaf hashes alone (fetch {total:,} + fold): {leaves_s:.3f} s "
            f"({leaves_s / total * 1e6:.1f} us per leaf; the rest is the party's entries)"
        )
    finally:
        world.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20k entries, reference on 1k")
    parser.add_argument("--size", type=int, help="entries in the large log")
    parser.add_argument("--growth", type=int, default=1000, help="entries added before round 2")
    parser.add_argument("--reference-size", type=int, help="entries in the reference's log")
    args = parser.parse_args()
    size = args.size or (20_000 if args.quick else 100_000)
    reference_size = args.reference_size or (1_000 if args.quick else 5_000)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "small").mkdir()
        (Path(tmp) / "large").mkdir()
        reference_ms = small_log(Path(tmp) / "small", reference_size)
        large_log(Path(tmp) / "large", size, args.growth, reference_ms)


if __name__ == "__main__":
    main()
