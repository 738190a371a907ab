"""The witness's audit as a table, without HTTP: each row is what the log serves (a real Merkle
tree in memory, and the ways it misbehaves), what the witness remembers, the checkpoint shown,
and the verdict or error expected, with what the audit asked the log for. A generator adds a
refusal for every co-signed row, one new leaf or one of the party's entries altered at a time.

Expected values come from outside the code under test: leaf hashes from hashlib, roots from the
reference `merkle.root_hash`, counts from the histories below (party a's entries are every
third: 0, 3, 6, 9)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest

from deconflict.errors import DeconflictError
from deconflict.log import (
    Checkpoint,
    CompactRange,
    Cosigner,
    Ed25519Signer,
    LogEntry,
    MalformedKeyError,
    MemoryNodeStore,
    MerkleTree,
    add_cosignatures,
    open_checkpoint,
    root_hash,
    sign_checkpoint,
)
from deconflict.witness import (
    Cosign,
    Finding,
    PeerView,
    ProofRefusal,
    Refuse,
    ServedEntry,
    Shown,
    Verdict,
    WitnessError,
    WitnessState,
    audit_checkpoint,
    trust_log_key,
)

T = datetime(2026, 6, 1, 8, tzinfo=UTC)
ORIGIN = "deconflict.test/audit"
LOG = Ed25519Signer.generate(ORIGIN)
LOG_VKEY = LOG.verifier().vkey()
IMPOSTOR = Ed25519Signer.generate(ORIGIN)
"""Another key under the log's name: what it signs is not the log's."""
WITNESSES = {party: Cosigner.generate(party) for party in "abc"}
PAGE = 4
"""Leaf hashes per page served: rounds cross pages, and entries fall on both sides."""


def _entry(i: int, hazard: int | None = None) -> bytes:
    party = "a" if i % 3 == 0 else "b"
    body = {"hazard_id": i if hazard is None else hazard}
    return LogEntry("hazard.added", party, T, bytes([i]) * 16, (), body).canonical()


def _leaf(data: bytes) -> bytes:
    """RFC 9162 leaf hash, written out rather than taken from the code under test."""
    return hashlib.sha256(b"\x00" + data).digest()


MAIN = tuple(_entry(i) for i in range(12))
FORK = MAIN[:5] + tuple(_entry(i, 100 + i) for i in range(5, 12))
"""Another history with MAIN's first five entries, as a log showing a split view keeps."""
GARBLED = (*MAIN[:9], b'{"not": "an entry"}', *MAIN[10:])
MINE = frozenset(range(0, 12, 3))


def _checkpoint(history: tuple[bytes, ...], size: int, origin: str = ORIGIN) -> Checkpoint:
    return Checkpoint(origin, size, root_hash([_leaf(d) for d in history[:size]]))


def note(history: tuple[bytes, ...], size: int, signer: Ed25519Signer = LOG) -> str:
    return sign_checkpoint(_checkpoint(history, size), signer)


def cosigned(history: tuple[bytes, ...], size: int, *by: str, text: str | None = None) -> str:
    """The log's note of `history` at `size` (or `text`), co-signed by the parties `by`."""
    cosignatures = [WITNESSES[p].cosign(_checkpoint(history, size), T) for p in by]
    return add_cosignatures(text or note(history, size), cosignatures)


def remember(history: tuple[bytes, ...], size: int, *, compact: bool = True) -> WitnessState:
    """The state of a's witness after co-signing `history` at `size` (before compact ranges if
    not `compact`)."""
    leaves = [_leaf(d) for d in history[:size]]
    kept = CompactRange().append(leaves) if compact else None
    return WitnessState(LOG_VKEY, cosigned(history, size, "a"), size, root_hash(leaves), kept)


def peer(party: str, text: str) -> PeerView:
    return PeerView(party, (WITNESSES[party].verifier(),), text)


@dataclass(frozen=True)
class Log:
    """What the service serves party a: `history` and its tree, and how it misbehaves."""

    history: tuple[bytes, ...] = MAIN
    flip: frozenset[int] = frozenset()
    """Leaves served with their first byte changed."""
    forge: tuple[tuple[int, bytes], ...] = ()
    """Entries of party a served with other bytes (and those bytes' leaf hash)."""
    claim: tuple[tuple[int, str], ...] = ()
    """Leaf hashes claimed for entries instead of theirs."""
    refuse: bool = False
    peers: tuple[PeerView, ...] = ()
    extra_leaves: int = 0
    """Leaf hashes served beyond those asked for (fewer if negative)."""
    extra_entries: int = 0
    """How far past the end asked for entries are served."""
    backwards: bool = False
    """Entries served in decreasing order."""


class Reader:
    """The audit's `Served` over a `Log` and its real tree, recording each call as the audit
    makes it."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self.reads: list[str] = []
        self.tree = MerkleTree(MemoryNodeStore())
        self.tree.append([_leaf(d) for d in log.history])

    def leaf_pages(self, start: int, end: int) -> list[list[bytes]]:
        self.reads.append(f"leaves {start}-{end}")
        hashes = [_leaf(self.log.history[i]) for i in range(start, end + self.log.extra_leaves)]
        for i in self.log.flip & set(range(start, end)):
            hashes[i - start] = bytes([hashes[i - start][0] ^ 1]) + hashes[i - start][1:]
        return [hashes[lo : lo + PAGE] for lo in range(0, len(hashes), PAGE)]

    def entries(self, start: int, end: int) -> list[ServedEntry]:
        self.reads.append(f"entries {start}-{end}")
        forged, claims = dict(self.log.forge), dict(self.log.claim)
        served = []
        for i in sorted(MINE & set(range(start, end + self.log.extra_entries))):
            data = forged.get(i, self.log.history[i])
            served.append(ServedEntry(i, data, claims.get(i, _leaf(data).hex())))
        return served[::-1] if self.log.backwards else served

    def consistency(self, old: int, new: int) -> tuple[bytes, ...] | ProofRefusal:
        self.reads.append(f"proof {old}-{new}")
        if self.log.refuse:
            return ProofRefusal("GET /log/proof/consistency: HTTP 422: no such size")
        return tuple(self.tree.consistency_proof(old, new))

    def peer_views(self) -> tuple[PeerView, ...]:
        self.reads.append("peers")
        return self.log.peers


EMPTY = WitnessState()
HONEST = Log()


@dataclass(frozen=True)
class Want:
    """A verdict: its type, counts, findings (kind, regex searched in the detail), warnings
    (regexes) and the calls the audit made, in order."""

    verdict: type[Cosign | Refuse]
    checked: int = 0
    audited: int = 0
    findings: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()


@dataclass(frozen=True)
class Fails:
    """No verdict: the error raised, and a regex its message matches."""

    error: type[DeconflictError]
    match: str


@dataclass(frozen=True)
class Case:
    """The checkpoint `note` shown to party a's witness, which remembers `state` and was given
    the log key `key`, while the service serves `log`."""

    desc: str
    note: str
    want: Want | Fails
    state: WitnessState = EMPTY
    log: Log = HONEST
    key: str = LOG_VKEY


FIRST = ("entries 0-9", "leaves 0-9")
GROW = ("entries 6-12", "leaves 6-12")
OWN = {"checked": 3, "audited": 9}
"""What a first round on MAIN at size 9 checks: entries 0, 3, 6 and leaves [0, 9)."""
SPLIT = "split-view"
B_FORK_9 = peer("b", cosigned(FORK, 9, "b"))
B_MAIN_6 = peer("b", cosigned(MAIN, 6, "b"))
C_FORK_9 = cosigned(FORK, 9, "c")
IMPOSTOR_9 = note(FORK, 9, IMPOSTOR)
UNVERIFIED = "^b's co-signed checkpoint does not verify: "
FORGED_3 = ((3, _entry(3, 333)),)
FORGED_3_HEX, LEAF_3_HEX = _leaf(FORGED_3[0][1]).hex(), _leaf(MAIN[3]).hex()
LOG_VKEY_RE = re.escape(LOG_VKEY)

# Each row: what is shown, remembered and served, then what is wanted.
# fmt: off
CASES = [
    # --- co-signing ----------------------------------------------------------------------------
    Case("first use: every leaf audited, every entry of the party checked",
         note(MAIN, 9),
         want=Want(Cosign, **OWN, reads=(*FIRST, "peers"))),
    Case("first use after pinning the key only",
         note(MAIN, 9), state=WitnessState(LOG_VKEY),
         want=Want(Cosign, **OWN, reads=(*FIRST, "peers"))),
    Case("an empty log is co-signed as it is",
         note(MAIN, 0),
         want=Want(Cosign, reads=("entries 0-0", "leaves 0-0", "peers"))),
    Case("consistent growth: only the new leaves, and no proof",
         note(MAIN, 12), state=remember(MAIN, 6),
         want=Want(Cosign, 2, 6, reads=(*GROW, "peers"))),
    Case("the same checkpoint again: nothing new to audit",
         note(MAIN, 9), state=remember(MAIN, 9),
         want=Want(Cosign, reads=("entries 9-9", "leaves 9-9", "peers"))),
    Case("a state kept before compact ranges is rebuilt from the leaves, then grown",
         note(MAIN, 12), state=remember(MAIN, 6, compact=False),
         want=Want(Cosign, 2, 6, reads=("leaves 0-6", *GROW, "peers"))),
    Case("a state kept before compact ranges, the same checkpoint again",
         note(MAIN, 9), state=remember(MAIN, 9, compact=False),
         want=Want(Cosign, reads=("leaves 0-9", "entries 9-9", "leaves 9-9", "peers"))),
    Case("a peer co-signed a smaller prefix of the same tree",
         note(MAIN, 9), log=Log(peers=(B_MAIN_6,)),
         want=Want(Cosign, **OWN, reads=(*FIRST, "peers", "proof 6-9"))),
    Case("a peer co-signed a larger tree that extends this one",
         note(MAIN, 9), log=Log(peers=(peer("b", cosigned(MAIN, 12, "b")),)),
         want=Want(Cosign, **OWN, reads=(*FIRST, "peers", "proof 9-12"))),
    Case("a peer co-signed this very checkpoint: nothing to prove",
         note(MAIN, 9), log=Log(peers=(peer("b", cosigned(MAIN, 9, "b")),)),
         want=Want(Cosign, **OWN, reads=(*FIRST, "peers"))),
    Case("a peer's view signed by another key under the log's name counts for nothing",
         note(MAIN, 9), log=Log(peers=(peer("b", cosigned(FORK, 9, "b", text=IMPOSTOR_9)),)),
         want=Want(Cosign, **OWN, warnings=(UNVERIFIED,), reads=(*FIRST, "peers"))),
    Case("a peer's view without that peer's cosignature counts for nothing",
         note(MAIN, 9), log=Log(peers=(peer("b", cosigned(FORK, 9, "c")),)),
         want=Want(Cosign, **OWN, warnings=("^the checkpoint served as b's carries no "
                                            "cosignature by it$",),
                   reads=(*FIRST, "peers"))),
    Case("a peer's cosignature made for another checkpoint counts for nothing",
         note(MAIN, 9), log=Log(peers=(peer("b", cosigned(MAIN, 6, "b", text=note(FORK, 9))),)),
         want=Want(Cosign, **OWN, warnings=(UNVERIFIED,), reads=(*FIRST, "peers"))),
    # --- split views ---------------------------------------------------------------------------
    Case("the checkpoint goes backwards",
         note(MAIN, 6), state=remember(MAIN, 9), log=Log(peers=(B_FORK_9,)),
         want=Want(Refuse, findings=((SPLIT, "^the log's checkpoint of size 6 is inconsistent "
                                             "with size 9 that a co-signed before: size 6 is "
                                             "smaller than 9$"),))),
    Case("the same size with another root",
         note(FORK, 9), state=remember(MAIN, 9), log=Log(FORK),
         want=Want(Refuse, findings=((SPLIT, " co-signed before: same size, different root$"),))),
    Case("a larger fork: the new leaves miss the signed root, and no proof holds",
         note(FORK, 12), state=remember(MAIN, 6), log=Log(FORK, peers=(B_FORK_9,)),
         want=Want(Refuse, 0, 6, ((SPLIT, "before: consistency proof fails: .*; and the leaf "
                                          r"hashes served for \[0, 12\) give root "),),
                   reads=(*GROW, "proof 6-12"))),
    Case("a larger fork whose proof the service refuses",
         note(FORK, 12), state=remember(MAIN, 6), log=Log(FORK, refuse=True),
         want=Want(Refuse, 0, 6, ((SPLIT, "before: the service refuses to prove consistency: "
                                          "GET /log/proof/consistency: HTTP 422"),),
                   reads=(*GROW, "proof 6-12"))),
    Case("a fork under a state kept before compact ranges: the rebuilt range misses its root",
         note(FORK, 12), state=remember(MAIN, 6, compact=False), log=Log(FORK),
         want=Want(Refuse, findings=((SPLIT, "consistency proof fails: .*; and the leaf hashes "
                                             r"served for \[0, 6\) give root "),),
                   reads=("leaves 0-6", "proof 6-12"))),
    Case("a peer co-signed a larger fork",
         note(MAIN, 9), log=Log(peers=(peer("b", cosigned(FORK, 12, "b")),)),
         want=Want(Refuse, **OWN, findings=((SPLIT, "^b co-signed size 12, inconsistent with "
                                                    "size 9 shown to a: consistency proof "
                                                    "fails: "),),
                   reads=(*FIRST, "peers", "proof 9-12"))),
    Case("a peer co-signed a smaller tree that this one does not extend",
         note(MAIN, 9), log=Log(peers=(peer("b", cosigned(FORK, 6, "b")),)),
         want=Want(Refuse, **OWN, findings=((SPLIT, "^b co-signed size 6, .*: consistency "
                                                    "proof fails"),),
                   reads=(*FIRST, "peers", "proof 6-9"))),
    Case("a peer co-signed the same size with another root",
         note(MAIN, 9), log=Log(peers=(B_FORK_9,)),
         want=Want(Refuse, **OWN, findings=((SPLIT, "^b co-signed size 9, .*: same size, "
                                                    "different root$"),),
                   reads=(*FIRST, "peers"))),
    Case("the service refuses to prove a peer's view consistent",
         note(MAIN, 9), log=Log(refuse=True, peers=(B_MAIN_6,)),
         want=Want(Refuse, **OWN, findings=((SPLIT, "^b co-signed size 6, .*: the service "
                                                    "refuses to prove"),),
                   reads=(*FIRST, "peers", "proof 6-9"))),
    Case("two peers, one split: one finding, and the other view still proven",
         note(MAIN, 9), log=Log(peers=(B_FORK_9, peer("c", cosigned(MAIN, 6, "c")))),
         want=Want(Refuse, **OWN, findings=((SPLIT, "^b co-signed size 9"),),
                   reads=(*FIRST, "peers", "proof 6-9"))),
    Case("two peers, two splits: two findings",
         note(MAIN, 9), log=Log(peers=(B_FORK_9, peer("c", cosigned(FORK, 12, "c")))),
         want=Want(Refuse, **OWN, findings=((SPLIT, "^b co-signed size 9"),
                                            (SPLIT, "^c co-signed size 12")),
                   reads=(*FIRST, "peers", "proof 9-12"))),
    Case("a split view shown by one peer's view, and an unverifiable view by another",
         note(MAIN, 9), log=Log(peers=(peer("b", "not a note\n"), peer("c", C_FORK_9))),
         want=Want(Refuse, **OWN, findings=((SPLIT, "^c co-signed size 9"),),
                   warnings=(UNVERIFIED,), reads=(*FIRST, "peers"))),
    # --- leaves that are not the tree's --------------------------------------------------------
    Case("first use, a leaf served wrongly: nothing co-signed to prove against",
         note(MAIN, 9), log=Log(flip=frozenset({4}), peers=(B_FORK_9,)),
         want=Want(Refuse, 0, 9, (("bad-leaves", "^the checkpoint of size 9 cannot be audited: "
                                                 r"the leaf hashes served for \[0, 9\) give root "
                                                 "[0-9a-f]{64}, not the signed [0-9a-f]{64}$"),),
                   reads=FIRST)),
    Case("a new leaf served wrongly while the log proves its consistency",
         note(MAIN, 12), state=remember(MAIN, 6), log=Log(flip=frozenset({7})),
         want=Want(Refuse, 0, 6, (("bad-leaves", r"\[0, 12\) give root"),),
                   reads=(*GROW, "proof 6-12"))),
    Case("an old leaf served wrongly to a state kept before compact ranges",
         note(MAIN, 12), state=remember(MAIN, 6, compact=False), log=Log(flip=frozenset({2})),
         want=Want(Refuse, findings=(("bad-leaves", r"\[0, 6\) give root"),),
                   reads=("leaves 0-6", "proof 6-12"))),
    Case("an old leaf served wrongly, the same size again: bad leaves, no proof asked",
         note(MAIN, 9), state=remember(MAIN, 9, compact=False), log=Log(flip=frozenset({2})),
         want=Want(Refuse, findings=(("bad-leaves", r"\[0, 9\) give root"),),
                   reads=("leaves 0-9",))),
    Case("a wrong leaf outweighs a forged entry: the root is judged first",
         note(MAIN, 9), log=Log(flip=frozenset({4}), forge=FORGED_3),
         want=Want(Refuse, 0, 9, (("bad-leaves", "give root"),), reads=FIRST)),
    # --- entries of the party that the checkpoint does not hold --------------------------------
    Case("an entry of the party changed after it was logged",
         note(MAIN, 9), log=Log(forge=FORGED_3, peers=(B_FORK_9,)),
         want=Want(Refuse, **OWN, findings=(("bad-entry", "^entry 3 is not in the checkpoint of "
                                                          f"size 9: its hash {FORGED_3_HEX} is "
                                                          f"not the leaf hash {LEAF_3_HEX} "
                                                          "published at its index$"),),
                   reads=FIRST)),
    Case("an entry served with a leaf hash that is not its own",
         note(MAIN, 9), log=Log(claim=((6, _leaf(MAIN[7]).hex()),)),
         want=Want(Refuse, **OWN, findings=(("bad-entry", "^entry 6 .*: its hash "),),
                   reads=FIRST)),
    Case("an entry whose bytes are the leaf but not a log entry",
         note(GARBLED, 12), log=Log(GARBLED),
         want=Want(Refuse, 4, 12, (("bad-entry", "^entry 9 .*: log entry must be an object"),),
                   reads=("entries 0-12", "leaves 0-12"))),
    Case("two bad entries: the first is reported, every entry counted",
         note(MAIN, 12), log=Log(forge=((0, _entry(0, 7)), (9, _entry(9, 7)))),
         want=Want(Refuse, 4, 12, (("bad-entry", "^entry 0 "),),
                   reads=("entries 0-12", "leaves 0-12"))),
    Case("a forged entry among the new leaves after a cosignature",
         note(MAIN, 12), state=remember(MAIN, 6), log=Log(forge=((9, _entry(9, 99)),)),
         want=Want(Refuse, 2, 6, (("bad-entry", "^entry 9 "),), reads=GROW)),
    # --- what cannot be judged -----------------------------------------------------------------
    Case("a checkpoint signed by another key under the log's name",
         note(MAIN, 9, IMPOSTOR),
         want=Fails(WitnessError, f"^the latest checkpoint does not verify under {LOG_VKEY_RE}: ")),
    Case("a checkpoint of another origin",
         sign_checkpoint(_checkpoint(MAIN, 9, "x.test"), LOG),
         want=Fails(WitnessError, "^the latest checkpoint does not verify under .*: checkpoint "
                                  "origin 'x.test' is not")),
    Case("a note that is not a signed checkpoint",
         "size 9\n",
         want=Fails(WitnessError, "^the latest checkpoint does not verify")),
    Case("a log key given that is not a vkey",
         note(MAIN, 9), key="not-a-vkey",
         want=Fails(WitnessError, "^log key 'not-a-vkey': malformed verifier key$")),
    Case("a cosigning key given as the log key",
         note(MAIN, 9), key=WITNESSES["a"].verifier().vkey(),
         want=Fails(WitnessError, r"^log key 'a\+.*': not an Ed25519 note key \(type 0x04\)$")),
    Case("a log key given other than the one pinned",
         note(MAIN, 9, IMPOSTOR), state=remember(MAIN, 6), key=IMPOSTOR.verifier().vkey(),
         want=Fails(WitnessError, rf"is not the one this state pinned \({LOG_VKEY_RE}\); use "
                                  "another state directory for another log$")),
    Case("a pinned key that is not a vkey: a corrupt state, not a failed round",
         note(MAIN, 9), state=WitnessState("not-a-vkey"),
         want=Fails(MalformedKeyError, "^malformed verifier key$")),
    Case("fewer leaf hashes served than asked for",
         note(MAIN, 9), log=Log(extra_leaves=-1),
         want=Fails(WitnessError, r"^leaves \[0, 9\) were asked for, \[0, 8\) served$")),
    Case("more leaf hashes served than asked for",
         note(MAIN, 9), log=Log(extra_leaves=1),
         want=Fails(WitnessError, r"^leaves \[0, 9\) were asked for, \[0, 10\) served$")),
    Case("entries served out of order",
         note(MAIN, 9), log=Log(backwards=True),
         want=Fails(WitnessError, "^entry 3 was served after leaf 4$")),
    Case("an entry served past the checkpoint",
         note(MAIN, 9), log=Log(extra_entries=1),
         want=Fails(WitnessError, r"^entry 9 was served for leaves \[0, 9\)$")),
]
# fmt: on


def judge(case: Case) -> tuple[Verdict, Reader]:
    """The round as the runner makes it: settle the key, then audit."""
    reader = Reader(case.log)
    key = trust_log_key(case.key, case.state.log_vkey)
    return audit_checkpoint(Shown("a", case.state, key, case.note), reader), reader


def _altered() -> list[Case]:
    """For each co-signed row with new leaves: each new leaf served wrongly is bad leaves, and
    each of the party's new entries forged is a bad entry, found before any peer is read."""
    cases = []
    for case in CASES:
        want = case.want
        if not (isinstance(want, Want) and want.verdict is Cosign and want.audited):
            continue
        size = open_checkpoint(case.note, LOG.verifier()).checkpoint.size
        old = size - want.audited
        own = want.reads[: want.reads.index("peers")]
        proof = (f"proof {old}-{size}",) if case.state.checkpoint is not None else ()
        for i in range(old, size):
            log = replace(case.log, flip=frozenset({i}))
            found = (("bad-leaves", rf"\[0, {size}\) give root"),)
            refused = Want(Refuse, 0, want.audited, found, reads=own + proof)
            cases.append(replace(case, desc=f"{case.desc}; leaf {i} wrong", log=log, want=refused))
        for i in sorted(MINE & set(range(old, size))):
            log = replace(case.log, forge=((i, _entry(i, 1000 + i)),))
            found = (("bad-entry", f"^entry {i} is not in the checkpoint of size {size}: "),)
            refused = Want(Refuse, want.checked, want.audited, found, reads=own)
            cases.append(
                replace(case, desc=f"{case.desc}; entry {i} forged", log=log, want=refused)
            )
    return cases


ALTERED = _altered()


def _outcome(case: Case) -> str:
    if isinstance(case.want, Fails):
        return "error"
    return "cosign" if case.want.verdict is Cosign else case.want.findings[0][0]


def test_the_table_holds_every_case() -> None:
    assert len(CASES) == 46
    assert len(ALTERED) == 112
    assert len({c.desc for c in CASES + ALTERED}) == len(CASES) + len(ALTERED)
    assert Counter(map(_outcome, CASES)) == {
        "cosign": 13,
        "split-view": 12,
        "bad-leaves": 5,
        "bad-entry": 5,
        "error": 11,
    }


@pytest.mark.parametrize("case", CASES + ALTERED, ids=lambda c: c.desc)
def test_audit(case: Case) -> None:
    if isinstance(case.want, Fails):
        with pytest.raises(case.want.error, match=case.want.match):
            judge(case)
        return
    verdict, reader = judge(case)
    want = case.want
    assert type(verdict) is want.verdict
    assert verdict.checkpoint == open_checkpoint(case.note, LOG.verifier()).checkpoint
    assert (verdict.entries_checked, verdict.leaves_audited) == (want.checked, want.audited)
    assert reader.reads == list(want.reads)
    assert len(verdict.warnings) == len(want.warnings)
    for warning, pattern in zip(verdict.warnings, want.warnings, strict=True):
        assert re.search(pattern, warning), warning
    if isinstance(verdict, Cosign):
        leaves = [_leaf(d) for d in case.log.history[: verdict.checkpoint.size]]
        assert verdict.compact_range.size == len(leaves)
        assert verdict.compact_range.root() == root_hash(leaves)
        return
    assert [f.kind for f in verdict.findings] == [kind for kind, _ in want.findings]
    for finding, (_, pattern) in zip(verdict.findings, want.findings, strict=True):
        assert re.search(pattern, finding.detail), finding.detail
        _check_evidence(finding, case)


def _check_evidence(finding: Finding, case: Case) -> None:
    """A split view is two log-signed checkpoints that differ, one of them the note shown; the
    other findings keep the note shown and a record of what was served."""
    if finding.kind == "split-view":
        history = finding.ours == case.state.checkpoint
        assert (finding.theirs if history else finding.ours) == case.note
        if not history:
            assert finding.theirs in {p.note for p in case.log.peers}
        ours, theirs = (
            open_checkpoint(t, LOG.verifier()).checkpoint for t in (finding.ours, finding.theirs)
        )
        assert ours != theirs
        return
    assert finding.ours == case.note
    record = json.loads(finding.theirs)
    if finding.kind == "bad-entry":
        served = dict(case.log.forge).get(record["index"], case.log.history[record["index"]])
        assert base64.b64decode(record["entry"]) == served
        assert finding.detail.startswith(f"entry {record['index']} ")
    else:
        assert set(record) == {"size", "root"}
        assert len(base64.b64decode(record["root"])) == 32
        assert f"[0, {record['size']})" in finding.detail


def test_a_refusal_names_what_was_found() -> None:
    with pytest.raises(ValueError, match="at least one finding"):
        Refuse(_checkpoint(MAIN, 9), ())
