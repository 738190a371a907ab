"""Offline proof bundles, built here from a small in-memory log with the RFC 9162 reference:
the bundle verifies, its timeline states the times put in, and every alteration fails, named."""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconflict.log import (
    Checkpoint,
    Cosigner,
    Ed25519Signer,
    Ed25519Verifier,
    LogEntry,
    add_cosignatures,
    sign_ack,
    sign_checkpoint,
)
from deconflict.log.bundle import (
    Bracket,
    BundleError,
    CosignedCheckpoint,
    ProvenEntry,
    make_bundle,
    verify_bundle,
)
from deconflict.log.merkle import consistency_proof, inclusion_proof, leaf_hash, root_hash
from deconflict.times import format_time

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
NOTICE = "ntc_1"
START = T0 + timedelta(hours=2)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@dataclass
class Log:
    """A log kept in lists: entries, their leaf hashes, and the checkpoints signed so far with
    the cosignatures each got."""

    signer: Ed25519Signer = field(default_factory=lambda: Ed25519Signer.generate("test.log/1"))
    raw: list[bytes] = field(default_factory=list)
    notes: dict[int, str] = field(default_factory=dict)

    def append(
        self,
        kind: str,
        party: str | None,
        when: datetime,
        body: dict[str, Any],
        refs: tuple[str, ...] = (),
    ) -> int:
        entry = LogEntry(kind, party, when, bytes(16), refs, body)
        self.raw.append(entry.canonical())
        return len(self.raw) - 1

    def leaf(self, index: int) -> str:
        return leaf_hash(self.raw[index]).hex()

    def checkpoint(self, cosigners: dict[Cosigner, datetime]) -> int:
        size = len(self.raw)
        checkpoint = Checkpoint(self.signer.name, size, root_hash(self.leaves()))
        note = sign_checkpoint(checkpoint, self.signer)
        cosigs = [c.cosign(checkpoint, when) for c, when in cosigners.items()]
        self.notes[size] = add_cosignatures(note, cosigs)
        return size

    def leaves(self, size: int | None = None) -> list[bytes]:
        return [leaf_hash(r) for r in self.raw[: len(self.raw) if size is None else size]]

    def proven(self, index: int, size: int) -> ProvenEntry:
        proof = inclusion_proof(self.leaves(size), index)
        return ProvenEntry(index, self.raw[index], tuple(proof))

    def cosigned(self, old: int, size: int) -> CosignedCheckpoint:
        return CosignedCheckpoint(self.notes[old], tuple(consistency_proof(self.leaves(size), old)))


@dataclass
class World:
    log: Log
    witnesses: dict[str, Cosigner]
    ack_key: Ed25519PrivateKey
    bundle: dict[str, Any]
    indices: dict[str, int]


def _key_b64(public: bytes) -> str:
    return base64.b64encode(public).decode()


def build(
    *,
    disclosed_s: int = 20,
    cosign_before_s: tuple[int, int] = (10, 12),
    cosign_after_s: tuple[int, int] = (25, 27),
    ack_s: int = 100,
    party_received_s: int = 95,
    ack_signer: Ed25519PrivateKey | None = None,
    extra: bool = False,
    disclosure_body: dict[str, Any] | None = None,
) -> World:
    """a submits a notice starting at START; it is disclosed to b at `disclosed_s`; b signs its
    acknowledgement. a and b co-sign before and after the disclosure, and after the ack."""
    log = Log()
    wa, wb = Cosigner.generate("a"), Cosigner.generate("b")
    ack_key = Ed25519PrivateKey.generate()
    ix: dict[str, int] = {}
    for name, party, purpose, public in (
        ("key_a", "a", "cosign", wa.verifier().public_key),
        ("key_b", "b", "cosign", wb.verifier().public_key),
        ("ack_b", "b", "ack", ack_key.public_key().public_bytes_raw()),
    ):
        ix[name] = log.append(
            "party.key", party, T0, {"party_id": party, "purpose": purpose, "key": _key_b64(public)}
        )
    before = log.checkpoint({wa: at(cosign_before_s[0]), wb: at(cosign_before_s[1])})
    ix["notice"] = log.append(
        "notice.version",
        "a",
        at(disclosed_s),
        {
            "notice_id": NOTICE,
            "version": 1,
            "kind": "submission",
            "purpose": "training",
            "time_start": format_time(START),
            "time_end": format_time(START + timedelta(hours=1)),
        },
    )
    notice_leaf = log.leaf(ix["notice"])
    ix["disclosure"] = log.append(
        "disclosure",
        None,
        at(disclosed_s),
        {
            "notice_id": NOTICE,
            "version": 1,
            "party_id": "b",
            "reason": "member",
            "disclosed_at": format_time(at(disclosed_s)),
            "lead_time_s": (START - at(disclosed_s)).total_seconds(),
            "short_notice": False,
            "ack_due_at": format_time(at(disclosed_s + 900)),
        }
        | (disclosure_body or {}),
        (notice_leaf,),
    )
    ix["unrelated"] = log.append("hazard.added", "b", at(disclosed_s), {"hazard_id": "hzd_1"})
    after = log.checkpoint({wa: at(cosign_after_s[0]), wb: at(cosign_after_s[1])})
    signature = sign_ack(ack_signer or ack_key, bytes.fromhex(notice_leaf), at(party_received_s))
    ix["ack"] = log.append(
        "ack",
        "b",
        at(ack_s),
        {
            "notice_id": NOTICE,
            "version": 1,
            "party_id": "b",
            "received_at": format_time(at(ack_s)),
            "party_received_at": format_time(at(party_received_s)),
            "acknowledged_at": format_time(at(ack_s)),
            "late": False,
            "text": "seen",
            "signature": base64.b64encode(signature).decode(),
        },
        (notice_leaf,),
    )
    size = log.checkpoint({wa: at(ack_s + 5), wb: at(ack_s + 3)})
    wanted = ["key_a", "key_b", "ack_b", "notice", "disclosure", "ack"] + (["unrelated"] * extra)
    brackets = [
        Bracket(p, ix[e], b, a)
        for e, (b, a) in (
            ("notice", (before, after)),
            ("disclosure", (before, after)),
            ("ack", (after, size)),
        )
        for p in ("a", "b")
    ]
    bundle = make_bundle(
        NOTICE,
        log.signer.verifier().vkey(),
        [wa.verifier().vkey(), wb.verifier().vkey()],
        [Ed25519Verifier("b", ack_key.public_key().public_bytes_raw()).vkey()],
        log.notes[size],
        [log.proven(ix[name], size) for name in wanted],
        [log.cosigned(before, size), log.cosigned(after, size)],
        brackets,
    )
    return World(log, {"a": wa, "b": wb}, ack_key, json.loads(json.dumps(bundle)), ix)


@pytest.fixture(scope="module")
def world() -> World:
    return build()


def test_a_bundle_verifies_and_states_the_times_it_holds(world: World) -> None:
    timeline = verify_bundle(world.bundle)
    assert timeline.notice_id == NOTICE
    assert timeline.tree_size == len(world.log.raw)
    assert not timeline.keys_trusted
    assert timeline.cosigned_by == (("a", at(105)), ("b", at(103)))
    assert [e.type for e in timeline.events] == ["notice.version", "disclosure", "ack"]
    assert [e.index for e in timeline.events] == [3, 4, 6]
    disclosure = timeline.events[1]
    assert disclosure.party == "b"
    assert disclosure.received_at == at(20)
    by_party = {w.party: w for w in disclosure.witnessed}
    assert (by_party["b"].before_size, by_party["b"].after_size) == (3, 6)
    assert (by_party["b"].not_before, by_party["b"].not_after) == (at(12), at(27))
    assert (by_party["a"].not_before, by_party["a"].not_after) == (at(10), at(25))
    (warning,) = timeline.warnings
    assert (warning.party, warning.version) == ("b", 1)
    assert warning.service_s == 2 * 3600 - 20
    assert dict((p, (lo, hi)) for p, lo, hi in warning.witnessed) == {
        "a": (2 * 3600 - 25, 2 * 3600 - 10),
        "b": (2 * 3600 - 27, 2 * 3600 - 12),
    }


def test_the_rendered_timeline_names_receipt_ack_and_warning(world: World) -> None:
    text = verify_bundle(world.bundle).render()
    assert "v1 disclosed to b (member)" in text
    assert "b acknowledged v1" in text
    assert "its own signed receive time 2026-06-01T08:01:35Z (verified)" in text
    assert "7180 s (1h59m40s) by the service clock" in text
    assert "by b's cosignatures: between 7173 s (1h59m33s) and 7188 s (1h59m48s)" in text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    before_s=st.integers(0, 600),
    gap_s=st.integers(0, 600),
    after_gap_s=st.integers(0, 600),
)
def test_cosignature_bounds_hold_the_service_warning_when_they_bracket_it(
    before_s: int, gap_s: int, after_gap_s: int
) -> None:
    disclosed_s = before_s + gap_s
    after_s = disclosed_s + after_gap_s
    w = build(
        disclosed_s=disclosed_s,
        cosign_before_s=(before_s, before_s),
        cosign_after_s=(after_s, after_s),
        ack_s=after_s + 1,
        party_received_s=after_s + 1,
    )
    (warning,) = verify_bundle(w.bundle).warnings
    for _, low_s, high_s in warning.witnessed:
        assert low_s == (START - at(after_s)).total_seconds()
        assert high_s == (START - at(before_s)).total_seconds()
        assert low_s is not None
        assert high_s is not None
        assert low_s <= warning.service_s <= high_s


def _strings(bundle: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    """Every signed or proven string in a bundle: (name, path)."""
    paths: list[tuple[str, list[Any]]] = [
        ("checkpoint", ["checkpoint"]),
        ("log key", ["keys", "log"]),
    ]
    for group in ("witnesses", "ack"):
        paths += [(f"{group} key", ["keys", group, i]) for i in range(len(bundle["keys"][group]))]
    for i, item in enumerate(bundle["entries"]):
        paths.append(("entry", ["entries", i, "entry"]))
        paths += [
            ("inclusion", ["entries", i, "inclusion", j]) for j in range(len(item["inclusion"]))
        ]
    for i, item in enumerate(bundle["cosigned"]):
        paths.append(("cosigned", ["cosigned", i, "note"]))
        paths += [
            ("consistency", ["cosigned", i, "consistency", j])
            for j in range(len(item["consistency"]))
        ]
    return paths


def _at(doc: Any, path: list[Any]) -> Any:
    for step in path[:-1]:
        doc = doc[step]
    return doc


def _where(path: list[Any]) -> str:
    """The prefix a BundleError names for a string at `path`."""
    if path[0] == "keys":
        return "keys.log" if path[1] == "log" else f"keys.{path[1]}[{path[2]}]"
    if path[0] in ("entries", "cosigned"):
        return f"{path[0]}[{path[1]}]"
    return path[0]


PRINTABLE = [chr(c) for c in range(0x20, 0x7F)]


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_changed_character_of_an_entry_proof_checkpoint_or_key_fails(
    world: World, data: st.DataObject
) -> None:
    name, path = data.draw(st.sampled_from(_strings(world.bundle)), label="part")
    bundle = copy.deepcopy(world.bundle)
    holder = _at(bundle, path)
    text: str = holder[path[-1]]
    position = data.draw(st.integers(0, len(text) - 1), label="position")
    replacement = data.draw(st.sampled_from([c for c in PRINTABLE if c != text[position]]))
    holder[path[-1]] = text[:position] + replacement + text[position + 1 :]
    with pytest.raises(BundleError) as failed:
        verify_bundle(bundle)
    assert failed.value.where.startswith(_where(path)), (name, failed.value.detail)


def _unregistered_ack_key() -> str:
    return Ed25519Verifier("b", Ed25519PrivateKey.generate().public_key().public_bytes_raw()).vkey()


def _set(bundle: dict[str, Any], path: list[Any], value: Any) -> None:
    _at(bundle, path)[path[-1]] = value


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda b: _set(b, ["entries", 4, "index"], 6), "entries[4]"),
        (lambda b: _set(b, ["entries", 3, "index"], 4), "entries[3]"),
        (lambda b: b["entries"][5]["inclusion"].pop(), "entries[5]"),
        (lambda b: b["entries"].pop(2), "keys.ack[0]"),
        (lambda b: b["entries"].pop(0), "keys.witnesses[0]"),
        (lambda b: _set(b, ["notice_id"], "ntc_2"), "entries[3]"),
        (lambda b: _set(b, ["brackets", 1, "party"], "c"), "brackets[1]"),
        (lambda b: _set(b, ["brackets", 0, "before"], 6), "brackets[0].before"),
        (lambda b: _set(b, ["brackets", 0, "after"], 3), "brackets[0].after"),
        (lambda b: _set(b, ["brackets", 0, "after"], 5), "brackets[0].after"),
        (lambda b: _set(b, ["brackets", 0, "index"], 5), "brackets[0].index"),
        (lambda b: b["cosigned"].pop(0), "brackets[0].before"),
        (lambda b: b["cosigned"][0]["consistency"].pop(), "cosigned[0]"),
        (lambda b: b["cosigned"].append(b["cosigned"][0]), "cosigned[2]"),
        (lambda b: b["keys"]["ack"].append(_unregistered_ack_key()), "keys.ack[1]"),
        (lambda b: _set(b, ["keys", "ack"], []), "entries[5]"),
        (lambda b: _set(b, ["format"], "deconflict-bundle/v0"), "format"),
        (lambda b: b.pop("brackets"), "brackets"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_structural_changes_fail_where_they_are(world: World, change: Any, where: str) -> None:
    bundle = copy.deepcopy(world.bundle)
    change(bundle)
    with pytest.raises(BundleError) as failed:
        verify_bundle(bundle)
    assert failed.value.where.startswith(where), failed.value.detail


def test_a_size_carried_twice_bounds_after_by_its_first_and_before_by_its_latest_cosignature(
    world: World,
) -> None:
    """Size 6 is `after` for the notice and its disclosure and `before` for the ack. The
    witnesses re-co-sign it at 60 and 62 s, while the log is idle: the bundle carries both notes,
    and the verifier takes the earliest cosignature for `after` and the latest for `before`."""
    log = world.log
    checkpoint = Checkpoint(log.signer.name, 6, root_hash(log.leaves(6)))
    again = [world.witnesses[p].cosign(checkpoint, at(s)) for p, s in (("a", 60), ("b", 62))]
    bundle = copy.deepcopy(world.bundle)
    (first,) = [c for c in bundle["cosigned"] if c["note"] == log.notes[6]]
    latest = {"note": add_cosignatures(log.notes[6], again), "consistency": first["consistency"]}
    for order in ([first, latest], [latest, first]):
        others = [c for c in world.bundle["cosigned"] if c["note"] != log.notes[6]]
        bundle["cosigned"] = others + order
        events = {e.type: e for e in verify_bundle(bundle).events}
        disclosure = {w.party: w for w in events["disclosure"].witnessed}
        assert (disclosure["a"].not_after, disclosure["b"].not_after) == (at(25), at(27))
        ack = {w.party: w for w in events["ack"].witnessed}
        assert (ack["a"].before_size, ack["a"].not_before) == (6, at(60))
        assert (ack["b"].before_size, ack["b"].not_before) == (6, at(62))
    only_first = verify_bundle(world.bundle).events[2]
    assert {w.party: w.not_before for w in only_first.witnessed} == {"a": at(25), "b": at(27)}


def test_a_stripped_cosignature_no_longer_bounds_the_time(world: World) -> None:
    bundle = copy.deepcopy(world.bundle)
    lines = bundle["checkpoint"].splitlines(keepends=True)
    bundle["checkpoint"] = "".join(line for line in lines if not line.startswith("— b "))
    with pytest.raises(BundleError) as failed:
        verify_bundle(bundle)
    assert failed.value.where == "brackets[5].after"
    assert "no cosignature by b" in failed.value.detail


def test_an_unrelated_entry_is_refused(world: World) -> None:
    with pytest.raises(BundleError) as failed:
        verify_bundle(build(extra=True).bundle)
    assert "hazard.added entry that is not about ntc_1" in failed.value.detail


def test_an_ack_signed_by_another_key_fails() -> None:
    w = build(ack_signer=Ed25519PrivateKey.generate())
    with pytest.raises(BundleError) as failed:
        verify_bundle(w.bundle)
    assert failed.value.where == "entries[5] (index 6)"
    assert "ack signature by b does not verify" in failed.value.detail


def test_trusted_keys_pass_and_other_keys_fail(world: World) -> None:
    log_key = world.log.signer.verifier().vkey()
    witness_keys = [w.verifier().vkey() for w in world.witnesses.values()]
    assert verify_bundle(world.bundle, [log_key], witness_keys).keys_trusted

    other_log = Ed25519Signer.generate(world.log.signer.name).verifier().vkey()
    with pytest.raises(BundleError) as failed:
        verify_bundle(world.bundle, [other_log], witness_keys)
    assert failed.value.where == "keys.log"

    other_b = Cosigner.generate("b").verifier().vkey()
    with pytest.raises(BundleError) as failed:
        verify_bundle(world.bundle, [log_key], [witness_keys[0], other_b])
    assert failed.value.where == "keys.witnesses[1]"

    with pytest.raises(BundleError) as failed:
        verify_bundle(world.bundle, [log_key], ["not a key"])
    assert failed.value.where == "trusted key 1"


def test_a_forged_log_with_its_own_keys_fails_against_trusted_keys(world: World) -> None:
    """Someone who re-signs everything with keys of their own makes a bundle that verifies
    against the keys inside it, and fails against keys obtained separately."""
    forged = build()
    assert verify_bundle(forged.bundle).notice_id == NOTICE
    trusted_log = world.log.signer.verifier().vkey()
    trusted_witnesses = [w.verifier().vkey() for w in world.witnesses.values()]
    with pytest.raises(BundleError):
        verify_bundle(forged.bundle, [trusted_log], trusted_witnesses)


@pytest.mark.parametrize(
    "body",
    [{"lead_time_s": "soon"}, {"version": [1]}, {"version": None}, {"ack_due_at": 5}],
    ids=["lead-time", "version-list", "version-null", "due-time"],
)
def test_a_validly_signed_entry_with_a_malformed_body_fails_cleanly(body: dict[str, Any]) -> None:
    """A log that signs nonsense still gets a named failure, not a crash."""
    with pytest.raises(BundleError) as failed:
        verify_bundle(build(disclosure_body=body).bundle)
    assert failed.value.where.startswith("entries[4]")


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += _paths(value, (*prefix, i))
    return found


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**64), 2**64) | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["index", "note", "entry", "x"]), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_replaced_value_is_a_bundle_error_never_a_crash(
    world: World, data: st.DataObject
) -> None:
    bundle = copy.deepcopy(world.bundle)
    path = data.draw(st.sampled_from(_paths(bundle)[1:]), label="path")
    value = data.draw(JSON, label="value")
    holder: Any = bundle
    for step in path[:-1]:
        holder = holder[step]
    unchanged = holder[path[-1]] == value
    holder[path[-1]] = value
    try:
        verify_bundle(bundle)
    except BundleError:
        return
    # Dropping a bracket, or a bound of one, only loosens what the bundle claims.
    assert unchanged or path[0] == "brackets", (path, value)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (11699.6, "11699.6 s (3h15m00s)"),
        (59.5, "59.5 s (0h01m00s)"),
        (7180, "7180 s (1h59m40s)"),
        (-90.2, "-90.2 s (-0h01m30s)"),
    ],
)
def test_durations_round_before_splitting(seconds: float, shown: str) -> None:
    from deconflict.log.bundle import _duration

    assert _duration(seconds) == shown
