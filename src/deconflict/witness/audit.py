"""What a witness decides, without I/O: may it co-sign the checkpoint the log shows it?

`trust_log_key` settles the log key: the one given must be the one the state pinned, if any.
`audit_checkpoint` judges one signed checkpoint (RFC 9162 §2.1, C2SP tlog-checkpoint):

1. it must verify under the log key, with the key's name as origin (else `WitnessError`);
2. a tree smaller than the one co-signed last, or the same size with another root, is a split
   view;
3. the new leaf hashes [old size, new size), appended to the compact range kept at the old size,
   must give the signed root: that proves every new leaf is in the new tree at its index and
   that the new tree extends the co-signed one. Each entry that concerns the party must hash to
   the leaf at its index and be well-formed. If the root differs, a consistency proof tells a
   split view from leaves served wrongly. A state kept before compact ranges is rebuilt first;
   every entry a new entry cites (a notice disclosed to the party after the witness co-signed
   past it) must be shown to the party and proven in the new tree by its audit path;
4. every other party's newest co-signed checkpoint must be consistent with this one (by a
   consistency proof), else it is a split view; a view that does not verify, or lacks its
   party's cosignature, is only a warning.

It reads through `deconflict.witness.served.Served` only what its decisions need. Nothing here
does I/O, reads a clock or logs.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from deconflict.errors import DeconflictError
from deconflict.log import (
    Checkpoint,
    CompactRange,
    Ed25519Verifier,
    leaf_hash,
    open_checkpoint,
    parse_entry,
    verify_consistency,
    verify_inclusion,
)
from deconflict.witness.errors import WitnessError
from deconflict.witness.served import ProofRefusal, Served, ServedEntry
from deconflict.witness.state import WitnessState

__all__ = ["Cosign", "Finding", "Refuse", "Shown", "Verdict", "audit_checkpoint", "trust_log_key"]


@dataclass(frozen=True, slots=True)
class Shown:
    """The signed checkpoint `note` the log shows the witness of `party_id`, with what the
    witness remembers and the log key it trusts (see `trust_log_key`)."""

    party_id: str
    state: WitnessState
    log_key: Ed25519Verifier
    note: str


@dataclass(frozen=True, slots=True)
class Finding:
    """Something the log must not do: `kind` is "split-view" (two signed checkpoints that cannot
    both be true), "bad-entry" (an entry shown to the party that the checkpoint does not hold) or
    "bad-leaves" (leaf hashes that do not give the signed root, while the log's checkpoints
    agree). `ours` and `theirs` are the two texts to keep as evidence."""

    kind: str
    detail: str
    ours: str
    theirs: str


@dataclass(frozen=True, slots=True)
class Cosign:
    """Co-sign `checkpoint`, then keep `compact_range`, the border of its verified tree."""

    checkpoint: Checkpoint
    compact_range: CompactRange
    entries_checked: int = 0
    leaves_audited: int = 0
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Refuse:
    """Do not co-sign `checkpoint`, for the `findings` (at least one)."""

    checkpoint: Checkpoint
    findings: tuple[Finding, ...]
    entries_checked: int = 0
    leaves_audited: int = 0
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.findings:
            raise ValueError("a refusal needs at least one finding")


Verdict = Cosign | Refuse
"""What the audit decided, with the entries it checked, the leaves it folded in, and warnings
about peers' views that counted for nothing."""


def trust_log_key(vkey: str, pinned: str | None) -> Ed25519Verifier:
    """The verifier of the log key `vkey`, which must be the key `pinned` by the state, if any."""
    try:
        verifier = Ed25519Verifier.from_vkey(vkey)
    except DeconflictError as exc:
        raise WitnessError(f"log key {vkey!r}: {exc.detail}") from None
    if pinned is not None and Ed25519Verifier.from_vkey(pinned) != verifier:
        raise WitnessError(
            f"the log key given ({verifier.vkey()}) is not the one this state pinned "
            f"({pinned}); use another state directory for another log"
        )
    return verifier


def audit_checkpoint(shown: Shown, served: Served) -> Verdict:
    """Whether to co-sign the checkpoint shown; `WitnessError` if it cannot be decided."""
    checkpoint = _open(shown)
    state = shown.state
    if state.checkpoint is not None:
        problem = _shrunk(state.size, state.root, checkpoint.size, checkpoint.root)
        if problem is not None:
            split = _history_split(shown, state.checkpoint, checkpoint, problem)
            return Refuse(checkpoint, (split,))
    own = _audit_leaves(shown, checkpoint, served)
    if isinstance(own, Refuse):
        return own
    findings, warnings = _cross_check(shown, checkpoint, served)
    if findings:
        return Refuse(checkpoint, findings, own.entries_checked, own.leaves_audited, warnings)
    return replace(own, warnings=warnings)


def _open(shown: Shown) -> Checkpoint:
    key = shown.log_key
    try:
        return open_checkpoint(shown.note, key, origin=key.name).checkpoint
    except DeconflictError as exc:
        raise WitnessError(
            f"the latest checkpoint does not verify under {key.vkey()}: {exc.detail}"
        ) from None


def _shrunk(old_size: int, old_root: bytes, new_size: int, new_root: bytes) -> str | None:
    """Why (new_size, new_root) cannot extend (old_size, old_root), seen without a proof."""
    if new_size < old_size:
        return f"size {new_size} is smaller than {old_size}"
    if new_size == old_size and new_root != old_root:
        return "same size, different root"
    return None


def _inconsistency(
    served: Served, old_size: int, old_root: bytes, new_size: int, new_root: bytes
) -> str | None:
    """Why a tree of (old_size, old_root) cannot be a prefix of (new_size, new_root); None if it
    is, by a proof the service serves when the sizes differ."""
    problem = _shrunk(old_size, old_root, new_size, new_root)
    if problem is not None or new_size == old_size:
        return problem
    proof = served.consistency(old_size, new_size)
    if isinstance(proof, ProofRefusal):
        return f"the service refuses to prove consistency: {proof.detail}"
    try:
        verify_consistency(old_size, new_size, old_root, new_root, proof)
    except DeconflictError as exc:
        return f"consistency proof fails: {exc.detail}"
    return None


def _history_split(shown: Shown, cosigned: str, new: Checkpoint, problem: str) -> Finding:
    detail = (
        f"the log's checkpoint of size {new.size} is inconsistent with size {shown.state.size} "
        f"that {shown.party_id} co-signed before: {problem}"
    )
    return Finding("split-view", detail, cosigned, shown.note)


def _audit_leaves(shown: Shown, checkpoint: Checkpoint, served: Served) -> Verdict:
    """Grow the compact range co-signed last to the checkpoint's size from the served leaf
    hashes, checking the party's entries on the way; the range must give the signed root."""
    state = shown.state
    base = state.compact_range
    if base is None:
        base = CompactRange()
        if state.checkpoint is not None:
            pages = served.leaf_pages(0, state.size)
            rebuilt, _, _ = _fold(base, state.size, pages, iter(()))
            if rebuilt.root() != state.root:
                return _leaves_problem(shown, checkpoint, rebuilt, state.root, served)
            base = rebuilt
    shown_entries: list[ServedEntry] = []
    entries = _kept(served.entries(base.size, checkpoint.size), shown_entries)
    pages = served.leaf_pages(base.size, checkpoint.size)
    grown, checked, bad = _fold(base, checkpoint.size, pages, entries)
    audited = grown.size - base.size
    if grown.root() != checkpoint.root:
        refusal = _leaves_problem(shown, checkpoint, grown, checkpoint.root, served)
        return replace(refusal, leaves_audited=audited)
    if bad is None:
        bad = _cited_problem(checkpoint, served, shown_entries)
    if bad is not None:
        entry, problem = bad
        detail = (
            f"entry {entry.index} is not in the checkpoint of size {checkpoint.size}: {problem}"
        )
        data = base64.b64encode(entry.data).decode()
        record = json.dumps({"index": entry.index, "entry": data, "leaf": entry.leaf_hash})
        finding = Finding("bad-entry", detail, shown.note, record)
        return Refuse(checkpoint, (finding,), checked, audited)
    return Cosign(checkpoint, grown, checked, audited)


def _leaves_problem(
    shown: Shown, checkpoint: Checkpoint, grown: CompactRange, want: bytes, served: Served
) -> Refuse:
    """The leaf hashes do not give the signed root `want`: a split view if the log cannot
    prove the checkpoint extends the one co-signed last, else leaves served wrongly."""
    found = (
        f"the leaf hashes served for [0, {grown.size}) give root "
        f"{grown.root().hex()}, not the signed {want.hex()}"
    )
    state = shown.state
    if state.checkpoint is not None:
        problem = _inconsistency(served, state.size, state.root, checkpoint.size, checkpoint.root)
        if problem is not None:
            split = _history_split(shown, state.checkpoint, checkpoint, f"{problem}; and {found}")
            return Refuse(checkpoint, (split,))
    detail = f"the checkpoint of size {checkpoint.size} cannot be audited: {found}"
    record = json.dumps({"size": grown.size, "root": base64.b64encode(grown.root()).decode()})
    return Refuse(checkpoint, (Finding("bad-leaves", detail, shown.note, record),))


def _fold(
    base: CompactRange,
    end: int,
    pages: Iterable[Sequence[bytes]],
    entries: Iterator[ServedEntry],
) -> tuple[CompactRange, int, tuple[ServedEntry, str] | None]:
    """`base` grown by the leaf pages up to `end`; how many entries it compared with their
    leaves on the way, and the first that differs with what is wrong. The first entry is read
    before the first page, and each next one as soon as the last is checked. Nothing is proven
    until the grown range's root is compared with a signed one."""
    entry = next(entries, None)
    grown, checked, bad = base, 0, None
    for hashes in pages:
        start = grown.size
        grown = grown.append(hashes)
        while entry is not None and entry.index < grown.size:
            if entry.index < start:
                raise WitnessError(f"entry {entry.index} was served after leaf {start}")
            problem = _entry_problem(entry, hashes[entry.index - start])
            if problem is not None and bad is None:
                bad = (entry, problem)
            checked += 1
            entry = next(entries, None)
    if grown.size != end:
        raise WitnessError(
            f"leaves [{base.size}, {end}) were asked for, [{base.size}, {grown.size}) served"
        )
    if entry is not None:
        raise WitnessError(f"entry {entry.index} was served for leaves [{base.size}, {end})")
    return grown, checked, bad


def _kept(entries: Iterable[ServedEntry], into: list[ServedEntry]) -> Iterator[ServedEntry]:
    """The entries as served, each also kept in `into` as it passes."""
    for entry in entries:
        into.append(entry)
        yield entry


def _cited_problem(
    checkpoint: Checkpoint, served: Served, shown: Sequence[ServedEntry]
) -> tuple[ServedEntry, str] | None:
    """The first entry shown this round that cites an entry the party cannot check, with why.

    A disclosure grants the party the notice entry it cites, which may lie below the size the
    witness last co-signed and so was never shown to it: each cited entry outside this round's
    is fetched and proven in the checkpoint by its audit path."""
    seen = {entry.leaf_hash for entry in shown}
    for entry in shown:
        refs = [r for r in parse_entry(entry.data).refs if r not in seen]
        if not refs:
            continue
        found = {c.leaf_hash: c for c in served.cited(entry.index)}
        for ref in refs:
            cited = found.get(ref)
            if cited is None:
                return entry, f"it cites entry {ref}, which the party is not shown"
            problem = _proven(cited, checkpoint, served)
            if problem is not None:
                return entry, f"it cites entry {cited.index}, {problem}"
            seen.add(ref)
    return None


def _proven(cited: ServedEntry, checkpoint: Checkpoint, served: Served) -> str | None:
    """Why the cited entry is not the one at its index in the checkpoint; None if it is."""
    digest = leaf_hash(cited.data)
    if digest.hex() != cited.leaf_hash:
        return f"whose bytes hash to {digest.hex()}, not {cited.leaf_hash}"
    if not 0 <= cited.index < checkpoint.size:
        return f"which lies outside the checkpoint of size {checkpoint.size}"
    proof = served.inclusion(cited.index, checkpoint.size)
    if isinstance(proof, ProofRefusal):
        return f"whose inclusion the service will not prove: {proof.detail}"
    try:
        verify_inclusion(digest, cited.index, checkpoint.size, list(proof), checkpoint.root)
    except DeconflictError as exc:
        return f"whose audit path does not verify: {exc.detail}"
    return None


def _entry_problem(entry: ServedEntry, leaf: bytes) -> str | None:
    """Why an entry is not the leaf `leaf` published at its index; None if it is."""
    digest = leaf_hash(entry.data)
    if digest != leaf or digest.hex() != entry.leaf_hash:
        return f"its hash {digest.hex()} is not the leaf hash {leaf.hex()} published at its index"
    try:
        parse_entry(entry.data)
    except DeconflictError as exc:
        return exc.detail
    return None


def _cross_check(
    shown: Shown, ours: Checkpoint, served: Served
) -> tuple[tuple[Finding, ...], tuple[str, ...]]:
    """Every other party's newest co-signed checkpoint must be consistent with ours: the split
    views found, and the warnings about views that count for nothing."""
    findings: list[Finding] = []
    warnings: list[str] = []
    key = shown.log_key
    for peer in served.peer_views():
        try:
            opened = open_checkpoint(peer.note, key, peer.keys, origin=key.name)
        except DeconflictError as exc:
            warnings.append(f"{peer.party}'s co-signed checkpoint does not verify: {exc.detail}")
            continue
        if not any(c.name == peer.party for c in opened.cosignatures):
            warnings.append(f"the checkpoint served as {peer.party}'s carries no cosignature by it")
            continue
        theirs = opened.checkpoint
        if theirs.size <= ours.size:
            problem = _inconsistency(served, theirs.size, theirs.root, ours.size, ours.root)
        else:
            problem = _inconsistency(served, ours.size, ours.root, theirs.size, theirs.root)
        if problem is not None:
            detail = (
                f"{peer.party} co-signed size {theirs.size}, inconsistent with size {ours.size} "
                f"shown to {shown.party_id}: {problem}"
            )
            findings.append(Finding("split-view", detail, shown.note, peer.note))
    return tuple(findings), tuple(warnings)
