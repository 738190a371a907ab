"""Log key rotation in a bundle: a pinned key is followed along `log.key` entries its chain
signed, a key neither pinned nor reached is refused naming both, and a broken chain fails."""

from __future__ import annotations

import base64
import copy
from datetime import UTC, datetime

import pytest

from deconflict.evidence import BundleError, LogKeys, VerifiedEntry, verify_bundle
from deconflict.evidence.keys import KeyChange, follow_rotations
from deconflict.log import Ed25519Signer, LogEntry, sign_rotation
from proof_bundles import World, build


def _pins(world: World, *logs: Ed25519Signer) -> tuple[list[str], list[str]]:
    return [k.verifier().vkey() for k in logs], [
        w.verifier().vkey() for w in world.witnesses.values()
    ]


@pytest.fixture(scope="module")
def rotated() -> World:
    """The log hands its key over twice, at entries 7 and 8; the checkpoint (size 9) is signed
    by the third key, the earlier co-signed ones (sizes 3 and 6) by the first."""
    return build(rotations=2)


def test_a_rotated_log_verifies_and_shows_each_change(rotated: World) -> None:
    k0, k1, k2 = (k.verifier().vkey() for k in rotated.log_keys)
    timeline = verify_bundle(rotated.bundle)
    assert timeline.log_key == rotated.bundle["keys"]["log"] == k2
    assert timeline.log_key_changes == ((7, k0, k1), (8, k1, k2))
    assert [e.index for e in timeline.events] == [3, 4, 6]
    assert timeline.tree_size == 9


@pytest.mark.parametrize("pinned", [0, 1, 2], ids=["oldest", "middle", "newest"])
def test_any_pinned_key_of_the_chain_reaches_the_one_that_signs(
    rotated: World, pinned: int
) -> None:
    timeline = verify_bundle(rotated.bundle, *_pins(rotated, rotated.log_keys[pinned]))
    assert timeline.keys_trusted


def test_a_key_neither_pinned_nor_reached_is_refused_naming_both(rotated: World) -> None:
    stranger = Ed25519Signer.generate(rotated.log.signer.name)
    with pytest.raises(BundleError) as failed:
        verify_bundle(rotated.bundle, *_pins(rotated, stranger))
    k0, k1, k2 = (k.verifier().vkey() for k in rotated.log_keys)
    assert str(failed.value) == (
        f"keys.log: the checkpoint is signed by log key {k2}, which is not the pinned log key "
        f"({stranger.verifier().vkey()}), and the bundle's log.key rotation entries "
        f"({k0} -> {k1} -> {k2}) pass through no pinned key"
    )


def test_without_its_rotation_entries_a_checkpoint_under_a_new_key_is_refused(
    rotated: World,
) -> None:
    """An exporter that leaves the rotations out: the pinned first key reaches nothing."""
    bundle = copy.deepcopy(rotated.bundle)
    bundle["entries"] = [e for e in bundle["entries"] if '"type":"log.key"' not in e["entry"]]
    k0, k2 = rotated.log_keys[0].verifier().vkey(), rotated.log_keys[2].verifier().vkey()
    with pytest.raises(BundleError) as failed:
        verify_bundle(bundle, *_pins(rotated, rotated.log_keys[0]))
    assert str(failed.value) == (
        f"keys.log: the checkpoint is signed by log key {k2}, which is not the pinned log key "
        f"({k0}), and no log.key rotation entry in the bundle reaches it from one"
    )
    with pytest.raises(BundleError) as failed:
        verify_bundle(bundle)
    assert failed.value.where == "cosigned[0]"


def test_a_rotation_the_old_key_did_not_sign_fails() -> None:
    w = build(rotations=1, rotation_signer=Ed25519Signer.generate("test.log/1"))
    with pytest.raises(BundleError) as failed:
        verify_bundle(w.bundle)
    assert failed.value.where == "entries[6] (index 7)"
    assert "is not signed by the old log key" in failed.value.detail


def test_the_checkpoint_must_be_signed_by_the_last_key_handed_over(rotated: World) -> None:
    bundle = copy.deepcopy(rotated.bundle)
    bundle["keys"]["log"] = rotated.log_keys[1].verifier().vkey()
    with pytest.raises(BundleError) as failed:
        verify_bundle(bundle)
    assert failed.value.where == "checkpoint"


# --- the chain itself --------------------------------------------------------------------------

T = datetime(2026, 6, 1, tzinfo=UTC)
KEYS = [Ed25519Signer.generate("test.log/1") for _ in range(3)]


def _rotation(index: int, old: Ed25519Signer, new: Ed25519Signer) -> VerifiedEntry:
    signature = base64.b64encode(sign_rotation(old, new.verifier())).decode()
    body = {"old_key": old.verifier().vkey(), "new_key": new.verifier().vkey()}
    entry = LogEntry("log.key", None, T, bytes(16), (), body | {"signature": signature})
    return VerifiedEntry(f"entries[{index}] (index {index})", index, entry, b"", index)


def test_each_size_is_signed_by_the_key_in_force_below_it() -> None:
    k0, k1, k2 = (k.verifier() for k in KEYS)
    keys = follow_rotations(k2, [_rotation(4, KEYS[0], KEYS[1]), _rotation(9, KEYS[1], KEYS[2])])
    assert keys == LogKeys(k0, (KeyChange(4, k0, k1), KeyChange(9, k1, k2)))
    assert [keys.key_for(s) for s in (0, 4, 5, 9, 10, 100)] == [k0, k0, k1, k1, k2, k2]
    assert keys.chain == (k0, k1, k2)
    assert follow_rotations(k0, []) == LogKeys(k0)


def test_a_broken_chain_fails_where_it_breaks() -> None:
    k2 = KEYS[2].verifier()
    with pytest.raises(BundleError) as failed:
        follow_rotations(k2, [_rotation(4, KEYS[0], KEYS[1]), _rotation(9, KEYS[0], KEYS[2])])
    assert failed.value.where == "entries[9] (index 9)"
    assert "but entry 4 handed over to" in failed.value.detail
    with pytest.raises(BundleError) as failed:
        follow_rotations(k2, [_rotation(4, KEYS[0], KEYS[1])])
    assert failed.value.where == "keys.log"
    with pytest.raises(BundleError) as failed:
        follow_rotations(
            KEYS[0].verifier(),
            [_rotation(4, KEYS[0], KEYS[1]), _rotation(9, KEYS[1], KEYS[0])],
        )
    assert "rotates back to log key" in failed.value.detail
