"""The timeline of a verified bundle, worded for people."""

from __future__ import annotations

import pytest

from deconflict.cli.timeline import render_timeline
from deconflict.evidence import verify_bundle
from proof_bundles import World, build


@pytest.fixture(scope="module")
def world() -> World:
    return build()


def test_the_rendered_timeline_names_receipt_ack_and_warning(world: World) -> None:
    text = render_timeline(verify_bundle(world.bundle))
    assert "v1 disclosed to b (member)" in text
    assert "b acknowledged v1" in text
    assert "its own signed receive time 2026-06-01T08:01:35Z (verified)" in text
    assert "7180 s (1h59m40s) by the service clock" in text
    assert "by b's cosignatures: between 7173 s (1h59m33s) and 7188 s (1h59m48s)" in text


def test_a_rotated_log_key_is_shown_with_the_entry_that_rotated_it() -> None:
    w = build(rotations=1)
    old, new = (k.verifier().vkey() for k in w.log_keys)
    lines = render_timeline(verify_bundle(w.bundle)).splitlines()
    assert lines[1:3] == [
        f"  log {new}",
        f"  log key rotated by entry #7: {old} -> {new} (signed by the old key)",
    ]
    assert not any("rotated" in line for line in render_timeline(verify_bundle(build().bundle)))


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
    from deconflict.cli.timeline import _duration

    assert _duration(seconds) == shown
