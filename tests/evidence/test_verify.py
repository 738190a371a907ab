"""Verifying a bundle offline: it verifies, and every alteration fails, named."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconflict.evidence import BundleError, verify_bundle
from deconflict.log import Checkpoint, Cosigner, Ed25519Signer, Ed25519Verifier, add_cosignatures
from deconflict.log.merkle import root_hash
from proof_bundles import NOTICE, World, at, build


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


def test_a_pinned_log_key_that_did_not_sign_is_refused_naming_both(world: World) -> None:
    pinned = Ed25519Signer.generate(world.log.signer.name).verifier().vkey()
    witness_keys = [w.verifier().vkey() for w in world.witnesses.values()]
    with pytest.raises(BundleError) as failed:
        verify_bundle(world.bundle, [pinned], witness_keys)
    assert str(failed.value) == (
        f"keys.log: the checkpoint is signed by log key {world.log.signer.verifier().vkey()}, "
        f"which is not the pinned log key ({pinned}), and no log.key rotation entry in the "
        "bundle reaches it from one"
    )


# --- brackets state what the bundle's cosignatures prove ---------------------------------------


def _with_brackets(world: World, brackets: list[dict[str, Any]]) -> dict[str, Any]:
    bundle = copy.deepcopy(world.bundle)
    bundle["brackets"] = brackets
    return bundle


def test_a_looser_bracket_than_the_bundle_proves_fails(world: World) -> None:
    """For the notice (entry 3) the bundle holds a's cosignatures of sizes 3 and 6: a bracket
    naming size 7 after it, or no size before it, claims less than the bundle proves."""
    brackets = copy.deepcopy(world.bundle["brackets"])
    assert brackets[0] == {"party": "a", "index": 3, "before": 3, "after": 6}
    brackets[0]["after"] = 7
    with pytest.raises(BundleError) as failed:
        verify_bundle(_with_brackets(world, brackets))
    assert str(failed.value) == (
        "brackets[0].after: is size 7, but the bundle holds a's cosignature of size 6, "
        "the tightest after entry 3"
    )
    brackets[0]["after"] = 6
    brackets[0]["before"] = None
    with pytest.raises(BundleError) as failed:
        verify_bundle(_with_brackets(world, brackets))
    assert str(failed.value).startswith("brackets[0].before: is null, but the bundle holds a's")


def test_every_bound_the_bundle_holds_has_its_one_bracket(world: World) -> None:
    brackets = world.bundle["brackets"]
    with pytest.raises(BundleError) as failed:
        verify_bundle(_with_brackets(world, brackets[:5]))
    assert str(failed.value) == (
        "brackets: no bracket for b and entry 6, which b's cosignatures in the bundle bound"
    )
    with pytest.raises(BundleError) as failed:
        verify_bundle(_with_brackets(world, [*brackets, brackets[2]]))
    assert str(failed.value) == "brackets[6]: a second bracket for a and entry 4"
    empty = {"party": "c", "index": 3, "before": None, "after": None}
    with pytest.raises(BundleError) as failed:
        verify_bundle(_with_brackets(world, [*brackets, empty]))
    assert str(failed.value) == (
        "brackets[6]: bounds nothing: a bracket has a before or an after size"
    )
